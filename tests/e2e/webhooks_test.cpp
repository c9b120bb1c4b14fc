// The town hall's gateway, end to end: the real controller notifies a gateway on loopback, and
// the pickup code the gateway is sent (what the citizen gets by SMS) opens the door at the box.
#include <nlohmann/json.hpp>

#include <fstream>

#include "tests/e2e/fleet.hpp"
#include "tests/support/webhook_receiver.hpp"

namespace civicbox::e2e {
namespace {

class e2e_webhooks : public E2eTest {};

TEST_F(e2e_webhooks, ThePickupCodeTheGatewayIsSentOpensTheDoorItWasLoadedBehind) {
  testing::WebhookReceiver gateway([](const auto&) { return 200; });
  const auto secret = dir_.path() / "gateway.secret";
  std::ofstream(secret) << "e2e-gateway-secret-0123456789\n";
  std::filesystem::permissions(
      secret, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  ControllerOptions options{dir_.path() / "controller", &pki(), 0, 7, ""};
  options.extra_toml = "[[webhooks.subscribers]]\nname = \"sms\"\nurl = \"" + gateway.url() +
                       "\"\nsecret_file = \"" + secret.string() + "\"\n" +
                       "events = [\"parcel.ready\", \"submission.registered\"]\n";
  ControllerProcess controller(options);

  auto config = write_agent_config(box("box-a", controller.device_url()));
  AgentSession agent(config);
  ASSERT_EQ(agent.act("sync").rfind("synced ", 0), 0u);
  auto parcel = controller.issue_parcel("box-a", "permit-17");
  const std::string id = parcel.at("parcel_id");
  ASSERT_EQ(agent.act("sync").rfind("synced ", 0), 0u);
  auto loaded = agent.act("load " + id);
  ASSERT_EQ(loaded.rfind("loaded parcel=" + id + " compartment=", 0), 0u) << loaded;
  const std::string compartment = field(loaded, "compartment");
  EXPECT_TRUE(gateway.requests().empty()) << "nothing is announced before the parcel is in a box";
  ASSERT_EQ(agent.act("sync").rfind("synced ", 0), 0u);

  ASSERT_TRUE(gateway.wait_for(1, 20s)) << controller.process().stderr_text();
  const auto ready = gateway.requests().at(0);
  EXPECT_EQ(ready.header("x-civicbox-event"), "parcel.ready");
  const auto body = nlohmann::json::parse(ready.body);
  EXPECT_EQ(body.at("parcel_id"), id);
  EXPECT_EQ(body.at("reference"), "permit-17");
  EXPECT_EQ(std::to_string(body.at("compartment").get<int>()), compartment);
  const std::string code = body.at("pickup_code");
  EXPECT_EQ(code, parcel.at("pickup_code").get<std::string>());

  std::size_t mark = agent.stderr_mark();
  EXPECT_EQ(agent.act("collect " + code), "collected parcel=" + id + " compartment=" + compartment);
  EXPECT_EQ(agent.wait_door_opened(5s, mark), std::stoi(compartment));

  // A filing: the gateway hears of its registration number once the box has synced.
  auto filed = agent.act("file request");
  ASSERT_EQ(filed.rfind("filed ", 0), 0u) << filed;
  ASSERT_EQ(agent.act("sync").rfind("synced ", 0), 0u);
  ASSERT_TRUE(gateway.wait_for(2, 20s)) << controller.process().stderr_text();
  const auto registered = gateway.requests().at(1);
  EXPECT_EQ(registered.header("x-civicbox-event"), "submission.registered");
  EXPECT_EQ(nlohmann::json::parse(registered.body).at("registration_number"),
            registration_number(1));
  agent.finish();
}

}  // namespace
}  // namespace civicbox::e2e
