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
#include "controller/sql.hpp"
#include "controller/webhook_outbox.hpp"

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

// Who made a change from the back office, the command line or a box: every change is written to
// the audit trail with its actor, in the transaction that makes it.
struct Actor {
  std::string name;  // the API token's name, "config" (the configuration's token), "cli:<user>"
  std::string role;  // operator, clerk, auditor
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
  std::string language{};   // the receipt's language (ISO 639-1), the tracking page's default
  std::string reference{};  // the back office's own reference (empty: none attached)
};

struct SubmissionFilter {
  std::optional<SubmissionState> state{};
  std::optional<std::string> device_id{};
  std::optional<std::string> kind{};
  std::optional<std::int64_t> filed_from_ms{};    // filed at or after
  std::optional<std::int64_t> filed_before_ms{};  // filed before
  int limit = 100;
};

struct NewParcel {
  std::string parcel_id;
  std::string device_id;
  std::string reference;  // the back office's own reference
  PickupHash code_hash;
  std::int64_t expires_at_ms = 0;
  // The code itself, for the parcel.ready notification alone (webhook_outbox.hpp): kept in the
  // outbox until it is delivered, never in the parcel. Empty: no code in the notification.
  std::string pickup_code_for_notice{};
};

struct ParcelRecord {
  std::string parcel_id;
  std::string device_id;
  std::string reference;
  std::string state;  // issued, loaded, collected, cancelled, returned
  std::optional<int> compartment;
  std::int64_t expires_at_ms = 0;
};

// What the back office may do to a parcel after issuing it.
enum class ParcelChange {
  cancel,   // issued or loaded: the box withdraws it (a loaded one waits for a clerk to take out)
  extend,   // issued or loaded: the hold ends `days` later (counted from now once expired)
  returned  // loaded and expired, or cancelled after loading: a clerk took it out of the box
};

// The box's own report of its state (POST /v1/device/status), with when it was received.
struct BoxStatusRecord {
  std::int64_t received_at_ms = 0;
  wire::BoxStatus status;
};

struct AlarmRecord {
  std::int64_t at_ms = 0;  // the box's clock
  std::string what;
  std::string detail;
  std::optional<int> compartment;
};

// One box as the back office sees it.
struct BoxRecord {
  std::string device_id;
  std::int64_t first_seen_ms = 0;
  std::int64_t last_seen_ms = 0;  // the last request it made that reached the database
  std::uint64_t applied_through = 0;
  bool revoked = false;
  std::optional<BoxStatusRecord> status;
  std::vector<AlarmRecord> alarms;  // the latest first, at most 10
};

// A door the box opened (door.opened), for the audit trail.
struct DoorOpeningRecord {
  std::string device_id;
  std::uint64_t seq = 0;
  std::int64_t at_ms = 0;  // the box's clock
  int compartment = 0;
  std::string by;  // citizen, clerk, technician, remote, self_test
  std::optional<std::string> badge;
  std::optional<std::string> command;
  std::optional<std::string> ref;
  std::string why;
};

struct DoorFilter {
  std::optional<std::string> device_id{};
  std::optional<std::int64_t> from_ms{};
  std::optional<std::int64_t> before_ms{};
  int limit = 100;
};

// A change in the audit trail.
struct AuditRecord {
  std::int64_t id = 0;
  std::int64_t at_ms = 0;
  std::string actor;
  std::string role;
  std::string action;  // e.g. "submission.move", "parcel.issue", "box.open", "clerk.pin_reset"
  std::string target;  // what it changed: a tracking code, a parcel id, a box id, a badge
  std::string detail;  // JSON object
};

struct AuditFilter {
  std::optional<std::string> actor{};
  std::optional<std::string> target{};
  std::optional<std::int64_t> from_ms{};
  std::optional<std::int64_t> before_ms{};
  int limit = 100;
};

// A remote command to a box (today only "open"), carried by its pulls until the box reports it
// done or it expires.
struct NewCommand {
  std::string id;
  std::string device_id;
  int compartment = 0;
  std::string reason;
  std::int64_t expires_at_ms = 0;
};

struct CommandRecord {
  std::string id;
  std::string device_id;
  std::string kind;
  int compartment = 0;
  std::string reason;
  std::string issued_by;
  std::int64_t created_at_ms = 0;
  std::int64_t expires_at_ms = 0;
  std::optional<std::string> outcome;  // opened, refused, expired, failed (command.done)
  std::optional<std::string> detail;
  std::optional<std::int64_t> done_at_ms;
};

// A clerk the back office manages; boxes get the list (with PIN hashes) in their pulls.
struct ClerkRecord {
  std::string badge;
  std::string name;
  bool active = true;
  std::int64_t updated_at_ms = 0;
};

// An API token for the back office, stored as its SHA-256.
struct ApiTokenRecord {
  std::string name;
  std::string role;
  std::int64_t created_at_ms = 0;
  std::optional<std::int64_t> revoked_at_ms;
};

// Figures for the dashboard.
struct DayCount {
  std::string date;  // YYYY-MM-DD, the town hall's local date
  int filed = 0;
  int collected = 0;
};
struct ResolutionFigures {
  std::string kind;
  int count = 0;
  double median_hours = 0;
  double p90_hours = 0;
};
struct Statistics {
  std::vector<DayCount> days;                 // oldest first, every day of the period
  std::vector<ResolutionFigures> resolution;  // per kind, submissions resolved or rejected
  std::vector<SubmissionRecord> waiting;      // not resolved, filed before the limit; oldest first
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
  // In filing order (year, number), at most filter.limit.
  virtual Expected<std::vector<SubmissionRecord>> list_submissions(const SubmissionFilter&) = 0;
  // Errors: not_found, conflict (a move the back office may not make).
  virtual Expected<SubmissionRecord> move_submission(const TrackingCode& code, SubmissionState to,
                                                     std::int64_t now_ms, const Actor& by) = 0;
  // Attaches (or replaces) the back office's own reference. Errors: not_found.
  virtual Expected<SubmissionRecord> set_submission_reference(const TrackingCode& code,
                                                              const std::string& reference,
                                                              std::int64_t now_ms,
                                                              const Actor& by) = 0;

  virtual Expected<void> add_parcel(const NewParcel& parcel, std::int64_t now_ms,
                                    const Actor& by) = 0;
  virtual Expected<std::optional<ParcelRecord>> find_parcel(const std::string& parcel_id) = 0;
  virtual Expected<std::vector<ParcelRecord>> list_parcels(
      const std::optional<std::string>& device) = 0;
  // `days` is for extend (1..365); `reason` (may be empty) goes to the audit trail. The box
  // hears of a cancel or an extension at its next pull. A box that loaded or handed over a
  // parcel before it heard of its cancel is believed: loaded, it stays cancelled in its
  // compartment (to be marked returned); collected, it is collected.
  // Errors: not_found, conflict (the parcel's state does not allow it).
  virtual Expected<ParcelRecord> change_parcel(const std::string& parcel_id, ParcelChange change,
                                               int days, const std::string& reason,
                                               std::int64_t now_ms, const Actor& by) = 0;

  // Boxes: their own reports, their alarms, their doors, commands to them.
  virtual Expected<void> record_box_status(const DeviceId& device, const wire::BoxStatus& status,
                                           std::int64_t now_ms) = 0;
  // Every box that ever connected, by id.
  virtual Expected<std::vector<BoxRecord>> list_boxes() = 0;
  virtual Expected<std::optional<BoxRecord>> find_box(const DeviceId& device) = 0;
  // Newest first.
  virtual Expected<std::vector<DoorOpeningRecord>> list_door_openings(const DoorFilter&) = 0;
  // Errors: not_found (no such box), conflict (the id is used).
  virtual Expected<void> add_command(const NewCommand& command, std::int64_t now_ms,
                                     const Actor& by) = 0;
  // Newest first, at most 100.
  virtual Expected<std::vector<CommandRecord>> list_commands(const DeviceId& device) = 0;

  // Clerks. `pin_hash` is the PBKDF2 form of common/pin_hash.hpp. Errors: conflict (add: the
  // badge is an active clerk's), not_found (set_clerk_pin, remove_clerk: no active clerk).
  virtual Expected<void> add_clerk(const std::string& badge, const std::string& name,
                                   const std::string& pin_hash, std::int64_t now_ms,
                                   const Actor& by) = 0;
  virtual Expected<void> set_clerk_pin(const std::string& badge, const std::string& pin_hash,
                                       std::int64_t now_ms, const Actor& by) = 0;
  virtual Expected<void> remove_clerk(const std::string& badge, std::int64_t now_ms,
                                      const Actor& by) = 0;
  // Active clerks, by badge.
  virtual Expected<std::vector<ClerkRecord>> list_clerks() = 0;

  // Back-office API tokens. Errors: conflict (add: the name is taken), not_found (revoke).
  virtual Expected<void> add_api_token(const std::string& token_sha256_hex, const std::string& name,
                                       const std::string& role, std::int64_t now_ms,
                                       const Actor& by) = 0;
  // An unrevoked token with this hash.
  virtual Expected<std::optional<ApiTokenRecord>> find_api_token(
      const std::string& token_sha256_hex) = 0;
  virtual Expected<std::vector<ApiTokenRecord>> list_api_tokens() = 0;
  virtual Expected<void> revoke_api_token(const std::string& name, std::int64_t now_ms,
                                          const Actor& by) = 0;

  // The audit trail, newest first.
  virtual Expected<std::vector<AuditRecord>> list_audit(const AuditFilter&) = 0;

  // The dashboard's figures over the `days` days up to now; `waiting_after_days`: a submission
  // not resolved after that long is waiting too long.
  virtual Expected<Statistics> statistics(std::int64_t now_ms, int days,
                                          int waiting_after_days) = 0;

  // Identity: enrolment tokens, the certificates the controller signed, revocations. The
  // command line and the server write these from different processes (and, with PostgreSQL,
  // several servers): the database is the only common ground.

  // Errors: conflict when a token with this hash exists.
  virtual Expected<void> add_enrolment_token(const NewEnrolmentToken& token, std::int64_t now_ms,
                                             const Actor& by) = 0;
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
                                      std::int64_t now_ms, const Actor& by) = 0;
  // A number that changes whenever revocations() would answer something else: cheap to poll.
  virtual Expected<std::int64_t> revocation_version() = 0;
  virtual Expected<RevocationList> revocations() = 0;

  virtual Expected<void> add_self_test(const SelfTestRecord& record) = 0;
  // The latest first.
  virtual Expected<std::vector<SelfTestRecord>> list_self_tests(const DeviceId& device,
                                                                int limit) = 0;

  // The database itself, for the webhook sender (webhooks.hpp), which claims and marks outbox
  // rows in transactions of its own.
  virtual sql::Pool& database() = 0;
};

struct StorageOptions {
  std::string institution_id;
  bool durable = true;  // synchronous=FULL; false only in throwaway tests
  // Who is told of which changes ([[webhooks.subscribers]]): outbox rows are written in the
  // change's own transaction. Empty: none.
  webhooks::Routes webhook_routes{};
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
