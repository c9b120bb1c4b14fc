// Two civicbox-controller instances on one PostgreSQL server that the test starts itself, boxes
// talking to either of them, one after another: every filing is registered once, the numbers
// run 1..N without a gap, and an instance killed in the middle of a batch loses nothing the
// other instance cannot finish.
#include <filesystem>
#include <set>
#include <thread>

#include "tests/e2e/fleet.hpp"
#include "tests/support/postgres_server.hpp"

namespace civicbox::e2e {
namespace {

class e2e_instances : public E2eTest {
 protected:
  void SetUp() override { conninfo_ = postgres_.new_database("civicbox"); }

  std::unique_ptr<ControllerProcess> instance(const std::string& name) {
    ControllerOptions o{dir_.path() / name, &pki(), 0, 7, conninfo_};
    return std::make_unique<ControllerProcess>(std::move(o));
  }

  testing::PostgresServer postgres_;
  std::string conninfo_;
};

TEST_F(e2e_instances, BoxesTalkingToEitherInstanceGetEveryFilingNumberedOnceWithoutGaps) {
  auto a = instance("controller-a");
  auto b = instance("controller-b");
  constexpr int kBoxes = 4;
  constexpr int kFilings = 5;
  // Each box talks to one instance, then (a restart, a load balancer's choice) the other; the
  // boxes file and sync at the same time.
  for (int round = 0; round < 2; ++round) {
    std::vector<std::filesystem::path> configs;
    for (int i = 0; i < kBoxes; ++i) {
      const auto& to = (i + round) % 2 == 0 ? *a : *b;
      auto options = box("box-" + std::to_string(i), to.device_url());
      options.dropoff = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};  // room for both rounds' filings
      options.pickup = {11, 12};
      configs.push_back(write_agent_config(options));
    }
    std::vector<std::thread> boxes;
    for (const auto& config : configs) {
      boxes.emplace_back([&config] {
        AgentSession agent(config);
        for (int f = 0; f < kFilings; ++f) {
          auto filed = agent.act("file request");
          EXPECT_EQ(filed.rfind("filed ", 0), 0u) << filed;
        }
        auto synced = agent.act("sync");
        EXPECT_EQ(field(synced, "pending"), "0") << synced << agent.process().stderr_text();
        agent.finish();
      });
    }
    for (auto& t : boxes) t.join();
  }
  // Both instances see the same registry.
  expect_registry_one_to(*a, kBoxes * kFilings * 2);
  expect_registry_one_to(*b, kBoxes * kFilings * 2);
}

TEST_F(e2e_instances, AnInstanceKilledInTheMiddleOfABatchLosesNothingAndTheOtherFinishes) {
  constexpr int kDocuments = 30;
  auto a = instance("controller-a");
  auto b = instance("controller-b");
  auto options = box("box-a", a->device_url());
  options.dropoff.clear();
  for (int c = 1; c <= kDocuments; ++c) options.dropoff.push_back(c);
  options.pickup = {kDocuments + 1, kDocuments + 2};
  options.batch = 1;  // one event a request: the kill lands between two batches or inside one
  // Filed while nothing listens: the first sync starts when the agent does.
  options.controller_url = "https://127.0.0.1:" + std::to_string(free_port());
  auto config = write_agent_config(options);
  {
    AgentSession agent(config);
    for (int i = 0; i < kDocuments; ++i) {
      auto filed = agent.act("file request");
      EXPECT_EQ(filed.rfind("filed ", 0), 0u) << filed;
    }
    agent.finish();
  }
  options.controller_url = a->device_url();
  config = write_agent_config(options);
  {
    AgentSession agent(config);
    ASSERT_TRUE(a->process().wait_for_stderr("applied through 8", 20s))
        << a->process().stderr_text();
    a->kill();  // a power cut of one instance while the box is pushing
    auto failed = agent.act("sync");
    EXPECT_EQ(failed.rfind("sync_failed ", 0), 0u) << failed;
    agent.finish();
  }
  EXPECT_LT(b->submissions().size(), static_cast<std::size_t>(kDocuments))
      << "the kill came after the sync had finished";
  // The box goes to the other instance (its address changed, or the balancer moved it).
  options.controller_url = b->device_url();
  config = write_agent_config(options);
  {
    AgentSession agent(config);
    auto synced = agent.act("sync");
    EXPECT_EQ(field(synced, "pending"), "0") << synced << agent.process().stderr_text();
    agent.finish();
  }
  expect_registry_one_to(*b, kDocuments);
}

}  // namespace
}  // namespace civicbox::e2e
