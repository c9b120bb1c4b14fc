// What the controller keeps, behind one interface: SQLite (the embedded default) or PostgreSQL
// (several instances on one database); one implementation for both, controller/sql_storage.cpp.
// Every method is one transaction; a method that returns successfully has made its change durable.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/codes.hpp"
#include "common/error.hpp"
#include "common/identity_wire.hpp"
#include "common/ids.hpp"
#include "common/pickup_hash.hpp"
#include "common/submission_state.hpp"
#include "common/wire.hpp"
#include "controller/revocation.hpp"

namespace civicbox::controller {

struct ApplyResult {
  std::uint64_t applied_through = 0;
  std::vector<wire::Registration> registrations;
  std::uint64_t newly_applied = 0;     // events applied by this call (not sent again)
  std::uint64_t newly_registered = 0;  // filings numbered by this call
};

struct HistoryStep {
  SubmissionState state;
  std::int64_t at_ms = 0;
};

struct SubmissionRecord {
  std::string tracking_code;  // canonical
  std::string device_id;
  std::string kind;
  int compartment = 0;
  std::string provisional_number;
  std::optional<std::string> contact;
  std::string registration_number;
  SubmissionState state = SubmissionState::registered;
  std::int64_t filed_at_ms = 0;
  std::vector<HistoryStep> history;
  // The receipt's language (ISO 639-1), the tracking page's default; empty: unknown.
  std::string language{};
};

struct SubmissionFilter {
  std::optional<SubmissionState> state;
  std::optional<std::string> device_id;
  int limit = 100;
};

struct NewParcel {
  std::string parcel_id;
  std::string device_id;
  std::string reference;  // the back office's own reference
  PickupHash code_hash;
  std::int64_t expires_at_ms = 0;
};

struct ParcelRecord {
  std::string parcel_id;
  std::string device_id;
  std::string reference;
  std::string state;  // issued, loaded, collected
  std::optional<int> compartment;
  std::int64_t expires_at_ms = 0;
};

// An enrolment token as stored: its SHA-256, never the token itself.
struct NewEnrolmentToken {
  std::string token_sha256_hex;
  std::string device_id;  // the CN of the certificate it enrols
  std::string site;
  std::string cabinet;  // cabinet profile name
  std::int64_t expires_at_ms = 0;
};

struct EnrolmentTokenRecord {
  std::string token_sha256_hex;
  std::string device_id;
  std::string site;
  std::string cabinet;
  std::int64_t created_at_ms = 0;
  std::int64_t expires_at_ms = 0;
  // Set together when the token enrolled a box: when, the key it enrolled and its certificate.
  std::optional<std::int64_t> used_at_ms;
  std::optional<std::string> key_sha256_hex;
  std::optional<std::string> serial_hex;
};

// A certificate the controller signed.
struct CertificateRecord {
  std::string serial_hex;
  std::string device_id;
  std::string kind;  // "enrol" or "renew"
  std::int64_t not_before_ms = 0;
  std::int64_t not_after_ms = 0;
  std::int64_t issued_at_ms = 0;
  std::string pem;
  std::string key_sha256_hex;
  std::optional<std::int64_t> revoked_at_ms;
  std::optional<std::string> revoked_reason;
};

struct SelfTestRecord {
  std::string device_id;
  std::int64_t received_at_ms = 0;
  std::int64_t started_ms = 0;
  std::int64_t finished_ms = 0;
  std::string reason;  // provisioning, on_demand
  bool passed = false;
  std::string report_json;  // the report as the box sent it (wire::to_json of it)
};

class Storage {
 public:
  virtual ~Storage() = default;

  // Applies a device's events once each, in sequence order, and assigns registration numbers
  // (unique per institution and year, gap-free) to new submissions. Events at or below the
  // device's applied sequence are skipped (a re-sent batch); the first gap stops the batch.
  // Errors: conflict when a sequence number already applied came with a different event id.
  virtual Expected<ApplyResult> apply_events(const DeviceId& device,
                                             const std::vector<wire::Event>& events,
                                             std::int64_t now_ms) = 0;
  virtual Expected<std::uint64_t> applied_through(const DeviceId& device) = 0;
  // Whether this device has ever synced (the back office may only issue parcels to known boxes).
  virtual Expected<bool> device_known(const DeviceId& device) = 0;

  // Assignments of this device changed after `cursor`, and the new cursor.
  virtual Expected<wire::PullResponse> assignments_since(const DeviceId& device,
                                                         std::uint64_t cursor,
                                                         std::int64_t now_ms) = 0;

  virtual Expected<std::optional<SubmissionRecord>> find_submission(const TrackingCode& code) = 0;
  virtual Expected<std::vector<SubmissionRecord>> list_submissions(const SubmissionFilter&) = 0;
  // Errors: not_found, conflict (a move the back office may not make).
  virtual Expected<SubmissionRecord> move_submission(const TrackingCode& code, SubmissionState to,
                                                     std::int64_t now_ms) = 0;

  virtual Expected<void> add_parcel(const NewParcel& parcel, std::int64_t now_ms) = 0;
  virtual Expected<std::vector<ParcelRecord>> list_parcels(
      const std::optional<std::string>& device) = 0;

  // Identity: enrolment tokens, the certificates the controller signed, revocations. The
  // command line and the server write these from different processes (and, with PostgreSQL,
  // several servers): the database is the only common ground.

  // Errors: conflict when a token with this hash exists.
  virtual Expected<void> add_enrolment_token(const NewEnrolmentToken& token,
                                             std::int64_t now_ms) = 0;
  virtual Expected<std::optional<EnrolmentTokenRecord>> find_enrolment_token(
      const std::string& token_sha256_hex) = 0;
  // Newest first, at most 1000.
  virtual Expected<std::vector<EnrolmentTokenRecord>> list_enrolment_tokens(
      const std::optional<std::string>& device) = 0;
  // One transaction: the token is marked used (with the key and the certificate's serial), the
  // certificate is recorded and a revocation of its box is lifted (its old certificates stay
  // revoked). Errors: conflict, and nothing changed, when the token was used or expired
  // meanwhile (another request with the same token won).
  virtual Expected<void> complete_enrolment(const std::string& token_sha256_hex,
                                            const CertificateRecord& certificate,
                                            std::int64_t now_ms) = 0;
  // Records a certificate issued by renewal.
  virtual Expected<void> record_certificate(const CertificateRecord& certificate) = 0;
  virtual Expected<std::optional<CertificateRecord>> find_certificate(
      const std::string& serial_hex) = 0;
  // Newest first, at most 1000.
  virtual Expected<std::vector<CertificateRecord>> list_certificates(
      const std::optional<std::string>& device) = 0;
  // Marks every certificate of the box revoked (those revoked already keep their first reason)
  // and the box revoked as of now. Returns how many certificates it revoked now.
  virtual Expected<int> revoke_device(const DeviceId& device, const std::string& reason,
                                      std::int64_t now_ms) = 0;
  // A number that changes whenever revocations() would answer something else: cheap to poll.
  virtual Expected<std::int64_t> revocation_version() = 0;
  virtual Expected<RevocationList> revocations() = 0;

  virtual Expected<void> add_self_test(const SelfTestRecord& record) = 0;
  // The latest first.
  virtual Expected<std::vector<SelfTestRecord>> list_self_tests(const DeviceId& device,
                                                                int limit) = 0;
};

struct StorageOptions {
  std::string institution_id;
  bool durable = true;  // synchronous=FULL; false only in throwaway tests
};

// The embedded default: one SQLite file, data_dir/controller.db.
Expected<std::unique_ptr<Storage>> open_sqlite_storage(const std::filesystem::path& data_dir,
                                                       const StorageOptions& options);

struct Config;
// The database the configuration names: [storage] postgres, or SQLite in data_dir.
Expected<std::unique_ptr<Storage>> open_configured_storage(const Config& config);

// PostgreSQL (libpq connection string, `connections` kept open): several controller instances
// may share it. Migrations run at start-up. Errors: unavailable (the server cannot be reached).
Expected<std::unique_ptr<Storage>> open_postgres_storage(const std::string& conninfo,
                                                         const StorageOptions& options,
                                                         int connections = 4);

}  // namespace civicbox::controller
