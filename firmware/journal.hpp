// The box's durable journal (SQLite, WAL, synchronous=FULL) at data_dir/journal.db: the
// append-only, gap-free outbox of events toward the controller, the intents of flows that move a
// door, and what the box must know offline (assignments, filed submissions, the last pulled
// configuration, counters), and the self-test reports waiting for the controller.
//
// Appending events and updating the rows they touch (a submission, an assignment, the intent
// they finish) is one transaction: after a crash the journal holds all of it or none of it.
// Thread-safe: the kiosk's thread and the syncer's thread share one Journal.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.hpp"
#include "common/identity_wire.hpp"
#include "common/random.hpp"
#include "common/sqlite.hpp"
#include "common/wire.hpp"
#include "firmware/kiosk.hpp"

namespace civicbox::firmware {

// Assignments whose code hash takes more PBKDF2 rounds than this are refused on a pull.
inline constexpr std::uint32_t kMaxPickupHashIterations = 100'000;

struct SyncState {
  std::uint64_t last_seq = 0;       // highest seq in the journal
  std::uint64_t acked_through = 0;  // highest seq the controller said it holds
  std::uint64_t pull_cursor = 0;
  [[nodiscard]] std::uint64_t pending() const {
    return last_seq > acked_through ? last_seq - acked_through : 0;
  }
};

// Self-test reports kept for the controller at most; beyond, the oldest is dropped (with a
// warning): a box tested every day and offline for months sends the recent ones.
inline constexpr std::size_t kMaxQueuedSelfTestReports = 50;

// A self-test report waiting in the outbox (POST /v1/device/selftest).
struct QueuedSelfTestReport {
  std::int64_t id = 0;
  wire::SelfTestReport report;
};

// An unfinished intent whose row cannot be read back (a payload that does not parse, an unknown
// flow): recovery quarantines it instead of stopping the box.
struct UnreadableIntent {
  std::string id;
  std::optional<int> compartment;
  std::string why;
};

class Journal {
 public:
  static Expected<std::unique_ptr<Journal>> open(const std::filesystem::path& file);

  // Appends events with the next seqs (gap-free from 1), updates the rows they touch and, when
  // given, marks that intent done — all in one transaction. Returns the seqs given.
  Expected<std::vector<std::uint64_t>> append(
      const std::vector<wire::EventBody>& events, std::int64_t at_ms, Random& random,
      const std::optional<std::string>& finishes_intent = std::nullopt);
  Expected<std::uint64_t> append(const wire::EventBody& event, std::int64_t at_ms, Random& random);

  // Stores a new intent (stage unlock_requested) and, for a filing, its provisional counter.
  Expected<void> record_intent(const Intent& intent);
  Expected<void> mark_door_opened(std::string_view intent_id);
  Expected<void> cancel_intent(std::string_view intent_id, std::string_view why);
  // Intents in stage unlock_requested or door_opened, oldest first. Fails if one of them cannot
  // be read: recovery quarantines those first (unreadable_intents, quarantine_intent).
  Expected<std::vector<Intent>> unfinished_intents();
  // The unfinished intents whose rows cannot be read, oldest first.
  Expected<std::vector<UnreadableIntent>> unreadable_intents();
  // Marks an unfinished intent quarantined (the row is kept, with `why` as its note, and never
  // acted on again) and records a journal_row_unreadable alarm naming it, in one transaction.
  Expected<void> quarantine_intent(std::string_view intent_id, std::optional<int> compartment,
                                   std::string_view why, std::int64_t at_ms, Random& random);
  Expected<std::optional<Intent>> intent(std::string_view intent_id);

  // Events with seq > acked_through, in order, at most `limit`.
  Expected<std::vector<wire::Event>> pending(std::size_t limit);
  Expected<std::vector<wire::Event>> events_after(std::uint64_t seq, std::size_t limit);
  // What the journal holds of a remote command (the journal is the record: a command id is
  // executed at most once per box, ever): its door.opened, its command.done.
  struct CommandRecord {
    bool door_opened = false;
    bool done = false;
  };
  Expected<CommandRecord> remote_command(std::string_view command_id);
  // Remote commands with a door.opened and no command.done (a crash between the two), oldest
  // first: (command id, compartment).
  Expected<std::vector<std::pair<std::string, int>>> interrupted_commands();
  Expected<SyncState> sync_state();
  // After a push: acked_through = applied_through (capped at the last seq), and the registration
  // numbers the controller gave, in one transaction. Assignments that are over and have no event
  // left to send are pruned: withdrawn and empty ones at once, collected ones once collected
  // kUsedCodeMemoryMs before `now_ms` or beyond the kUsedCodeMemoryParcels most recent.
  Expected<void> acknowledge(std::uint64_t applied_through,
                             const std::vector<wire::Registration>& registrations,
                             std::int64_t now_ms);
  // After a pull: assignments (what the box did with them is kept), configuration, cursor.
  // An assignment over kMaxPickupHashIterations is ignored with a warning.
  Expected<void> apply_pull(const wire::PullResponse& pull);
  // The clerks the controller manages, as the last pull gave them (version 0 and none before
  // the first pull): they log in offline with the last list received.
  Expected<wire::StaffList> controller_staff();

  // What the kiosk's rules need; the default configuration until the first pull.
  Expected<BoxState> box_state();
  Expected<void> save_keypad(const Keypad& keypad);
  Expected<std::optional<std::string>> registration_number(std::string_view tracking_code);
  Expected<std::size_t> active_assignments();

  // The self-test's check that the journal takes writes: one row written and committed (with
  // synchronous=FULL, on the disk) in its own transaction.
  Expected<void> check_writable(std::int64_t at_ms);

  // The self-test reports' outbox. Reports are not events: they sit beside the gap-free event
  // sequence (the controller applies events in order; a report is delivered once, on its own
  // route) and are forgotten once the controller recorded them. queue_self_test_report() reads
  // the report back as the controller will before it is kept (one that would never be accepted
  // is refused here) and returns its id. queued_self_test_reports() gives the oldest first; a
  // row that no longer reads back is dropped with an error logged.
  Expected<std::int64_t> queue_self_test_report(const wire::SelfTestReport& report);
  Expected<std::vector<QueuedSelfTestReport>> queued_self_test_reports(std::size_t limit);
  Expected<bool> self_test_report_queued(std::int64_t id);
  Expected<void> forget_self_test_report(std::int64_t id);

  // The latest time the box is known to have seen (ms since the epoch, by the system clock):
  // a box whose clock restarts in 1970 must not take expired codes for valid ones.
  Expected<std::int64_t> time_floor();
  // Raises the floor to `system_ms` if that is later.
  Expected<void> raise_time_floor(std::int64_t system_ms);

 private:
  explicit Journal(sqlite::Database db) : db_(std::move(db)) {}
  Expected<void> migrate();
  Expected<std::vector<std::uint64_t>> append_locked(const std::vector<wire::EventBody>& events,
                                                     std::int64_t at_ms, Random& random);
  Expected<SyncState> sync_state_locked();
  Expected<std::vector<Intent>> unfinished_intents_locked();
  Expected<void> apply_event_locked(const wire::EventBody& body, std::int64_t at_ms);
  Expected<std::int64_t> counter_locked(std::string_view name);
  Expected<void> set_counter_locked(std::string_view name, std::int64_t value);

  std::mutex mutex_;
  sqlite::Database db_;
};

}  // namespace civicbox::firmware
