// The controller over real TLS on loopback, with certificates from the development PKI.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "controller/https_server.hpp"
#include "provisioning/dev_pki.hpp"
#include "tests/controller/events.hpp"
#include "tests/support/https_client.hpp"
#include "tests/support/temp_dir.hpp"

namespace civicbox::controller {
namespace {

using nlohmann::json;
using provisioning::DevPkiPaths;
using testing::device;
using testing::filed_event;
using testing::https;
using testing::TlsFiles;

constexpr const char* kToken = "https-test-token-0123456789";

// One PKI for the whole suite: making keys is the slow part.
class HttpsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    pki_ = DevPkiPaths{dir_->path() / "pki"};
    other_ = DevPkiPaths{dir_->path() / "other"};
    ASSERT_TRUE(provisioning::init_dev_pki(pki_.dir));
    ASSERT_TRUE(provisioning::init_dev_pki(other_.dir));
    for (const char* id : {"box-a", "box-b"}) {
      ASSERT_TRUE(provisioning::issue_device_cert(pki_.dir, device(id)));
    }
    provisioning::DeviceCertOptions expired;
    expired.expired = true;
    ASSERT_TRUE(provisioning::issue_device_cert(pki_.dir, device("box-old"), expired));
    ASSERT_TRUE(provisioning::issue_device_cert(other_.dir, device("box-a")));
  }
  static void TearDownTestSuite() { delete dir_; }

  void SetUp() override {
    config_.device_listen = {"127.0.0.1", 0};
    config_.public_listen = {"127.0.0.1", 0};
    config_.max_body_bytes = 64 * 1024;
    config_.tls_cert = pki_.controller_cert();
    config_.tls_key = pki_.controller_key();
    config_.fleet_ca = pki_.ca_cert();
    config_.backoffice_token = kToken;
    auto opened = open_sqlite_storage(data_.path(), {"town", true});
    ASSERT_TRUE(opened);
    storage_ = std::move(*opened);
    service_ = std::make_unique<Service>(*storage_, config_, random_, [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    });
    auto started = HttpsServer::start(config_, *service_);
    ASSERT_TRUE(started) << started.error().describe();
    server_ = std::move(*started);
  }
  void TearDown() override { server_->stop(); }

  std::string device_url(const std::string& path) const {
    return "https://127.0.0.1:" + std::to_string(server_->device_endpoint().port) + path;
  }
  std::string public_url(const std::string& path) const {
    return "https://127.0.0.1:" + std::to_string(server_->public_endpoint().port) + path;
  }
  static TlsFiles box(const std::string& id, const DevPkiPaths& pki = pki_) {
    return {pki_.ca_cert(), pki.device_cert(device(id)), pki.device_key(device(id))};
  }
  static TlsFiles anonymous() { return {pki_.ca_cert(), {}, {}}; }

  testing::Reply push(const TlsFiles& who, const std::vector<wire::Event>& events) {
    return https("POST", device_url("/v1/device/events"), who,
                 wire::to_json(wire::PushRequest{events}));
  }

  static testing::TempDir* dir_;
  static DevPkiPaths pki_;
  static DevPkiPaths other_;
  testing::TempDir data_;
  Config config_;
  SystemRandom random_;
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<HttpsServer> server_;
};

testing::TempDir* HttpsTest::dir_ = nullptr;
DevPkiPaths HttpsTest::pki_;
DevPkiPaths HttpsTest::other_;

TEST_F(HttpsTest, ABoxWithItsCertificatePushesAndPulls) {
  auto reply = push(box("box-a"), {filed_event(1, random_)});
  ASSERT_TRUE(reply.ok) << reply.error;
  ASSERT_EQ(reply.status, 200) << reply.body;
  auto pushed = wire::parse_push_response(reply.body);
  ASSERT_TRUE(pushed);
  EXPECT_EQ(pushed->applied_through, 1u);
  auto pulled = https("GET", device_url("/v1/device/sync?cursor=0"), box("box-a"));
  ASSERT_EQ(pulled.status, 200) << pulled.body;
  EXPECT_TRUE(wire::parse_pull_response(pulled.body));
}

TEST_F(HttpsTest, StrangersAreRefusedDuringTheHandshakeBeforeAnyHandlerRuns) {
  struct Case {
    const char* what;
    TlsFiles tls;
  };
  const Case cases[] = {
      {"no client certificate", anonymous()},
      {"a certificate from another CA", box("box-a", other_)},
      {"an expired certificate", box("box-old")},
  };
  for (const auto& c : cases) {
    auto reply = push(c.tls, {filed_event(1, random_)});
    EXPECT_FALSE(reply.ok) << c.what << " got an HTTP answer: " << reply.status << " "
                           << reply.body;
    std::cerr << c.what << ": " << reply.error << "\n";
  }
  EXPECT_EQ(server_->stats().requests, 0u) << "a handler ran for a stranger";
  // The client may see the alert a moment before the server's handler counts the failure.
  for (int i = 0; i < 200 && server_->stats().handshake_failures < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GE(server_->stats().handshake_failures, 3u);
  EXPECT_TRUE(storage_->list_submissions({})->empty());
  EXPECT_EQ(push(box("box-a"), {filed_event(1, random_)}).status, 200);
}

TEST_F(HttpsTest, BoxACannotReadOrChangeBoxBsData) {
  ASSERT_EQ(https("GET", device_url("/v1/device/sync"), box("box-b")).status, 200);
  auto issued = https("POST", public_url("/v1/backoffice/parcels"), anonymous(),
                      R"({"box":"box-b","reference":"for B"})", "application/json",
                      {std::string("Authorization: Bearer ") + kToken});
  ASSERT_EQ(issued.status, 201) << issued.body;
  const std::string parcel = json::parse(issued.body).at("parcel_id");

  auto a_pulled = https("GET", device_url("/v1/device/sync?cursor=0"), box("box-a"));
  ASSERT_EQ(a_pulled.status, 200);
  EXPECT_TRUE(wire::parse_pull_response(a_pulled.body)->assignments.empty());
  EXPECT_EQ(a_pulled.body.find(parcel), std::string::npos);

  // A claims to have loaded and handed out B's parcel: recorded as a fact, changes nothing.
  wire::Event loaded = testing::body_event(1, random_, wire::ParcelLoaded{parcel, 3});
  wire::Event collected = testing::body_event(2, random_, wire::ParcelCollected{parcel, 3, false});
  ASSERT_EQ(push(box("box-a"), {loaded, collected}).status, 200);
  auto parcels = storage_->list_parcels(std::nullopt);
  ASSERT_EQ(parcels->size(), 1u);
  EXPECT_EQ(parcels->at(0).state, "issued");
  auto b_pulled = https("GET", device_url("/v1/device/sync?cursor=0"), box("box-b"));
  auto assignments = wire::parse_pull_response(b_pulled.body)->assignments;
  ASSERT_EQ(assignments.size(), 1u);
  EXPECT_TRUE(assignments[0].active);
  // Sequence numbers are per box: A's events do not move B's.
  EXPECT_EQ(*storage_->applied_through(device("box-b")), 0u);
}

TEST_F(HttpsTest, BadRequestsGetFourHundredsAndTheServerGoesOnServing) {
  const auto a = box("box-a");
  auto malformed = https("POST", device_url("/v1/device/events"), a, "{\"events\": [");
  EXPECT_EQ(malformed.status, 400) << malformed.body;
  auto unknown = https("POST", device_url("/v1/device/events"), a, R"({"events":[],"extra":1})");
  EXPECT_EQ(unknown.status, 400) << unknown.body;
  auto wrong_type =
      https("POST", device_url("/v1/device/events"), a,
            wire::to_json(wire::PushRequest{{filed_event(1, random_)}}), "text/plain");
  EXPECT_EQ(wrong_type.status, 415) << wrong_type.body;
  auto huge =
      https("POST", device_url("/v1/device/events"), a, std::string(128 * 1024, ' ') + "{}");
  EXPECT_TRUE(!huge.ok || huge.status == 413) << huge.status;
  for (const auto& r : {malformed, unknown, wrong_type}) {
    EXPECT_TRUE(wire::parse_error_body(r.body)) << "every error has a JSON body: " << r.body;
  }

  // Bytes that are not TLS at all, and a connection that just stops mid-handshake.
  namespace net = boost::asio;
  net::io_context io;
  net::ip::tcp::socket raw(io);
  raw.connect({net::ip::make_address("127.0.0.1"), server_->device_endpoint().port});
  net::write(raw, net::buffer(std::string("GET / HTTP/1.1\r\nHost: x\r\n\r\n")));
  raw.close();
  net::ip::tcp::socket half(io);
  half.connect({net::ip::make_address("127.0.0.1"), server_->device_endpoint().port});
  net::write(half, net::buffer(std::string("\x16\x03\x01\x00\x05hello", 10)));
  half.close();

  EXPECT_EQ(push(a, {filed_event(1, random_)}).status, 200);
  EXPECT_EQ(https("GET", public_url("/healthz"), anonymous()).status, 200);
}

TEST_F(HttpsTest, ThePublicListenerServesTrackingWithoutACertificateAndNeverDeviceRoutes) {
  auto e = filed_event(1, random_);
  ASSERT_EQ(push(box("box-a"), {e}).status, 200);
  const auto& code = std::get<wire::SubmissionFiled>(e.body).tracking_code;
  auto track = https("GET", public_url("/v1/track/" + code.display()), anonymous());
  ASSERT_EQ(track.status, 200) << track.body;
  EXPECT_EQ(json::parse(track.body).at("registration_number"),
            storage_->list_submissions({})->at(0).registration_number);
  EXPECT_EQ(https("GET", public_url("/v1/device/sync"), anonymous()).status, 404);
  EXPECT_EQ(https("GET", public_url("/v1/backoffice/submissions"), anonymous()).status, 401);
}

// Runs `openssl s_client` against the public listener with the given protocol flag and returns
// what it printed.
std::string s_client(std::uint16_t port, const std::string& protocol) {
  const std::string command =
      "echo | timeout 10 openssl s_client -connect 127.0.0.1:" + std::to_string(port) + " " +
      protocol + " -cipher DEFAULT@SECLEVEL=0 2>&1";
  std::string out;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    char buf[512];
    while (std::fgets(buf, sizeof buf, pipe) != nullptr) out += buf;
    ::pclose(pipe);
  }
  return out;
}

TEST_F(HttpsTest, PrometheusScrapesMetricsAsTextWithTheTokenOnly) {
  EXPECT_EQ(push(box("box-a"), {filed_event(1, random_)}).status, 200);
  EXPECT_EQ(https("GET", public_url("/metrics"), anonymous()).status, 401);
  EXPECT_EQ(https("GET", device_url("/metrics"), box("box-a")).status, 404)
      << "a box never sees the metrics";
  auto scraped = https("GET", public_url("/metrics"), anonymous(), "", "application/json",
                       {std::string("Authorization: Bearer ") + kToken});
  ASSERT_EQ(scraped.status, 200) << scraped.body;
  EXPECT_NE(scraped.body.find("civicbox_events_applied_total 1\n"), std::string::npos)
      << scraped.body;
  EXPECT_NE(scraped.body.find("# TYPE civicbox_http_request_seconds histogram"), std::string::npos);
}

TEST_F(HttpsTest, OnlyTls12And13AreSpoken) {
  const auto port = server_->public_endpoint().port;
  EXPECT_NE(s_client(port, "-tls1_1").find("alert protocol version"), std::string::npos);
  EXPECT_NE(s_client(port, "-tls1").find("alert protocol version"), std::string::npos);
  EXPECT_NE(s_client(port, "-tls1_2").find("Protocol  : TLSv1.2"), std::string::npos);
  EXPECT_NE(s_client(port, "-tls1_3").find("TLSv1.3"), std::string::npos);
}

TEST_F(HttpsTest, StrangersFillingThePublicListenerDoNotLockTheBoxesOut) {
  server_->stop();
  config_.max_connections = 4;
  auto started = HttpsServer::start(config_, *service_);
  ASSERT_TRUE(started);
  server_ = std::move(*started);
  namespace net = boost::asio;
  net::io_context io;
  std::vector<net::ip::tcp::socket> idle;
  for (int i = 0; i < 8; ++i) {
    idle.emplace_back(io);
    idle.back().connect({net::ip::make_address("127.0.0.1"), server_->public_endpoint().port});
  }
  EXPECT_EQ(push(box("box-a"), {filed_event(1, random_)}).status, 200);
}

TEST_F(HttpsTest, TheBackOfficeRefusesAStrangerBeforeReadingTheBody) {
  // 60 KiB is under the limit, so only the missing token can explain a 401. The client waits
  // for "100 Continue" before sending the body; the 401 comes instead, so no body is read.
  auto reply = https("POST", public_url("/v1/backoffice/parcels"), anonymous(),
                     "{\"box\":\"" + std::string(60 * 1024, 'x') + "\"}", "application/json",
                     {"Expect: 100-continue"});
  ASSERT_TRUE(reply.ok) << reply.error;
  EXPECT_EQ(reply.status, 401);
  auto with_token = https("POST", public_url("/v1/backoffice/parcels"), anonymous(),
                          R"({"box":"box-a","reference":"r","hold_days":2})", "application/json",
                          {"Expect: 100-continue", std::string("Authorization: Bearer ") + kToken});
  EXPECT_EQ(with_token.status, 404) << with_token.body;  // box-a never connected in this test
  auto get_with_body = https("GET", public_url("/healthz"), anonymous(), "{}");
  EXPECT_TRUE(!get_with_body.ok || get_with_body.status == 413) << get_with_body.status;
}

}  // namespace
}  // namespace civicbox::controller
