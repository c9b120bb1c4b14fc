// Recovery after a crash: one row per stage of a flow and state of its door, like the Mender
// client's crash tests. What a citizen handed over is never lost; a pickup or load is never
// finished on a guess, and one that is cancelled calls a clerk to check the compartment.
#include "firmware/recovery.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "common/sqlite.hpp"
#include "tests/support/seeded_random.hpp"
#include "tests/support/sim_lockers.hpp"
#include "tests/support/temp_dir.hpp"

namespace civicbox::firmware {
namespace {

using drivers::DoorState;
using namespace std::chrono_literals;

constexpr std::int64_t kNow = 1'790'000'000'000;

struct Row {
  const char* name;
  Flow flow;
  IntentStage stage;
  DoorState door;  // as the cabinet reports it at start (unknown: its lock board is silent)
  RecoveryOutcome outcome;
  std::vector<std::string> events;  // event types recorded, in order
};

void PrintTo(const Row& row, std::ostream* os) {
  *os << row.name;
}

Intent make_intent(Flow flow, IntentStage stage, Random& random) {
  Intent i;
  i.id = "intent-" + std::string(to_string(flow));
  i.flow = flow;
  i.compartment = flow == Flow::filing || flow == Flow::empty ? 1 : 5;
  i.stage = stage;
  i.created_ms = kNow;
  switch (flow) {
    case Flow::filing:
      i.subject = TrackingCode::generate(random).str();
      i.kind = "request";
      i.provisional_number = "P-box-0001-000003";
      i.provisional_counter = 3;
      break;
    case Flow::pickup:
    case Flow::load:
      i.subject = "parcel-1";
      break;
    case Flow::empty:
      i.tracking_codes = {TrackingCode::generate(random).str()};
      break;
  }
  return i;
}

class RecoveryTable : public ::testing::TestWithParam<Row> {};

TEST_P(RecoveryTable, FinishesOrCancelsWhatWasUnderWay) {
  const Row& row = GetParam();
  testing::TempDir dir;
  testing::SeededRandom random(11);
  auto journal = std::move(*Journal::open(dir.path() / "journal.db"));
  Intent intent = make_intent(row.flow, row.stage, random);
  ASSERT_TRUE(journal->record_intent(intent));
  if (row.stage == IntentStage::door_opened) {
    ASSERT_TRUE(journal->mark_door_opened(intent.id));
  }
  // The cabinet as the crash left it.
  auto cabinet = testing::SimLockers::start(dir.path() / "cabinet", {1}, {5});
  const std::string c = std::to_string(intent.compartment);
  std::jthread person;
  if (row.door == DoorState::open) {
    cabinet.command("open " + c);
    // The person closes the open door 50 ms after the agent starts again.
    person = cabinet.close_door_after(intent.compartment, 50ms);
  } else if (row.door == DoorState::unknown) {
    cabinet.command("board " + c + " silent");
  }

  auto recovered = recover(
      *journal, *cabinet.lockers, [] { return kNow; }, random, RecoveryOptions{1s, 10ms});
  ASSERT_TRUE(recovered.has_value()) << recovered.error().describe();
  ASSERT_EQ(recovered->size(), 1u);
  EXPECT_EQ((*recovered)[0].outcome, row.outcome);

  auto events = journal->events_after(0, 100);
  std::vector<std::string> types;
  for (const auto& e : *events) types.emplace_back(wire::event_type(e.body));
  EXPECT_EQ(types, row.events);
  for (const auto& e : *events) {
    if (const auto* s = std::get_if<wire::SubmissionFiled>(&e.body)) {
      EXPECT_TRUE(s->interrupted);
      EXPECT_EQ(s->tracking_code.str(), intent.subject);
      EXPECT_EQ(s->provisional_number, "P-box-0001-000003");
      EXPECT_EQ(s->compartment, 1);
    }
    if (const auto* p = std::get_if<wire::ParcelCollected>(&e.body)) {
      EXPECT_TRUE(p->interrupted);
    }
    if (const auto* a = std::get_if<wire::Alarm>(&e.body)) {
      EXPECT_TRUE(a->what == "flow_interrupted" || a->what == "door_left_open" ||
                  a->what == "door_sensor_unsure")
          << a->what;
      EXPECT_EQ(a->compartment, intent.compartment);
    }
  }
  if (row.door != DoorState::unknown) {
    EXPECT_EQ(*cabinet.lockers->door(intent.compartment), DoorState::closed);
  }
  if (row.outcome == RecoveryOutcome::left_unfinished) {
    // Retried at the next start (and watched by the running agent), never finished on a guess.
    ASSERT_EQ(journal->unfinished_intents()->size(), 1u);
    EXPECT_EQ((*journal->intent(intent.id))->stage, row.stage);
    return;
  }
  EXPECT_TRUE(journal->unfinished_intents()->empty());
  auto stored = journal->intent(intent.id);
  EXPECT_EQ((*stored)->stage,
            row.outcome == RecoveryOutcome::cancelled ? IntentStage::cancelled : IntentStage::done);

  // Killed again right after: a second recovery has nothing left to do.
  auto again = recover(
      *journal, *cabinet.lockers, [] { return kNow; }, random);
  EXPECT_TRUE(again->empty());
  EXPECT_EQ(journal->events_after(0, 100)->size(), row.events.size());
}

const std::vector<std::string> kAlarm{"alarm"};
const std::vector<std::string> kFiled{"submission.filed", "alarm"};
const std::vector<std::string> kCollected{"parcel.collected", "alarm"};
const std::vector<std::string> kLoaded{"parcel.loaded", "alarm"};
const std::vector<std::string> kEmptied{"dropoff.emptied", "alarm"};

INSTANTIATE_TEST_SUITE_P(
    EveryStage, RecoveryTable,
    ::testing::Values(
        // The citizen may have opened, dropped and closed while the agent was down.
        Row{"filing_unlock_requested_door_closed", Flow::filing, IntentStage::unlock_requested,
            DoorState::closed, RecoveryOutcome::finished, kFiled},
        Row{"filing_unlock_requested_door_open", Flow::filing, IntentStage::unlock_requested,
            DoorState::open, RecoveryOutcome::finished, kFiled},
        Row{"filing_door_opened_door_open", Flow::filing, IntentStage::door_opened, DoorState::open,
            RecoveryOutcome::finished, kFiled},
        Row{"filing_door_opened_door_closed", Flow::filing, IntentStage::door_opened,
            DoorState::closed, RecoveryOutcome::finished, kFiled},
        Row{"filing_unlock_requested_sensor_unsure",
            Flow::filing,
            IntentStage::unlock_requested,
            DoorState::unknown,
            RecoveryOutcome::finished,
            {"submission.filed", "alarm", "alarm"}},
        Row{"pickup_unlock_requested_door_closed", Flow::pickup, IntentStage::unlock_requested,
            DoorState::closed, RecoveryOutcome::cancelled, kAlarm},
        Row{"pickup_door_opened_sensor_unsure", Flow::pickup, IntentStage::door_opened,
            DoorState::unknown, RecoveryOutcome::left_unfinished, kAlarm},
        Row{"pickup_unlock_requested_sensor_unsure", Flow::pickup, IntentStage::unlock_requested,
            DoorState::unknown, RecoveryOutcome::left_unfinished, kAlarm},
        Row{"pickup_door_opened_door_open", Flow::pickup, IntentStage::door_opened, DoorState::open,
            RecoveryOutcome::finished, kCollected},
        Row{"load_unlock_requested_door_closed", Flow::load, IntentStage::unlock_requested,
            DoorState::closed, RecoveryOutcome::cancelled, kAlarm},
        Row{"load_door_opened_sensor_unsure", Flow::load, IntentStage::door_opened,
            DoorState::unknown, RecoveryOutcome::left_unfinished, kAlarm},
        Row{"empty_unlock_requested_door_closed", Flow::empty, IntentStage::unlock_requested,
            DoorState::closed, RecoveryOutcome::finished, kEmptied},
        Row{"load_door_opened_door_closed", Flow::load, IntentStage::door_opened, DoorState::closed,
            RecoveryOutcome::finished, kLoaded},
        Row{"empty_door_opened_door_open", Flow::empty, IntentStage::door_opened, DoorState::open,
            RecoveryOutcome::finished, kEmptied}),
    [](const ::testing::TestParamInfo<Row>& info) { return std::string(info.param.name); });

TEST(Recovery, ADoorThatStaysOpenIsFinishedWithAnAlarm) {
  testing::TempDir dir;
  testing::SeededRandom random(12);
  auto journal = std::move(*Journal::open(dir.path() / "journal.db"));
  Intent intent = make_intent(Flow::filing, IntentStage::door_opened, random);
  ASSERT_TRUE(journal->record_intent(intent));
  // Nobody shuts the door.
  auto cabinet = testing::SimLockers::start(dir.path() / "cabinet", {1}, {5}, 0ms, true);
  cabinet.command("open 1");
  auto recovered = recover(
      *journal, *cabinet.lockers, [] { return kNow; }, random, RecoveryOptions{100ms, 10ms});
  ASSERT_TRUE(recovered.has_value());
  auto events = journal->events_after(0, 100);
  std::vector<std::string> whats;
  for (const auto& e : *events) {
    if (const auto* a = std::get_if<wire::Alarm>(&e.body)) whats.push_back(a->what);
  }
  EXPECT_EQ(whats, (std::vector<std::string>{"flow_interrupted", "door_left_open"}));
  EXPECT_EQ(journal->box_state()->submissions.size(), 1u);
}

TEST(Recovery, AnUnreadableIntentIsQuarantinedWithAnAlarmAndTheRestIsRecovered) {
  testing::TempDir dir;
  testing::SeededRandom random(13);
  auto journal = std::move(*Journal::open(dir.path() / "journal.db"));
  Intent bad = make_intent(Flow::pickup, IntentStage::door_opened, random);
  bad.id = "intent-unreadable";
  ASSERT_TRUE(journal->record_intent(bad));
  Intent good = make_intent(Flow::filing, IntentStage::door_opened, random);
  ASSERT_TRUE(journal->record_intent(good));
  {
    auto db = sqlite::Database::open(dir.path() / "journal.db");
    ASSERT_TRUE(db.has_value());
    ASSERT_TRUE(
        db->exec("UPDATE intents SET payload = '{not json' WHERE id = 'intent-unreadable'"));
  }
  ASSERT_FALSE(journal->box_state().has_value()) << "the row was meant to be unreadable";
  auto cabinet = testing::SimLockers::start(dir.path() / "cabinet", {1}, {5});

  auto recovered = recover(
      *journal, *cabinet.lockers, [] { return kNow; }, random, RecoveryOptions{100ms, 10ms});
  ASSERT_TRUE(recovered.has_value()) << recovered.error().describe();
  ASSERT_EQ(recovered->size(), 2u);
  EXPECT_EQ(recovered->at(0).intent.id, "intent-unreadable");
  EXPECT_EQ(recovered->at(0).outcome, RecoveryOutcome::quarantined);
  EXPECT_EQ(recovered->at(1).intent.id, good.id);
  EXPECT_EQ(recovered->at(1).outcome, RecoveryOutcome::finished);

  std::vector<std::string> unreadable;
  auto events = journal->events_after(0, 100);
  ASSERT_TRUE(events.has_value());
  for (const auto& e : *events) {
    if (const auto* a = std::get_if<wire::Alarm>(&e.body);
        a && a->what == "journal_row_unreadable") {
      unreadable.push_back(a->detail);
    }
  }
  ASSERT_EQ(unreadable.size(), 1u);
  EXPECT_NE(unreadable[0].find("intent-unreadable"), std::string::npos) << unreadable[0];
  // The row is kept, quarantined, and the box works (and recovers) again.
  auto db = sqlite::Database::open(dir.path() / "journal.db");
  auto stage = db->prepare("SELECT stage FROM intents WHERE id = 'intent-unreadable'");
  ASSERT_TRUE(stage.has_value());
  ASSERT_TRUE(*stage->step());
  EXPECT_EQ(stage->text(0), "quarantined");
  EXPECT_TRUE(journal->box_state().has_value());
  EXPECT_EQ(journal->box_state()->submissions.size(), 1u);
  auto again = recover(
      *journal, *cabinet.lockers, [] { return kNow; }, random, RecoveryOptions{100ms, 10ms});
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->empty());
}

}  // namespace
}  // namespace civicbox::firmware
