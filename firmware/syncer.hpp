// Drains the journal toward the controller and pulls what the box must know: push every pending
// event (in batches), then pull assignments and configuration. A thread does it every interval
// and when asked; after a failure it waits a jittered backoff instead. sync_once() may also be
// called from another thread; calls are serialised. A filing uses sync_for_receipt() instead: one
// batch, within a short budget, so a backlog or a slow link never holds up a citizen's receipt.
//
// While the syncer backs off after failures, request() (a flow that recorded events) does not
// cut the wait short: a busy box must not hammer a controller that is down. sync_once() and
// sync_for_receipt() are a person waiting and still try at once; only their success ends the
// backoff. A controller that answers, kSyncRefusedAfter times in a row, that it holds less than
// the first event of the batch (it will not take that event) raises one sync_refused alarm; the
// syncer keeps trying with backoff.
//
// Self-test reports wait in the journal's outbox beside the events and are sent after a sync's
// push and pull succeeded (and at once by deliver_self_test_reports(), when a self-test ends),
// oldest first; each is forgotten once the controller recorded it. A report the controller
// cannot take now (unavailable, a route it does not know yet, an answer that did not read...)
// stays for the next sync, and its failure does not count against the sync: events are what a
// box must not fall behind on. Only a report the controller refuses for good (invalid_argument,
// too_large, conflict) is dropped, with a self_test_report_refused alarm that reaches the
// controller as an event. A report whose answer was lost is sent again: the controller may get
// it twice (started_ms tells them apart).
//
// The box's status (set_status_source()) is a snapshot, not journaled: after a sync succeeded it
// is sent when it differs from the last one the controller took, or when `status_every` passed
// since then (also the first time after a start). Offline it is simply sent later. A controller
// that does not know the route (not_found) is told again only at status_every or on a change, and
// logged once; other failures are retried at the next sync.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/error.hpp"
#include "common/random.hpp"
#include "firmware/backoff.hpp"
#include "firmware/journal.hpp"
#include "firmware/sync_client.hpp"

namespace civicbox::firmware {

// How many identical answers refusing the same event make a sync_refused alarm.
inline constexpr int kSyncRefusedAfter = 5;

struct SyncerOptions {
  std::chrono::seconds interval{5};
  std::size_t batch = wire::kMaxBatchEvents;
  std::chrono::milliseconds backoff_base{500};
  std::chrono::milliseconds backoff_cap{std::chrono::seconds(60)};
  std::chrono::seconds status_every{60};
};

struct SyncReport {
  std::uint64_t applied_through = 0;
  std::uint64_t pending = 0;
  std::size_t assignments = 0;  // active assignments held after the pull
};

class Syncer {
 public:
  Syncer(Journal& journal, Uplink& client, SyncerOptions options,
         std::function<std::int64_t()> now_ms, Random& random);
  ~Syncer();
  Syncer(const Syncer&) = delete;
  Syncer& operator=(const Syncer&) = delete;

  void start();
  // Stops the thread; a sync under way finishes first (bounded by the client's timeout).
  void stop();
  // Wakes the thread for a sync now, unless it is backing off after failures (then the sync
  // happens when the backoff ends).
  void request();
  // Pushes everything pending, then pulls. Success ends a backoff; a failure does not count
  // towards it (only the thread's own tries do).
  Expected<SyncReport> sync_once();
  // For a filing's receipt: waits at most `budget` for a sync under way, then pushes one batch
  // (the oldest pending events) with `budget` as the request's timeout. No pull. Success ends a
  // backoff.
  Expected<void> sync_for_receipt(std::chrono::milliseconds budget);
  // What became of the queued self-test reports (their outbox ids) in one delivery.
  struct ReportsDelivered {
    std::vector<std::int64_t> recorded;  // by the controller
    std::vector<std::int64_t> refused;   // for good: dropped, with an alarm
  };
  // Sends the queued self-test reports now, waiting at most `budget` for a sync under way. An
  // error when one could not be sent (it stays, as do those after it); `delivered` says what
  // became of the others.
  Expected<void> deliver_self_test_reports(std::chrono::milliseconds budget,
                                           ReportsDelivered& delivered);
  // Gets the remote commands of every successful pull (the box decides which it has not
  // executed yet). Set before start().
  void set_command_sink(std::function<void(std::vector<wire::Command>)> sink) {
    command_sink_ = std::move(sink);
  }
  // What the box's status is now; nullopt: nothing to report. Set before start().
  void set_status_source(std::function<std::optional<wire::BoxStatus>()> source) {
    status_source_ = std::move(source);
  }
  // Whether the controller took a status report (this run), and the last one it took.
  [[nodiscard]] std::optional<wire::BoxStatus> last_status_sent() const;
  // Whether the last sync reached the controller, and when one last did (0: not yet).
  [[nodiscard]] bool online() const { return online_; }
  // Whether the controller said this box's certificate is revoked (until a sync succeeds again,
  // after a re-enrolment): the box is then out of service.
  [[nodiscard]] bool revoked() const { return revoked_; }
  [[nodiscard]] std::optional<std::int64_t> last_success_ms() const {
    const auto at = last_success_ms_.load();
    return at ? std::optional<std::int64_t>(at) : std::nullopt;
  }

 private:
  struct Pushed {
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    std::uint64_t applied = 0;  // acknowledged: never beyond `last`
  };
  // Pushes the oldest pending batch and acknowledges it; nullopt when nothing is pending.
  Expected<std::optional<Pushed>> push_batch(std::optional<std::chrono::milliseconds> timeout);
  Expected<void> push_all();
  Expected<void> pull();
  Expected<void> send_self_test_reports(ReportsDelivered& delivered);  // sync_mutex_ held
  void send_status();                                                  // sync_mutex_ held
  void run();
  void raise_alarm(const Error& error);
  // Counts answers that refuse the batch's first event; the kSyncRefusedAfter-th raises an alarm.
  void note_refusal(std::uint64_t first, std::uint64_t applied);
  void end_backoff();

  Journal& journal_;
  Uplink& client_;
  SyncerOptions options_;
  std::function<std::int64_t()> now_ms_;
  Random& random_;
  std::timed_mutex sync_mutex_;  // one sync at a time
  bool ahead_alarmed_ = false;
  // The last refusing answer (first seq of the batch, applied_through) and how often in a row.
  std::optional<std::pair<std::uint64_t, std::uint64_t>> refusal_;
  int refusals_in_row_ = 0;
  std::mutex mutex_;
  Backoff backoff_;  // guarded by mutex_
  std::condition_variable wake_;
  bool stopping_ = false;
  bool requested_ = false;
  std::optional<std::string> last_alarm_;
  std::string last_report_failure_;  // sync_mutex_: logged once per distinct cause
  std::function<std::optional<wire::BoxStatus>()> status_source_;
  std::function<void(std::vector<wire::Command>)> command_sink_;
  std::optional<std::uint64_t> staff_checked_;  // sync_mutex_: the staff list version checked
  // sync_mutex_: what was last offered (its content without `at`) and when.
  std::string status_content_;
  std::optional<std::chrono::steady_clock::time_point> status_offered_;
  bool status_unsupported_logged_ = false;
  std::string last_status_failure_;
  mutable std::mutex status_mutex_;              // guards the one below
  std::optional<wire::BoxStatus> status_taken_;  // the last one the controller took
  std::thread thread_;
  std::atomic<bool> online_{false};
  std::atomic<bool> revoked_{false};
  std::atomic<std::int64_t> last_success_ms_{0};
};

}  // namespace civicbox::firmware
