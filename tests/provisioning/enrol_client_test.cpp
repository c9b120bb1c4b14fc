// The enrolment and renewal client against a real TLS server on loopback: a box takes only a
// certificate that is for its own key, names it, and comes from its fleet CA; every refusal and
// every broken answer becomes a typed error, never a crash and never a stored identity.
#include <gtest/gtest.h>

#include <chrono>

#include "common/wire.hpp"
#include "provisioning/enrol_client.hpp"
#include "provisioning/keys.hpp"
#include "tests/provisioning/identity_fixtures.hpp"
#include "tests/support/ports.hpp"

namespace civicbox::testing {
namespace {

using provisioning::Refusal;

constexpr const char* kToken = "Zm9vYmFyLXRva2VuLTAwMDAwMDAx";

struct KeyAndCsr {
  std::string key;
  std::string csr;
};

KeyAndCsr fresh_request(const std::string& cn = "") {
  auto key = provisioning::generate_private_key();
  auto csr = cn.empty() ? provisioning::make_unnamed_csr(*key) : provisioning::make_csr(*key, cn);
  return {*key, *csr};
}

class provisioning_enrol_client : public ::testing::Test {
 protected:
  TempDir temp;
  FakeController controller{temp.path() / "controller"};
  KeyAndCsr box = fresh_request();

  void SetUp() override { controller.add_token(kToken, {"box-0001", "cluj-centru", 0}); }

  Expected<wire::EnrolResponse> enrol(const std::string& token = kToken, Refusal* refusal = nullptr,
                                      provisioning::ClientOptions options = {}) {
    return provisioning::enrol(controller.public_url(), controller.fleet_ca(),
                               wire::EnrolRequest{token, box.csr, std::nullopt}, options, refusal);
  }

  // Replaces the enrolment's certificate with one made by `make`.
  void answer_enrolment_with(std::function<wire::CertificateIssued(const std::string& csr)> make) {
    controller.override_answer(
        "/v1/enrol", [this, make](const HttpRequest& request) -> std::optional<HttpResponse> {
          auto parsed = wire::parse_enrol_request(request.body);
          wire::EnrolResponse response{make(parsed->csr_pem),
                                       controller.config_for("box-0001", "cluj-centru")};
          return HttpResponse{200, wire::to_json(response), {}, false, false};
        });
  }
};

TEST_F(provisioning_enrol_client, AnEnrolmentGivesACertificateForTheBoxsOwnKey) {
  auto response = enrol();
  ASSERT_TRUE(response) << response.error().describe();
  EXPECT_EQ(response->config.device_id, "box-0001");
  EXPECT_EQ(response->config.controller_url, controller.device_url());
  EXPECT_EQ(*provisioning::certificate_public_key(response->certificate.certificate_pem),
            *provisioning::csr_public_key(box.csr));
  EXPECT_EQ(
      provisioning::read_certificate_facts(response->certificate.certificate_pem)->common_name,
      "box-0001");
  EXPECT_TRUE(provisioning::check_chains_to(response->certificate.certificate_pem,
                                            read_file(controller.fleet_ca())));
}

TEST_F(provisioning_enrol_client, AReplayedTokenGivesTheSameCertificateForTheSameKeyOnly) {
  auto first = enrol();
  ASSERT_TRUE(first);
  auto again = enrol();
  ASSERT_TRUE(again) << again.error().describe();
  EXPECT_EQ(again->certificate.certificate_pem, first->certificate.certificate_pem);

  box = fresh_request();
  Refusal refusal;
  auto other = enrol(kToken, &refusal);
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, ErrorCode::forbidden);
  EXPECT_EQ(refusal.word, "token_used");
  EXPECT_EQ(refusal.status, 403);
  EXPECT_NE(other.error().message.find("used by another box"), std::string::npos)
      << "the controller's own message is kept: " << other.error().message;
}

TEST_F(provisioning_enrol_client, RefusedTokensSayWhy) {
  controller.add_token("ZXhwaXJlZC10b2tlbi0wMDAwMDAw", {"box-0002", "cluj-centru", 1});
  controller.add_token("b3RoZXItc2l0ZS10b2tlbi0wMDAw", {"box-0003", "oradea", 0});
  struct Case {
    std::string token;
    std::optional<std::string> site;
    const char* word;
  };
  for (const Case& c : {Case{"dW5rbm93bi10b2tlbi0wMDAwMDAw", std::nullopt, "token_unknown"},
                        Case{"ZXhwaXJlZC10b2tlbi0wMDAwMDAw", std::nullopt, "token_expired"},
                        Case{"b3RoZXItc2l0ZS10b2tlbi0wMDAw", "cluj-centru", "wrong_site"}}) {
    SCOPED_TRACE(c.word);
    Refusal refusal;
    auto response = provisioning::enrol(controller.public_url(), controller.fleet_ca(),
                                        wire::EnrolRequest{c.token, box.csr, c.site}, {}, &refusal);
    ASSERT_FALSE(response);
    EXPECT_EQ(response.error().code, ErrorCode::forbidden);
    EXPECT_EQ(refusal.word, c.word);
    EXPECT_NE(response.error().message.find(c.word), std::string::npos);
  }
}

TEST_F(provisioning_enrol_client, AGarbageAnswerIsAParseError) {
  controller.override_answer("/v1/enrol", [](const HttpRequest&) -> std::optional<HttpResponse> {
    return HttpResponse{200, "{\"certificate\": 42, <html>", {}, false, false};
  });
  auto response = enrol();
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, ErrorCode::parse);
}

TEST_F(provisioning_enrol_client, ACertificateForAnotherKeyIsRefused) {
  answer_enrolment_with([this](const std::string&) {
    auto other = fresh_request();
    return FakeController::issued(FakeController::sign(controller.ca(), other.csr, "box-0001", 24h),
                                  controller.ca().cert_pem);
  });
  auto response = enrol();
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, ErrorCode::crypto);
  EXPECT_NE(response.error().message.find("another key"), std::string::npos)
      << response.error().message;
}

TEST_F(provisioning_enrol_client, ACertificateForAnotherBoxIsRefused) {
  answer_enrolment_with([this](const std::string& csr) {
    return FakeController::issued(FakeController::sign(controller.ca(), csr, "box-0666", 24h),
                                  controller.ca().cert_pem);
  });
  auto response = enrol();
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, ErrorCode::crypto);
  EXPECT_NE(response.error().message.find("box-0666"), std::string::npos);
}

TEST_F(provisioning_enrol_client, ACaChainThatIsNotTheFleetCaIsRefused) {
  FleetCa foreign;
  // Signed by a foreign CA and sent with it: consistent in itself, but not our fleet.
  answer_enrolment_with([&foreign](const std::string& csr) {
    return FakeController::issued(FakeController::sign(foreign.ca, csr, "box-0001", 24h),
                                  foreign.ca.cert_pem);
  });
  auto response = enrol();
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, ErrorCode::crypto);
  EXPECT_NE(response.error().message.find("not the fleet CA"), std::string::npos)
      << response.error().message;

  // Signed by the fleet CA but sent with a foreign chain: refused too.
  controller.clear_overrides();
  answer_enrolment_with([this, &foreign](const std::string& csr) {
    return FakeController::issued(FakeController::sign(controller.ca(), csr, "box-0001", 24h),
                                  foreign.ca.cert_pem);
  });
  box = fresh_request();
  controller.add_token("c2Vjb25kLXRva2VuLTAwMDAwMDAw", {"box-0001", "cluj-centru", 0});
  response = enrol("c2Vjb25kLXRva2VuLTAwMDAwMDAw");
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, ErrorCode::crypto);
}

TEST_F(provisioning_enrol_client, AStatedSerialThatIsNotTheCertificatesIsRefused) {
  answer_enrolment_with([this](const std::string& csr) {
    auto issued = FakeController::issued(
        FakeController::sign(controller.ca(), csr, "box-0001", 24h), controller.ca().cert_pem);
    issued.serial_hex = "0123";
    return issued;
  });
  auto response = enrol();
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, ErrorCode::crypto);
}

TEST_F(provisioning_enrol_client, AnAnswerCutShortIsUnavailableAndSafeToRetry) {
  controller.override_answer("/v1/enrol", [](const HttpRequest&) -> std::optional<HttpResponse> {
    return HttpResponse{200, std::string(4000, ' ') + "{}", {}, false, true};
  });
  auto response = enrol();
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, ErrorCode::unavailable);
  controller.clear_overrides();
  EXPECT_TRUE(enrol());
}

TEST_F(provisioning_enrol_client, AControllerThatDoesNotAnswerTimesOut) {
  controller.override_answer("/v1/enrol", [](const HttpRequest&) -> std::optional<HttpResponse> {
    HttpResponse r;
    r.hang = true;
    return r;
  });
  provisioning::ClientOptions options;
  options.timeout_ms = 700;
  auto started = std::chrono::steady_clock::now();
  auto response = enrol(kToken, nullptr, options);
  auto took = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, ErrorCode::unavailable);
  EXPECT_LT(took, 3s);
}

TEST_F(provisioning_enrol_client, RateLimitedSaysWhenToComeBack) {
  controller.override_answer("/v1/enrol", [](const HttpRequest&) -> std::optional<HttpResponse> {
    auto r = FakeController::refusal(429, "rate_limited", "too many enrolments");
    r.headers.push_back("Retry-After: 7");
    return r;
  });
  Refusal refusal;
  auto response = enrol(kToken, &refusal);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, ErrorCode::unavailable);
  EXPECT_EQ(refusal.word, "rate_limited");
  ASSERT_TRUE(refusal.retry_after);
  EXPECT_EQ(*refusal.retry_after, 7s);
}

TEST_F(provisioning_enrol_client, AServerErrorWithoutABodyIsUnavailable) {
  controller.override_answer("/v1/enrol", [](const HttpRequest&) -> std::optional<HttpResponse> {
    return HttpResponse{503, "", {}, false, false};
  });
  Refusal refusal;
  auto response = enrol(kToken, &refusal);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, ErrorCode::unavailable);
  EXPECT_EQ(refusal.status, 503);
  EXPECT_TRUE(refusal.word.empty());
}

TEST_F(provisioning_enrol_client, AControllerNotCertifiedByTheFleetCaIsNotTalkedTo) {
  FleetCa foreign;
  auto response = provisioning::enrol(controller.public_url(), foreign.ca_file(),
                                      wire::EnrolRequest{kToken, box.csr, std::nullopt});
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, ErrorCode::crypto);
  EXPECT_EQ(controller.enrol_calls(), 0) << "the token must not reach an untrusted server";
}

TEST_F(provisioning_enrol_client, NothingListeningIsUnavailable) {
  auto url = "https://127.0.0.1:" + std::to_string(unused_loopback_port());
  auto response = provisioning::enrol(url, controller.fleet_ca(),
                                      wire::EnrolRequest{kToken, box.csr, std::nullopt});
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, ErrorCode::unavailable);
}

TEST_F(provisioning_enrol_client, OnlyHttpsIsSpoken) {
  auto response = provisioning::enrol("http://127.0.0.1:1", controller.fleet_ca(),
                                      wire::EnrolRequest{kToken, box.csr, std::nullopt});
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, ErrorCode::invalid_argument);
}

TEST_F(provisioning_enrol_client, RenewalAndProbeUseMutualTlsAndARevokedBoxIsToldSo) {
  auto enrolled = enrol();
  ASSERT_TRUE(enrolled);
  TempDir files;
  write_file(files.path() / "box.key", box.key);
  write_file(files.path() / "box.crt", enrolled->certificate.certificate_pem);
  write_file(files.path() / "ca.crt", enrolled->certificate.ca_chain_pem);
  provisioning::TlsFiles tls{files.path() / "ca.crt", files.path() / "box.crt",
                             files.path() / "box.key"};

  EXPECT_TRUE(provisioning::probe(controller.device_url(), tls));
  auto next = fresh_request("box-0001");
  auto renewed = provisioning::renew(controller.device_url(), tls, wire::RenewRequest{next.csr});
  ASSERT_TRUE(renewed) << renewed.error().describe();
  EXPECT_EQ(*provisioning::certificate_public_key(renewed->certificate_pem),
            *provisioning::csr_public_key(next.csr));

  // The same key again is refused by the controller: a renewal brings a new key.
  Refusal refusal;
  auto same = provisioning::renew(controller.device_url(), tls,
                                  wire::RenewRequest{*provisioning::make_csr(box.key, "box-0001")},
                                  {}, &refusal);
  ASSERT_FALSE(same);
  EXPECT_EQ(same.error().code, ErrorCode::conflict);
  EXPECT_EQ(refusal.word, "same_key");

  controller.revoke("box-0001");
  auto probed = provisioning::probe(controller.device_url(), tls, {}, &refusal);
  ASSERT_FALSE(probed);
  EXPECT_EQ(probed.error().code, ErrorCode::forbidden);
  EXPECT_EQ(refusal.word, "revoked");
}

}  // namespace
}  // namespace civicbox::testing
