// A box's identity over real TLS on loopback: it enrols on the public listener (verifying the
// controller against the fleet CA made by `ca init`), then uses, renews and loses its
// certificate on the device listener.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "controller/fleet_ca.hpp"
#include "controller/https_server.hpp"
#include "tests/controller/identity_support.hpp"
#include "tests/controller/keep_alive_client.hpp"
#include "tests/support/https_client.hpp"
#include "tests/support/temp_dir.hpp"

namespace civicbox::controller {
namespace {

using nlohmann::json;
using testing::BoxKey;
using testing::https;
using testing::TlsFiles;
using namespace std::chrono_literals;

constexpr const char* kBearer = "Authorization: Bearer identity-https-token-0123456789";

class IdentityHttpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(init_fleet_ca(dir_.path() / "ca", {}));
    auto ca = load_fleet_ca(dir_.path() / "ca");
    ASSERT_TRUE(ca && *ca);
    const provisioning::DevPkiPaths paths{dir_.path() / "ca"};
    config_.device_listen = {"127.0.0.1", 0};
    config_.public_listen = {"127.0.0.1", 0};
    config_.tls_cert = paths.controller_cert();
    config_.tls_key = paths.controller_key();
    config_.fleet_ca = paths.ca_cert();
    config_.backoffice_token = "identity-https-token-0123456789";
    auto opened = open_sqlite_storage(dir_.path() / "data", {"town", true});
    ASSERT_TRUE(opened);
    storage_ = std::move(*opened);
    service_ = std::make_unique<Service>(
        *storage_, config_, random_,
        [] {
          return std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
              .count();
        },
        **ca);
    auto started = HttpsServer::start(config_, *service_);
    ASSERT_TRUE(started) << started.error().describe();
    server_ = std::move(*started);
  }
  void TearDown() override {
    if (server_) server_->stop();
  }

  std::string device_url(const std::string& path) const {
    return "https://127.0.0.1:" + std::to_string(server_->device_endpoint().port) + path;
  }
  std::string public_url(const std::string& path) const {
    return "https://127.0.0.1:" + std::to_string(server_->public_endpoint().port) + path;
  }
  // Nothing but the fleet CA: the controller must prove itself with a certificate from it.
  TlsFiles fleet_ca_only() const { return {config_.fleet_ca, {}, {}}; }

  std::string new_token(const std::string& box) {
    auto r = https("POST", public_url("/v1/backoffice/tokens"), fleet_ca_only(),
                   json{{"site", "cluj-centru"}, {"box", box}, {"cabinet", "kerong-12"}}.dump(),
                   "application/json", {kBearer});
    EXPECT_EQ(r.status, 201) << r.error << r.body;
    return json::parse(r.body).at("token");
  }

  // Enrols `box` with a fresh key over HTTPS; the key and certificate land in files.
  TlsFiles enrol(const std::string& box) {
    const BoxKey key = BoxKey::make();
    auto r = https("POST", public_url("/v1/enrol"), fleet_ca_only(),
                   wire::to_json(wire::EnrolRequest{new_token(box), key.csr(box), "cluj-centru"}));
    EXPECT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.status, 200) << r.body;
    auto answer = wire::parse_enrol_response(r.body);
    EXPECT_TRUE(answer);
    return files_for(box + "-" + std::to_string(++issued_), key.key_pem,
                     answer->certificate.certificate_pem);
  }

  TlsFiles files_for(const std::string& name, const std::string& key_pem,
                     const std::string& cert_pem) {
    const auto key = dir_.path() / (name + ".key");
    const auto cert = dir_.path() / (name + ".crt");
    testing::write_text(key, key_pem);
    testing::write_text(cert, cert_pem);
    return {config_.fleet_ca, cert, key};
  }

  testing::Reply renew(const TlsFiles& who, const std::string& csr) {
    return https("POST", device_url("/v1/device/renew"), who,
                 wire::to_json(wire::RenewRequest{csr}));
  }

  static std::string error_of(const testing::Reply& r) { return json::parse(r.body).at("error"); }

  testing::TempDir dir_;
  Config config_;
  SystemRandom random_;
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<HttpsServer> server_;
  int issued_ = 0;
};

TEST_F(IdentityHttpsTest, AnEnrolledBoxRenewsIsRevokedLosesItsConnectionAndIsReEnrolled) {
  const TlsFiles first = enrol("box-a");
  ASSERT_EQ(https("GET", device_url("/v1/device/sync"), first).status, 200);

  // Renewal: a new key, a new certificate that works; the old one still works too.
  const BoxKey next = BoxKey::make();
  auto renewed = renew(first, next.csr("box-a"));
  ASSERT_EQ(renewed.status, 200) << renewed.body;
  const TlsFiles second = files_for("box-a-renewed", next.key_pem,
                                    wire::parse_certificate_issued(renewed.body)->certificate_pem);
  EXPECT_EQ(https("GET", device_url("/v1/device/sync"), second).status, 200);
  EXPECT_EQ(https("GET", device_url("/v1/device/sync"), first).status, 200);

  // A keep-alive connection is open when the back office revokes the box.
  testing::KeepAliveClient open(server_->device_endpoint().port, second);
  auto before = open.request(boost::beast::http::verb::get, "/v1/device/sync");
  ASSERT_TRUE(before);
  ASSERT_EQ(before->result_int(), 200u);
  auto revoked = https("POST", public_url("/v1/backoffice/boxes/box-a/revoke"), fleet_ca_only(),
                       R"({"reason":"stolen"})", "application/json", {kBearer});
  ASSERT_EQ(revoked.status, 200) << revoked.body;
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(open.closed_within(3s)) << "the revoked box's connection stayed open";
  std::cerr << "closed after "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - t0)
                   .count()
            << " ms\n";

  for (const auto& who : {first, second}) {
    auto refused = https("GET", device_url("/v1/device/sync"), who);
    EXPECT_EQ(refused.status, 403) << refused.body;
    EXPECT_EQ(error_of(refused), "revoked");
    EXPECT_NE(refused.body.find("stolen"), std::string::npos);
  }
  auto renew_revoked = renew(second, BoxKey::make().csr("box-a"));
  EXPECT_EQ(renew_revoked.status, 403);
  EXPECT_EQ(error_of(renew_revoked), "revoked");

  // A new token puts the box back into service; the old certificates stay refused.
  const TlsFiles third = enrol("box-a");
  EXPECT_EQ(https("GET", device_url("/v1/device/sync"), third).status, 200);
  EXPECT_EQ(https("GET", device_url("/v1/device/sync"), second).status, 403);
}

TEST_F(IdentityHttpsTest, ACertificateOfBoxACannotRenewOneForBoxB) {
  const TlsFiles a = enrol("box-a");
  auto r = renew(a, BoxKey::make().csr("box-b"));
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(error_of(r), "subject_mismatch");
  EXPECT_EQ(storage_->list_certificates("box-b")->size(), 0u);
}

TEST_F(IdentityHttpsTest, EnrolmentIsOnThePublicListenerOnlyAndGuessersGetRetryAfter) {
  EXPECT_EQ(https("POST", device_url("/v1/enrol"), fleet_ca_only(), "{}").ok, false)
      << "the device listener wants a client certificate first";
  const std::string junk =
      wire::to_json(wire::EnrolRequest{std::string(43, 'A'), "-----BEGIN X-----", std::nullopt});
  testing::KeepAliveClient guesser(server_->public_endpoint().port, fleet_ca_only());
  for (int i = 0; i < 10; ++i) {
    auto r = guesser.request(boost::beast::http::verb::post, "/v1/enrol", junk);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->result_int(), 403u) << r->body();
  }
  auto limited = guesser.request(boost::beast::http::verb::post, "/v1/enrol", junk);
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->result_int(), 429u);
  EXPECT_EQ((*limited)[boost::beast::http::field::retry_after], "12");
  EXPECT_EQ(json::parse(limited->body()).at("error"), "rate_limited");
  // A body far over an enrolment request's size is refused before it is read.
  auto huge = https("POST", public_url("/v1/enrol"), fleet_ca_only(), std::string(200 * 1024, ' '));
  EXPECT_TRUE(!huge.ok || huge.status == 413) << huge.status;
}

}  // namespace
}  // namespace civicbox::controller
