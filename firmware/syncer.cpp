#include "firmware/syncer.hpp"

#include <spdlog/spdlog.h>

#include "firmware/staff.hpp"

namespace civicbox::firmware {

Syncer::Syncer(Journal& journal, Uplink& client, SyncerOptions options,
               std::function<std::int64_t()> now_ms, Random& random)
    : journal_(journal),
      client_(client),
      options_(options),
      now_ms_(std::move(now_ms)),
      random_(random),
      backoff_(options.backoff_base, options.backoff_cap) {
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

Expected<std::optional<Syncer::Pushed>> Syncer::push_batch(
    std::optional<std::chrono::milliseconds> timeout) {
  CIVICBOX_TRY(auto events, journal_.pending(options_.batch));
  if (events.empty()) return std::optional<Pushed>{};
  Pushed pushed{events.front().seq, events.back().seq, 0};
  wire::PushRequest request{std::move(events)};
  CIVICBOX_TRY(auto response,
               timeout ? client_.push_within(request, *timeout) : client_.push(request));
  pushed.applied = response.applied_through;
  note_refusal(pushed.first, pushed.applied);
  if (pushed.applied > pushed.last) {
    // Never take the controller's word for events it was not sent: they would never be sent.
    spdlog::warn("the controller holds events up to seq {}, beyond the {} this box sent",
                 pushed.applied, pushed.last);
    if (!ahead_alarmed_) {
      // Once until the controller agrees again: the alarm is an event too, and pushing it must
      // not raise the next one.
      ahead_alarmed_ = true;
      auto appended = journal_.append(
          wire::Alarm{"controller_ahead",
                      "the controller claims to hold events up to seq " +
                          std::to_string(pushed.applied) + " but this box sent only up to seq " +
                          std::to_string(pushed.last) +
                          " (another box with this identity, or a restored controller database?)",
                      {}},
          now_ms_(), random_);
      if (!appended) spdlog::error("recording an alarm: {}", appended.error().describe());
    }
    pushed.applied = pushed.last;
  } else {
    ahead_alarmed_ = false;
  }
  // acked_through follows the controller, also downwards: what it does not hold is sent again.
  CIVICBOX_CHECK(journal_.acknowledge(pushed.applied, response.registrations, now_ms_()));
  return std::optional<Pushed>(pushed);
}

void Syncer::note_refusal(std::uint64_t first, std::uint64_t applied) {
  if (applied >= first) {
    refusal_.reset();
    refusals_in_row_ = 0;
    return;
  }
  std::pair<std::uint64_t, std::uint64_t> answer{first, applied};
  if (refusal_ == answer) {
    ++refusals_in_row_;
  } else {
    refusal_ = answer;
    refusals_in_row_ = 1;
  }
  // Exactly at the threshold: one alarm for a controller stuck on the same event, however long
  // it stays stuck. The alarm queues behind the refused event, but a technician at the box (or a
  // controller that recovers) sees it.
  if (refusals_in_row_ != kSyncRefusedAfter) return;
  std::string detail = "the controller answered " + std::to_string(kSyncRefusedAfter) +
                       " times in a row that it holds events only up to seq " +
                       std::to_string(applied) + ": it will not take seq " + std::to_string(first) +
                       "; the outbox is stuck behind it";
  spdlog::error("{}", detail);
  auto appended = journal_.append(wire::Alarm{"sync_refused", detail, {}}, now_ms_(), random_);
  if (!appended) spdlog::error("recording an alarm: {}", appended.error().describe());
}

void Syncer::end_backoff() {
  {
    std::lock_guard lock(mutex_);
    if (backoff_.failures() == 0) return;
    backoff_.reset();
  }
  wake_.notify_all();  // a request that waited for the backoff may go now
}

Expected<void> Syncer::sync_for_receipt(std::chrono::milliseconds budget) {
  // Bounded: a citizen waits for a receipt, not for the backlog or a slow sync under way.
  std::unique_lock lock(sync_mutex_, std::defer_lock);
  if (!lock.try_lock_for(budget)) {
    return make_error(ErrorCode::unavailable, "a sync is under way; not waiting for it");
  }
  CIVICBOX_TRY(auto pushed, push_batch(budget));
  (void)pushed;
  end_backoff();
  return {};
}

Expected<void> Syncer::push_all() {
  int resends = 0;
  for (;;) {
    CIVICBOX_TRY(auto pushed, push_batch(std::nullopt));
    if (!pushed) return {};
    auto [first, last, applied] = *pushed;
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
  CIVICBOX_CHECK(journal_.apply_pull(response));
  if (!staff_checked_ || *staff_checked_ != response.staff.version) {
    // Said once per list: a clerk whose PIN hash does not read cannot log in.
    staff_checked_ = response.staff.version;
    for (const auto& clerk : response.staff.clerks) {
      if (auto pin = parse_pin_hash(clerk.pin_hash); !pin) {
        spdlog::warn("the controller's clerk {} cannot log in here: {}", clerk.badge,
                     pin.error().message);
      }
    }
  }

  if (command_sink_ && !response.commands.empty()) command_sink_(std::move(response.commands));
  return {};
}

Expected<SyncReport> Syncer::sync_once() {
  std::lock_guard lock(sync_mutex_);
  auto pushed = push_all();
  Expected<void> pulled = pushed ? pull() : Expected<void>(pushed.error());
  if (!pulled) {
    online_ = false;
    if (pulled.error().code == ErrorCode::revoked && !revoked_.exchange(true)) {
      spdlog::error("this box's certificate was revoked: out of service until re-enrolled ({})",
                    pulled.error().message);
    }
    if (!is_retryable(pulled.error())) raise_alarm(pulled.error());
    return pulled.error();
  }
  online_ = true;
  if (revoked_.exchange(false)) spdlog::info("the controller accepts this box again");
  last_success_ms_ = now_ms_();
  last_alarm_.reset();
  end_backoff();
  ReportsDelivered delivered;
  if (auto sent = send_self_test_reports(delivered); !sent) {
    if (sent.error().message != last_report_failure_) {
      spdlog::warn("a self-test report waits for the next sync: {}", sent.error().describe());
    }
    last_report_failure_ = sent.error().message;
  }
  send_status();
  SyncReport report;
  CIVICBOX_TRY(auto state, journal_.sync_state());
  report.applied_through = state.acked_through;
  report.pending = state.pending();
  CIVICBOX_TRY(report.assignments, journal_.active_assignments());
  return report;
}

void Syncer::send_status() {
  if (!status_source_) return;
  std::optional<wire::BoxStatus> status = status_source_();
  if (!status) return;
  wire::BoxStatus timeless = *status;
  timeless.at_ms = 0;
  std::string content = wire::to_json(timeless);
  const auto now = std::chrono::steady_clock::now();
  const bool due = !status_offered_ || content != status_content_ ||
                   now - *status_offered_ >= options_.status_every;
  if (!due) return;
  auto sent = client_.report_status(*status);
  if (sent) {
    status_content_ = std::move(content);
    status_offered_ = now;
    last_status_failure_.clear();
    if (status_unsupported_logged_) spdlog::info("the controller now takes status reports");
    status_unsupported_logged_ = false;
    std::lock_guard lock(status_mutex_);
    status_taken_ = std::move(*status);
    return;
  }
  if (sent.error().code == ErrorCode::not_found) {
    // A controller from before status reports: asked again only when due, and said once.
    if (!status_unsupported_logged_) {
      spdlog::info("the controller does not take status reports yet ({})", sent.error().message);
      status_unsupported_logged_ = true;
    }
    status_content_ = std::move(content);
    status_offered_ = now;
    return;
  }
  // Tried again at the next sync; said once per distinct cause.
  if (sent.error().message != last_status_failure_) {
    spdlog::warn("the box's status waits for the next sync: {}", sent.error().describe());
  }
  last_status_failure_ = sent.error().message;
}

std::optional<wire::BoxStatus> Syncer::last_status_sent() const {
  std::lock_guard lock(status_mutex_);
  return status_taken_;
}

Expected<void> Syncer::deliver_self_test_reports(std::chrono::milliseconds budget,
                                                 ReportsDelivered& delivered) {
  std::unique_lock lock(sync_mutex_, std::defer_lock);
  if (!lock.try_lock_for(budget)) {
    return make_error(ErrorCode::unavailable, "a sync is under way; the report waits for it");
  }
  return send_self_test_reports(delivered);
}

Expected<void> Syncer::send_self_test_reports(ReportsDelivered& delivered) {
  CIVICBOX_TRY(auto queued, journal_.queued_self_test_reports(kMaxQueuedSelfTestReports));
  for (const auto& q : queued) {
    auto recorded = client_.report_self_test(q.report);
    if (recorded) {
      last_report_failure_.clear();
    } else {
      const ErrorCode code = recorded.error().code;
      const bool refused_for_good = code == ErrorCode::invalid_argument ||
                                    code == ErrorCode::too_large || code == ErrorCode::conflict;
      // Anything else may pass later (a controller down or not updated yet, a box whose
      // certificate is being renewed, an answer that did not read): the report stays.
      if (!refused_for_good) return recorded.error();
      const std::string detail = "the controller refused the self-test report started at " +
                                 std::to_string(q.report.started_ms) +
                                 " ms; it is dropped: " + recorded.error().message;
      spdlog::error("{}", detail);
      auto appended = journal_.append(
          wire::Alarm{"self_test_report_refused", detail.substr(0, 700), {}}, now_ms_(), random_);
      if (!appended) return appended.error().context("recording that a report was refused");
    }
    CIVICBOX_CHECK(journal_.forget_self_test_report(q.id));
    (recorded ? delivered.recorded : delivered.refused).push_back(q.id);
  }
  return {};
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
    auto result = sync_once();  // success ends the backoff
    std::chrono::milliseconds wait = options_.interval;
    std::unique_lock lock(mutex_);
    if (result) {
      spdlog::debug("synced: applied_through {} pending {}", result->applied_through,
                    result->pending);
    } else {
      wait = std::max(backoff_.next(random_), std::chrono::milliseconds(100));
      spdlog::warn("sync failed (next try in {} ms): {}", wait.count(), result.error().describe());
    }
    // A request (a flow recorded events) cuts only the regular interval short, never a backoff:
    // a box busy with citizens must not hammer a controller that is down.
    wake_.wait_for(lock, wait,
                   [this] { return stopping_ || (requested_ && backoff_.failures() == 0); });
    if (stopping_) return;
    requested_ = false;
  }
}

}  // namespace civicbox::firmware
