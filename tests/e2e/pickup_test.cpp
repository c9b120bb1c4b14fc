// Issued documents: the back office issues, the clerk loads, the citizen collects with the code
// and the back office sees it collected. Any code that is not the right one, for this box, now,
// for the first time, is refused without a door opening; ten wrong codes lock the keypad.
#include <algorithm>

#include "common/codes.hpp"
#include "common/random.hpp"
#include "tests/e2e/fleet.hpp"

namespace civicbox::e2e {
namespace {

class e2e_pickup : public E2eTest {
 protected:
  void SetUp() override { controller_ = start_controller(); }

  // Writes the box's configuration and lets it reach the controller once.
  std::filesystem::path connect(const std::string& id) {
    auto config = write_agent_config(box(id, controller_->device_url()));
    AgentSession agent(config);
    auto synced = agent.act("sync");
    EXPECT_EQ(synced.rfind("synced ", 0), 0u) << synced << agent.process().stderr_text();
    agent.finish();
    return config;
  }

  static std::string well_formed_code_nobody_has() {
    SystemRandom random;
    return PickupCode::generate(random).display();
  }

  // The code with its check character changed: a typing mistake.
  static std::string mistyped(std::string code) {
    code.back() = code.back() == '2' ? '3' : '2';
    return code;
  }

  // The pickup doors opened since stderr line `mark`: a filing (a drop-off door, 1..4) marks
  // the end, so every door line logged before it has been read.
  static std::vector<int> pickup_doors_opened_since(AgentSession& agent, std::size_t mark) {
    auto filed = agent.act("file request");
    EXPECT_EQ(filed.rfind("filed ", 0), 0u) << filed;
    const int sentinel = std::atoi(field(filed, "compartment").c_str());
    std::vector<int> doors;
    for (std::size_t from = mark;;) {
      std::size_t at = 0;
      int door = agent.wait_door_opened(10s, from, &at);
      if (door == 0) {
        ADD_FAILURE() << "the filing's door line never came:\n" << agent.process().stderr_text();
        break;
      }
      if (door == sentinel) break;
      doors.push_back(door);
      from = at + 1;
    }
    return doors;
  }

  std::unique_ptr<ControllerProcess> controller_;
};

TEST_F(e2e_pickup, AnIssuedDocumentIsLoadedThenCollectedWithItsCodeAndTheBackOfficeSeesIt) {
  auto config = connect("box-a");
  auto parcel = controller_->issue_parcel("box-a", "id-card-1");
  const std::string id = parcel.at("parcel_id");
  EXPECT_EQ(controller_->parcel("box-a", id).at("state"), "issued");

  AgentSession agent(config);
  auto synced = agent.act("sync");
  EXPECT_EQ(field(synced, "assignments"), "1") << synced;
  auto loaded = agent.act("load " + id);
  ASSERT_EQ(loaded.rfind("loaded parcel=" + id + " compartment=", 0), 0u) << loaded;
  const std::string compartment = field(loaded, "compartment");
  ASSERT_EQ(agent.act("sync").rfind("synced ", 0), 0u);
  EXPECT_EQ(controller_->parcel("box-a", id).at("state"), "loaded");

  std::size_t mark = agent.stderr_mark();
  auto collected = agent.act("collect " + parcel.at("pickup_code").get<std::string>());
  EXPECT_EQ(collected, "collected parcel=" + id + " compartment=" + compartment);
  EXPECT_EQ(agent.wait_door_opened(5s, mark), std::stoi(compartment));
  auto after = agent.act("sync");
  EXPECT_EQ(after.rfind("synced ", 0), 0u) << after;
  auto p = controller_->parcel("box-a", id);
  EXPECT_EQ(p.at("state"), "collected") << p.dump();
  agent.finish();
}

TEST_F(e2e_pickup, WrongMistypedExpiredForeignAndUsedCodesAreRefusedWithoutOpeningADoor) {
  auto config = connect("box-a");
  connect("box-b");
  auto good = controller_->issue_parcel("box-a", "permit-1");
  auto short_hold = controller_->issue_parcel("box-a", "permit-2", 1);
  auto foreign = controller_->issue_parcel("box-b", "permit-3");

  AgentSession agent(config);
  EXPECT_EQ(field(agent.act("sync"), "assignments"), "2");
  ASSERT_EQ(agent.act("load " + good.at("parcel_id").get<std::string>()).rfind("loaded ", 0), 0u);
  ASSERT_EQ(agent.act("load " + short_hold.at("parcel_id").get<std::string>()).rfind("loaded ", 0),
            0u);
  const std::string good_code = good.at("pickup_code");
  ASSERT_EQ(agent.act("collect " + good_code).rfind("collected ", 0), 0u);

  const std::size_t mark = agent.stderr_mark();
  struct Case {
    const char* what;
    std::string action;
    std::vector<std::string> reasons;  // any of these
  };
  const Case cases[] = {
      {"a code nobody was given", "collect " + well_formed_code_nobody_has(), {"wrong_code"}},
      {"a code with a typo", "collect " + mistyped(short_hold.at("pickup_code")), {"mistyped"}},
      {"a code issued for box-b",
       "collect " + foreign.at("pickup_code").get<std::string>(),
       {"wrong_code"}},
      // "used" while the box remembers the parcel; once the controller holds the collection the
      // box forgets it and the code is simply not valid here any more.
      {"a code already used", "collect " + good_code, {"used", "wrong_code"}},
  };
  int tries_left = 10;
  for (const auto& c : cases) {
    auto line = agent.act(c.action);
    EXPECT_NE(std::find(c.reasons.begin(), c.reasons.end(), field(line, "reason")), c.reasons.end())
        << c.what << ": " << line;
    EXPECT_EQ(field(line, "tries_left"), std::to_string(--tries_left)) << c.what << ": " << line;
  }
  // Twenty-five hours later the one-day code has just expired.
  EXPECT_EQ(agent.act("clock +90000"), "clock offset_s=90000");
  auto expired = agent.act("collect " + short_hold.at("pickup_code").get<std::string>());
  EXPECT_EQ(field(expired, "reason"), "expired") << expired;
  EXPECT_EQ(field(expired, "tries_left"), std::to_string(--tries_left)) << expired;

  EXPECT_EQ(pickup_doors_opened_since(agent, mark), std::vector<int>{})
      << "a refused code opened a door:\n"
      << agent.process().stderr_text();

  // The refused parcels stay where they were at the controller.
  EXPECT_EQ(agent.act("sync").rfind("synced ", 0), 0u);
  agent.finish();
  EXPECT_EQ(controller_->parcel("box-a", short_hold.at("parcel_id")).at("state"), "loaded");
  EXPECT_EQ(controller_->parcel("box-b", foreign.at("parcel_id")).at("state"), "issued");
}

TEST_F(e2e_pickup, TenWrongCodesLockTheKeypadEvenForTheRightCodeForFifteenMinutes) {
  auto config = connect("box-a");
  auto parcel = controller_->issue_parcel("box-a", "permit-1");
  const std::string code = parcel.at("pickup_code");

  AgentSession agent(config);
  EXPECT_EQ(field(agent.act("sync"), "assignments"), "1");
  ASSERT_EQ(agent.act("load " + parcel.at("parcel_id").get<std::string>()).rfind("loaded ", 0), 0u);
  const std::size_t mark = agent.stderr_mark();
  for (int i = 1; i <= 10; ++i) {
    auto line = agent.act("collect " + well_formed_code_nobody_has());
    EXPECT_EQ(field(line, "reason"), "wrong_code") << "try " << i << ": " << line;
    EXPECT_EQ(field(line, "tries_left"), std::to_string(10 - i)) << line;
  }
  auto locked = agent.act("collect " + code);
  EXPECT_EQ(field(locked, "reason"), "locked_out") << locked;
  EXPECT_FALSE(field(locked, "retry_in_s").empty()) << locked;

  // After fifteen minutes the right code opens the door, and only then.
  EXPECT_EQ(agent.act("clock +901"), "clock offset_s=901");
  auto collected = agent.act("collect " + code);
  ASSERT_EQ(collected.rfind("collected ", 0), 0u) << collected;
  EXPECT_EQ(pickup_doors_opened_since(agent, mark),
            std::vector<int>{std::stoi(field(collected, "compartment"))})
      << "only the collection after the lock-out opened a door:\n"
      << agent.process().stderr_text();
  agent.finish();
}

}  // namespace
}  // namespace civicbox::e2e
