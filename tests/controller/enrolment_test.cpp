// Enrolment, renewal, revocation and self-tests through the Service (no network): what each
// refusal answers, and that a refusal never changes anything.
#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>

#include "controller/certificate_facts.hpp"
#include "controller/encoding.hpp"
#include "controller/fleet_ca.hpp"
#include "controller/service.hpp"
#include "tests/controller/events.hpp"
#include "tests/controller/identity_support.hpp"
#include "tests/support/temp_dir.hpp"

namespace civicbox::controller {
namespace {

using nlohmann::json;
using testing::BoxKey;
using testing::device;

constexpr std::int64_t kStart = 1'790'000'000'000;
constexpr const char* kAuth = "Bearer enrol-test-token-0123456789";
constexpr const char* kAddress = "203.0.113.7";

// One fleet CA for the suite: keys are the slow part.
class EnrolmentTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pki_ = new testing::TempDir();
    ASSERT_TRUE(init_fleet_ca(pki_->path() / "ca", {}));
    auto loaded = load_fleet_ca(pki_->path() / "ca");
    ASSERT_TRUE(loaded && *loaded);
    ca_ = new provisioning::CaCredentials(**loaded);
  }
  static void TearDownTestSuite() {
    delete ca_;
    delete pki_;
  }

  void SetUp() override {
    config_.backoffice_token = "enrol-test-token-0123456789";
    config_.institution_name = "Primăria Cluj";
    config_.device_url = "https://ctl.example.org:8443";
    config_.document_kinds = {"request", "other"};
    auto opened = open_sqlite_storage(dir_.path(), {"cluj", true});
    ASSERT_TRUE(opened);
    storage_ = std::move(*opened);
    service_ = std::make_unique<Service>(
        *storage_, config_, random_, [this] { return now_.load(); }, *ca_);
  }

  Response backoffice(const std::string& method, const std::string& target,
                      const std::string& body = "") {
    return service_->handle_public(
        {method, target, body.empty() ? "" : "application/json", kAuth, body, "192.0.2.1"});
  }

  // A token from the back office's route: the token text.
  std::string new_token(const std::string& box = "box-a", const std::string& site = "cluj-centru",
                        int hours = 24) {
    auto r = backoffice(
        "POST", "/v1/backoffice/tokens",
        json{{"site", site}, {"box", box}, {"cabinet", "kerong-12"}, {"valid_hours", hours}}
            .dump());
    EXPECT_EQ(r.status, 201) << r.body;
    return json::parse(r.body).at("token");
  }

  Response enrol(const std::string& token, const std::string& csr,
                 std::optional<std::string> site = std::nullopt, std::string address = "") {
    return service_->handle_public({"POST", "/v1/enrol", "application/json", "",
                                    wire::to_json(wire::EnrolRequest{token, csr, std::move(site)}),
                                    address.empty() ? address_ : address});
  }

  static std::string error_of(const Response& r) { return json::parse(r.body).at("error"); }

  // The box as the device listener sees it, from the certificate it got.
  static DeviceIdentity identity_of(const std::string& certificate_pem) {
    auto facts = read_certificate(certificate_pem);
    EXPECT_TRUE(facts);
    return {device(facts->common_name), *facts};
  }

  Response on_device(const DeviceIdentity& box, const std::string& method,
                     const std::string& target, const std::string& body = "") {
    return service_->handle_device(
        box, {method, target, body.empty() ? "" : "application/json", "", body, kAddress});
  }

  // Nothing was written for this token: still unused, no certificate anywhere.
  void expect_untouched(const std::string& token) {
    SCOPED_TRACE("nothing written");
    auto stored = storage_->find_enrolment_token(sha256_hex(token));
    ASSERT_TRUE(stored && *stored);
    EXPECT_FALSE((*stored)->used_at_ms);
    EXPECT_FALSE((*stored)->serial_hex);
    EXPECT_TRUE(storage_->list_certificates(std::nullopt)->empty());
    EXPECT_EQ(*storage_->revocation_version(), 0);
  }

  static testing::TempDir* pki_;
  static provisioning::CaCredentials* ca_;
  testing::TempDir dir_;
  Config config_;
  SystemRandom random_;
  std::atomic<std::int64_t> now_{kStart};
  std::string address_ = kAddress;
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<Service> service_;
};

testing::TempDir* EnrolmentTest::pki_ = nullptr;
provisioning::CaCredentials* EnrolmentTest::ca_ = nullptr;

TEST_F(EnrolmentTest, ABoxEnrolsWithItsTokenAndLearnsWhoAndWhereItIs) {
  const std::string token = new_token();
  EXPECT_EQ(token.size(), 43u);
  BoxKey key = BoxKey::make();
  auto r = enrol(token, key.csr("box-a"), "cluj-centru");
  ASSERT_EQ(r.status, 200) << r.body;
  auto answer = wire::parse_enrol_response(r.body);
  ASSERT_TRUE(answer) << answer.error().describe();
  EXPECT_EQ(answer->config.device_id, "box-a");
  EXPECT_EQ(answer->config.site, "cluj-centru");
  EXPECT_EQ(answer->config.cabinet, "kerong-12");
  EXPECT_EQ(answer->config.controller_url, "https://ctl.example.org:8443");
  EXPECT_EQ(answer->config.institution, "Primăria Cluj");
  EXPECT_EQ(answer->config.languages,
            (std::vector<std::string>{"ro", "hu", "en", "ca", "es", "pt"}));
  EXPECT_EQ(answer->config.default_language, "ro");
  EXPECT_EQ(answer->config.document_kinds, config_.document_kinds);
  EXPECT_EQ(answer->certificate.ca_chain_pem, ca_->cert_pem);

  auto facts = read_certificate(answer->certificate.certificate_pem);
  ASSERT_TRUE(facts);
  EXPECT_EQ(facts->common_name, "box-a");
  EXPECT_EQ(facts->serial_hex, answer->certificate.serial_hex);
  EXPECT_EQ(answer->certificate.not_after_ms, kStart / 1000 * 1000 + 90LL * 86'400'000);

  // One transaction: the token is used by this key and serial, the certificate is recorded.
  auto stored = storage_->find_enrolment_token(sha256_hex(token));
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->used_at_ms, kStart);
  EXPECT_EQ((*stored)->serial_hex, facts->serial_hex);
  EXPECT_EQ((*stored)->key_sha256_hex, facts->key_sha256_hex);
  auto certificates = storage_->list_certificates("box-a");
  ASSERT_EQ(certificates->size(), 1u);
  EXPECT_EQ(certificates->at(0).kind, "enrol");
  EXPECT_EQ(certificates->at(0).pem, answer->certificate.certificate_pem);
  EXPECT_EQ(certificates->at(0).issued_at_ms, kStart);

  // The new certificate works on the device listener at once.
  EXPECT_EQ(
      on_device(identity_of(answer->certificate.certificate_pem), "GET", "/v1/device/sync").status,
      200);
}

TEST_F(EnrolmentTest, ACsrWithoutACommonNameGetsTheTokensDeviceId) {
  const std::string token = new_token("box-empty-cn");
  auto [csr, key] = testing::openssl_p256_without_cn("civicbox");
  auto r = enrol(token, csr);
  ASSERT_EQ(r.status, 200) << r.body;
  auto facts = read_certificate(wire::parse_enrol_response(r.body)->certificate.certificate_pem);
  EXPECT_EQ(facts->common_name, "box-empty-cn");
}

// mbedTLS 2.28, which signs, cannot read a CSR whose subject is empty: refused up front with a
// message that says what to do, and nothing is written.
TEST_F(EnrolmentTest, ACsrWithAnEmptySubjectIsRefusedAsBadCsr) {
  const std::string token = new_token("box-empty-cn");
  auto [csr, key] = testing::openssl_p256_without_cn("");
  auto r = enrol(token, csr);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(error_of(r), "bad_csr");
  EXPECT_NE(r.body.find("CN=box-empty-cn"), std::string::npos) << r.body;
  expect_untouched(token);
}

TEST_F(EnrolmentTest, EveryRefusalAnswersItsWordAndWritesNothing) {
  struct Case {
    const char* what;
    int status;
    const char* word;
    std::function<Response(const std::string& token)> send;
  };
  const BoxKey key = BoxKey::make();
  const std::string good_csr = key.csr("box-a");
  const std::vector<Case> cases = {
      {"a token nobody made", 403, "token_unknown",
       [&](const std::string&) {
         std::array<std::uint8_t, 32> bytes{};
         random_.fill(bytes);
         return enrol(base64url(bytes), good_csr);
       }},
      {"a token past its expiry", 403, "token_expired",
       [&](const std::string& token) {
         now_ += 24LL * 3'600'000;  // exactly its expiry
         return enrol(token, good_csr);
       }},
      {"a box at another site", 403, "wrong_site",
       [&](const std::string& token) { return enrol(token, good_csr, "turda-nord"); }},
      {"a CSR for another box", 400, "subject_mismatch",
       [&](const std::string& token) { return enrol(token, key.csr("box-b")); }},
      {"an RSA-1024 key", 400, "weak_key",
       [&](const std::string& token) {
         return enrol(token, testing::openssl_csr("box-a", "RSA", std::size_t{1024}));
       }},
      {"a P-384 key", 400, "weak_key",
       [&](const std::string& token) {
         return enrol(token, testing::openssl_csr("box-a", "EC", "secp384r1"));
       }},
      {"a secp256k1 key", 400, "weak_key",
       [&](const std::string& token) {
         return enrol(token, testing::openssl_csr("box-a", "EC", "secp256k1"));
       }},
      {"a CSR whose signature was tampered with", 400, "bad_csr",
       [&](const std::string& token) { return enrol(token, testing::forged(good_csr)); }},
      {"PEM that is no CSR", 400, "bad_csr",
       [&](const std::string& token) {
         return enrol(token,
                      "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE "
                      "REQUEST-----\n");
       }},
      {"a body that is not JSON", 400, "parse",
       [&](const std::string& token) {
         return service_->handle_public({"POST", "/v1/enrol", "application/json", "",
                                         "{\"token\": \"" + token + "\", \"csr\": ", address_});
       }},
      {"a request with an unknown field", 400, "unknown_field",
       [&](const std::string& token) {
         json body{{"token", token}, {"csr", good_csr}, {"cn", "box-a"}};
         return service_->handle_public(
             {"POST", "/v1/enrol", "application/json", "", body.dump(), address_});
       }},
  };
  int round = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    now_ = kStart;
    // A different address each round, so the throttle never answers instead.
    address_ = "203.0.113." + std::to_string(++round);
    const std::string token = new_token();
    Response r = c.send(token);
    EXPECT_EQ(r.status, c.status) << r.body;
    EXPECT_EQ(error_of(r), c.word) << r.body;
    EXPECT_TRUE(wire::parse_error_body(r.body)) << r.body;
    expect_untouched(token);
  }
}

TEST_F(EnrolmentTest, TheSameKeyAskingAgainGetsTheSameCertificateAnotherKeyIsRefused) {
  const std::string token = new_token();
  const BoxKey key = BoxKey::make();
  auto first = enrol(token, key.csr("box-a"));
  ASSERT_EQ(first.status, 200) << first.body;
  // The box lost power before storing the answer; it asks again, later, with a new CSR for the
  // same key.
  now_ += 3'600'000;
  auto again = enrol(token, key.csr("box-a"));
  ASSERT_EQ(again.status, 200) << again.body;
  auto a = wire::parse_enrol_response(first.body);
  auto b = wire::parse_enrol_response(again.body);
  EXPECT_EQ(a->certificate.certificate_pem, b->certificate.certificate_pem);
  EXPECT_EQ(a->certificate.serial_hex, b->certificate.serial_hex);
  EXPECT_EQ(storage_->list_certificates(std::nullopt)->size(), 1u);

  auto stolen = enrol(token, BoxKey::make().csr("box-a"));
  EXPECT_EQ(stolen.status, 403);
  EXPECT_EQ(error_of(stolen), "token_used");
  EXPECT_EQ(storage_->list_certificates(std::nullopt)->size(), 1u);
  EXPECT_EQ((*storage_->find_enrolment_token(sha256_hex(token)))->serial_hex,
            a->certificate.serial_hex);
}

TEST_F(EnrolmentTest, GuessingTokensIsThrottledPerAddressAndSuccessesNeverCount) {
  auto guess = [&](const std::string& address) {
    std::array<std::uint8_t, 32> bytes{};
    random_.fill(bytes);
    return enrol(base64url(bytes), "-----BEGIN CERTIFICATE REQUEST-----\n", std::nullopt, address);
  };
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(guess("198.51.100.23").status, 403) << "guess " << i + 1;
  }
  auto limited = guess("198.51.100.23");
  EXPECT_EQ(limited.status, 429) << limited.body;
  EXPECT_EQ(error_of(limited), "rate_limited");
  EXPECT_EQ(limited.retry_after_s, 12);  // one guess refills every 60/5 s
  // Not even a good token is looked at from there now; from elsewhere, guesses are answered.
  const BoxKey key = BoxKey::make();
  const std::string token = new_token();
  EXPECT_EQ(enrol(token, key.csr("box-a"), std::nullopt, "198.51.100.23").status, 429);
  EXPECT_EQ(guess("198.51.100.24").status, 403);
  // Twelve seconds later one more guess is allowed, and only one.
  now_ += 12'000;
  EXPECT_EQ(enrol(token, key.csr("box-a"), std::nullopt, "198.51.100.23").status, 200);
  EXPECT_EQ(guess("198.51.100.23").status, 403);
  EXPECT_EQ(guess("198.51.100.23").status, 429);

  // Twelve successful enrolments in a row from one address are never throttled.
  for (int i = 0; i < 12; ++i) {
    const std::string box = "box-ok-" + std::to_string(i);
    auto r = enrol(new_token(box), BoxKey::make().csr(box), std::nullopt, "192.0.2.200");
    EXPECT_EQ(r.status, 200) << box << ": " << r.body;
  }
}

TEST_F(EnrolmentTest, ABoxRenewsWithANewKeyAndKeepsItsOldCertificateUntilItSwitches) {
  const BoxKey key = BoxKey::make();
  auto enrolled = enrol(new_token(), key.csr("box-a"));
  ASSERT_EQ(enrolled.status, 200);
  const DeviceIdentity old_box =
      identity_of(wire::parse_enrol_response(enrolled.body)->certificate.certificate_pem);

  now_ += 80LL * 86'400'000;
  const BoxKey next = BoxKey::make();
  auto renewed = on_device(old_box, "POST", "/v1/device/renew",
                           wire::to_json(wire::RenewRequest{next.csr("box-a")}));
  ASSERT_EQ(renewed.status, 200) << renewed.body;
  auto issued = wire::parse_certificate_issued(renewed.body);
  ASSERT_TRUE(issued);
  EXPECT_NE(issued->serial_hex, old_box.certificate.serial_hex);
  EXPECT_EQ(issued->ca_chain_pem, ca_->cert_pem);
  auto recorded = storage_->find_certificate(issued->serial_hex);
  ASSERT_TRUE(recorded && *recorded);
  EXPECT_EQ((*recorded)->kind, "renew");
  EXPECT_EQ((*recorded)->device_id, "box-a");

  EXPECT_EQ(on_device(old_box, "GET", "/v1/device/sync").status, 200);
  EXPECT_EQ(on_device(identity_of(issued->certificate_pem), "GET", "/v1/device/sync").status, 200);
}

TEST_F(EnrolmentTest, ARenewalForAnotherBoxOrWithTheSameKeyIsRefused) {
  const BoxKey key = BoxKey::make();
  auto enrolled = enrol(new_token(), key.csr("box-a"));
  ASSERT_EQ(enrolled.status, 200);
  const DeviceIdentity box_a =
      identity_of(wire::parse_enrol_response(enrolled.body)->certificate.certificate_pem);

  auto for_b = on_device(box_a, "POST", "/v1/device/renew",
                         wire::to_json(wire::RenewRequest{BoxKey::make().csr("box-b")}));
  EXPECT_EQ(for_b.status, 403);
  EXPECT_EQ(error_of(for_b), "subject_mismatch");
  auto same = on_device(box_a, "POST", "/v1/device/renew",
                        wire::to_json(wire::RenewRequest{key.csr("box-a")}));
  EXPECT_EQ(same.status, 400);
  EXPECT_EQ(error_of(same), "same_key");
  auto weak = on_device(
      box_a, "POST", "/v1/device/renew",
      wire::to_json(wire::RenewRequest{testing::openssl_csr("box-a", "RSA", std::size_t{1024})}));
  EXPECT_EQ(weak.status, 400);
  EXPECT_EQ(error_of(weak), "weak_key");
  EXPECT_EQ(storage_->list_certificates(std::nullopt)->size(), 1u);
}

TEST_F(EnrolmentTest, ARevokedBoxIsRefusedEverywhereUntilReEnrolledWithANewToken) {
  const BoxKey key = BoxKey::make();
  auto enrolled = enrol(new_token(), key.csr("box-a"));
  ASSERT_EQ(enrolled.status, 200);
  const DeviceIdentity box_a =
      identity_of(wire::parse_enrol_response(enrolled.body)->certificate.certificate_pem);
  // A certificate of the development PKI the controller never recorded, made before.
  DeviceIdentity dev_pki_old{device("box-a"), {"box-a", "77", kStart - 1000, kStart + 1000, "k"}};
  DeviceIdentity other_box{device("box-b"), {"box-b", "78", kStart - 1000, kStart + 1000, "k2"}};

  now_ += 60'000;
  auto revoked = backoffice("POST", "/v1/backoffice/boxes/box-a/revoke",
                            R"({"reason":"stolen from the lobby"})");
  ASSERT_EQ(revoked.status, 200) << revoked.body;
  EXPECT_EQ(json::parse(revoked.body).at("revoked_certificates"), 1);

  for (const auto& [what, box] : {std::pair{"its enrolled certificate", box_a},
                                  std::pair{"an unrecorded older certificate", dev_pki_old}}) {
    SCOPED_TRACE(what);
    auto r = on_device(box, "GET", "/v1/device/sync");
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(error_of(r), "revoked");
    EXPECT_TRUE(r.close_connection);
    EXPECT_EQ(json::parse(r.body).at("message"),
              "this box's certificate was revoked: stolen from the lobby; re-enrol it with a new "
              "token");
  }
  auto renew = on_device(box_a, "POST", "/v1/device/renew",
                         wire::to_json(wire::RenewRequest{BoxKey::make().csr("box-a")}));
  EXPECT_EQ(renew.status, 403);
  EXPECT_EQ(error_of(renew), "revoked");
  EXPECT_EQ(on_device(other_box, "GET", "/v1/device/sync").status, 200);
  auto listed = json::parse(backoffice("GET", "/v1/backoffice/certificates?box=box-a").body);
  EXPECT_EQ(listed.at("certificates").at(0).at("state"), "revoked");
  EXPECT_EQ(listed.at("certificates").at(0).at("revoked_reason"), "stolen from the lobby");

  // A new token for the revoked box: its new certificate (which begins 5 minutes before now,
  // so before the revocation) is accepted at once; the old ones stay refused.
  now_ += 60'000;
  auto again = enrol(new_token(), BoxKey::make().csr("box-a"));
  ASSERT_EQ(again.status, 200) << again.body;
  const DeviceIdentity box_a_new =
      identity_of(wire::parse_enrol_response(again.body)->certificate.certificate_pem);
  EXPECT_LT(box_a_new.certificate.not_before_ms, kStart + 60'000);
  EXPECT_EQ(on_device(box_a_new, "GET", "/v1/device/sync").status, 200);
  EXPECT_EQ(on_device(box_a, "GET", "/v1/device/sync").status, 403);
  EXPECT_EQ(on_device(dev_pki_old, "GET", "/v1/device/sync").status, 403);
  // A certificate made outside the controller after the revocation is the back office's own.
  DeviceIdentity dev_pki_new{device("box-a"),
                             {"box-a", "79", kStart + 90'000, kStart + 9'000'000, "k3"}};
  EXPECT_EQ(on_device(dev_pki_new, "GET", "/v1/device/sync").status, 200);
}

TEST_F(EnrolmentTest, ARevocationFromAnotherProcessIsSeenWithoutARestart) {
  const BoxKey key = BoxKey::make();
  auto enrolled = enrol(new_token(), key.csr("box-a"));
  const DeviceIdentity box_a =
      identity_of(wire::parse_enrol_response(enrolled.body)->certificate.certificate_pem);
  ASSERT_EQ(on_device(box_a, "GET", "/v1/device/sync").status, 200);
  // The command line opens the same database and revokes.
  auto other = open_sqlite_storage(dir_.path(), {"cluj", true});
  ASSERT_TRUE(other);
  ASSERT_TRUE((*other)->revoke_device(device("box-a"), "lost", kStart + 1, {"test", "operator"}));
  EXPECT_FALSE(service_->identity().refusal_in_memory(box_a)) << "nothing polled yet";
  ASSERT_TRUE(service_->identity().refresh_revocations());
  EXPECT_EQ(service_->identity().refusal_in_memory(box_a), "lost");
  EXPECT_EQ(on_device(box_a, "GET", "/v1/device/sync").status, 403);
}

TEST_F(EnrolmentTest, TheBackOfficeSeesTokensButNeverTheirSecretAgain) {
  auto made = backoffice("POST", "/v1/backoffice/tokens",
                         R"({"site":"cluj-centru","box":"box-a","cabinet":"kerong-12"})");
  ASSERT_EQ(made.status, 201) << made.body;
  json body = json::parse(made.body);
  const std::string token = body.at("token");
  EXPECT_EQ(body.at("qr_text"), "CBX-ENROL:" + token);
  EXPECT_EQ(body.at("expires_at"), rfc3339(kStart + 24LL * 3'600'000));
  const std::string png_b64 = body.at("qr_png_base64");
  EXPECT_EQ(png_b64.substr(0, 8), "iVBORw0K") << "a PNG signature";

  auto listed = backoffice("GET", "/v1/backoffice/tokens");
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(listed.body.find(token), std::string::npos);
  EXPECT_EQ(json::parse(listed.body).at("tokens").at(0).at("state"), "unused");
  ASSERT_EQ(enrol(token, BoxKey::make().csr("box-a")).status, 200);
  EXPECT_EQ(json::parse(backoffice("GET", "/v1/backoffice/tokens?box=box-a").body)
                .at("tokens")
                .at(0)
                .at("state"),
            "used");
  new_token("box-b");
  now_ += 25LL * 3'600'000;
  EXPECT_EQ(json::parse(backoffice("GET", "/v1/backoffice/tokens?box=box-b").body)
                .at("tokens")
                .at(0)
                .at("state"),
            "expired");
  EXPECT_EQ(backoffice("GET", "/v1/backoffice/tokens?box=box-c").body, R"({"tokens":[]})");

  for (const char* bad : {R"({"site":"a b","box":"box-a","cabinet":"k"})",
                          R"({"site":"s","box":"Box A","cabinet":"k"})",
                          R"({"site":"s","box":"box-a","cabinet":"k","valid_hours":0})",
                          R"({"site":"s","box":"box-a"})"}) {
    EXPECT_EQ(backoffice("POST", "/v1/backoffice/tokens", bad).status, 400) << bad;
  }
  EXPECT_EQ(service_
                ->handle_public({"POST", "/v1/backoffice/tokens", "application/json", "",
                                 R"({"site":"s","box":"box-a","cabinet":"k"})", kAddress})
                .status,
            401);
}

TEST_F(EnrolmentTest, SelfTestReportsAreKeptAndTheLatestListedFirst) {
  const DeviceIdentity box{device("box-a"), {"box-a", "0a", kStart - 1, kStart + 1, "k"}};
  wire::SelfTestReport report{kStart - 5000,
                              kStart - 1000,
                              "provisioning",
                              {{"compartment", 1, true, "opened, sensor saw it"},
                               {"printer", std::nullopt, false, "paper out"}}};
  ASSERT_EQ(on_device(box, "POST", "/v1/device/selftest", wire::to_json(report)).status, 200);
  report.reason = "on_demand";
  report.checks[1].ok = true;
  ASSERT_EQ(on_device(box, "POST", "/v1/device/selftest", wire::to_json(report)).status, 200);
  EXPECT_EQ(on_device(box, "POST", "/v1/device/selftest", R"({"started_ms":1})").status, 400);

  auto listed = backoffice("GET", "/v1/backoffice/boxes/box-a/selftests");
  ASSERT_EQ(listed.status, 200) << listed.body;
  json tests = json::parse(listed.body).at("selftests");
  ASSERT_EQ(tests.size(), 2u);
  EXPECT_EQ(tests[0].at("reason"), "on_demand");
  EXPECT_EQ(tests[0].at("passed"), true);
  EXPECT_EQ(tests[1].at("passed"), false);
  EXPECT_EQ(tests[1].at("report").at("checks").at(1).at("detail"), "paper out");
  EXPECT_EQ(json::parse(backoffice("GET", "/v1/backoffice/boxes/box-b/selftests").body)
                .at("selftests")
                .size(),
            0u);
}

TEST_F(EnrolmentTest, WithoutAFleetCaEnrolmentIsUnavailableAndNothingIsWritten) {
  Service without(*storage_, config_, random_, [this] { return now_.load(); });
  const std::string token = new_token();
  auto r = without.handle_public(
      {"POST", "/v1/enrol", "application/json", "",
       wire::to_json(wire::EnrolRequest{token, BoxKey::make().csr("box-a"), std::nullopt}),
       kAddress});
  EXPECT_EQ(r.status, 503) << r.body;
  expect_untouched(token);
}

}  // namespace
}  // namespace civicbox::controller
