// Thirty documents filed offline reach the controller exactly once, with registration numbers
// 1..30 and no gap, whatever happens to the sync: the same batch sent again, the agent killed
// in the middle of a sync, the controller killed in the middle of a batch.
#include <filesystem>
#include <set>

#include "tests/e2e/fleet.hpp"

namespace civicbox::e2e {
namespace {

constexpr int kDocuments = 30;

class e2e_sync_faults : public E2eTest {
 protected:
  void SetUp() override {
    port_ = free_port();
    options_ = box("box-a", "https://127.0.0.1:" + std::to_string(port_));
    options_.dropoff.clear();
    for (int c = 1; c <= kDocuments; ++c) options_.dropoff.push_back(c);
    options_.pickup = {kDocuments + 1, kDocuments + 2};
    options_.batch = 1;  // one event a request: a kill lands between two batches or inside one
    config_ = write_agent_config(options_);
  }

  // Files kDocuments documents while nothing listens on the controller's port; returns the
  // sequence number of the last event in the journal.
  std::uint64_t file_offline() {
    AgentSession agent(config_);
    for (int i = 0; i < kDocuments; ++i) {
      auto filed = agent.act("file request");
      EXPECT_EQ(filed.rfind("filed ", 0), 0u) << filed;
      EXPECT_EQ(field(filed, "registration"), "-") << filed;
      tracking_.insert(field(filed, "tracking"));
    }
    auto status = agent.act("status");
    EXPECT_EQ(field(status, "applied_through"), "0") << status;
    agent.finish();
    return std::stoull(field(status, "pending"));
  }

  // A last sync; then the box and the controller agree that everything arrived: nothing is
  // pending, and the box's last event is the last the controller holds. `alarms` is how many
  // events the box may have added on its own since the filings (an alarm about the resend).
  void expect_settled(const ControllerProcess& controller, std::uint64_t last_seq,
                      std::uint64_t alarms = 0) {
    AgentSession agent(config_);
    auto synced = agent.act("sync");
    EXPECT_EQ(field(synced, "pending"), "0") << synced << "\n" << agent.process().stderr_text();
    const auto through = std::stoull("0" + field(synced, "applied_through"));
    EXPECT_GE(through, last_seq) << synced;
    EXPECT_LE(through, last_seq + alarms) << synced;
    auto status = agent.act("status");
    EXPECT_EQ(field(status, "pending"), "0") << status;
    EXPECT_EQ(field(status, "applied_through"), field(synced, "applied_through")) << status;
    agent.finish();
    expect_registry_one_to(controller, kDocuments);
  }

  // How many submissions the controller holds now.
  static std::size_t held(const ControllerProcess& controller) {
    return controller.submissions().size();
  }

  int port_ = 0;
  AgentOptions options_;
  std::filesystem::path config_;
  std::set<std::string> tracking_;
};

TEST_F(e2e_sync_faults, ABatchSentAgainByABoxRestoredFromABackupIsNotCountedTwice) {
  const auto last_seq = file_offline();
  // The box's data as it was before its first sync.
  const auto data = options_.dir / "data";
  const auto backup = options_.dir / "backup";
  std::filesystem::copy(data, backup, std::filesystem::copy_options::recursive);

  auto controller = start_controller(port_);
  expect_settled(*controller, last_seq);

  // Restored: the box believes the controller has none of its events and sends them all again.
  std::filesystem::remove_all(data);
  std::filesystem::copy(backup, data, std::filesystem::copy_options::recursive);
  const auto mark = controller->process().stderr_lines().size();
  expect_settled(*controller, last_seq, /*alarms=*/1);
  EXPECT_TRUE(controller->process().wait_for_stderr(
      "1 events offered, applied through " + std::to_string(last_seq), 5s, mark))
      << "the restored box did not send its old events again:\n"
      << controller->process().stderr_text();
}

TEST_F(e2e_sync_faults, AnAgentKilledInTheMiddleOfASyncResendsWithoutDuplicatesOrGaps) {
  const auto last_seq = file_offline();
  auto controller = start_controller(port_);

  // The agent syncs as soon as it starts; kill it twice while its batches are going out.
  for (int through : {5, 20}) {
    const auto mark = controller->process().stderr_lines().size();
    AgentSession agent(config_);
    ASSERT_TRUE(controller->process().wait_for_stderr("applied through " + std::to_string(through),
                                                      20s, mark))
        << controller->process().stderr_text() << agent.process().stderr_text();
    agent.kill();
    // Each filing is two events, its door.opened and then its submission.filed.
    const auto now_held = held(*controller);
    EXPECT_GE(now_held, static_cast<std::size_t>(through) / 2);
    EXPECT_LT(now_held, static_cast<std::size_t>(kDocuments))
        << "the kill came after the sync had finished";
  }
  expect_settled(*controller, last_seq);
}

TEST_F(e2e_sync_faults, AControllerKilledInTheMiddleOfABatchLosesNothingAndNumbersNothingTwice) {
  const auto last_seq = file_offline();
  auto controller = start_controller(port_);

  AgentSession agent(config_);
  ASSERT_TRUE(controller->process().wait_for_stderr("applied through 8", 20s))
      << controller->process().stderr_text();
  controller->kill();  // a power cut of the server while the box is pushing
  auto failed = agent.act("sync");
  EXPECT_EQ(failed.rfind("sync_failed ", 0), 0u) << failed;

  controller->restart();  // same port, same database
  EXPECT_LT(held(*controller), static_cast<std::size_t>(kDocuments))
      << "the kill came after the sync had finished";
  auto synced = agent.act("sync");
  EXPECT_EQ(synced,
            "synced applied_through=" + std::to_string(last_seq) + " pending=0 assignments=0")
      << agent.process().stderr_text();
  agent.finish();
  expect_settled(*controller, last_seq);
}

}  // namespace
}  // namespace civicbox::e2e
