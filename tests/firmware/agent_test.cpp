// The agent in-process, its real lock-board driver against the simulated cabinet, offline: a door
// that did not open in time is never handed out again on its own, and the box's clock never goes
// back behind its journal.
#include "firmware/agent.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "hardware/sim/log_screen.hpp"
#include "hardware/sim/receipt_file.hpp"
#include "tests/support/flow_events.hpp"
#include "tests/support/seeded_random.hpp"
#include "tests/support/sim_lockers.hpp"
#include "tests/support/temp_dir.hpp"

namespace civicbox::firmware {
namespace {

using namespace std::chrono_literals;

class AgentTest : public ::testing::Test {
 protected:
  AgentTest() : printer_(dir_.path() / "receipts") {
    config_.box_id = "box-0001";
    config_.data_dir = dir_.path() / "data";
    config_.controller_url = "https://127.0.0.1:1";  // nothing listens: offline
    config_.timeout_ms = 300;
    // The person shuts a door 20 ms after it was seen open.
    cabinet_ = testing::SimLockers::start(dir_.path() / "cabinet", {1, 2}, {5, 6}, 20ms);
    apply_cabinet_profile(config_, cabinet_.profile());
  }

  std::unique_ptr<Agent> open_agent() {
    auto agent = Agent::open(config_, Devices{*cabinet_.lockers, printer_, screen_}, random_);
    EXPECT_TRUE(agent.has_value()) << agent.error().describe();
    // Long enough for a door that opens to be seen open on a loaded machine; a jammed door
    // costs this much.
    (*agent)->door_open_wait = 1s;
    return std::move(*agent);
  }

  std::vector<wire::EventBody> events(Agent& agent) {
    std::vector<wire::EventBody> out;
    auto all = agent.journal().events_after(0, 1000);
    for (const auto& e : *all) out.push_back(e.body);
    return out;
  }

  testing::TempDir dir_;
  testing::SeededRandom random_{21};
  AgentConfig config_;
  testing::SimLockers cabinet_;
  sim::ReceiptFilePrinter printer_;
  sim::LogScreen screen_;
};

TEST_F(AgentTest, ADoorThatDidNotOpenInTimeIsNeverHandedOutAgainAndALateFilingIsKept) {
  auto agent = open_agent();
  cabinet_.command("jam 1 on");
  auto first = agent->file("request", std::nullopt);
  ASSERT_TRUE(first.refused.has_value());
  EXPECT_EQ(first.refused->reason, RefuseReason::door_not_opened);

  // The intent stays unfinished, a technician is called, the compartment is out of service.
  auto unfinished = agent->journal().unfinished_intents();
  ASSERT_EQ(unfinished->size(), 1u);
  EXPECT_EQ((*unfinished)[0].compartment, 1);
  EXPECT_EQ((*unfinished)[0].stage, IntentStage::unlock_requested);
  // The opening was journaled before the unlock (who and why), then the alarm.
  auto recorded = events(*agent);
  ASSERT_EQ(recorded.size(), 2u);
  const auto* opened = std::get_if<wire::DoorOpened>(&recorded.at(0));
  ASSERT_NE(opened, nullptr);
  EXPECT_EQ(opened->compartment, 1);
  EXPECT_EQ(opened->why, "filing");
  const auto* alarm = std::get_if<wire::Alarm>(&recorded.at(1));
  ASSERT_NE(alarm, nullptr);
  EXPECT_EQ(alarm->what, "door_not_opened");
  EXPECT_EQ(alarm->compartment, 1);
  EXPECT_EQ(agent->status()->free_dropoff, 1);

  // The next citizen gets the other compartment.
  auto second = agent->file("request", std::nullopt);
  ASSERT_FALSE(second.refused.has_value()) << second.refused->message;
  ASSERT_FALSE(second.events.empty());
  EXPECT_EQ(testing::first_of<wire::SubmissionFiled>(second.events).compartment, 2);
  // Both compartments taken: no third filing, even though door 1 reads closed.
  auto third = agent->file("request", std::nullopt);
  ASSERT_TRUE(third.refused.has_value());
  EXPECT_EQ(third.refused->reason, RefuseReason::no_free_compartment);

  // The first citizen pulls door 1 after all, drops the paper and closes it.
  cabinet_.command("open 1");
  EXPECT_EQ(*agent->watch_doors(), 0);
  cabinet_.command("close 1");
  EXPECT_EQ(*agent->watch_doors(), 1);

  const wire::SubmissionFiled* late = nullptr;
  auto all = events(*agent);
  for (const auto& e : all) {
    if (const auto* s = std::get_if<wire::SubmissionFiled>(&e); s && s->compartment == 1) late = s;
  }
  ASSERT_NE(late, nullptr) << "the paper dropped late was lost";
  EXPECT_TRUE(late->interrupted);
  EXPECT_TRUE(agent->journal().unfinished_intents()->empty());
  EXPECT_EQ(agent->journal().box_state()->submissions.size(), 2u);
}

TEST_F(AgentTest, TheBackgroundWatchFinishesALateDoorWithoutAnotherFlow) {
  auto agent = open_agent();
  cabinet_.command("jam 1 on");
  ASSERT_TRUE(agent->file("request", std::nullopt).refused.has_value());
  agent->start_sync();
  cabinet_.command("open 1");
  std::this_thread::sleep_for(400ms);
  cabinet_.command("close 1");
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!agent->journal().unfinished_intents()->empty() &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  agent->stop_sync();
  EXPECT_TRUE(agent->journal().unfinished_intents()->empty());
  EXPECT_EQ(agent->journal().box_state()->submissions.size(), 1u);
}

TEST_F(AgentTest, AClockThatRestartsInThePastDoesNotGoBehindTheJournal) {
  auto system_now = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
  std::int64_t floor = system_now + 30LL * 24 * 3600 * 1000;  // the box last ran "later"
  {
    std::filesystem::create_directories(config_.data_dir);
    auto journal = Journal::open(config_.data_dir / "journal.db");
    ASSERT_TRUE(journal.has_value()) << journal.error().describe();
    ASSERT_TRUE((*journal)->raise_time_floor(floor));
    ASSERT_TRUE((*journal)->raise_time_floor(floor - 1000));  // never lowered
  }
  auto agent = open_agent();
  EXPECT_GE(agent->now_ms(), floor);
  agent->advance_clock(60s);  // the script's clock +60 still moves it
  EXPECT_GE(agent->now_ms(), floor + 60'000);
  EXPECT_LT(agent->now_ms(), floor + 120'000);
}

// ---- remote commands ---------------------------------------------------------------------------

wire::Command open_command(const std::string& id, int compartment, std::int64_t expires_at_ms) {
  wire::Command c;
  c.id = id;
  c.compartment = compartment;
  c.reason = "citizen forgot a bag";
  c.by = "Ana Pop";
  c.expires_at_ms = expires_at_ms;
  return c;
}

TEST_F(AgentTest, ARemoteOpenIsJournaledWithWhyThenUnlockedOnceEver) {
  auto agent = open_agent();
  const auto later = agent->now_ms() + 600'000;
  agent->queue_commands({open_command("cmd-1", 5, later)});
  auto done = agent->run_remote_commands();
  ASSERT_TRUE(done.has_value()) << done.error().describe();
  ASSERT_EQ(done->size(), 1u);
  EXPECT_EQ((*done)[0].outcome, "opened");
  EXPECT_EQ(cabinet_.unlocks_settled(5, 1), 1);

  auto recorded = events(*agent);
  ASSERT_EQ(recorded.size(), 2u);
  const auto& opened = std::get<wire::DoorOpened>(recorded[0]);
  EXPECT_EQ(opened.compartment, 5);
  EXPECT_EQ(opened.by, "remote");
  EXPECT_EQ(opened.command, "cmd-1");
  EXPECT_EQ(opened.why, "citizen forgot a bag");
  EXPECT_FALSE(opened.badge.has_value());
  const auto& finished = std::get<wire::CommandDone>(recorded[1]);
  EXPECT_EQ(finished.command, "cmd-1");
  EXPECT_EQ(finished.outcome, "opened");

  // The controller sends it again (the answer was lost, or the pull came before the push):
  // nothing happens, also after a restart.
  agent->queue_commands({open_command("cmd-1", 5, later)});
  EXPECT_TRUE(agent->run_remote_commands()->empty());
  agent.reset();
  agent = open_agent();
  ASSERT_TRUE(agent->recover().has_value());
  agent->queue_commands({open_command("cmd-1", 5, later)});
  EXPECT_TRUE(agent->run_remote_commands()->empty());
  std::this_thread::sleep_for(200ms);  // an unlock sent now would have arrived
  EXPECT_EQ(cabinet_.cabinet->unlocks_received(5), 1);
  EXPECT_EQ(events(*agent).size(), 2u);
}

TEST_F(AgentTest, AnExpiredRemoteOpenOrOneForNoSuchCompartmentOpensNothing) {
  auto agent = open_agent();
  const auto now = agent->now_ms();
  agent->queue_commands(
      {open_command("cmd-old", 5, now - 1000), open_command("cmd-99", 99, now + 600'000)});
  auto done = agent->run_remote_commands();
  ASSERT_TRUE(done.has_value()) << done.error().describe();
  ASSERT_EQ(done->size(), 2u);
  EXPECT_EQ((*done)[0].command, "cmd-old");
  EXPECT_EQ((*done)[0].outcome, "expired");
  EXPECT_EQ((*done)[1].command, "cmd-99");
  EXPECT_EQ((*done)[1].outcome, "refused");
  EXPECT_NE((*done)[1].detail.find("99"), std::string::npos) << (*done)[1].detail;
  std::this_thread::sleep_for(200ms);  // an unlock sent now would have arrived
  for (int c : {1, 2, 5, 6}) EXPECT_EQ(cabinet_.cabinet->unlocks_received(c), 0) << c;
  auto recorded = events(*agent);
  EXPECT_EQ(testing::count_of<wire::DoorOpened>(recorded), 0u);
  EXPECT_EQ(testing::count_of<wire::CommandDone>(recorded), 2u);
}

// The simulated cabinet, with a bus that refuses every unlock (a serial link that broke).
class RefusingLockers final : public drivers::Lockers {
 public:
  explicit RefusingLockers(drivers::Lockers& real) : real_(real) {}
  Expected<void> unlock(int compartment) override {
    return make_error(ErrorCode::io, "compartment " + std::to_string(compartment) +
                                         ": writing to the lock board failed");
  }
  Expected<drivers::DoorState> door(int compartment) override { return real_.door(compartment); }
  [[nodiscard]] std::vector<int> compartments() const override { return real_.compartments(); }

 private:
  drivers::Lockers& real_;
};

TEST_F(AgentTest, ARemoteOpenTheBoardRefusesIsJournaledAsFailed) {
  RefusingLockers refusing(*cabinet_.lockers);
  auto opened_agent = Agent::open(config_, Devices{refusing, printer_, screen_}, random_);
  ASSERT_TRUE(opened_agent.has_value()) << opened_agent.error().describe();
  auto& agent = *opened_agent;
  agent->queue_commands({open_command("cmd-2", 6, agent->now_ms() + 600'000)});
  auto done = agent->run_remote_commands();
  ASSERT_TRUE(done.has_value()) << done.error().describe();
  ASSERT_EQ(done->size(), 1u);
  EXPECT_EQ((*done)[0].outcome, "failed");
  EXPECT_NE((*done)[0].detail.find("lock board"), std::string::npos) << (*done)[0].detail;
  auto recorded = events(*agent);
  ASSERT_EQ(recorded.size(), 2u);
  EXPECT_EQ(std::get<wire::DoorOpened>(recorded[0]).command, "cmd-2");
  // Failed is an outcome: the command is not tried again.
  agent->queue_commands({open_command("cmd-2", 6, agent->now_ms() + 600'000)});
  EXPECT_TRUE(agent->run_remote_commands()->empty());
}

TEST_F(AgentTest, ACrashBetweenARemoteOpeningAndItsOutcomeNeverOpensTheDoorAgain) {
  const std::int64_t later = [&] {
    auto agent = open_agent();
    // What a crash right after the journal write (before or after the unlock) leaves.
    wire::DoorOpened opened{5, "remote", std::nullopt, std::string("cmd-3"), std::nullopt, "why"};
    EXPECT_TRUE(agent->journal().append(opened, agent->now_ms(), random_).has_value());
    return agent->now_ms() + 600'000;
  }();
  auto agent = open_agent();
  ASSERT_TRUE(agent->recover().has_value());
  auto recorded = events(*agent);
  ASSERT_EQ(recorded.size(), 2u);
  const auto& finished = std::get<wire::CommandDone>(recorded[1]);
  EXPECT_EQ(finished.command, "cmd-3");
  EXPECT_EQ(finished.outcome, "opened");
  EXPECT_EQ(finished.detail, "interrupted");
  agent->queue_commands({open_command("cmd-3", 5, later)});
  EXPECT_TRUE(agent->run_remote_commands()->empty());
  std::this_thread::sleep_for(200ms);  // an unlock sent now would have arrived
  EXPECT_EQ(cabinet_.cabinet->unlocks_received(5), 0);
}

TEST_F(AgentTest, ADoorARemoteCommandOpenedIsNoTamperAlarm) {
  auto agent = open_agent();
  ASSERT_TRUE(agent->sweep().has_value());
  agent->queue_commands({open_command("cmd-4", 2, agent->now_ms() + 600'000)});
  ASSERT_TRUE(agent->run_remote_commands().has_value());
  cabinet_.command("open 2");
  auto swept = agent->sweep();
  ASSERT_TRUE(swept.has_value());
  EXPECT_TRUE(swept->empty()) << swept->front().what;
  EXPECT_TRUE(agent->faulty_compartments().empty());
  cabinet_.command("close 2");
  ASSERT_TRUE(agent->sweep().has_value());
  // Shut again: opened by hand now, it is tampering.
  cabinet_.command("open 2");
  auto tampered = agent->sweep();
  ASSERT_TRUE(tampered.has_value());
  EXPECT_FALSE(tampered->empty());
}

TEST_F(AgentTest, TheControllersClerksWithAReadablePinHashCanLogInOffline) {
  auto agent = open_agent();
  wire::PullResponse pull;
  pull.config = default_box_config();
  pull.staff.version = 2;
  pull.staff.clerks = {{"CLERK-0042", "Ioana Rus", hash_pin("5521", random_, 1000)},
                       {"CLERK-0043", "Broken Hash", "pbkdf2-sha256$x$y$z"}};
  ASSERT_TRUE(agent->journal().apply_pull(pull));
  auto status = agent->status();
  ASSERT_TRUE(status.has_value()) << status.error().describe();
  ASSERT_EQ(status->controller_clerks.size(), 1u);
  const auto& clerk = status->controller_clerks[0];
  EXPECT_EQ(clerk.badge, "CLERK-0042");
  EXPECT_EQ(clerk.name, "Ioana Rus");
  EXPECT_EQ(clerk.role, StaffRole::clerk);
  EXPECT_TRUE(*pin_matches("5521", clerk.pin));
  EXPECT_FALSE(*pin_matches("5522", clerk.pin));
}

}  // namespace
}  // namespace civicbox::firmware
