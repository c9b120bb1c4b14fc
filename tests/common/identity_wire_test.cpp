// The wire types of a box's identity (enrolment, renewal, self-test): what one side writes the
// other reads back the same, and anything malformed, mistyped, unknown or oversized is refused
// with a typed error that names the field, before the controller or the box acts on it.
#include "common/identity_wire.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace civicbox::wire {
namespace {

using nlohmann::json;

constexpr const char* kCsr =
    "-----BEGIN CERTIFICATE REQUEST-----\n"
    "MIHSMHoCAQAwGDEWMBQGA1UEAwwNYm94LWNsdWotMDAwNzBZMBMGByqGSM49AgEG\n"
    "-----END CERTIFICATE REQUEST-----\n";
constexpr const char* kCert =
    "-----BEGIN CERTIFICATE-----\nMIIBnzCCAUWgAwIBAgIQ\n-----END CERTIFICATE-----\n";
constexpr const char* kToken = "1gmcmORgu3M8Uf_BbirRCWhAT5H550Xln6qWOljSWmY";

EnrolResponse sample_response() {
  EnrolResponse r;
  r.certificate = {kCert, kCert, "76013314fdddd874a9f37137cc1af3bd", 1'790'000'000'000,
                   1'797'776'000'000};
  r.config = {
      "box-cluj-0007",        "cluj-centru",      "kerong-12", "https://ctl.example.org:8443",
      "Primăria Cluj-Napoca", {"ro", "hu", "en"}, "ro",        {"request", "complaint"}};
  return r;
}

SelfTestReport sample_report() {
  return {1'790'000'000'000,
          1'790'000'030'000,
          "provisioning",
          {{"compartment", 1, true, "door 1 opened, sensor saw it open"},
           {"compartment", 12, false, "door 12: the sensor never saw it open"},
           {"printer", std::nullopt, true, "test receipt printed"},
           {"scanner", std::nullopt, true, "test QR read back"}}};
}

ErrorCode code_of(const Error& e) {
  return e.code;
}

TEST(IdentityWireTest, AnEnrolmentRequestReadsBackTheSameWithAndWithoutASite) {
  for (const auto& site :
       {std::optional<std::string>{}, std::optional<std::string>{"cluj-centru"}}) {
    EnrolRequest sent{kToken, kCsr, site};
    auto read = parse_enrol_request(to_json(sent));
    ASSERT_TRUE(read) << read.error().describe();
    EXPECT_EQ(read->token, kToken);
    EXPECT_EQ(read->csr_pem, kCsr);
    EXPECT_EQ(read->site, site);
  }
}

TEST(IdentityWireTest, ANullSiteMeansTheBoxDoesNotKnowItsSite) {
  auto read = parse_enrol_request(json{{"token", kToken}, {"csr", kCsr}, {"site", nullptr}}.dump());
  ASSERT_TRUE(read) << read.error().describe();
  EXPECT_FALSE(read->site);
}

TEST(IdentityWireTest, TheBoxsOwnEnrolmentBytesAreRead) {
  // As the provisioning tool sends it (docs/openapi.yaml, EnrolRequest).
  const std::string bytes =
      R"({"token":"1gmcmORgu3M8Uf_BbirRCWhAT5H550Xln6qWOljSWmY","csr":"-----BEGIN CERTIFICATE )"
      R"(REQUEST-----\nMIHSMHoCAQAw\n-----END CERTIFICATE REQUEST-----\n","site":"cluj-centru"})";
  auto read = parse_enrol_request(bytes);
  ASSERT_TRUE(read) << read.error().describe();
  EXPECT_EQ(read->site, "cluj-centru");
  EXPECT_TRUE(read->csr_pem.starts_with("-----BEGIN CERTIFICATE REQUEST-----\n"));
}

TEST(IdentityWireTest, ABadEnrolmentRequestIsRefusedNamingWhatIsWrong) {
  struct Case {
    const char* what;
    std::string body;
    ErrorCode code;
    const char* names;
  };
  const json good{{"token", kToken}, {"csr", kCsr}};
  auto with = [&](const char* key, json value) {
    json j = good;
    j[key] = std::move(value);
    return j.dump();
  };
  auto without = [&](const char* key) {
    json j = good;
    j.erase(key);
    return j.dump();
  };
  const Case cases[] = {
      {"no token", without("token"), ErrorCode::missing_field, "token"},
      {"no CSR", without("csr"), ErrorCode::missing_field, "csr"},
      {"an empty token", with("token", ""), ErrorCode::parse, "token"},
      {"a token that is a number", with("token", 42), ErrorCode::wrong_type, "token"},
      {"a token over 128 bytes", with("token", std::string(129, 'A')), ErrorCode::too_large,
       "token"},
      {"a CSR that is not PEM", with("csr", "MIHSMHoCAQAw"), ErrorCode::parse, "csr"},
      {"a CSR over 16 KiB", with("csr", "-----BEGIN " + std::string(16 * 1024, 'A')),
       ErrorCode::too_large, "csr"},
      {"a site that is a list", with("site", json::array({"a"})), ErrorCode::wrong_type, "site"},
      {"an unknown field", with("device_id", "box-1"), ErrorCode::unknown_field, "device_id"},
      {"not an object", "[1,2]", ErrorCode::wrong_type, ""},
      {"not JSON", R"({"token": )", ErrorCode::parse, ""},
  };
  for (const auto& c : cases) {
    auto read = parse_enrol_request(c.body);
    ASSERT_FALSE(read) << c.what;
    EXPECT_EQ(code_of(read.error()), c.code) << c.what << ": " << read.error().describe();
    EXPECT_NE(read.error().message.find(c.names), std::string::npos)
        << c.what << ": " << read.error().message;
  }
}

TEST(IdentityWireTest, AnEnrolmentResponseReadsBackTheSame) {
  const EnrolResponse sent = sample_response();
  const std::string text = to_json(sent);
  auto read = parse_enrol_response(text);
  ASSERT_TRUE(read) << read.error().describe();
  EXPECT_EQ(read->certificate.certificate_pem, kCert);
  EXPECT_EQ(read->certificate.serial_hex, sent.certificate.serial_hex);
  EXPECT_EQ(read->certificate.not_before_ms, sent.certificate.not_before_ms);
  EXPECT_EQ(read->certificate.not_after_ms, sent.certificate.not_after_ms);
  EXPECT_EQ(read->config.device_id, "box-cluj-0007");
  EXPECT_EQ(read->config.institution, "Primăria Cluj-Napoca");
  EXPECT_EQ(read->config.languages, sent.config.languages);
  EXPECT_EQ(read->config.default_language, "ro");
  EXPECT_EQ(read->config.document_kinds, sent.config.document_kinds);
  EXPECT_EQ(to_json(*read), text);
}

TEST(IdentityWireTest, AnEnrolmentResponseTheBoxCannotTrustIsRefused) {
  json good = json::parse(to_json(sample_response()));
  auto edited = [&](auto edit) {
    json j = good;
    edit(j);
    return parse_enrol_response(j.dump());
  };
  auto ends_first = edited([](json& j) { j["not_after_ms"] = j["not_before_ms"]; });
  ASSERT_FALSE(ends_first);
  EXPECT_EQ(ends_first.error().code, ErrorCode::parse);
  auto no_config = edited([](json& j) { j.erase("config"); });
  ASSERT_FALSE(no_config);
  EXPECT_EQ(no_config.error().code, ErrorCode::missing_field);
  auto extra = edited([](json& j) { j["config"]["admin"] = true; });
  ASSERT_FALSE(extra);
  EXPECT_EQ(extra.error().code, ErrorCode::unknown_field);
  EXPECT_NE(extra.error().message.find("config.admin"), std::string::npos) << extra.error().message;
  auto long_language = edited([](json& j) { j["config"]["languages"] = {"ro", "romanian!!"}; });
  ASSERT_FALSE(long_language);
  EXPECT_EQ(long_language.error().code, ErrorCode::too_large);
  EXPECT_NE(long_language.error().message.find("languages[1]"), std::string::npos)
      << long_language.error().message;
  auto negative_time = edited([](json& j) { j["not_before_ms"] = -1; });
  ASSERT_FALSE(negative_time);
  auto chain_not_pem = edited([](json& j) { j["ca_chain"] = "MIIB"; });
  ASSERT_FALSE(chain_not_pem);
  EXPECT_EQ(chain_not_pem.error().code, ErrorCode::parse);
}

TEST(IdentityWireTest, ARenewalAndTheCertificateItGetsReadBackTheSame) {
  auto renew = parse_renew_request(to_json(RenewRequest{kCsr}));
  ASSERT_TRUE(renew) << renew.error().describe();
  EXPECT_EQ(renew->csr_pem, kCsr);
  EXPECT_EQ(parse_renew_request(R"({"csr":"x"})").error().code, ErrorCode::parse);
  EXPECT_EQ(parse_renew_request(json{{"csr", kCsr}, {"cn", "box-b"}}.dump()).error().code,
            ErrorCode::unknown_field);

  const CertificateIssued issued = sample_response().certificate;
  auto read = parse_certificate_issued(to_json(issued));
  ASSERT_TRUE(read) << read.error().describe();
  EXPECT_EQ(read->serial_hex, issued.serial_hex);
  EXPECT_EQ(to_json(*read), to_json(issued));
  json too_long = json::parse(to_json(issued));
  too_long["serial"] = std::string(65, 'a');
  EXPECT_EQ(parse_certificate_issued(too_long.dump()).error().code, ErrorCode::too_large);
}

TEST(IdentityWireTest, ASelfTestReportReadsBackTheSameAndPassesOnlyWhenEveryCheckDid) {
  const SelfTestReport sent = sample_report();
  const std::string text = to_json(sent);
  auto read = parse_self_test_report(text);
  ASSERT_TRUE(read) << read.error().describe();
  ASSERT_EQ(read->checks.size(), 4u);
  EXPECT_EQ(read->checks[1].compartment, 12);
  EXPECT_FALSE(read->checks[1].ok);
  EXPECT_FALSE(read->checks[2].compartment);
  EXPECT_EQ(to_json(*read), text);
  EXPECT_FALSE(read->passed());
  read->checks[1].ok = true;
  EXPECT_TRUE(read->passed());
  EXPECT_FALSE(SelfTestReport{}.passed()) << "a report without a single check proves nothing";
}

TEST(IdentityWireTest, ASelfTestReportThatContradictsItselfIsRefused) {
  const json good = json::parse(to_json(sample_report()));
  auto edited = [&](auto edit) {
    json j = good;
    edit(j);
    return parse_self_test_report(j.dump());
  };
  const std::pair<const char*, Expected<SelfTestReport>> cases[] = {
      {"an unknown reason", edited([](json& j) { j["reason"] = "boot"; })},
      {"finished before it started",
       edited([](json& j) { j["finished_ms"] = j["started_ms"].get<std::int64_t>() - 1; })},
      {"a compartment check without its number",
       edited([](json& j) { j["checks"][0].erase("compartment"); })},
      {"a printer check with a compartment",
       edited([](json& j) { j["checks"][2]["compartment"] = 3; })},
      {"compartment 0", edited([](json& j) { j["checks"][0]["compartment"] = 0; })},
      {"an empty part", edited([](json& j) { j["checks"][2]["part"] = ""; })},
      {"ok as a string", edited([](json& j) { j["checks"][2]["ok"] = "yes"; })},
      {"an unknown field in a check", edited([](json& j) { j["checks"][3]["photo"] = "x"; })},
  };
  for (const auto& [what, read] : cases) {
    EXPECT_FALSE(read) << what;
  }
  EXPECT_NE(cases[7].second.error().message.find("checks[3].photo"), std::string::npos)
      << cases[7].second.error().message;
}

}  // namespace
}  // namespace civicbox::wire
