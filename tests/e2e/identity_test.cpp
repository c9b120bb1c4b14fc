// A box's identity end to end with the real binaries: the operator makes a token on the
// controller, the technician enrols the box with civicbox-provision, the agent runs on the
// identity it got, renews its certificate, is revoked (out of service, nothing lost) and is
// enrolled again with a new token.
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "tests/e2e/fleet.hpp"

namespace civicbox::e2e {
namespace {

class e2e_identity : public E2eTest {
 protected:
  void SetUp() override { controller_ = start_controller(); }

  // POST /v1/backoffice/tokens for box `id`: the token's text.
  std::string token_for(const std::string& id) {
    auto reply = controller_->backoffice(
        "POST", "/v1/backoffice/tokens",
        Json{{"site", "centru"}, {"box", id}, {"cabinet", "kerong-12"}}.dump());
    EXPECT_EQ(reply.status, 201) << reply.body;
    auto body = Json::parse(reply.body, nullptr, false);
    return body.is_object() && body.contains("token") ? body["token"].get<std::string>() : "";
  }

  // civicbox-provision --token ... : its exit status, with its output in *output.
  testing::ExitStatus provision(const std::string& token, const std::filesystem::path& identity,
                                std::string* output = nullptr) {
    testing::ProcessOptions p;
    p.argv = {CIVICBOX_PROVISION_BIN,
              "--token",
              token,
              "--controller",
              "https://127.0.0.1:" + std::to_string(controller_->public_port()),
              "--fleet-ca",
              pki().ca().string(),
              "--identity",
              identity.string(),
              "--site",
              "centru"};
    testing::Process process(std::move(p));
    auto waited = process.wait(60s);
    testing::ExitStatus status = waited.value_or(testing::ExitStatus{});
    std::string text;
    for (const auto& line : process.read_remaining_lines(1s)) text += line + "\n";
    text += process.stderr_text();
    if (output != nullptr) *output = text;
    EXPECT_TRUE(status.exited) << text;
    return status;
  }

  std::unique_ptr<ControllerProcess> controller_;
};

TEST_F(e2e_identity, AnEnrolledBoxRunsRenewsIsRevokedKeepsItsJournalAndIsEnrolledAgain) {
  const auto identity = dir_.path() / "identity";
  std::string said;
  const std::string first_token = token_for("box-centru-1");
  auto enrolled = provision(first_token, identity, &said);
  ASSERT_TRUE(enrolled.ok()) << enrolled.describe() << "\n" << said;
  EXPECT_NE(said.find("box-centru-1"), std::string::npos) << said;

  AgentOptions options = box("box-centru-1", "");
  options.identity_dir = identity;
  auto config = write_agent_config(options);
  {
    std::string text = read_text(config);
    text.replace(text.find("[sync]\n"), 7, "[sync]\nrenew_check_s = 1\n");
    std::ofstream(config) << text;
  }
  {
    AgentSession agent(config);
    auto synced = agent.act("sync");
    ASSERT_EQ(synced.rfind("synced ", 0), 0u) << synced << agent.process().stderr_text();
    auto filed = agent.act("file request");
    ASSERT_EQ(filed.rfind("filed ", 0), 0u) << filed;

    // Renewal: a new key and certificate, proven to work before the box switches to them.
    const auto before = std::filesystem::read_symlink(identity / "current");
    EXPECT_EQ(agent.act("renew"), "renew not_due");
    EXPECT_EQ(agent.act("renew now"), "renewed") << agent.process().stderr_text();
    EXPECT_NE(std::filesystem::read_symlink(identity / "current"), before);
    EXPECT_EQ(agent.act("sync").rfind("synced ", 0), 0u);
    auto certificates = Json::parse(
        controller_->backoffice("GET", "/v1/backoffice/certificates?box=box-centru-1").body);
    EXPECT_EQ(certificates["certificates"].size(), 2u) << certificates.dump();

    // Revoked: the box says so, opens no door for a citizen, and keeps what it journals.
    auto revoked = controller_->backoffice("POST", "/v1/backoffice/boxes/box-centru-1/revoke",
                                           Json{{"reason", "stolen"}}.dump());
    ASSERT_EQ(revoked.status, 200) << revoked.body;
    auto refused = agent.act("sync");
    EXPECT_EQ(refused.rfind("sync_failed ", 0), 0u) << refused;
    EXPECT_NE(refused.find("revoked"), std::string::npos) << refused;
    auto status = agent.act("status");
    EXPECT_NE(status.find("revoked=yes"), std::string::npos) << status;
    auto collect = agent.act("file request");
    EXPECT_EQ(collect.rfind("refused reason=out_of_service", 0), 0u) << collect;
    // The filing went through before; the alarm about the refusal waits in the outbox.
    EXPECT_NE(status.find("pending=1 applied_through=1"), std::string::npos) << status;

    // The old token is spent; a new one enrols the revoked box again without --force, while
    // the agent runs: it takes the new identity at its next look at the folder.
    auto reused = provision(first_token, identity, &said);
    EXPECT_FALSE(reused.ok()) << said;
    auto again = provision(token_for("box-centru-1"), identity, &said);
    ASSERT_TRUE(again.ok()) << again.describe() << "\n" << said;
    std::string synced_again;
    for (int i = 0; i < 50; ++i) {
      synced_again = agent.act("sync");
      if (synced_again.rfind("synced ", 0) == 0) break;
      std::this_thread::sleep_for(200ms);
    }
    EXPECT_EQ(synced_again.rfind("synced ", 0), 0u)
        << synced_again << agent.process().stderr_text();
    EXPECT_EQ(agent.act("file request").rfind("filed ", 0), 0u);
    EXPECT_EQ(agent.act("sync").rfind("synced ", 0), 0u);
    auto back = agent.act("status");
    EXPECT_NE(back.find("pending=0"), std::string::npos) << back;
    EXPECT_NE(back.find("revoked=no"), std::string::npos) << back;
    agent.finish();
  }
  // Both filings reached the controller: nothing was lost across the revocation.
  EXPECT_EQ(controller_->submissions().size(), 2u);
}

TEST_F(e2e_identity, BoxAsIdentityOnBoxBIsRefusedAtStart) {
  const auto identity = dir_.path() / "identity";
  auto enrolled = provision(token_for("box-centru-2"), identity);
  ASSERT_TRUE(enrolled.ok()) << enrolled.describe();
  AgentOptions options = box("box-centru-3", "");
  options.identity_dir = identity;
  auto config = write_agent_config(options);
  // The folder names box-centru-2; the configuration says box-centru-3.
  std::string text = read_text(config);
  text.replace(text.find("[box]\n"), 6, "[box]\nid = \"box-centru-3\"\n");
  std::ofstream(config) << text;
  testing::ProcessOptions p;
  p.argv = {CIVICBOX_AGENT_BIN, "--config", config.string(), "--script", "-"};
  testing::Process agent(std::move(p));
  auto status = agent.wait(20s);
  ASSERT_TRUE(status.has_value()) << "the agent did not stop";
  EXPECT_FALSE(status->ok());
  EXPECT_NE(agent.stderr_text().find("box-centru-2"), std::string::npos) << agent.stderr_text();
}

}  // namespace
}  // namespace civicbox::e2e
