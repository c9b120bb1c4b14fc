#include "firmware/syncer.hpp"

#include <spdlog/spdlog.h>

namespace civicbox::firmware {

Syncer::Syncer(Journal& journal, Uplink& client, SyncerOptions options,
               std::function<std::int64_t()> now_ms, Random& random)
    : journal_(journal),
      client_(client),
      options_(options),
      now_ms_(std::move(now_ms)),
      random_(random) {
  if (options_.batch == 0 || options_.batch > wire::kMaxBatchEvents) {
    options_.batch = wire::kMaxBatchEvents;
  }
}

Syncer::~Syncer() {
  stop();
}

void Syncer::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void Syncer::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Syncer::request() {
  {
    std::lock_guard lock(mutex_);
    requested_ = true;
  }
  wake_.notify_all();
}

Expected<void> Syncer::push_all() {
  int resends = 0;
  for (;;) {
    CIVICBOX_TRY(auto events, journal_.pending(options_.batch));
    if (events.empty()) return {};
    std::uint64_t first = events.front().seq;
    std::uint64_t last = events.back().seq;
    wire::PushRequest request{std::move(events)};
    CIVICBOX_TRY(auto response, client_.push(request));
    std::uint64_t applied = response.applied_through;
    if (applied > last) {
      spdlog::warn("the controller holds events up to seq {}, beyond the {} this box sent", applied,
                   last);
    }
    // acked_through follows the controller, also downwards: what it does not hold is sent again.
    CIVICBOX_CHECK(journal_.acknowledge(applied, response.registrations));
    if (applied >= first) continue;
    if (applied + 1 < first && resends++ == 0) {
      spdlog::warn("the controller holds only up to seq {}; sending again from seq {}", applied,
                   applied + 1);
      continue;
    }
    return make_error(ErrorCode::unavailable, "the controller applied none of seq " +
                                                  std::to_string(first) + ".." +
                                                  std::to_string(last) + " (applied_through " +
                                                  std::to_string(applied) + ")");
  }
}

Expected<void> Syncer::pull() {
  CIVICBOX_TRY(auto state, journal_.sync_state());
  CIVICBOX_TRY(auto response, client_.pull(state.pull_cursor));
  return journal_.apply_pull(response);
}

Expected<SyncReport> Syncer::sync_once() {
  std::lock_guard lock(sync_mutex_);
  auto pushed = push_all();
  Expected<void> pulled = pushed ? pull() : Expected<void>(pushed.error());
  if (!pulled) {
    if (!is_retryable(pulled.error())) raise_alarm(pulled.error());
    return pulled.error();
  }
  last_alarm_.reset();
  SyncReport report;
  CIVICBOX_TRY(auto state, journal_.sync_state());
  report.applied_through = state.acked_through;
  report.pending = state.pending();
  CIVICBOX_TRY(report.assignments, journal_.active_assignments());
  return report;
}

void Syncer::raise_alarm(const Error& error) {
  // The controller refused the box (certificate, a malformed batch): a person must look. Once per
  // distinct cause, so the outbox does not fill with the same alarm.
  spdlog::error("sync refused, not retrying soon: {}", error.describe());
  if (last_alarm_ == error.message) return;
  last_alarm_ = error.message;
  auto appended = journal_.append(wire::Alarm{"sync_refused", error.message.substr(0, 700), {}},
                                  now_ms_(), random_);
  if (!appended) spdlog::error("recording an alarm: {}", appended.error().describe());
}

void Syncer::run() {
  for (;;) {
    auto result = sync_once();
    std::chrono::milliseconds wait = options_.interval;
    if (result) {
      backoff_.reset();
      spdlog::debug("synced: applied_through {} pending {}", result->applied_through,
                    result->pending);
    } else {
      wait = std::max(backoff_.next(random_), std::chrono::milliseconds(100));
      spdlog::warn("sync failed (next try in {} ms): {}", wait.count(), result.error().describe());
    }
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, wait, [this] { return stopping_ || requested_; });
    if (stopping_) return;
    requested_ = false;
  }
}

}  // namespace civicbox::firmware
