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
