// The journal: gap-free sequence numbers that survive a restart, one transaction per step, and
// an outbox that drains only as far as the controller acknowledged.
#include "firmware/journal.hpp"

#include <gtest/gtest.h>

#include <cstdio>

#include "tests/support/seeded_random.hpp"
#include "tests/support/temp_dir.hpp"

namespace civicbox::firmware {
namespace {

using testing::SeededRandom;
using testing::TempDir;

constexpr std::int64_t kNow = 1'790'000'000'000;

wire::EventBody alarm(const std::string& what) {
  return wire::Alarm{what, "detail", std::nullopt};
}

wire::SubmissionFiled filed(Random& random, int compartment) {
  return wire::SubmissionFiled{TrackingCode::generate(random),
                               "request",
                               compartment,
                               "P-box-0001-000001",
                               std::nullopt,
                               false};
}

class JournalTest : public ::testing::Test {
 protected:
  std::unique_ptr<Journal> open() {
    auto j = Journal::open(dir_.path() / "journal.db");
    EXPECT_TRUE(j.has_value()) << j.error().describe();
    return std::move(*j);
  }
  TempDir dir_;
  SeededRandom random_{7};
};

TEST_F(JournalTest, SequenceNumbersAreGapFreeFromOneAcrossRestarts) {
  {
    auto j = open();
    EXPECT_EQ(*j->append(alarm("a"), kNow, random_), 1u);
    EXPECT_EQ(*j->append(alarm("b"), kNow, random_), 2u);
  }
  auto j = open();
  auto seqs = j->append({alarm("c"), alarm("d")}, kNow, random_);
  ASSERT_TRUE(seqs.has_value());
  EXPECT_EQ(*seqs, (std::vector<std::uint64_t>{3, 4}));
  auto events = j->pending(100);
  ASSERT_TRUE(events.has_value());
  ASSERT_EQ(events->size(), 4u);
  for (std::size_t i = 0; i < events->size(); ++i) {
    EXPECT_EQ((*events)[i].seq, i + 1);
    EXPECT_EQ(std::get<wire::Alarm>((*events)[i].body).what, std::string(1, char('a' + i)));
  }
}

TEST_F(JournalTest, AnEventAndTheRowsItTouchesAreOneTransaction) {
  auto j = open();
  Intent intent;
  intent.id = "intent-1";
  intent.flow = Flow::filing;
  intent.compartment = 1;
  auto s = filed(random_, 1);
  intent.subject = s.tracking_code.str();
  ASSERT_TRUE(j->record_intent(intent).has_value());
  {
    // Make the second event of the step fail inside SQLite.
    auto raw = sqlite::Database::open(dir_.path() / "journal.db");
    ASSERT_TRUE(raw->exec("CREATE TRIGGER fail_alarm BEFORE INSERT ON events WHEN NEW.type = "
                          "'alarm' BEGIN SELECT RAISE(ABORT, 'injected failure'); END")
                    .has_value());
  }
  auto failed = j->append({s, alarm("x")}, kNow, random_, intent.id);
  EXPECT_FALSE(failed.has_value());
  // Nothing of the step is in the journal: no event, no submission, the intent still open.
  EXPECT_EQ(j->sync_state()->last_seq, 0u);
  EXPECT_TRUE(j->box_state()->submissions.empty());
  EXPECT_EQ(j->unfinished_intents()->size(), 1u);

  {
    auto raw = sqlite::Database::open(dir_.path() / "journal.db");
    ASSERT_TRUE(raw->exec("DROP TRIGGER fail_alarm").has_value());
  }
  ASSERT_TRUE(j->append({s, alarm("x")}, kNow, random_, intent.id).has_value());
  EXPECT_EQ(j->sync_state()->last_seq, 2u);
  ASSERT_EQ(j->box_state()->submissions.size(), 1u);
  EXPECT_EQ(j->box_state()->submissions[0].tracking_code, s.tracking_code.str());
  EXPECT_TRUE(j->unfinished_intents()->empty());
  EXPECT_EQ((*j->intent(intent.id))->stage, IntentStage::done);
}

TEST_F(JournalTest, PendingIsWhatTheControllerHasNotAcknowledged) {
  auto j = open();
  auto s = filed(random_, 2);
  ASSERT_TRUE(j->append({s, alarm("b"), alarm("c"), alarm("d"), alarm("e")}, kNow, random_));
  EXPECT_EQ(j->pending(100)->size(), 5u);
  EXPECT_EQ(j->pending(2)->size(), 2u);

  ASSERT_TRUE(j->acknowledge(3, {wire::Registration{s.tracking_code, "2026/000123"}}, kNow));
  auto rest = j->pending(100);
  ASSERT_EQ(rest->size(), 2u);
  EXPECT_EQ((*rest)[0].seq, 4u);
  EXPECT_EQ(j->sync_state()->pending(), 2u);
  EXPECT_EQ(**j->registration_number(s.tracking_code.str()), "2026/000123");

  // An acknowledgement beyond what the box holds is capped; a lower one (the controller lost
  // events) makes the box send them again.
  ASSERT_TRUE(j->acknowledge(99, {}, kNow));
  EXPECT_EQ(j->sync_state()->acked_through, 5u);
  EXPECT_TRUE(j->pending(100)->empty());
  ASSERT_TRUE(j->acknowledge(1, {}, kNow));
  EXPECT_EQ(j->pending(100)->front().seq, 2u);
}

TEST_F(JournalTest, APullKeepsWhatTheBoxDidWithAParcelAndTheConfigurationSurvivesARestart) {
  {
    auto j = open();
    auto defaults = j->box_state();
    EXPECT_EQ(defaults->config.institution, "Town hall");
    EXPECT_EQ(defaults->config.document_kinds,
              (std::vector<std::string>{"request", "complaint", "other"}));

    wire::PullResponse pull;
    pull.cursor = 12;
    pull.assignments.push_back(
        wire::Assignment{"parcel-1", std::string(32, 'a'), 10, std::string(64, 'b'), kNow, true});
    pull.config = wire::BoxConfig{"Primăria Cluj", {"cerere"}, "https://track/"};
    ASSERT_TRUE(j->apply_pull(pull));
    ASSERT_TRUE(j->append(wire::ParcelLoaded{"parcel-1", 5}, kNow, random_));
    pull.assignments[0].expires_at_ms = kNow + 1;  // the controller extends the hold
    ASSERT_TRUE(j->apply_pull(pull));
  }
  auto j = open();
  auto state = j->box_state();
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(state->config.institution, "Primăria Cluj");
  EXPECT_EQ(state->config.track_url, "https://track/");
  ASSERT_EQ(state->parcels.size(), 1u);
  EXPECT_EQ(state->parcels[0].compartment, 5);
  EXPECT_EQ(state->parcels[0].expires_at_ms, kNow + 1);
  EXPECT_EQ(j->sync_state()->pull_cursor, 12u);
  EXPECT_EQ(*j->active_assignments(), 1u);
}

TEST_F(JournalTest, TheProvisionalCounterAndKeypadSurviveARestart) {
  {
    auto j = open();
    Intent intent;
    intent.id = "i";
    intent.flow = Flow::filing;
    intent.compartment = 1;
    intent.subject = TrackingCode::generate(random_).str();
    intent.provisional_counter = 7;
    intent.provisional_number = "P-box-0001-000007";
    ASSERT_TRUE(j->record_intent(intent));
    ASSERT_TRUE(j->save_keypad(Keypad{3, 0}));
  }
  auto j = open();
  EXPECT_EQ(j->box_state()->provisional_counter, 7);
  EXPECT_EQ(j->box_state()->keypad.failed_in_row, 3);
  auto intents = j->unfinished_intents();
  ASSERT_EQ(intents->size(), 1u);
  EXPECT_EQ((*intents)[0].provisional_number, "P-box-0001-000007");
}

wire::Assignment assignment(const std::string& parcel_id, std::uint32_t iterations = 1000) {
  return wire::Assignment{
      parcel_id, std::string(32, 'a'), iterations, std::string(64, 'b'), kNow + 1000, true};
}

TEST_F(JournalTest, AnEventTheControllerCouldNotReadIsRefusedAndTheOutboxStaysClear) {
  auto journal = open();
  auto bad = filed(random_, 1);
  bad.contact = std::string(150, '\xff');  // 150 bytes here, 450 once replaced in JSON
  auto appended = journal->append(std::vector<wire::EventBody>{bad}, kNow, random_);
  ASSERT_FALSE(appended.has_value());
  EXPECT_EQ(appended.error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(journal->sync_state()->last_seq, 0u);
  EXPECT_TRUE(journal->box_state()->submissions.empty()) << "half of a refused append was kept";
  EXPECT_EQ(*journal->append(alarm("after"), kNow, random_), 1u);
}

TEST_F(JournalTest, TheControllersClerksAreTheLastListPulledAlsoAfterARestart) {
  {
    auto journal = open();
    EXPECT_EQ(journal->controller_staff()->version, 0u);
    EXPECT_TRUE(journal->controller_staff()->clerks.empty());
    wire::PullResponse pull;
    pull.cursor = 1;
    pull.config = wire::BoxConfig{"Town hall", {"request"}, "https://t/"};
    pull.staff = wire::StaffList{3,
                                 {{"CLERK-0042", "Ioana Rus", "pbkdf2-sha256$1$aa$bb"},
                                  {"CLERK-0043", "Mihai Pop", "pbkdf2-sha256$1$cc$dd"}}};
    ASSERT_TRUE(journal->apply_pull(pull));
    // The next list replaces it: a clerk removed is gone.
    pull.staff = wire::StaffList{4, {{"CLERK-0043", "Mihai Pop", "pbkdf2-sha256$1$cc$dd"}}};
    ASSERT_TRUE(journal->apply_pull(pull));
  }
  auto journal = open();
  auto staff = journal->controller_staff();
  ASSERT_TRUE(staff) << staff.error().describe();
  EXPECT_EQ(staff->version, 4u);
  ASSERT_EQ(staff->clerks.size(), 1u);
  EXPECT_EQ(staff->clerks[0].badge, "CLERK-0043");
  EXPECT_EQ(staff->clerks[0].name, "Mihai Pop");
  EXPECT_EQ(staff->clerks[0].pin_hash, "pbkdf2-sha256$1$cc$dd");
}

TEST_F(JournalTest, AnAssignmentThatWouldMakeEveryCodeCheckSlowIsIgnored) {
  auto journal = open();
  wire::PullResponse pull;
  pull.cursor = 1;
  pull.config = wire::BoxConfig{"Town hall", {"request"}, "https://t/"};
  pull.assignments = {assignment("fine", kMaxPickupHashIterations),
                      assignment("too-slow", kMaxPickupHashIterations + 1)};
  ASSERT_TRUE(journal->apply_pull(pull));
  auto parcels = journal->box_state()->parcels;
  ASSERT_EQ(parcels.size(), 1u);
  EXPECT_EQ(parcels[0].parcel_id, "fine");
}

TEST_F(JournalTest, ACollectedParcelIsKeptSevenDaysAfterTheControllerHoldsItsEvents) {
  auto journal = open();
  wire::PullResponse pull;
  pull.cursor = 1;
  pull.config = wire::BoxConfig{"Town hall", {"request"}, "https://t/"};
  pull.assignments = {assignment("collected"), assignment("waiting"), assignment("withdrawn")};
  pull.assignments[2].active = false;
  ASSERT_TRUE(journal->apply_pull(pull));
  ASSERT_TRUE(journal->append(wire::ParcelLoaded{"collected", 5}, kNow, random_));
  ASSERT_TRUE(journal->append(wire::ParcelCollected{"collected", 5, false}, kNow, random_));
  auto ids = [&] {
    std::vector<std::string> out;
    auto state = journal->box_state();
    for (const auto& p : state->parcels) out.push_back(p.parcel_id);
    return out;
  };
  // Acknowledged up to the loading only: the collection is not yet sent, the parcel is kept.
  ASSERT_TRUE(journal->acknowledge(1, {}, kNow));
  EXPECT_EQ(ids(), (std::vector<std::string>{"collected", "waiting"}));
  // Sent, but collected less than seven days ago: its hash still says "already collected".
  ASSERT_TRUE(journal->acknowledge(2, {}, kNow + kUsedCodeMemoryMs - 1));
  EXPECT_EQ(ids(), (std::vector<std::string>{"collected", "waiting"}));
  EXPECT_EQ(journal->box_state()->parcels.front().collected_at_ms, kNow);
  ASSERT_TRUE(journal->acknowledge(2, {}, kNow + kUsedCodeMemoryMs));
  EXPECT_EQ(ids(), std::vector<std::string>{"waiting"});
}

TEST_F(JournalTest, OnlyTheTwentyMostRecentCollectedParcelsAreKept) {
  auto journal = open();
  wire::PullResponse pull;
  pull.cursor = 1;
  pull.config = wire::BoxConfig{"Town hall", {"request"}, "https://t/"};
  for (int i = 0; i < 25; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "p%02d", i);
    pull.assignments.push_back(assignment(id));
  }
  ASSERT_TRUE(journal->apply_pull(pull));
  for (int i = 0; i < 25; ++i) {
    const auto& id = pull.assignments[static_cast<std::size_t>(i)].parcel_id;
    ASSERT_TRUE(journal->append(wire::ParcelCollected{id, 5, false}, kNow + i, random_));
  }
  auto last = journal->sync_state()->last_seq;
  ASSERT_TRUE(journal->acknowledge(last, {}, kNow + 100));
  auto parcels = journal->box_state()->parcels;
  ASSERT_EQ(parcels.size(), kUsedCodeMemoryParcels);
  EXPECT_EQ(parcels.front().parcel_id, "p05") << "the oldest collections were kept";
}

TEST_F(JournalTest, TheTimeFloorOnlyRisesAndSurvivesARestart) {
  {
    auto journal = open();
    ASSERT_TRUE(journal->append(alarm("seen"), kNow, random_));
    EXPECT_EQ(*journal->time_floor(), kNow);  // before any floor was kept: the latest event
    ASSERT_TRUE(journal->raise_time_floor(kNow + 5000));
    ASSERT_TRUE(journal->raise_time_floor(kNow + 1000));
  }
  EXPECT_EQ(*open()->time_floor(), kNow + 5000);
}

wire::SelfTestReport report_started_at(std::int64_t started_ms) {
  wire::SelfTestReport r;
  r.started_ms = started_ms;
  r.finished_ms = started_ms + 1000;
  r.reason = "on_demand";
  r.checks = {{"compartment", 4, false, "did not open"}, {"journal", std::nullopt, true, "ok"}};
  return r;
}

TEST_F(JournalTest, ASelfTestReportWaitsInTheOutboxAcrossRestartsUntilForgotten) {
  std::int64_t first = 0;
  {
    auto j = open();
    auto id = j->queue_self_test_report(report_started_at(kNow));
    ASSERT_TRUE(id) << id.error().describe();
    first = *id;
    ASSERT_TRUE(j->queue_self_test_report(report_started_at(kNow + 60'000)));
  }
  auto j = open();
  auto queued = j->queued_self_test_reports(10);
  ASSERT_TRUE(queued);
  ASSERT_EQ(queued->size(), 2u);
  EXPECT_EQ((*queued)[0].id, first) << "oldest first";
  EXPECT_EQ(wire::to_json((*queued)[0].report), wire::to_json(report_started_at(kNow)));
  EXPECT_TRUE(*j->self_test_report_queued(first));
  ASSERT_TRUE(j->forget_self_test_report(first));
  EXPECT_FALSE(*j->self_test_report_queued(first));
  EXPECT_EQ(j->queued_self_test_reports(10)->size(), 1u);
  // Reports are not events: the gap-free sequence toward the controller is untouched.
  EXPECT_EQ(j->sync_state()->last_seq, 0u);
}

TEST_F(JournalTest, AReportTheControllerCouldNotReadIsRefusedAndOnlyTheNewestAreKept) {
  auto j = open();
  auto bad = report_started_at(kNow);
  bad.reason = "curiosity";
  auto refused = j->queue_self_test_report(bad);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::invalid_argument);
  for (std::size_t i = 0; i < kMaxQueuedSelfTestReports + 5; ++i) {
    ASSERT_TRUE(j->queue_self_test_report(report_started_at(kNow + static_cast<int>(i))));
  }
  auto queued = j->queued_self_test_reports(1000);
  ASSERT_EQ(queued->size(), kMaxQueuedSelfTestReports);
  EXPECT_EQ(queued->front().report.started_ms, kNow + 5) << "the oldest went first";
}

TEST_F(JournalTest, TheSelfTestsWriteCheckCommitsARow) {
  auto j = open();
  ASSERT_TRUE(j->check_writable(kNow));
  ASSERT_TRUE(j->check_writable(kNow + 1));
}

}  // namespace
}  // namespace civicbox::firmware
