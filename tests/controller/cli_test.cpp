// civicbox-controller's identity subcommands through the real binary, as an operator runs them:
// the fleet CA, tokens with their QR code, and a revocation while the server runs.
#include <gtest/gtest.h>
#include <png.h>
#include <sys/stat.h>

#include <csignal>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/identity_wire.hpp"
#include "controller/encoding.hpp"
#include "controller/storage.hpp"
#include "controller/webhooks.hpp"
#include "drivers/scanner/qr/qr_code.hpp"
#include "tests/controller/events.hpp"
#include "tests/controller/identity_support.hpp"
#include "tests/controller/keep_alive_client.hpp"
#include "tests/support/https_client.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/webhook_receiver.hpp"

namespace civicbox::controller {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kBackoffice = "cli-test-backoffice-0123456789";

struct Finished {
  int code = -1;
  std::vector<std::string> out;
  std::string err;
  [[nodiscard]] std::string text() const {
    std::string all;
    for (const auto& line : out) all += line + "\n";
    return all;
  }
  // The value of a "key: value" line.
  [[nodiscard]] std::string value(const std::string& key) const {
    for (const auto& line : out) {
      if (line.rfind(key + ": ", 0) == 0) return line.substr(key.size() + 2);
    }
    return {};
  }
};

Finished run(std::vector<std::string> args) {
  args.insert(args.begin(), CIVICBOX_CONTROLLER_BIN);
  testing::Process p(testing::ProcessOptions{std::move(args), {}, {}, false});
  Finished r;
  r.out = p.read_remaining_lines(60s);
  auto status = p.wait(60s);
  r.code = status && status->exited ? status->code : -1;
  r.err = p.stderr_text();
  return r;
}

std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

unsigned mode_of(const std::filesystem::path& path) {
  struct stat info {};
  ::stat(path.c_str(), &info);
  return info.st_mode & 0777;
}

// What a phone's camera would read from the PNG: libpng in, the scanner's ZXing adapter out.
std::optional<std::string> decode_qr_png(const std::filesystem::path& file) {
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  if (png_image_begin_read_from_file(&image, file.c_str()) == 0) return std::nullopt;
  image.format = PNG_FORMAT_GRAY;
  std::vector<std::uint8_t> pixels(PNG_IMAGE_SIZE(image));
  if (png_image_finish_read(&image, nullptr, pixels.data(), 0, nullptr) == 0) return std::nullopt;
  const int width = static_cast<int>(image.width);
  auto read = drivers::qr::read_qr({pixels.data(), width, static_cast<int>(image.height), width});
  if (!read) return std::nullopt;
  return read->text;
}

class ControllerCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = dir_.path() / "controller.toml";
    std::ofstream(config_) << "[server]\ndevice_listen = \"127.0.0.1:0\"\n"
                           << "public_listen = \"127.0.0.1:0\"\nthreads = 2\n"
                           << "[tls]\ncert = \"fleet/controller.crt\"\n"
                           << "key = \"fleet/controller.key\"\nfleet_ca = \"fleet/ca.crt\"\n"
                           << "[storage]\ndata_dir = \"data\"\n"
                           << "[ca]\ndir = \"fleet\"\n"
                           << "[backoffice]\ntoken = \"" << kBackoffice << "\"\n";
  }
  Finished controller(std::vector<std::string> args) {
    args.insert(args.begin(), {"-c", config_.string()});
    return run(std::move(args));
  }
  std::filesystem::path fleet() const { return dir_.path() / "fleet"; }

  testing::TempDir dir_;
  std::filesystem::path config_;
};

TEST_F(ControllerCliTest, CaInitMakesTheFleetCaAndNeverReplacesIt) {
  Finished made =
      controller({"ca", "init", "--server-name", "ctl.example.org", "--server-ip", "127.0.0.1"});
  ASSERT_EQ(made.code, 0) << made.text() << made.err;
  EXPECT_NE(made.text().find("fleet_ca = \"" + (fleet() / "ca.crt").string() + "\""),
            std::string::npos)
      << made.text();
  EXPECT_EQ(mode_of(fleet()), 0700u);
  EXPECT_EQ(mode_of(fleet() / "ca.key"), 0600u);
  EXPECT_EQ(mode_of(fleet() / "ca.crt"), 0644u);
  EXPECT_EQ(mode_of(fleet() / "controller.key"), 0600u);
  const std::string ca_before = read_file(fleet() / "ca.crt");
  const std::string key_before = read_file(fleet() / "ca.key");
  // The server certificate names what boxes dial.
  const std::string text = [&] {
    std::string out;
    if (FILE* pipe = ::popen(
            ("openssl x509 -noout -text -in " + (fleet() / "controller.crt").string() + " 2>&1")
                .c_str(),
            "r")) {
      char buf[512];
      while (std::fgets(buf, sizeof buf, pipe) != nullptr) out += buf;
      ::pclose(pipe);
    }
    return out;
  }();
  EXPECT_NE(text.find("DNS:ctl.example.org"), std::string::npos) << text;
  EXPECT_NE(text.find("IP Address:127.0.0.1"), std::string::npos) << text;

  Finished again = controller({"ca", "init"});
  EXPECT_EQ(again.code, 1);
  EXPECT_NE(again.err.find("never replaced"), std::string::npos) << again.err;
  EXPECT_EQ(read_file(fleet() / "ca.crt"), ca_before);
  EXPECT_EQ(read_file(fleet() / "ca.key"), key_before);
}

TEST_F(ControllerCliTest, CaInitImportsAnExistingCaAndRefusesSomethingThatIsNoCa) {
  ASSERT_EQ(controller({"ca", "init"}).code, 0);
  std::ofstream(dir_.path() / "import.toml")
      << "[storage]\ndata_dir = \"data2\"\n[ca]\ndir = \"imported\"\n";
  auto import = [&](const std::string& cert, const std::string& key) {
    return run({"-c", (dir_.path() / "import.toml").string(), "ca", "init", "--import-cert",
                (fleet() / cert).string(), "--import-key", (fleet() / key).string()});
  };
  Finished not_a_ca = import("controller.crt", "controller.key");
  EXPECT_EQ(not_a_ca.code, 1);
  EXPECT_NE(not_a_ca.err.find("not a CA"), std::string::npos) << not_a_ca.err;
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "imported" / "ca.crt"));
  Finished mismatched = import("ca.crt", "controller.key");
  EXPECT_EQ(mismatched.code, 1) << mismatched.text();
  Finished imported = import("ca.crt", "ca.key");
  ASSERT_EQ(imported.code, 0) << imported.err;
  EXPECT_EQ(read_file(dir_.path() / "imported" / "ca.crt"), read_file(fleet() / "ca.crt"));
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "imported" / "controller.crt"));
}

TEST_F(ControllerCliTest, ApiTokensAreMadeListedAndRevokedAndTheTrailNamesTheCommandLine) {
  Finished made = controller({"api-token", "create", "--name", "dashboard", "--role", "auditor"});
  ASSERT_EQ(made.code, 0) << made.err;
  const std::string token = made.value("token");
  ASSERT_EQ(token.size(), 43u) << made.text();
  {
    auto storage = open_sqlite_storage(dir_.path() / "data", {"x", false});
    ASSERT_TRUE(storage);
    auto found = (*storage)->find_api_token(sha256_hex(token));
    ASSERT_TRUE(found && *found);
    EXPECT_EQ((*found)->role, "auditor");
    auto trail = (*storage)->list_audit({});
    ASSERT_TRUE(trail && !trail->empty());
    EXPECT_EQ(trail->front().action, "api_token.create");
    EXPECT_EQ(trail->front().actor.rfind("cli:", 0), 0u) << trail->front().actor;
  }
  Finished listed = controller({"api-token", "list"});
  ASSERT_EQ(listed.code, 0);
  EXPECT_NE(listed.text().find("dashboard  auditor"), std::string::npos) << listed.text();
  EXPECT_EQ(listed.text().find(token), std::string::npos) << "shown once only";
  EXPECT_EQ(controller({"api-token", "create", "--name", "x", "--role", "admin"}).code, 1);
  EXPECT_EQ(controller({"api-token", "create", "--name", "dashboard", "--role", "clerk"}).code, 1);
  ASSERT_EQ(controller({"api-token", "revoke", "--name", "dashboard"}).code, 0);
  Finished again = controller({"api-token", "revoke", "--name", "dashboard"});
  EXPECT_EQ(again.code, 1);
  EXPECT_NE(again.err.find("no API token"), std::string::npos) << again.err;
}

TEST_F(ControllerCliTest, JsonLogsAreOneObjectPerLineEvenWithANewlineInWhatIsLogged) {
  Finished revoked = controller({"--log-format", "json", "revoke", "--box", "box-0009", "--reason",
                                 "lost \"in transit\"\nsecond line"});
  ASSERT_EQ(revoked.code, 0) << revoked.err;
  std::istringstream lines(revoked.err);
  std::string line;
  int warnings = 0;
  while (std::getline(lines, line)) {
    json entry = json::parse(line, nullptr, false);
    ASSERT_FALSE(entry.is_discarded()) << "not one JSON object: " << line;
    EXPECT_EQ(entry.at("program"), "controller");
    EXPECT_TRUE(entry.at("ts").get<std::string>().ends_with("Z"));
    if (entry.at("level") == "warning") {
      ++warnings;
      EXPECT_NE(entry.at("msg").get<std::string>().find("\"in transit\"\nsecond line"),
                std::string::npos)
          << line;
    }
  }
  EXPECT_EQ(warnings, 1) << revoked.err;
  EXPECT_EQ(controller({"--log-format", "xml", "api-token", "list"}).code, 105)
      << "CLI11 refuses it";
}

TEST_F(ControllerCliTest, TokenCreateWritesAQrCodeThatScansToTheToken) {
  const auto png = dir_.path() / "box-0007.png";
  Finished made = controller({"token", "create", "--site", "cluj-centru", "--box", "box-0007",
                              "--cabinet", "kerong-12", "--hours", "2", "--qr", png.string()});
  ASSERT_EQ(made.code, 0) << made.err;
  const std::string token = made.value("token");
  EXPECT_EQ(token.size(), 43u) << made.text();
  EXPECT_EQ(made.value("qr_text"), "CBX-ENROL:" + token);
  EXPECT_EQ(decode_qr_png(png), "CBX-ENROL:" + token);

  Finished listed = controller({"token", "list", "--box", "box-0007"});
  ASSERT_EQ(listed.code, 0);
  EXPECT_EQ(listed.text().find(token), std::string::npos) << "the secret is shown once only";
  EXPECT_NE(listed.text().find("unused"), std::string::npos) << listed.text();
  Finished bad =
      controller({"token", "create", "--site", "x", "--box", "Not A Box", "--cabinet", "k"});
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.err.find("box"), std::string::npos) << bad.err;
}

TEST_F(ControllerCliTest, RevokingFromTheCommandLineClosesTheRunningServersConnection) {
  ASSERT_EQ(controller({"ca", "init"}).code, 0);
  testing::Process server(testing::ProcessOptions{
      {CIVICBOX_CONTROLLER_BIN, "-c", config_.string(), "--log-level", "info"}, {}, {}, false});
  auto line = server.read_line(20s);
  ASSERT_TRUE(line && line->rfind("listening ", 0) == 0) << server.stderr_text();
  auto port_of = [&](const std::string& key) {
    const auto at = line->find(key + "=");
    const auto colon = line->find(':', at);
    return static_cast<std::uint16_t>(std::stoi(line->substr(colon + 1)));
  };
  const std::uint16_t device_port = port_of("device");
  const std::uint16_t public_port = port_of("public");

  // A token from the command line, an enrolment over HTTPS, a keep-alive connection.
  Finished made = controller(
      {"token", "create", "--site", "s1", "--box", "box-0009", "--cabinet", "kerong-12"});
  ASSERT_EQ(made.code, 0) << made.err;
  const testing::BoxKey key = testing::BoxKey::make();
  const testing::TlsFiles ca_only{fleet() / "ca.crt", {}, {}};
  auto enrolled = testing::https(
      "POST", "https://127.0.0.1:" + std::to_string(public_port) + "/v1/enrol", ca_only,
      wire::to_json(wire::EnrolRequest{made.value("token"), key.csr("box-0009"), std::nullopt}));
  ASSERT_EQ(enrolled.status, 200) << enrolled.error << enrolled.body;
  testing::write_text(dir_.path() / "box.key", key.key_pem);
  testing::write_text(dir_.path() / "box.crt",
                      wire::parse_enrol_response(enrolled.body)->certificate.certificate_pem);
  const testing::TlsFiles box{fleet() / "ca.crt", dir_.path() / "box.crt", dir_.path() / "box.key"};
  testing::KeepAliveClient open(device_port, box);
  auto first = open.request(boost::beast::http::verb::get, "/v1/device/sync");
  ASSERT_TRUE(first);
  ASSERT_EQ(first->result_int(), 200u);

  Finished certs = controller({"certs", "list", "--box", "box-0009"});
  EXPECT_NE(certs.text().find("valid"), std::string::npos) << certs.text();
  Finished revoked = controller({"revoke", "--box", "box-0009", "--reason", "lost in transit"});
  ASSERT_EQ(revoked.code, 0) << revoked.err;
  EXPECT_TRUE(open.closed_within(3s)) << server.stderr_text();
  auto again = testing::https(
      "GET", "https://127.0.0.1:" + std::to_string(device_port) + "/v1/device/sync", box);
  EXPECT_EQ(again.status, 403) << again.body;
  EXPECT_NE(again.body.find("lost in transit"), std::string::npos) << again.body;
  EXPECT_NE(controller({"certs", "list"}).text().find("revoked"), std::string::npos);

  server.signal(SIGTERM);
  auto stopped = server.wait(20s);
  EXPECT_TRUE(stopped && stopped->ok()) << server.stderr_text();
}

TEST_F(ControllerCliTest, ANotificationPendingWhenTheControllerStopsIsSentAfterItStartsAgain) {
  ASSERT_EQ(controller({"ca", "init"}).code, 0);
  // The gateway is broken at first (503), then mended while the controller is stopped.
  std::atomic<int> answer{503};
  testing::WebhookReceiver gateway([&](const auto&) { return answer.load(); });
  const std::string secret = "cli-test-gateway-secret-0123456789";
  std::ofstream(dir_.path() / "gateway.secret") << secret << "\n";
  std::filesystem::permissions(dir_.path() / "gateway.secret", std::filesystem::perms::owner_read);
  std::ofstream(config_, std::ios::app)
      << "[webhooks]\nretry_base_seconds = 1\n[[webhooks.subscribers]]\nname = \"gateway\"\n"
      << "url = \"" << gateway.url() << "\"\nsecret_file = \"gateway.secret\"\n"
      << "events = [\"submission.registered\"]\n";

  auto start = [&] {
    auto server = std::make_unique<testing::Process>(testing::ProcessOptions{
        {CIVICBOX_CONTROLLER_BIN, "-c", config_.string(), "--log-level", "info"}, {}, {}, false});
    auto line = server->read_line(20s);
    EXPECT_TRUE(line && line->rfind("listening ", 0) == 0) << server->stderr_text();
    const auto at = line.value_or("").find("device=");
    const auto colon = line.value_or("").find(':', at);
    const auto port = static_cast<std::uint16_t>(std::stoi(line.value_or("").substr(colon + 1)));
    const auto public_at = line.value_or("").find("public=");
    const auto public_colon = line.value_or("").find(':', public_at);
    const auto public_port =
        static_cast<std::uint16_t>(std::stoi(line.value_or("").substr(public_colon + 1)));
    return std::make_tuple(std::move(server), port, public_port);
  };
  auto stop = [](testing::Process& server) {
    server.signal(SIGTERM);
    auto stopped = server.wait(20s);
    EXPECT_TRUE(stopped && stopped->ok()) << server.stderr_text();
  };

  auto [server, device_port, public_port] = start();
  Finished made = controller(
      {"token", "create", "--site", "s1", "--box", "box-0011", "--cabinet", "kerong-12"});
  ASSERT_EQ(made.code, 0) << made.err;
  const testing::BoxKey key = testing::BoxKey::make();
  auto enrolled = testing::https(
      "POST", "https://127.0.0.1:" + std::to_string(public_port) + "/v1/enrol",
      {fleet() / "ca.crt", {}, {}},
      wire::to_json(wire::EnrolRequest{made.value("token"), key.csr("box-0011"), std::nullopt}));
  ASSERT_EQ(enrolled.status, 200) << enrolled.error << enrolled.body;
  testing::write_text(dir_.path() / "box.key", key.key_pem);
  testing::write_text(dir_.path() / "box.crt",
                      wire::parse_enrol_response(enrolled.body)->certificate.certificate_pem);
  const testing::TlsFiles box{fleet() / "ca.crt", dir_.path() / "box.crt", dir_.path() / "box.key"};
  SystemRandom random;
  auto pushed = testing::https(
      "POST", "https://127.0.0.1:" + std::to_string(device_port) + "/v1/device/events", box,
      wire::to_json(wire::PushRequest{{testing::filed_event(1, random)}}));
  ASSERT_EQ(pushed.status, 200) << pushed.body;

  ASSERT_TRUE(gateway.wait_for(1)) << server->stderr_text();
  stop(*server);
  const std::size_t refused = gateway.requests().size();
  answer = 200;
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(gateway.requests().size(), refused) << "nothing is sent while the controller is down";

  auto [again, device_again, public_again] = start();
  ASSERT_TRUE(gateway.wait_for(refused + 1)) << again->stderr_text();
  stop(*again);
  const auto got = gateway.requests();
  const auto& delivered = got.back();
  EXPECT_EQ(delivered.header("x-civicbox-delivery"), got.front().header("x-civicbox-delivery"));
  EXPECT_EQ(delivered.header("x-civicbox-event"), "submission.registered");
  EXPECT_EQ(delivered.header("x-civicbox-signature"),
            webhooks::signature(secret, std::stoll(delivered.header("x-civicbox-timestamp")),
                                delivered.body));
  EXPECT_EQ(json::parse(delivered.body)["box"], "box-0011");
  EXPECT_EQ(gateway.requests().size(), refused + 1) << "delivered once, then never again";
}

}  // namespace
}  // namespace civicbox::controller
