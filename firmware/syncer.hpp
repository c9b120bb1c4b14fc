// Drains the journal toward the controller and pulls what the box must know: push every pending
// event (in batches), then pull assignments and configuration. A thread does it every interval
// and when asked; after a failure it waits a jittered backoff instead. sync_once() may also be
// called from another thread; calls are serialised. A filing uses sync_for_receipt() instead: one
// batch, within a short budget, so a backlog or a slow link never holds up a citizen's receipt.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/error.hpp"
#include "common/random.hpp"
#include "firmware/backoff.hpp"
#include "firmware/journal.hpp"
#include "firmware/sync_client.hpp"

namespace civicbox::firmware {

struct SyncerOptions {
  std::chrono::seconds interval{5};
  std::size_t batch = wire::kMaxBatchEvents;
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
  // Wakes the thread for a sync now.
  void request();
  // Pushes everything pending, then pulls.
  Expected<SyncReport> sync_once();
  // For a filing's receipt: waits at most `budget` for a sync under way, then pushes one batch
  // (the oldest pending events) with `budget` as the request's timeout. No pull.
  Expected<void> sync_for_receipt(std::chrono::milliseconds budget);

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
  void run();
  void raise_alarm(const Error& error);

  Journal& journal_;
  Uplink& client_;
  SyncerOptions options_;
  std::function<std::int64_t()> now_ms_;
  Random& random_;
  Backoff backoff_;
  std::timed_mutex sync_mutex_;  // one sync at a time
  bool ahead_alarmed_ = false;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool requested_ = false;
  std::optional<std::string> last_alarm_;
  std::thread thread_;
};

}  // namespace civicbox::firmware
