// The syncer against a fake controller: the outbox drains in order, in batches, only as far as
// the controller acknowledged, and what the controller lost is sent again.
#include "firmware/syncer.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <mutex>
#include <thread>

#include "tests/support/seeded_random.hpp"
#include "tests/support/temp_dir.hpp"

namespace civicbox::firmware {
namespace {

constexpr std::int64_t kNow = 1'790'000'000'000;

// Holds what it was sent, like a controller: applied_through is the highest seq held in order.
class FakeController final : public Uplink {
 public:
  Expected<wire::PushResponse> push(const wire::PushRequest& request) override {
    if (slow) std::this_thread::sleep_for(*slow);
    {
      std::lock_guard lock(mutex);
      batches.push_back(request.events.size());
    }
    if (fail_with) return *fail_with;
    wire::PushResponse response;
    for (const auto& e : request.events) {
      if (e.seq == held + 1) held = e.seq;
      if (const auto* s = std::get_if<wire::SubmissionFiled>(&e.body)) {
        response.registrations.push_back(
            wire::Registration{s->tracking_code, "2026/" + std::to_string(100000 + e.seq)});
      }
    }
    response.applied_through = held + claim_extra;
    if (refuse_all) response.applied_through = request.events.front().seq - 1;
    return response;
  }
  Expected<wire::PullResponse> pull(std::uint64_t cursor) override {
    pulled_with.push_back(cursor);
    wire::PullResponse r;
    r.cursor = cursor + 1;
    r.config = wire::BoxConfig{"Ajuntament", {"instància"}, "https://t/"};
    return r;
  }
  Expected<void> report_self_test(const wire::SelfTestReport& report) override {
    std::lock_guard lock(mutex);
    reports.push_back(report);
    return {};
  }
  std::uint64_t held = 0;
  std::vector<wire::SelfTestReport> reports;
  std::vector<std::size_t> batches;
  std::vector<std::uint64_t> pulled_with;
  std::optional<Error> fail_with;
  std::uint64_t claim_extra = 0;  // a controller that says it holds more than it was sent
  std::optional<std::chrono::milliseconds> slow;
  bool refuse_all = false;  // answers 200 but holds nothing of the batch
  std::size_t pushes() {
    std::lock_guard lock(mutex);
    return batches.size();
  }
  std::mutex mutex;
};

class SyncerTest : public ::testing::Test {
 protected:
  SyncerTest() : journal_(std::move(*Journal::open(dir_.path() / "journal.db"))) {}
  Syncer make(std::size_t batch, std::chrono::milliseconds backoff = std::chrono::milliseconds(500),
              std::chrono::seconds interval = std::chrono::seconds(1)) {
    return Syncer(
        *journal_, controller_,
        SyncerOptions{interval, batch, backoff,
                      std::max(backoff, std::chrono::milliseconds(60'000))},
        [] { return kNow; }, random_);
  }
  std::vector<std::string> alarms(const std::string& what) {
    std::vector<std::string> out;
    auto events = journal_->events_after(0, 1000);
    for (const auto& e : *events) {
      if (const auto* a = std::get_if<wire::Alarm>(&e.body); a && a->what == what) {
        out.push_back(a->detail);
      }
    }
    return out;
  }
  // Polls until `done` (at most 5 s).
  static bool eventually(const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }
  testing::TempDir dir_;
  testing::SeededRandom random_{5};
  std::unique_ptr<Journal> journal_;
  FakeController controller_;
};

TEST_F(SyncerTest, PushesEverythingPendingInBatchesThenPulls) {
  auto code = TrackingCode::generate(random_);
  ASSERT_TRUE(journal_->append(
      wire::SubmissionFiled{code, "request", 1, "P-box-0001-000001", std::nullopt, false}, kNow,
      random_));
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(journal_->append(wire::Alarm{"a", "d", std::nullopt}, kNow, random_));
  }
  auto syncer = make(3);
  auto report = syncer.sync_once();
  ASSERT_TRUE(report.has_value()) << report.error().describe();
  EXPECT_EQ(controller_.batches, (std::vector<std::size_t>{3, 3, 1}));
  EXPECT_EQ(report->applied_through, 7u);
  EXPECT_EQ(report->pending, 0u);
  EXPECT_EQ(**journal_->registration_number(code.str()), "2026/100001");
  EXPECT_EQ(journal_->box_state()->config.institution, "Ajuntament");
  // The next pull starts from the cursor the controller gave.
  ASSERT_TRUE(syncer.sync_once());
  EXPECT_EQ(controller_.pulled_with, (std::vector<std::uint64_t>{0, 1}));
}

TEST_F(SyncerTest, WhatTheControllerLostIsSentAgain) {
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(journal_->append(wire::Alarm{"a", "d", std::nullopt}, kNow, random_));
  }
  ASSERT_TRUE(journal_->acknowledge(4, {}, kNow));  // acknowledged earlier...
  ASSERT_TRUE(journal_->append(wire::Alarm{"a", "d", std::nullopt}, kNow, random_));
  controller_.held = 1;  // ...but the controller was restored from an old backup
  auto syncer = make(100);
  auto report = syncer.sync_once();
  ASSERT_TRUE(report.has_value()) << report.error().describe();
  EXPECT_EQ(controller_.held, 5u);
  EXPECT_EQ(report->applied_through, 5u);
}

TEST_F(SyncerTest, AFailedPushKeepsTheEventsPending) {
  ASSERT_TRUE(journal_->append(wire::Alarm{"a", "d", std::nullopt}, kNow, random_));
  controller_.fail_with = make_error(ErrorCode::unavailable, "connection refused");
  auto syncer = make(100);
  EXPECT_FALSE(syncer.sync_once().has_value());
  EXPECT_EQ(journal_->sync_state()->pending(), 1u);
  EXPECT_TRUE(controller_.pulled_with.empty());
}

TEST_F(SyncerTest, ARefusalThatRetryingCannotFixRaisesOneAlarm) {
  controller_.fail_with = make_error(ErrorCode::forbidden, "unknown device certificate");
  ASSERT_TRUE(journal_->append(wire::Alarm{"a", "d", std::nullopt}, kNow, random_));
  auto syncer = make(100);
  EXPECT_FALSE(syncer.sync_once().has_value());
  EXPECT_FALSE(syncer.sync_once().has_value());
  auto events = journal_->events_after(0, 100);
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ(std::get<wire::Alarm>(events->back().body).what, "sync_refused");
}

TEST_F(SyncerTest, ARevokedCertificatePutsTheBoxOutOfServiceAndKeepsEveryEvent) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(journal_->append(wire::Alarm{"a", "d", std::nullopt}, kNow, random_));
  }
  auto syncer = make(100);
  EXPECT_FALSE(syncer.revoked());
  controller_.fail_with =
      make_error(ErrorCode::revoked, "pushing events: the controller answered 403 revoked: stolen");
  EXPECT_FALSE(syncer.sync_once().has_value());
  EXPECT_TRUE(syncer.revoked());
  EXPECT_FALSE(syncer.online());
  // Nothing is dropped: the three events and the alarm wait for a controller that takes them.
  EXPECT_EQ(journal_->sync_state()->pending(), 4u);
  EXPECT_EQ(alarms("sync_refused").size(), 1u);
  // Re-enrolled: the next sync goes through, every event with it, and the box is back.
  controller_.fail_with.reset();
  ASSERT_TRUE(syncer.sync_once().has_value());
  EXPECT_FALSE(syncer.revoked());
  EXPECT_EQ(journal_->sync_state()->pending(), 0u);
}

TEST_F(SyncerTest, TheThreadStopsCleanly) {
  auto syncer = make(100);
  syncer.start();
  syncer.request();
  syncer.stop();
  EXPECT_FALSE(controller_.pulled_with.empty());
}

TEST_F(SyncerTest, EventsTheControllerWasNeverSentAreNeverTakenAsDelivered) {
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(journal_->append(wire::Alarm{"a", "b", {}}, kNow, random_));
  controller_.claim_extra = 5;
  auto syncer = make(2);
  auto first = syncer.sync_once();
  ASSERT_TRUE(first.has_value()) << first.error().describe();
  // Every event reached the controller; acked_through never passed what was sent.
  EXPECT_GE(controller_.held, 3u);
  auto events = journal_->events_after(0, 100);
  std::size_t ahead = 0;
  for (const auto& e : *events) {
    if (const auto* a = std::get_if<wire::Alarm>(&e.body); a && a->what == "controller_ahead") {
      ++ahead;
    }
  }
  EXPECT_GE(ahead, 1u) << "nobody was told the controller claims more than it was sent";
  EXPECT_LE(journal_->sync_state()->acked_through, journal_->sync_state()->last_seq);
}

TEST_F(SyncerTest, AFilingsSyncSendsOneBatchAndDoesNotWaitForASlowSync) {
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(journal_->append(wire::Alarm{"a", "b", {}}, kNow, random_));
  auto syncer = make(2);
  ASSERT_TRUE(syncer.sync_for_receipt(std::chrono::milliseconds(500)));
  EXPECT_EQ(controller_.batches, std::vector<std::size_t>{2}) << "the backlog was drained";
  EXPECT_TRUE(controller_.pulled_with.empty());
  EXPECT_EQ(journal_->sync_state()->acked_through, 2u);

  controller_.slow = std::chrono::milliseconds(1500);
  std::thread background([&] { (void)syncer.sync_once(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto started = std::chrono::steady_clock::now();
  auto bounded = syncer.sync_for_receipt(std::chrono::milliseconds(200));
  auto waited = std::chrono::steady_clock::now() - started;
  background.join();
  EXPECT_FALSE(bounded.has_value());
  EXPECT_LT(waited, std::chrono::milliseconds(1000));
}

TEST_F(SyncerTest, AControllerThatKeepsRefusingAnEventRaisesOneSyncRefusedAlarm) {
  ASSERT_TRUE(journal_->append(wire::Alarm{"a", "d", std::nullopt}, kNow, random_));
  controller_.refuse_all = true;
  auto syncer = make(100);
  for (int i = 1; i < kSyncRefusedAfter; ++i) {
    EXPECT_FALSE(syncer.sync_once().has_value());
  }
  EXPECT_TRUE(alarms("sync_refused").empty()) << "alarmed before the answer repeated enough";
  EXPECT_FALSE(syncer.sync_once().has_value());
  auto raised = alarms("sync_refused");
  ASSERT_EQ(raised.size(), 1u);
  EXPECT_NE(raised[0].find("seq 1"), std::string::npos) << raised[0];
  // Still stuck: still trying, still one alarm.
  for (int i = 0; i < 2 * kSyncRefusedAfter; ++i) EXPECT_FALSE(syncer.sync_once().has_value());
  EXPECT_EQ(alarms("sync_refused").size(), 1u);
  EXPECT_EQ(controller_.pushes(), static_cast<std::size_t>(3 * kSyncRefusedAfter));
  EXPECT_EQ(journal_->sync_state()->acked_through, 0u);
}

TEST_F(SyncerTest, AFlowsRequestDoesNotCutABackoffShort) {
  ASSERT_TRUE(journal_->append(wire::Alarm{"a", "d", std::nullopt}, kNow, random_));
  controller_.fail_with = make_error(ErrorCode::unavailable, "connection refused");
  // A backoff drawn in [0, 60 s] with this seed: long enough that any early try is a request's.
  auto syncer = make(100, std::chrono::seconds(60));
  syncer.start();
  ASSERT_TRUE(eventually([&] { return controller_.pushes() == 1; }));
  for (int i = 0; i < 10; ++i) {
    syncer.request();
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
  }
  EXPECT_EQ(controller_.pushes(), 1u) << "a request woke the syncer while it was backing off";
  syncer.stop();
}

TEST_F(SyncerTest, AnOnDemandSyncThatFailsKeepsTheBackoffAndOneThatSucceedsEndsIt) {
  ASSERT_TRUE(journal_->append(wire::Alarm{"a", "d", std::nullopt}, kNow, random_));
  controller_.fail_with = make_error(ErrorCode::unavailable, "connection refused");
  auto syncer = make(100, std::chrono::seconds(60), std::chrono::seconds(60));
  syncer.start();
  ASSERT_TRUE(eventually([&] { return controller_.pushes() == 1; }));
  // A person waiting still gets a try; failing, it leaves the syncer backing off.
  EXPECT_FALSE(syncer.sync_once().has_value());
  EXPECT_FALSE(syncer.sync_for_receipt(std::chrono::milliseconds(200)).has_value());
  EXPECT_EQ(controller_.pushes(), 3u);
  syncer.request();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(controller_.pushes(), 3u);
  // The link is back and a person's sync gets through: the next request is served at once.
  controller_.fail_with.reset();
  ASSERT_TRUE(syncer.sync_once().has_value());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the earlier request is served
  ASSERT_TRUE(journal_->append(wire::Alarm{"b", "d", std::nullopt}, kNow, random_));
  auto before = controller_.pushes();
  syncer.request();
  EXPECT_TRUE(eventually([&] { return controller_.pushes() > before; }));
  syncer.stop();
}

TEST_F(SyncerTest, ASyncSendsTheQueuedSelfTestReportsOnceAndForgetsThem) {
  wire::SelfTestReport report;
  report.started_ms = kNow;
  report.finished_ms = kNow + 1000;
  report.reason = "provisioning";
  report.checks = {{"journal", std::nullopt, true, "a row was written and committed"}};
  ASSERT_TRUE(journal_->queue_self_test_report(report));
  auto syncer = make(10);
  ASSERT_TRUE(syncer.sync_once());
  ASSERT_EQ(controller_.reports.size(), 1u);
  EXPECT_EQ(wire::to_json(controller_.reports[0]), wire::to_json(report));
  EXPECT_TRUE(journal_->queued_self_test_reports(10)->empty());
  ASSERT_TRUE(syncer.sync_once());
  EXPECT_EQ(controller_.reports.size(), 1u);
}

}  // namespace
}  // namespace civicbox::firmware
