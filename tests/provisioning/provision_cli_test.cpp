// civicbox-provision as a technician runs it: killed at every step of an enrolment or a
// renewal (CIVICBOX_PROVISION_CRASH_AT, SIGKILL), run again, and the box has a working identity;
// a renewal never takes the old identity away before the switch. And every failure a technician
// can meet has its own exit code and says what to do.
#include <gtest/gtest.h>
#include <signal.h>

#include <string>
#include <vector>

#include "provisioning/enrol_client.hpp"
#include "tests/provisioning/identity_fixtures.hpp"
#include "tests/support/ports.hpp"
#include "tests/support/process.hpp"

namespace civicbox::testing {
namespace {

struct ProvisionRun {
  ExitStatus status;
  std::string output;  // stdout and stderr, interleaved
};

// Runs civicbox-provision, optionally killed right after `crash_at`.
ProvisionRun provision(const std::vector<std::string>& args, const std::string& crash_at = "") {
  ProcessOptions options;
  // stderr into stdout, so one stream has all of what a technician sees.
  options.argv = {"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>&1", CIVICBOX_PROVISION_BIN};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  options.env["CIVICBOX_PROVISION_CRASH_AT"] =
      crash_at.empty() ? std::nullopt : std::optional<std::string>(crash_at);
  Process process(options);
  process.read_remaining_lines(std::chrono::seconds(60));
  auto status = process.wait(std::chrono::seconds(60));
  if (!status) status = process.kill();
  return ProvisionRun{*status, process.stdout_text()};
}

std::string token_number(int n) {
  std::string digits = std::to_string(n);
  return "cHJvdmlzaW9uLXRva2Vu-" + std::string(6 - digits.size(), '0') + digits;
}

class provisioning_power_cut : public ::testing::Test {
 protected:
  TempDir temp;
  FakeController controller{temp.path() / "controller"};
  int next_token = 0;

  std::vector<std::string> enrol_args(const std::string& token, const fs::path& dir) {
    return {"--token",      token,
            "--controller", controller.public_url(),
            "--fleet-ca",   controller.fleet_ca().string(),
            "--identity",   dir.string()};
  }
  std::string new_token(const std::string& device_id) {
    std::string token = token_number(++next_token);
    controller.add_token(token, {device_id, "cluj-centru", 0});
    return token;
  }
  void expect_probe_works(const provisioning::Identity& id) {
    auto probed = provisioning::probe(controller.device_url(), provisioning::tls_files(id));
    EXPECT_TRUE(probed) << probed.error().describe();
  }
};

const char* const kEnrolSteps[] = {"key_written",  "csr_written",    "enrol_answered",
                                   "cert_written", "ca_written",     "config_written",
                                   "renamed",      "current_swapped"};

TEST_F(provisioning_power_cut, AnEnrolmentKilledAtAnyStepAndRunAgainGivesAWorkingIdentity) {
  int box = 0;
  for (const char* step : kEnrolSteps) {
    SCOPED_TRACE(step);
    std::string device = "box-" + std::to_string(100 + ++box);
    std::string token = new_token(device);
    fs::path dir = temp.path() / device;
    auto args = enrol_args(token, dir);

    ProvisionRun killed = provision(args, step);
    EXPECT_EQ(killed.status.signal, SIGKILL) << killed.status.describe() << "\n" << killed.output;
    // Never half an identity: none yet, or a whole one.
    auto between = provisioning::read_current_identity(dir);
    EXPECT_TRUE(between) << between.error().describe();

    ProvisionRun again = provision(args);  // the same command, the same token
    EXPECT_TRUE(again.status.ok()) << again.status.describe() << "\n" << again.output;
    expect_working_identity(dir, controller.fleet_ca());
    auto current = provisioning::read_current_identity(dir);
    ASSERT_TRUE(current && *current);
    EXPECT_EQ((*current)->device_id(), device);
    // The key the controller first saw for this token is the key the box ended with.
    EXPECT_EQ(controller.token_key(token),
              *provisioning::certificate_public_key(read_file((*current)->cert)));
    expect_probe_works(**current);
    EXPECT_FALSE(fs::exists(dir / "pending"));
  }
}

const char* const kRenewSteps[] = {
    "renew_key_written",  "renew_csr_written", "renew_answered",
    "renew_cert_written", "renew_ca_written",  "renew_config_written",
    "renew_probed",       "renew_renamed",     "renew_current_swapped"};

TEST_F(provisioning_power_cut, ARenewalKilledAtAnyStepKeepsTheOldIdentityUntilTheSwitch) {
  int box = 0;
  for (const char* step : kRenewSteps) {
    SCOPED_TRACE(step);
    std::string device = "box-" + std::to_string(200 + ++box);
    fs::path dir = temp.path() / device;
    ProvisionRun enrolled = provision(enrol_args(new_token(device), dir));
    ASSERT_TRUE(enrolled.status.ok()) << enrolled.output;
    auto old = provisioning::read_current_identity(dir);
    ASSERT_TRUE(old && *old);
    const provisioning::Identity before = **old;

    ProvisionRun killed = provision({"renew", "--identity", dir.string(), "--now"}, step);
    EXPECT_EQ(killed.status.signal, SIGKILL) << killed.status.describe() << "\n" << killed.output;

    // What an agent running beside it sees right now, without any repair.
    bool switched = std::string_view(step) == "renew_current_swapped";
    if (switched) {
      EXPECT_NE(fs::read_symlink(dir / "current"), before.dir.filename());
    } else {
      EXPECT_EQ(fs::read_symlink(dir / "current"), before.dir.filename());
      auto now = provisioning::read_current_identity(dir);
      ASSERT_TRUE(now && *now);
      EXPECT_EQ((*now)->record.serial_hex, before.record.serial_hex);
    }
    // The old identity's files are whole and it still works with the controller.
    EXPECT_TRUE(provisioning::check_key_file_matches(before.key, read_file(before.cert)));
    expect_probe_works(before);

    ProvisionRun again = provision({"renew", "--identity", dir.string()});
    EXPECT_TRUE(again.status.ok()) << again.status.describe() << "\n" << again.output;
    expect_working_identity(dir, controller.fleet_ca());
    auto after = provisioning::read_current_identity(dir);
    ASSERT_TRUE(after && *after);
    if (std::string_view(step) == "renew_key_written") {
      // Killed before its CSR existed: nothing was under way, so nothing was resumed.
      EXPECT_EQ((*after)->record.serial_hex, before.record.serial_hex);
    } else {
      EXPECT_NE((*after)->record.serial_hex, before.record.serial_hex);
      EXPECT_NE(read_file((*after)->key), read_file(before.key));
    }
    expect_probe_works(**after);
    EXPECT_FALSE(fs::exists(dir / "pending"));
  }
}

// --- what a technician reads ------------------------------------------------------------------

class provisioning_provision_cli : public provisioning_power_cut {};

TEST_F(provisioning_provision_cli, AnEnrolmentPrintsWhoTheBoxIsAndUntilWhen) {
  fs::path dir = temp.path() / "box";
  ProvisionRun run = provision(enrol_args(new_token("box-0001"), dir));
  ASSERT_TRUE(run.status.ok()) << run.output;
  EXPECT_NE(run.output.find("enrolled:"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("box id:      box-0001"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("site:        cluj-centru"), std::string::npos);
  EXPECT_NE(run.output.find("cabinet:     kerong-12"), std::string::npos);
  EXPECT_NE(run.output.find("valid until: "), std::string::npos);
  EXPECT_NE(run.output.find("the controller accepts this identity"), std::string::npos);

  ProvisionRun show = provision({"show", "--identity", dir.string()});
  EXPECT_TRUE(show.status.ok()) << show.output;
  EXPECT_NE(show.output.find("box-0001"), std::string::npos);
  EXPECT_NE(show.output.find("renew from:"), std::string::npos);
}

TEST_F(provisioning_provision_cli, TheSameCommandTwiceIsNotAnError) {
  fs::path dir = temp.path() / "box";
  auto args = enrol_args(new_token("box-0001"), dir);
  ASSERT_TRUE(provision(args).status.ok());
  ProvisionRun again = provision(args);
  EXPECT_TRUE(again.status.ok()) << again.output;
  EXPECT_NE(again.output.find("already enrolled with this token"), std::string::npos)
      << again.output;
}

TEST_F(provisioning_provision_cli, TheScannedQrCodeIsAcceptedAndForeignTextIsNot) {
  fs::path dir = temp.path() / "box";
  std::string token = new_token("box-0001");
  ProvisionRun run =
      provision({"--scan", "CBX-ENROL:" + token, "--controller", controller.public_url(),
                 "--fleet-ca", controller.fleet_ca().string(), "--identity", dir.string()});
  EXPECT_TRUE(run.status.ok()) << run.output;
  ProvisionRun foreign = provision(
      {"--scan", "https://example.com/", "--controller", controller.public_url(), "--fleet-ca",
       controller.fleet_ca().string(), "--identity", (temp.path() / "other").string()});
  EXPECT_EQ(foreign.status.code, 2) << foreign.output;
  EXPECT_NE(foreign.output.find("not an enrolment code"), std::string::npos) << foreign.output;
}

TEST_F(provisioning_provision_cli, ARefusedTokenExits3AndSaysToAskForANewOne) {
  fs::path dir = temp.path() / "box";
  std::string token = new_token("box-0001");
  ASSERT_TRUE(provision(enrol_args(token, temp.path() / "first")).status.ok());
  ProvisionRun run = provision(enrol_args(token, dir));  // another box, the same token
  EXPECT_EQ(run.status.code, 3) << run.output;
  EXPECT_NE(run.output.find("token_used"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("town hall's IT for a new enrolment token"), std::string::npos)
      << run.output;
  auto current = provisioning::read_current_identity(dir);
  ASSERT_TRUE(current);
  EXPECT_FALSE(current->has_value());
  EXPECT_FALSE(fs::exists(dir / "pending")) << "a refused key is not kept for another token";
}

TEST_F(provisioning_provision_cli, AnUnreachableControllerExits4AndSaysRetryingIsSafe) {
  fs::path dir = temp.path() / "box";
  auto args = enrol_args(new_token("box-0001"), dir);
  args[3] = "https://127.0.0.1:" + std::to_string(unused_loopback_port());
  args.insert(args.end(), {"--timeout", "3"});
  ProvisionRun run = provision(args);
  EXPECT_EQ(run.status.code, 4) << run.output;
  EXPECT_NE(run.output.find("network"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("retrying is safe"), std::string::npos) << run.output;
}

TEST_F(provisioning_provision_cli, AControllerFromAnotherFleetExits5) {
  FleetCa foreign;
  fs::path dir = temp.path() / "box";
  auto args = enrol_args(new_token("box-0001"), dir);
  args[5] = foreign.ca_file().string();
  ProvisionRun run = provision(args);
  EXPECT_EQ(run.status.code, 5) << run.output;
  EXPECT_NE(run.output.find("not from the fleet CA"), std::string::npos) << run.output;
  EXPECT_EQ(controller.enrol_calls(), 0);
}

TEST_F(provisioning_provision_cli, AnEnrolledBoxExits6UnlessForced) {
  fs::path dir = temp.path() / "box";
  ASSERT_TRUE(provision(enrol_args(new_token("box-0001"), dir)).status.ok());
  auto args = enrol_args(new_token("box-0002"), dir);
  ProvisionRun refused = provision(args);
  EXPECT_EQ(refused.status.code, 6) << refused.output;
  EXPECT_NE(refused.output.find("already enrolled as box-0001"), std::string::npos)
      << refused.output;
  EXPECT_NE(refused.output.find("--force"), std::string::npos);

  args.push_back("--force");
  ProvisionRun forced = provision(args);
  EXPECT_TRUE(forced.status.ok()) << forced.output;
  auto current = provisioning::read_current_identity(dir);
  ASSERT_TRUE(current && *current);
  EXPECT_EQ((*current)->device_id(), "box-0002");
}

TEST_F(provisioning_provision_cli, ARevokedBoxExits8OnRenewalAndMayBeEnrolledAgainWithoutForce) {
  fs::path dir = temp.path() / "box";
  const std::string first = new_token("box-0001");
  ASSERT_TRUE(provision(enrol_args(first, dir)).status.ok());
  ProvisionRun twice = provision(enrol_args(first, dir));
  EXPECT_TRUE(twice.status.ok()) << "run again: done already\n" << twice.output;
  controller.revoke("box-0001");
  // The token that made the revoked identity is spent: not "already enrolled with this token".
  ProvisionRun spent = provision(enrol_args(first, dir));
  EXPECT_EQ(spent.status.code, 3) << spent.output;
  EXPECT_NE(spent.output.find("revoked since"), std::string::npos) << spent.output;
  ProvisionRun renew = provision({"renew", "--identity", dir.string(), "--now"});
  EXPECT_EQ(renew.status.code, 8) << renew.output;
  EXPECT_NE(renew.output.find("revoked"), std::string::npos);

  ProvisionRun again = provision(enrol_args(new_token("box-0001"), dir));
  EXPECT_TRUE(again.status.ok()) << again.output;
  EXPECT_NE(again.output.find("revoked"), std::string::npos) << again.output;
  expect_working_identity(dir, controller.fleet_ca());
}

TEST_F(provisioning_provision_cli, ADamagedIdentityExits7NamingTheFile) {
  fs::path dir = temp.path() / "box";
  ASSERT_TRUE(provision(enrol_args(new_token("box-0001"), dir)).status.ok());
  write_file(dir / "gen-000001" / "box.crt", "garbage");
  ProvisionRun show = provision({"show", "--identity", dir.string()});
  EXPECT_EQ(show.status.code, 7) << show.output;
  EXPECT_NE(show.output.find("box.crt"), std::string::npos) << show.output;
  ProvisionRun renew = provision({"renew", "--identity", dir.string()});
  EXPECT_EQ(renew.status.code, 7) << renew.output;
  ProvisionRun never = provision({"show", "--identity", (temp.path() / "none").string()});
  EXPECT_EQ(never.status.code, 7) << never.output;
}

TEST_F(provisioning_provision_cli, RenewBeforeItIsDueSaysWhen) {
  fs::path dir = temp.path() / "box";
  ASSERT_TRUE(provision(enrol_args(new_token("box-0001"), dir)).status.ok());
  ProvisionRun run = provision({"renew", "--identity", dir.string()});
  EXPECT_TRUE(run.status.ok()) << run.output;
  EXPECT_NE(run.output.find("not due"), std::string::npos) << run.output;
  EXPECT_EQ(controller.renew_calls(), 0);
}

TEST_F(provisioning_provision_cli, WrongOptionsExit2) {
  EXPECT_EQ(provision({}).status.code, 2);
  EXPECT_EQ(provision({"--token", "short", "--controller", "https://x", "--fleet-ca",
                       controller.fleet_ca().string(), "--identity", "/tmp/x"})
                .status.code,
            2);
  EXPECT_EQ(provision({"renew"}).status.code, 2);
  EXPECT_TRUE(provision({"--help"}).status.ok());
}

}  // namespace
}  // namespace civicbox::testing
