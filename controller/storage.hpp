// What the controller keeps, behind one interface: SQLite now (embedded default), PostgreSQL
// for several instances later. Every method is one transaction; a method that returns
// successfully has made its change durable.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/codes.hpp"
#include "common/error.hpp"
#include "common/ids.hpp"
#include "common/pickup_hash.hpp"
#include "common/submission_state.hpp"
#include "common/wire.hpp"

namespace civicbox::controller {

struct ApplyResult {
  std::uint64_t applied_through = 0;
  std::vector<wire::Registration> registrations;
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
};

struct StorageOptions {
  std::string institution_id;
  bool durable = true;  // synchronous=FULL; false only in throwaway tests
};

// The embedded default: one SQLite file, data_dir/controller.db.
Expected<std::unique_ptr<Storage>> open_sqlite_storage(const std::filesystem::path& data_dir,
                                                       const StorageOptions& options);

}  // namespace civicbox::controller
