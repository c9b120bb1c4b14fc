// The agent's TOML configuration: the documented example reads as written, and a typo is named
// with its line instead of being ignored.
#include "firmware/config.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "tests/support/seeded_random.hpp"
#include "tests/support/temp_dir.hpp"

namespace civicbox::firmware {
namespace {

constexpr const char* kExample = R"toml([box]
id = "box-0001"              # must equal the CN of the box certificate
data_dir = "data"            # relative to the config file's folder
[controller]
url = "https://127.0.0.1:8443"
ca = "pki/ca.crt"
cert = "pki/devices/box-0001.crt"
key = "pki/devices/box-0001.key"
timeout_ms = 5000
[sync]
interval_s = 5
batch = 100
[cabinet]
profile = "cabinets/kerong-12.toml"
sweep_ms = 500
)toml";

TEST(AgentConfig, TheDocumentedExampleReads) {
  auto c = parse_agent_config(kExample, "/etc/civicbox");
  ASSERT_TRUE(c.has_value()) << c.error().describe();
  EXPECT_EQ(c->box_id, "box-0001");
  EXPECT_EQ(c->data_dir, "/etc/civicbox/data");
  EXPECT_EQ(c->controller_url, "https://127.0.0.1:8443");
  EXPECT_EQ(c->ca, "/etc/civicbox/pki/ca.crt");
  EXPECT_EQ(c->cert, "/etc/civicbox/pki/devices/box-0001.crt");
  EXPECT_EQ(c->key, "/etc/civicbox/pki/devices/box-0001.key");
  EXPECT_EQ(c->timeout_ms, 5000);
  EXPECT_EQ(c->interval_s, 5);
  EXPECT_EQ(c->batch, 100);
  EXPECT_EQ(c->cabinet_profile, "/etc/civicbox/cabinets/kerong-12.toml");
  EXPECT_EQ(c->sweep_ms, 500);
}

TEST(AgentConfig, ATypoIsAnErrorNamingTheKeyAndItsLine) {
  std::string text = kExample;
  text.replace(text.find("interval_s"), 10, "intervall_s");
  auto c = parse_agent_config(text, "/x");
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().code, ErrorCode::unknown_field);
  EXPECT_NE(c.error().message.find("sync.intervall_s"), std::string::npos) << c.error().message;
  EXPECT_NE(c.error().message.find("line 11"), std::string::npos) << c.error().message;
}

TEST(AgentConfig, MistakesAreNamed) {
  struct Case {
    std::string from, to, expect;
  };
  std::vector<Case> cases{
      {"[sync]", "[synk]", "synk"},
      {"timeout_ms = 5000", "timeout_ms = \"5000\"", "controller.timeout_ms"},
      {"batch = 100", "batch = 101", "sync.batch"},
      {"profile = \"cabinets/kerong-12.toml\"\n", "", "cabinet.profile"},
      {"sweep_ms = 500", "sweep_ms = 10", "cabinet.sweep_ms"},
      {"url = \"https://127.0.0.1:8443\"", "url = \"http://127.0.0.1:8443\"", "https://"},
      {"id = \"box-0001\"", "id = \"Box 1\"", "box.id"},
      {"id = \"box-0001\"", "name = \"box-0001\"", "box.name"},
  };
  for (const auto& c : cases) {
    std::string text = kExample;
    text.replace(text.find(c.from), c.from.size(), c.to);
    auto parsed = parse_agent_config(text, "/x");
    ASSERT_FALSE(parsed.has_value()) << c.to;
    EXPECT_NE(parsed.error().message.find(c.expect), std::string::npos)
        << c.to << " -> " << parsed.error().message;
  }
}

TEST(AgentConfig, TheShippedExampleReads) {
  const auto example = std::filesystem::path(CIVICBOX_CABINETS_DIR) / ".." / ".." / "firmware" /
                       "agent.example.toml";
  std::ifstream in(example);
  std::stringstream text;
  text << in.rdbuf();
  auto c = parse_agent_config(text.str(), example.parent_path());
  ASSERT_TRUE(c.has_value()) << c.error().describe();
  EXPECT_EQ(c->cabinet_profile.filename(), "kerong-12.toml");
  EXPECT_EQ(c->default_language, "ro");
  EXPECT_TRUE(c->staff.empty()) << "the example's PIN 1234 must not be enabled as shipped";

  // Its commented-out [[staff]] reads when enabled, and its PIN is the documented 1234.
  std::string enabled;
  std::istringstream lines(text.str());
  for (std::string line; std::getline(lines, line);) {
    for (const char* key : {"# [[staff]]", "# badge =", "# name =", "# role =", "# pin_hash ="}) {
      if (line.rfind(key, 0) == 0) line.erase(0, 2);
    }
    enabled += line + "\n";
  }
  auto with_staff = parse_agent_config(enabled, example.parent_path());
  ASSERT_TRUE(with_staff.has_value()) << with_staff.error().describe();
  ASSERT_EQ(with_staff->staff.size(), 1U);
  EXPECT_EQ(with_staff->staff[0].role, StaffRole::clerk);
  auto match = pin_matches("1234", with_staff->staff[0].pin);
  ASSERT_TRUE(match.has_value()) << match.error().describe();
  EXPECT_TRUE(*match);
}

// kExample with [ui] and two [[staff]] tables.
std::string with_ui_and_staff(const std::string& pin_hash) {
  return std::string(kExample) + R"toml([ui]
default_language = "hu"
idle_after_s = 45
idle_countdown_s = 20
helpline = "+40 264 596 030"
counter_hours = "Mon-Fri 8:00-16:00"
[[staff]]
badge = "CLERK-0001"
name = "Ana Pop"
role = "clerk"
pin_hash = ")toml" +
         pin_hash + R"toml("
[[staff]]
badge = "TECH-07"
name = "Kovács Béla"
role = "technician"
pin_hash = ")toml" +
         pin_hash + "\"\n";
}

std::string pin_hash_1234() {
  testing::SeededRandom random(3);
  return hash_pin("1234", random, 1000);
}

TEST(AgentConfig, TheScreenAndTheStaffAreRead) {
  auto c = parse_agent_config(with_ui_and_staff(pin_hash_1234()), "/x");
  ASSERT_TRUE(c.has_value()) << c.error().describe();
  EXPECT_EQ(c->default_language, "hu");
  EXPECT_EQ(c->idle_after_s, 45);
  EXPECT_EQ(c->idle_countdown_s, 20);
  EXPECT_EQ(c->helpline, "+40 264 596 030");
  EXPECT_EQ(c->counter_hours, "Mon-Fri 8:00-16:00");
  ASSERT_EQ(c->staff.size(), 2U);
  EXPECT_EQ(c->staff[0].badge, "CLERK-0001");
  EXPECT_EQ(c->staff[0].name, "Ana Pop");
  EXPECT_EQ(c->staff[0].role, StaffRole::clerk);
  EXPECT_EQ(c->staff[1].name, "Kovács Béla");
  EXPECT_EQ(c->staff[1].role, StaffRole::technician);
  auto match = pin_matches("1234", c->staff[1].pin);
  ASSERT_TRUE(match.has_value());
  EXPECT_TRUE(*match);
}

TEST(AgentConfig, WithoutUiOrStaffTheScreenHasItsDefaultsAndNoStaff) {
  auto c = parse_agent_config(kExample, "/x");
  ASSERT_TRUE(c.has_value()) << c.error().describe();
  EXPECT_EQ(c->default_language, "ro");
  EXPECT_EQ(c->idle_after_s, 60);
  EXPECT_EQ(c->idle_countdown_s, 15);
  EXPECT_EQ(c->helpline, "");
  EXPECT_TRUE(c->staff.empty());
}

TEST(AgentConfig, TheSelfTestsWaitsAreReadWithDefaultsAndLimits) {
  auto defaults = parse_agent_config(kExample, "/x");
  ASSERT_TRUE(defaults.has_value()) << defaults.error().describe();
  EXPECT_EQ(defaults->self_test_open_wait_s, 20);
  EXPECT_EQ(defaults->self_test_close_wait_s, 60);
  EXPECT_EQ(defaults->self_test_scan_wait_s, 60);

  auto c = parse_agent_config(
      std::string(kExample) + "[self_test]\nopen_wait_s = 5\nclose_wait_s = 30\nscan_wait_s = 90\n",
      "/x");
  ASSERT_TRUE(c.has_value()) << c.error().describe();
  EXPECT_EQ(c->self_test_open_wait_s, 5);
  EXPECT_EQ(c->self_test_close_wait_s, 30);
  EXPECT_EQ(c->self_test_scan_wait_s, 90);

  auto zero = parse_agent_config(std::string(kExample) + "[self_test]\nscan_wait_s = 0\n", "/x");
  ASSERT_FALSE(zero.has_value());
  EXPECT_NE(zero.error().message.find("self_test.scan_wait_s"), std::string::npos)
      << zero.error().message;
  auto typo = parse_agent_config(std::string(kExample) + "[self_test]\nscan_wait = 9\n", "/x");
  ASSERT_FALSE(typo.has_value());
  EXPECT_EQ(typo.error().code, ErrorCode::unknown_field);
}

TEST(AgentConfig, ScreenAndStaffMistakesAreNamedWithTheirLine) {
  const std::string hash = pin_hash_1234();
  struct Case {
    std::string from, to, expect;
  };
  std::vector<Case> cases{
      {"default_language = \"hu\"", "default_language = \"de\"", "ui.default_language"},
      {"default_language = \"hu\"", "language = \"hu\"", "ui.language"},
      {"idle_after_s = 45", "idle_after_s = 9", "ui.idle_after_s"},
      {"idle_countdown_s = 20", "idle_countdown_s = 4", "ui.idle_countdown_s"},
      {"idle_countdown_s = 20", "idle_countdown_s = 61", "ui.idle_countdown_s"},
      {"helpline = \"+40 264 596 030\"", "helpline = \"call Ana\"", "ui.helpline"},
      {"badge = \"CLERK-0001\"", "badge = \"clerk-0001\"", "staff[1].badge"},
      {"badge = \"CLERK-0001\"", "badge = \"C01\"", "staff[1].badge"},
      {"badge = \"CLERK-0001\"", "badge = \"TECH-07\"", "staff[2].badge"},
      {"role = \"technician\"", "role = \"admin\"", "staff[2].role"},
      {"name = \"Ana Pop\"", "nmae = \"Ana Pop\"", "staff[1].nmae"},
      {"name = \"Ana Pop\"\n", "", "staff[1].name"},
      {"name = \"Ana Pop\"", "name = \"\"", "staff[1].name"},
      {"pin_hash = \"" + hash, "pin_hash = \"x" + hash, "staff[1].pin_hash"},
      {"pin_hash = \"" + hash, "pin = \"" + hash, "staff[1].pin"},
      {"[[staff]]", "[staff]", "staff"},
  };
  for (const auto& c : cases) {
    std::string text = with_ui_and_staff(hash);
    text.replace(text.find(c.from), c.from.size(), c.to);
    auto parsed = parse_agent_config(text, "/x");
    ASSERT_FALSE(parsed.has_value()) << c.to;
    EXPECT_NE(parsed.error().message.find(c.expect), std::string::npos)
        << c.to << " -> " << parsed.error().message;
    EXPECT_NE(parsed.error().message.find("line "), std::string::npos)
        << c.to << " -> " << parsed.error().message;
  }
}

TEST(AgentConfig, ADuplicateBadgeIsRefused) {
  std::string text = with_ui_and_staff(pin_hash_1234());
  text.replace(text.find("TECH-07"), 7, "CLERK-0001");
  auto c = parse_agent_config(text, "/x");
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().code, ErrorCode::conflict);
  EXPECT_NE(c.error().message.find("CLERK-0001 is listed twice"), std::string::npos)
      << c.error().message;
  EXPECT_NE(c.error().message.find("staff[2].badge"), std::string::npos) << c.error().message;
}

TEST(AgentConfig, TheBoxIdIsRequired) {
  auto c = parse_agent_config("[sync]\ninterval_s = 1\n", "/x");
  ASSERT_FALSE(c.has_value());
  EXPECT_NE(c.error().message.find("box.id"), std::string::npos);
}

TEST(AgentConfig, TheStatusIsSentEveryMinuteUnlessToldOtherwise) {
  const std::string base = "[box]\nidentity = \"identity\"\n[sync]\n";
  auto c = parse_agent_config(base, "/x");
  ASSERT_TRUE(c.has_value()) << c.error().describe();
  EXPECT_EQ(c->status_every_s, 60);
  auto every_ten = parse_agent_config(base + "status_every = 10\n", "/x");
  ASSERT_TRUE(every_ten.has_value()) << every_ten.error().describe();
  EXPECT_EQ(every_ten->status_every_s, 10);
  for (const char* bad : {"0", "-5", "86401", "\"60\"", "1.5"}) {
    auto refused = parse_agent_config(base + "status_every = " + bad + "\n", "/x");
    ASSERT_FALSE(refused.has_value()) << bad;
    EXPECT_NE(refused.error().message.find("sync.status_every"), std::string::npos)
        << refused.error().message;
  }
}

TEST(AgentConfig, AnEnrolledBoxTakesItsIdentityFromTheFolderAndNothingBesideIt) {
  const char* enrolled = "[box]\nidentity = \"identity\"\n[sync]\nrenew_at = 0.5\n";
  auto c = parse_agent_config(enrolled, "/etc/civicbox");
  ASSERT_TRUE(c.has_value()) << c.error().describe();
  EXPECT_EQ(c->identity_dir, "/etc/civicbox/identity");
  EXPECT_TRUE(c->box_id.empty());           // from the identity, at load
  EXPECT_TRUE(c->cabinet_profile.empty());  // idem
  EXPECT_DOUBLE_EQ(c->renew_at, 0.5);
  EXPECT_EQ(c->renew_check_s, 60);
  // A URL or a certificate beside the identity would drift from it.
  for (const char* extra : {"url = \"https://x:1\"", "cert = \"a.crt\"", "key = \"a.key\""}) {
    auto both = parse_agent_config(std::string(enrolled) + "[controller]\n" + extra + "\n", "/x");
    ASSERT_FALSE(both.has_value()) << extra;
    EXPECT_NE(both.error().message.find("box.identity"), std::string::npos) << both.error().message;
  }
  for (const char* renew_at : {"0", "1.5", "\"half\""}) {
    auto bad = parse_agent_config(
        std::string("[box]\nidentity = \"i\"\n[sync]\nrenew_at = ") + renew_at + "\n", "/x");
    ASSERT_FALSE(bad.has_value()) << renew_at;
    EXPECT_NE(bad.error().message.find("sync.renew_at"), std::string::npos) << bad.error().message;
  }
}

TEST(AgentConfig, AFolderWithoutAnIdentityYetSaysToEnrolTheBox) {
  testing::TempDir dir;
  std::ofstream(dir.path() / "agent.toml") << "[box]\nidentity = \"identity\"\n";
  auto c = load_agent_config(dir.path() / "agent.toml");
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().code, ErrorCode::state);
  EXPECT_NE(c.error().message.find("civicbox-provision"), std::string::npos) << c.error().message;
}

TEST(AgentConfig, WithEnrolSetAnEmptyIdentityFolderStartsTheBoxNotSetUp) {
  testing::TempDir dir;
  std::ofstream(dir.path() / "fleet-ca.crt") << "pem\n";
  const std::string profile =
      (std::filesystem::path(CIVICBOX_CABINETS_DIR) / "kerong-12.toml").string();
  std::ofstream(dir.path() / "agent.toml")
      << "[box]\nidentity = \"identity\"\n[enrol]\nurl = \"https://127.0.0.1:8444\"\n"
         "ca = \"fleet-ca.crt\"\n[cabinet]\nprofile = \""
      << profile << "\"\n";
  auto c = load_agent_config(dir.path() / "agent.toml");
  ASSERT_TRUE(c.has_value()) << c.error().describe();
  EXPECT_FALSE(c->enrolled);
  EXPECT_EQ(c->enrol_url, "https://127.0.0.1:8444");
  EXPECT_EQ(c->enrol_ca, dir.path() / "fleet-ca.crt");
  EXPECT_TRUE(c->box_id.empty());
  EXPECT_EQ(c->dropoff.size() + c->pickup.size(), 12u) << "the cabinet is read: its doors count";

  // Its scanner and doors come from a cabinet profile until the identity names one.
  std::ofstream(dir.path() / "agent.toml")
      << "[box]\nidentity = \"identity\"\n[enrol]\nurl = \"https://127.0.0.1:8444\"\n"
         "ca = \"fleet-ca.crt\"\n";
  auto without_profile = load_agent_config(dir.path() / "agent.toml");
  ASSERT_FALSE(without_profile.has_value());
  EXPECT_NE(without_profile.error().message.find("cabinet.profile"), std::string::npos)
      << without_profile.error().message;

  // The fleet CA it enrols against must be there.
  std::filesystem::remove(dir.path() / "fleet-ca.crt");
  std::ofstream(dir.path() / "agent.toml")
      << "[box]\nidentity = \"identity\"\n[enrol]\nurl = \"https://127.0.0.1:8444\"\n"
         "ca = \"fleet-ca.crt\"\n[cabinet]\nprofile = \""
      << profile << "\"\n";
  auto no_ca = load_agent_config(dir.path() / "agent.toml");
  ASSERT_FALSE(no_ca.has_value());
  EXPECT_NE(no_ca.error().message.find("enrol.ca"), std::string::npos) << no_ca.error().message;
}

TEST(AgentConfig, EnrolMistakesAreNamed) {
  struct Case {
    const char* toml;
    const char* named;
  };
  for (const Case& k : {
           Case{"[box]\nid = \"box-0001\"\n[enrol]\nurl = \"https://c:8444\"\nca = \"ca\"\n",
                "enrol.url"},
           Case{"[box]\nidentity = \"i\"\n[enrol]\nurl = \"http://c:8444\"\nca = \"ca\"\n",
                "enrol.url"},
           Case{"[box]\nidentity = \"i\"\n[enrol]\nurl = \"https://c:8444\"\n", "'ca'"},
           Case{"[box]\nidentity = \"i\"\n[enrol]\nca = \"ca\"\n", "'url'"},
           Case{"[box]\nidentity = \"i\"\n[enrol]\nurl = \"https://c\"\nca = \"ca\"\ntoken = "
                "\"x\"\n",
                "enrol.token"},
       }) {
    auto c = parse_agent_config(k.toml, "/x");
    ASSERT_FALSE(c.has_value()) << k.toml;
    EXPECT_NE(c.error().message.find(k.named), std::string::npos)
        << k.toml << " -> " << c.error().message;
  }
}

TEST(AgentConfig, TheTlsFilesAreRequiredAndMustBeReadable) {
  for (const char* key : {"ca = ", "cert = ", "key = "}) {
    std::string text = kExample;
    auto at = text.find(key);
    text.erase(at, text.find('\n', at) - at + 1);
    auto c = parse_agent_config(text, "/x");
    ASSERT_FALSE(c.has_value()) << key;
    EXPECT_NE(c.error().message.find("controller." + std::string(key, std::strlen(key) - 3)),
              std::string::npos)
        << c.error().message;
  }

  testing::TempDir dir;
  std::filesystem::create_directories(dir.path() / "pki/devices");
  for (const char* f : {"pki/ca.crt", "pki/devices/box-0001.crt", "pki/devices/box-0001.key"}) {
    std::ofstream(dir.path() / f) << "pem\n";
  }
  std::ofstream(dir.path() / "agent.toml") << kExample;
  std::filesystem::create_directories(dir.path() / "cabinets");
  std::filesystem::copy_file(std::filesystem::path(CIVICBOX_CABINETS_DIR) / "kerong-12.toml",
                             dir.path() / "cabinets/kerong-12.toml");
  auto readable = load_agent_config(dir.path() / "agent.toml");
  ASSERT_TRUE(readable.has_value()) << readable.error().describe();
  EXPECT_EQ(readable->dropoff, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(readable->pickup, (std::vector<int>{4, 5, 6, 7, 8, 9, 10, 11, 12}));

  std::ofstream(dir.path() / "cabinets/kerong-12.toml", std::ios::app) << "colour = \"red\"\n";
  auto typo = load_agent_config(dir.path() / "agent.toml");
  ASSERT_FALSE(typo.has_value());
  EXPECT_NE(typo.error().message.find("cabinet.profile"), std::string::npos)
      << typo.error().message;
  EXPECT_NE(typo.error().message.find("colour"), std::string::npos) << typo.error().message;
  std::filesystem::copy_file(std::filesystem::path(CIVICBOX_CABINETS_DIR) / "kerong-12.toml",
                             dir.path() / "cabinets/kerong-12.toml",
                             std::filesystem::copy_options::overwrite_existing);

  std::filesystem::remove(dir.path() / "pki/devices/box-0001.key");
  auto missing = load_agent_config(dir.path() / "agent.toml");
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().message.find("controller.key"), std::string::npos)
      << missing.error().message;
  EXPECT_NE(missing.error().message.find("box-0001.key"), std::string::npos)
      << missing.error().message;
}

}  // namespace
}  // namespace civicbox::firmware
