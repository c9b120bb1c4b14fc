// The agent killed (SIGKILL) while a compartment door is open, in each flow that opens one:
// after a restart and a sync the controller accounts for what happened at the door, and the
// box's own status agrees.
#include <regex>

#include "tests/e2e/fleet.hpp"

namespace civicbox::e2e {
namespace {

class e2e_door_crash : public E2eTest {
 protected:
  void SetUp() override {
    controller_ = start_controller();
    config_ = write_agent_config(box("box-a", controller_->device_url()));
    AgentSession agent(config_);  // the box connects once: the back office may issue for it
    auto synced = agent.act("sync");
    ASSERT_EQ(synced.rfind("synced ", 0), 0u) << synced;
    agent.finish();
  }

  // Issues a parcel for box-a and syncs it to the box.
  Json issue_and_sync() {
    auto parcel = controller_->issue_parcel("box-a", "permit-1");
    AgentSession agent(config_);
    auto synced = agent.act("sync");
    EXPECT_EQ(field(synced, "assignments"), "1") << synced;
    agent.finish();
    return parcel;
  }

  // Runs `action` with the doors held open, waits for "door N opened" and SIGKILLs the agent;
  // returns N.
  int kill_with_the_door_open(const std::string& action) {
    AgentSession agent(config_, /*hold_doors=*/true);
    agent.send(action);
    int door = agent.wait_door_opened(20s);
    EXPECT_GT(door, 0) << agent.process().stderr_text();
    agent.kill();
    EXPECT_NE(cabinet_of(options_dir()).send("state").find(std::to_string(door) + "=open"),
              std::string::npos)
        << "the door should still be open after the kill";
    return door;
  }

  // Restarts the agent (the person closes the door), syncs, and checks the box's status
  // agrees with the sync; returns the status line.
  std::string restart_and_sync() {
    AgentSession agent(config_);
    auto synced = agent.act("sync");
    EXPECT_TRUE(std::regex_match(synced, std::regex("synced applied_through=[0-9]+ pending=0 .*")))
        << synced << "\n"
        << agent.process().stderr_text();
    auto status = agent.act("status");
    EXPECT_EQ(field(status, "pending"), "0") << status;
    EXPECT_EQ(field(status, "applied_through"), field(synced, "applied_through")) << status;
    EXPECT_NE(agent.process().stderr_text().find("interrupted flow"), std::string::npos)
        << "the restarted agent did not finish the interrupted flow:\n"
        << agent.process().stderr_text();
    agent.finish();
    return status;
  }

  std::filesystem::path options_dir() const { return config_.parent_path(); }

  std::unique_ptr<ControllerProcess> controller_;
  std::filesystem::path config_;
};

TEST_F(e2e_door_crash, AFilingInterruptedWithTheDoorOpenStillGetsARegistrationNumber) {
  int door = kill_with_the_door_open("file request");
  auto status = restart_and_sync();
  EXPECT_EQ(field(status, "free_dropoff"), "3") << "compartment " << door << " holds a document";

  auto submissions = controller_->submissions();
  ASSERT_EQ(submissions.size(), 1u) << submissions.dump(1);
  EXPECT_EQ(submissions[0].at("registration_number"), registration_number(1));
  EXPECT_EQ(submissions[0].at("compartment"), door);
  EXPECT_EQ(submissions[0].at("box"), "box-a");
}

TEST_F(e2e_door_crash, AParcelLoadedWhenTheAgentDiedIsLoadedAtTheController) {
  auto parcel = issue_and_sync();
  const std::string id = parcel.at("parcel_id");
  int door = kill_with_the_door_open("load " + id);
  auto status = restart_and_sync();
  EXPECT_EQ(field(status, "free_pickup"), "3") << status;

  auto p = controller_->parcel("box-a", id);
  ASSERT_FALSE(p.is_null()) << controller_->parcels("box-a").dump(1);
  EXPECT_EQ(p.at("state"), "loaded") << p.dump();
  EXPECT_EQ(p.at("compartment"), door) << p.dump();
}

TEST_F(e2e_door_crash,
       AParcelCollectedWhenTheAgentDiedIsCollectedAtTheControllerAndItsCodeOpensNothingAgain) {
  auto parcel = issue_and_sync();
  const std::string id = parcel.at("parcel_id");
  const std::string code = parcel.at("pickup_code");
  {
    AgentSession agent(config_);
    auto loaded = agent.act("load " + id);
    ASSERT_EQ(loaded.rfind("loaded ", 0), 0u) << loaded;
    agent.finish();
  }
  kill_with_the_door_open("collect " + code);
  auto status = restart_and_sync();
  EXPECT_EQ(field(status, "free_pickup"), "4") << status;

  auto p = controller_->parcel("box-a", id);
  ASSERT_FALSE(p.is_null()) << controller_->parcels("box-a").dump(1);
  EXPECT_EQ(p.at("state"), "collected") << p.dump();

  // The code is spent: refused ("used", or "wrong_code" once the box has forgotten the parcel),
  // and no door opens.
  AgentSession agent(config_);
  auto again = agent.act("collect " + code);
  EXPECT_EQ(again.rfind("refused reason=", 0), 0u) << again;
  EXPECT_TRUE(field(again, "reason") == "used" || field(again, "reason") == "wrong_code") << again;
  agent.finish();
  EXPECT_EQ(agent.process().stderr_text().find(" opened"), std::string::npos)
      << agent.process().stderr_text();
}

}  // namespace
}  // namespace civicbox::e2e
