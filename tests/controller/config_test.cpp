// The controller's configuration file: a typo is named, never silently ignored.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "controller/config.hpp"
#include "tests/support/temp_dir.hpp"

namespace civicbox::controller {
namespace {

TEST(ConfigTest, TheExampleConfigurationIsValid) {
  testing::TempDir dir;
  std::ofstream(dir.path() / "backoffice.token") << "a-long-enough-test-token\n";
  std::ifstream in(std::filesystem::path(CIVICBOX_SOURCE_DIR) / "docs/controller.example.toml");
  std::stringstream text;
  text << in.rdbuf();
  auto config = parse_config(text.str(), dir.path());
  ASSERT_TRUE(config) << config.error().describe();
  EXPECT_EQ(config->backoffice_token, "a-long-enough-test-token");
  EXPECT_EQ(config->device_listen.port, 8443);
  EXPECT_EQ(config->institution_name, "Primăria Cluj-Napoca");
  EXPECT_EQ(config->tls_cert.filename(), "controller.crt");
  EXPECT_TRUE(config->tls_cert.is_absolute());
  EXPECT_EQ(ca_dir_of(*config), dir.path() / "pki");
  EXPECT_EQ(config->cert_days, 90);
  EXPECT_EQ(device_url_of(*config), "https://civicbox.example.org:8443");
  EXPECT_EQ(default_language_of(*config), "ro");
  EXPECT_EQ(config->enrol_failure_burst, 10);
}

TEST(ConfigTest, IdentityDefaultsNeedNoConfiguration) {
  auto config = parse_config("[storage]\ndata_dir = \"var\"\n", "/srv/ctl");
  ASSERT_TRUE(config) << config.error().describe();
  EXPECT_EQ(ca_dir_of(*config), std::filesystem::path("/srv/ctl/var/ca"));
  EXPECT_EQ(device_url_of(*config), "https://127.0.0.1:8443");
  EXPECT_EQ(config->languages, (std::vector<std::string>{"ro", "hu", "en", "ca", "es", "pt"}));
  EXPECT_EQ(default_language_of(*config), "ro");
  EXPECT_EQ(config->token_hours, 24);
  EXPECT_EQ(config->enrol_failures_per_minute, 5);
  auto ipv6 = parse_config("[server]\ndevice_listen = \"::1:9443\"\n", "/");
  ASSERT_TRUE(ipv6);
  EXPECT_EQ(device_url_of(*ipv6), "https://[::1]:9443");
}

TEST(ConfigTest, IdentitySettingsThatCannotWorkAreRefusedByName) {
  struct Case {
    const char* toml;
    const char* names;
  };
  const Case cases[] = {
      {"[institution]\nlanguages = [\"ro\", \"romanian\"]\n", "institution.languages"},
      {"[institution]\nlanguages = []\n", "institution.languages"},
      {"[institution]\nlanguages = [\"ro\"]\ndefault_language = \"hu\"\n",
       "institution.default_language"},
      {"[server]\ndevice_url = \"http://ctl:8443\"\n", "server.device_url"},
      {"[ca]\ncert_days = 0\n", "ca.cert_days"},
      {"[ca]\ncert_days = 3650\n", "ca.cert_days"},
      {"[ca]\nfolder = \"x\"\n", "ca.folder"},
      {"[enrol]\nfailure_burst = 0\n", "enrol.failure_burst"},
      {"[enrol]\ntoken_hours = 10000\n", "enrol.token_hours"},
  };
  for (const auto& c : cases) {
    auto config = parse_config(c.toml, "/");
    ASSERT_FALSE(config) << c.toml;
    EXPECT_NE(config.error().message.find(c.names), std::string::npos)
        << c.toml << ": " << config.error().message;
  }
}

TEST(ConfigTest, AMisspelledKeyIsNamedWithItsLine) {
  auto config = parse_config("[server]\nthreads = 2\ndevcie_listen = \"127.0.0.1:1\"\n", "/etc");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().code, ErrorCode::unknown_field);
  EXPECT_NE(config.error().message.find("server.devcie_listen"), std::string::npos)
      << config.error().message;
  EXPECT_NE(config.error().message.find("line 3"), std::string::npos) << config.error().message;
}

TEST(ConfigTest, WrongTypesUnknownSectionsAndBadAddressesAreRefused) {
  EXPECT_EQ(parse_config("[server]\nthreads = \"two\"\n", "/").error().code, ErrorCode::wrong_type);
  EXPECT_FALSE(parse_config("[server]\nthreads = 0\n", "/"));
  EXPECT_EQ(parse_config("[sever]\n", "/").error().code, ErrorCode::unknown_field);
  EXPECT_FALSE(parse_config("[server]\ndevice_listen = \"localhost\"\n", "/"));
  EXPECT_FALSE(parse_config("[server]\ndevice_listen = \"1.2.3.4:99999\"\n", "/"));
  EXPECT_EQ(parse_config("[server\n", "/").error().code, ErrorCode::parse);
  EXPECT_FALSE(parse_config("[institution]\ntimezone = \"Europe/Bucuresti\"\n", "/"));
  EXPECT_FALSE(parse_config("[institution]\ntimezone = \"../../etc/passwd\"\n", "/"));
  EXPECT_TRUE(parse_config("[institution]\ntimezone = \"Europe/Bucharest\"\n", "/"));
}

// A secret file as the operator should leave it: readable by the service alone.
std::filesystem::path secret_file(
    const testing::TempDir& dir, const std::string& name, const std::string& content,
    std::filesystem::perms perms = std::filesystem::perms::owner_read |
                                   std::filesystem::perms::owner_write) {
  const auto file = dir.path() / name;
  std::ofstream(file) << content;
  std::filesystem::permissions(file, perms);
  return file;
}

TEST(ConfigTest, WebhookSubscribersAreReadWithTheirSecretsAndDefaults) {
  testing::TempDir dir;
  secret_file(dir, "gateway.secret", "a-gateway-secret-of-some-length\r\n");
  secret_file(dir, "mail.secret", "another-secret-for-the-mail-relay\n");
  auto config = parse_config(R"(
[webhooks]
reminder_before_hours = 12
max_attempts = 5

[[webhooks.subscribers]]
name = "sms-gateway"
url = "https://sms.town.example/civicbox"
secret_file = "gateway.secret"
ca_file = "town-ca.crt"

[[webhooks.subscribers]]
name = "mail-relay"
url = "http://127.0.0.1:8025/hooks"
secret_file = "mail.secret"
events = ["parcel.ready", "parcel.reminder"]
)",
                             dir.path());
  ASSERT_TRUE(config) << config.error().describe();
  EXPECT_EQ(config->webhook_reminder_before_hours, 12);
  EXPECT_EQ(config->webhook_max_attempts, 5);
  ASSERT_EQ(config->webhook_subscribers.size(), 2u);
  const auto& sms = config->webhook_subscribers[0];
  EXPECT_EQ(sms.name, "sms-gateway");
  EXPECT_EQ(sms.secret, "a-gateway-secret-of-some-length");
  EXPECT_EQ(sms.events.size(), 5u) << "every event by default";
  EXPECT_EQ(sms.ca_file, dir.path() / "town-ca.crt");
  EXPECT_EQ(config->webhook_subscribers[1].events,
            (std::vector<std::string>{"parcel.ready", "parcel.reminder"}));

  auto none = parse_config("", "/");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->webhook_subscribers.empty());
  EXPECT_EQ(none->webhook_reminder_before_hours, 24);
  EXPECT_EQ(none->webhook_max_attempts, 20);
}

TEST(ConfigTest, AWebhookSubscriberThatCannotWorkIsRefusedByName) {
  testing::TempDir dir;
  secret_file(dir, "ok.secret", "a-gateway-secret-of-some-length\n");
  secret_file(dir, "empty.secret", "\n");
  secret_file(dir, "open.secret", "a-gateway-secret-of-some-length\n",
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                  std::filesystem::perms::others_read);
  const std::string head = "[[webhooks.subscribers]]\nname = \"gw\"\n";
  const std::string url = "url = \"https://gw.example/h\"\n";
  const std::string secret = "secret_file = \"ok.secret\"\n";
  struct Case {
    std::string toml;
    const char* names;
  };
  const Case cases[] = {
      {head + url + "secret_fil = \"ok.secret\"\n", "webhooks.subscribers[0].secret_fil"},
      {head + url, "webhooks.subscribers[0].secret_file"},
      {head + url + "secret_file = \"missing.secret\"\n", "missing.secret"},
      {head + url + "secret_file = \"empty.secret\"\n", "at least 16 characters"},
      {head + url + "secret_file = \"open.secret\"\n", "readable by every user"},
      {head + "url = \"http://gw.example/h\"\n" + secret, "webhooks.subscribers[0].url"},
      {head + secret, "webhooks.subscribers[0].url"},
      {"[[webhooks.subscribers]]\n" + url + secret, "webhooks.subscribers[0].name"},
      {head + url + secret + "events = [\"parcel.redy\"]\n", "'parcel.redy' is not an event"},
      {head + url + secret + head + url + secret, "names two subscribers"},
      {"[webhooks]\nmax_attempt = 3\n", "webhooks.max_attempt"},
      {"[webhooks]\nmax_attempts = 0\n", "webhooks.max_attempts"},
      {"[webhooks]\nsubscribers = \"gw\"\n", "webhooks.subscribers"},
      {"[[webhook.subscribers]]\n", "webhook"},
  };
  for (const auto& c : cases) {
    auto config = parse_config(c.toml, dir.path());
    ASSERT_FALSE(config) << c.toml;
    EXPECT_NE(config.error().message.find(c.names), std::string::npos)
        << c.toml << ": " << config.error().message;
  }
  auto typo = parse_config(head + url + "secret_fil = \"ok.secret\"\n", dir.path());
  ASSERT_FALSE(typo);
  EXPECT_NE(typo.error().message.find("(line 4)"), std::string::npos) << typo.error().message;
  // http:// to this machine is allowed (a relay beside the controller).
  EXPECT_TRUE(parse_config(head + "url = \"http://localhost:8025/h\"\n" + secret, dir.path()));
}

TEST(ConfigTest, ValidationAsksForCertificatesAndALongEnoughToken) {
  auto config = parse_config("", "/");
  ASSERT_TRUE(config);
  EXPECT_FALSE(validate(*config));
  config->tls_cert = "/c";
  config->tls_key = "/k";
  config->fleet_ca = "/ca";
  config->backoffice_token = "short";
  EXPECT_FALSE(validate(*config));
  config->backoffice_token = "0123456789abcdef";
  EXPECT_TRUE(validate(*config));
}

}  // namespace
}  // namespace civicbox::controller
