// A citizen files while the controller is down: the receipt is provisional, and the document
// gets the town hall's first registration number once the box reaches the controller.
#include <regex>

#include "tests/e2e/fleet.hpp"

namespace civicbox::e2e {
namespace {

class e2e_offline_filing : public E2eTest {};

std::string without_hyphens(std::string code) {
  std::erase(code, '-');
  return code;
}

TEST_F(e2e_offline_filing, AFilingWhileTheControllerIsDownGetsAProvisionalReceiptThenNumberOne) {
  const int port = free_port();  // the controller will listen here, later
  AgentSession agent(write_agent_config(box("box-a", "https://127.0.0.1:" + std::to_string(port))));

  auto filed = agent.act("file request contact=ana@example.org");
  ASSERT_EQ(filed.rfind("filed ", 0), 0u) << filed << "\n" << agent.process().stderr_text();
  EXPECT_EQ(field(filed, "registration"), "-") << filed;
  EXPECT_EQ(field(filed, "provisional"), "P-box-a-000001") << filed;
  const std::string tracking = field(filed, "tracking");
  EXPECT_EQ(field(filed, "receipt"), "printed") << filed;
  const std::string receipt = cabinet_of(dir_.path() / "box-a").last_receipt();
  EXPECT_NE(receipt.find("P-box-a-000001"), std::string::npos) << receipt;
  EXPECT_EQ(receipt.find("2026/"), std::string::npos) << "no registration number yet:\n" << receipt;
  EXPECT_NE(receipt.find(tracking), std::string::npos) << receipt;
  EXPECT_NE(receipt.find("qr: "), std::string::npos) << receipt;

  auto controller = start_controller(port);
  auto synced = agent.act("sync");
  EXPECT_TRUE(std::regex_match(synced, std::regex("synced applied_through=[1-9][0-9]* pending=0 "
                                                  "assignments=0")))
      << synced << "\n"
      << agent.process().stderr_text();

  auto submissions = controller->submissions();
  ASSERT_EQ(submissions.size(), 1u) << submissions.dump(2);
  const auto& s = submissions[0];
  EXPECT_EQ(s.at("registration_number"), registration_number(1));
  EXPECT_EQ(without_hyphens(s.at("tracking_code")), without_hyphens(tracking));
  EXPECT_EQ(s.at("provisional_number"), "P-box-a-000001");
  EXPECT_EQ(s.at("box"), "box-a");
  EXPECT_EQ(s.at("state"), "registered");

  auto tracked = controller->track(tracking);
  ASSERT_TRUE(tracked.ok) << tracked.error;
  ASSERT_EQ(tracked.status, 200) << tracked.body;
  auto t = Json::parse(tracked.body);
  EXPECT_EQ(t.at("registration_number"), registration_number(1)) << tracked.body;
  EXPECT_EQ(t.at("state"), "registered") << tracked.body;
  EXPECT_EQ(tracked.body.find("ana@example.org"), std::string::npos)
      << "tracking shows no personal data: " << tracked.body;

  auto status = agent.act("status");
  EXPECT_EQ(field(status, "pending"), "0") << status;
  EXPECT_EQ(field(status, "applied_through"), field(synced, "applied_through")) << status;
  agent.finish();
}

}  // namespace
}  // namespace civicbox::e2e
