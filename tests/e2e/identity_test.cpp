// A box's identity end to end with the real binaries: the operator makes a token on the
// controller, the technician enrols the box with civicbox-provision, the agent runs on the
// identity it got, renews its certificate, is revoked (out of service, nothing lost) and is
// enrolled again with a new token.
#include <algorithm>
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
    // The filing (its door.opened, then submission.filed) went through before; the alarm about
    // the refusal waits in the outbox.
    EXPECT_NE(status.find("pending=1 applied_through=2"), std::string::npos) << status;

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

// The technician's way without a terminal: a box with an empty identity folder starts "not set
// up" on its touchscreen, refuses codes that are not a valid token, enrols with the token's QR
// shown to its (simulated) scanner, then runs the provisioning self-test on the technician screen
// by itself: every door, the test receipt, its QR read back, the report at the controller.
TEST_F(e2e_identity, AnEmptyBoxIsEnrolledFromItsTouchscreenAndTestsItselfThere) {
  const auto identity = dir_.path() / "identity";
  const auto shots = dir_.path() / "shots";
  AgentOptions options = box("box-centru-2", "");
  options.identity_dir = identity;
  auto config = write_agent_config(options);
  std::ofstream(config, std::ios::app)
      << "[enrol]\nurl = \"https://127.0.0.1:" << controller_->public_port() << "\"\nca = \""
      << pki().ca().string() << "\"\n";
  auto& cabinet = cabinet_of(config.parent_path());
  AgentSession agent(config, false, {"--ui", "offscreen", "--screenshots", shots.string()});

  EXPECT_EQ(agent.act("view", 60s), "screen=setup title=setup.title");
  // A token the controller never made, and a code that is no token at all.
  EXPECT_EQ(agent.act("show CBX-ENROL:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 60s),
            "screen=setup title=setup.title body=setup.token_unknown")
      << agent.process().stderr_text();
  EXPECT_EQ(agent.act("show CBX-BADGE:TECH-07"),
            "screen=setup title=setup.title body=setup.not_a_token");
  EXPECT_FALSE(std::filesystem::exists(identity / "current"));

  // The real token, shown to the cabinet's scanner.
  const std::string token = token_for("box-centru-2");
  ASSERT_EQ(cabinet.send("scan CBX-ENROL:" + token).rfind("ok", 0), 0u);
  auto technician = agent.act("await technician 60", 90s);
  ASSERT_EQ(technician.rfind("screen=technician", 0), 0u) << technician << "\n"
                                                          << agent.process().stderr_text();
  EXPECT_TRUE(std::filesystem::exists(identity / "current"));

  // The self-test prints a test receipt: its QR is shown to the scanner like a person would.
  std::string code;
  for (int i = 0; i < 300 && code.empty(); ++i) {
    const std::string receipt = cabinet.last_receipt();
    if (auto at = receipt.find("CBX-TEST:"); at != std::string::npos) {
      code = receipt.substr(at, receipt.find_first_of(" \n", at) - at);
    } else {
      std::this_thread::sleep_for(100ms);
    }
  }
  ASSERT_FALSE(code.empty()) << agent.process().stderr_text();
  ASSERT_EQ(cabinet.send("scan " + code).rfind("ok", 0), 0u);
  std::string result;
  for (int i = 0; i < 120; ++i) {
    result = agent.act("view");
    if (result.find("body=self_test.passed") != std::string::npos ||
        result.find("body=self_test.failed") != std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(250ms);
  }
  EXPECT_EQ(result, "screen=technician title=technician.title body=self_test.passed")
      << agent.process().stderr_text();
  EXPECT_FALSE(std::filesystem::exists(options.dir / "data/provisioning-self-test-due"))
      << "done: it does not run again at the next start";
  auto reports = Json::parse(
      controller_->backoffice("GET", "/v1/backoffice/boxes/box-centru-2/selftests").body, nullptr,
      false);
  ASSERT_TRUE(reports.is_object()) << reports.dump();
  ASSERT_EQ(reports["selftests"].size(), 1u) << reports.dump();
  EXPECT_EQ(reports["selftests"][0]["reason"], "provisioning") << reports.dump();
  EXPECT_EQ(reports["selftests"][0]["passed"], true) << reports.dump();

  // The technician leaves; the box serves citizens with its new identity.
  EXPECT_EQ(agent.act("tap logout").rfind("screen=home", 0), 0u);
  auto filed = agent.act("file request");
  EXPECT_EQ(filed.rfind("filed ", 0), 0u) << filed;
  EXPECT_EQ(agent.act("sync").rfind("synced ", 0), 0u);
  agent.finish();
  EXPECT_EQ(controller_->submissions().size(), 1u);

  // What the technician saw, in order, for a person to look at.
  std::vector<std::string> seen;
  for (const auto& e : std::filesystem::directory_iterator(shots)) {
    seen.push_back(e.path().filename().string());
  }
  std::sort(seen.begin(), seen.end());
  ASSERT_FALSE(seen.empty());
  EXPECT_NE(seen.front().find("setup"), std::string::npos) << seen.front();
  const auto kept = std::filesystem::path(CIVICBOX_E2E_SCREENS_DIR) / "enrol-from-touchscreen";
  std::filesystem::remove_all(kept);
  std::filesystem::create_directories(kept.parent_path());
  std::filesystem::copy(shots, kept);
}

// A revoked box enrolled again from its technician screen: the technician logs in with badge and
// PIN, shows a new token's QR, and the running box takes its new certificate at once.
TEST_F(e2e_identity, ARevokedBoxIsEnrolledAgainFromTheTechnicianScreen) {
  const auto identity = dir_.path() / "identity-4";
  const std::string first_token = token_for("box-centru-4");
  auto first = provision(first_token, identity);
  ASSERT_TRUE(first.ok()) << first.describe();
  std::string pin_hash;
  {
    testing::ProcessOptions p;
    p.argv = {CIVICBOX_AGENT_BIN, "hash-pin"};
    p.stdin_pipe = true;
    testing::Process hasher(std::move(p));
    hasher.write("246810\n");
    auto line = hasher.read_line(30s);
    ASSERT_TRUE(line.has_value());
    pin_hash = *line;
    ASSERT_TRUE(hasher.wait(30s).value_or(testing::ExitStatus{}).ok());
  }
  AgentOptions options = box("box-centru-4", "");
  options.identity_dir = identity;
  auto config = write_agent_config(options);
  std::ofstream(config, std::ios::app)
      << "[enrol]\nurl = \"https://127.0.0.1:" << controller_->public_port() << "\"\nca = \""
      << pki().ca().string() << "\"\n[[staff]]\nbadge = \"TECH-07\"\nname = \"Tehnician\"\n"
      << "role = \"technician\"\npin_hash = \"" << pin_hash << "\"\n";
  AgentSession agent(config, false, {"--ui", "offscreen"});
  ASSERT_EQ(agent.act("sync", 60s).rfind("synced ", 0), 0u) << agent.process().stderr_text();
  ASSERT_EQ(controller_
                ->backoffice("POST", "/v1/backoffice/boxes/box-centru-4/revoke",
                             Json{{"reason", "moved"}}.dump())
                .status,
            200);
  EXPECT_NE(agent.act("sync").find("revoked"), std::string::npos);
  EXPECT_EQ(agent.act("await out_of_order 10").rfind("screen=out_of_order", 0), 0u);

  EXPECT_EQ(agent.act("show CBX-BADGE:TECH-07").rfind("screen=staff_pin", 0), 0u);
  for (char digit : std::string("246810")) agent.act(std::string("tap key:") + digit);
  EXPECT_EQ(agent.act("tap login").rfind("screen=technician", 0), 0u);
  // The spent first token is refused on the screen, and nothing changes.
  const auto before = std::filesystem::read_symlink(identity / "current");
  EXPECT_EQ(agent.act("show CBX-ENROL:" + first_token, 60s),
            "screen=technician title=technician.title body=setup.token_used");
  EXPECT_EQ(std::filesystem::read_symlink(identity / "current"), before);
  auto again = agent.act("show CBX-ENROL:" + token_for("box-centru-4"), 60s);
  EXPECT_EQ(again, "screen=technician title=technician.title body=technician.enrolled_again")
      << agent.process().stderr_text();
  EXPECT_NE(std::filesystem::read_symlink(identity / "current"), before);
  auto synced = agent.act("sync");
  EXPECT_EQ(synced.rfind("synced ", 0), 0u) << synced << agent.process().stderr_text();
  auto status = agent.act("status");
  EXPECT_NE(status.find("revoked=no"), std::string::npos) << status;
  agent.finish();
}

// Headless, a box that is not set up cannot be enrolled from a screen: it says how instead.
TEST_F(e2e_identity, WithoutATouchscreenABoxNotSetUpSaysHowToEnrolIt) {
  AgentOptions options = box("box-centru-3", "");
  options.identity_dir = dir_.path() / "identity-3";
  auto config = write_agent_config(options);
  std::ofstream(config, std::ios::app)
      << "[enrol]\nurl = \"https://127.0.0.1:" << controller_->public_port() << "\"\nca = \""
      << pki().ca().string() << "\"\n";
  testing::ProcessOptions p;
  p.argv = {CIVICBOX_AGENT_BIN, "--config", config.string()};
  p.env["CIVICBOX_LOG"] = std::nullopt;
  testing::Process agent(std::move(p));
  auto status = agent.wait(30s);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(status->exited && status->code == 2) << status->describe();
  const std::string said = agent.stderr_text();
  EXPECT_NE(said.find("not set up"), std::string::npos) << said;
  EXPECT_NE(said.find("--ui"), std::string::npos) << said;
  EXPECT_NE(said.find("civicbox-provision"), std::string::npos) << said;
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
