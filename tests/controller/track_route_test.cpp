// GET /track/{code} through the service: the statuses and headers a phone gets, and which
// language the page speaks.
#include <gtest/gtest.h>

#include <map>

#include "controller/service.hpp"
#include "controller/track_page.hpp"

namespace civicbox::controller {
namespace {

constexpr std::int64_t kNow = 1'790'000'000'000;

// Only submissions, held in memory (the receipt's language is not stored by the SQL storage
// yet); the rest is not part of these tests.
class SubmissionsOnly : public Storage {
 public:
  std::map<std::string, SubmissionRecord> submissions;
  bool broken = false;

  Expected<std::optional<SubmissionRecord>> find_submission(const TrackingCode& code) override {
    if (broken) return make_error(ErrorCode::unavailable, "the database is down");
    auto it = submissions.find(code.str());
    if (it == submissions.end()) return std::optional<SubmissionRecord>();
    return std::optional<SubmissionRecord>(it->second);
  }

  static Error no() { return {ErrorCode::internal, "not in this test"}; }
  Expected<ApplyResult> apply_events(const DeviceId&, const std::vector<wire::Event>&,
                                     std::int64_t) override {
    return no();
  }
  Expected<std::uint64_t> applied_through(const DeviceId&) override { return no(); }
  Expected<bool> device_known(const DeviceId&) override { return no(); }
  Expected<wire::PullResponse> assignments_since(const DeviceId&, std::uint64_t,
                                                 std::int64_t) override {
    return no();
  }
  Expected<std::vector<SubmissionRecord>> list_submissions(const SubmissionFilter&) override {
    return no();
  }
  Expected<SubmissionRecord> move_submission(const TrackingCode&, SubmissionState,
                                             std::int64_t) override {
    return no();
  }
  Expected<void> add_parcel(const NewParcel&, std::int64_t) override { return no(); }
  Expected<std::vector<ParcelRecord>> list_parcels(const std::optional<std::string>&) override {
    return no();
  }
  Expected<void> add_enrolment_token(const NewEnrolmentToken&, std::int64_t) override {
    return no();
  }
  Expected<std::optional<EnrolmentTokenRecord>> find_enrolment_token(const std::string&) override {
    return no();
  }
  Expected<std::vector<EnrolmentTokenRecord>> list_enrolment_tokens(
      const std::optional<std::string>&) override {
    return no();
  }
  Expected<void> complete_enrolment(const std::string&, const CertificateRecord&,
                                    std::int64_t) override {
    return no();
  }
  Expected<void> record_certificate(const CertificateRecord&) override { return no(); }
  Expected<std::optional<CertificateRecord>> find_certificate(const std::string&) override {
    return no();
  }
  Expected<std::vector<CertificateRecord>> list_certificates(
      const std::optional<std::string>&) override {
    return no();
  }
  Expected<int> revoke_device(const DeviceId&, const std::string&, std::int64_t) override {
    return no();
  }
  Expected<std::int64_t> revocation_version() override { return no(); }
  Expected<RevocationList> revocations() override { return no(); }
  Expected<void> add_self_test(const SelfTestRecord&) override { return no(); }
  Expected<std::vector<SelfTestRecord>> list_self_tests(const DeviceId&, int) override {
    return no();
  }
};

std::string header(const Response& r, std::string_view name) {
  for (const auto& [key, value] : r.headers) {
    if (key == name) return value;
  }
  return {};
}

class TrackRoute : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.institution_name = "Primăria Cluj";
    config_.default_language = "ro";
    code_ = TrackingCode::generate(random_);
    SubmissionRecord r;
    r.tracking_code = code_.str();
    r.device_id = "box-a";
    r.kind = "request";
    r.contact = "+40 722 000 000";
    r.registration_number = "2026/000001";
    r.state = SubmissionState::in_progress;
    r.filed_at_ms = kNow;
    r.history = {{SubmissionState::received, kNow},
                 {SubmissionState::registered, kNow},
                 {SubmissionState::in_progress, kNow + 60'000}};
    storage_.submissions[code_.str()] = r;
    service_ = std::make_unique<Service>(storage_, config_, random_, [] { return kNow; });
  }

  Response get(const std::string& target, const std::string& accept_language = "") {
    Request request{"GET", target, "", "", ""};
    request.accept_language = accept_language;
    return service_->handle_public(request);
  }
  static std::string lang_of(const Response& r) {
    const auto at = r.body.find("<html lang=\"");
    return at == std::string::npos ? "" : r.body.substr(at + 12, 2);
  }

  Config config_;
  SystemRandom random_;
  SubmissionsOnly storage_;
  TrackingCode code_ = TrackingCode::generate(random_);
  std::unique_ptr<Service> service_;
};

TEST_F(TrackRoute, APhoneGetsAStrictNoStoreHtmlPage) {
  auto r = get("/track/" + code_.display());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(header(r, "Content-Security-Policy")
                .rfind("default-src 'none'; style-src 'unsafe-inline'", 0),
            0u);
  EXPECT_EQ(header(r, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(header(r, "Referrer-Policy"), "no-referrer");
  EXPECT_EQ(header(r, "Content-Language"), "ro");
  EXPECT_NE(r.body.find("2026/000001"), std::string::npos);
  EXPECT_NE(r.body.find("În lucru"), std::string::npos);
  EXPECT_EQ(r.body.find("722"), std::string::npos) << "the contact must never be public";
  EXPECT_EQ(r.body.find("<script"), std::string::npos);
  // As a person may type it: lower case, without hyphens.
  std::string typed = code_.str();
  for (char& c : typed) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_EQ(get("/track/" + typed).status, 200);
  EXPECT_EQ(service_->handle_public({"POST", "/track/" + code_.str(), "", "", ""}).status, 405);
}

TEST_F(TrackRoute, TheSameThreeProblemsAsTheJsonRouteAsPagesThatSayWhatToDo) {
  std::string typo = code_.str();
  typo[3] = typo[3] == 'A' ? 'B' : 'A';
  const TrackWords& ro = *track_words("ro");
  struct Case {
    std::string target;
    int status;
    std::string_view title;
  };
  const Case cases[] = {
      {"/track/" + typo, 400, ro.mistyped_code.title},
      {"/track/hello", 400, ro.malformed_code.title},
      {"/track/", 400, ro.malformed_code.title},
      {"/track/%zz", 400, ro.malformed_code.title},
      {"/track/" + TrackingCode::generate(random_).str(), 404, ro.unknown_code.title},
  };
  for (const auto& c : cases) {
    auto r = get(c.target);
    EXPECT_EQ(r.status, c.status) << c.target;
    EXPECT_EQ(r.content_type, "text/html; charset=utf-8") << c.target;
    EXPECT_NE(r.body.find(html_escape(c.title)), std::string::npos) << c.target << r.body;
    EXPECT_FALSE(header(r, "Content-Security-Policy").empty());
  }
  storage_.broken = true;
  auto down = get("/track/" + code_.str());
  EXPECT_EQ(down.status, 503);
  EXPECT_NE(down.body.find(html_escape(ro.unavailable.title)), std::string::npos);
}

TEST_F(TrackRoute, TheLanguageIsAskedThenTheReceiptsThenTheBrowsersThenTheTownHalls) {
  const std::string page = "/track/" + code_.display();
  EXPECT_EQ(lang_of(get(page)), "ro") << "the town hall's default";
  EXPECT_EQ(lang_of(get(page, "hu-HU,hu;q=0.9,en;q=0.8")), "hu");
  EXPECT_EQ(lang_of(get(page, "de-DE,en;q=0.5")), "en");
  storage_.submissions[code_.str()].language = "es";
  EXPECT_EQ(lang_of(get(page, "hu-HU,hu;q=0.9")), "es") << "the receipt's language first";
  EXPECT_EQ(lang_of(get(page + "?lang=pt", "hu")), "pt") << "what the citizen chose, first";
  EXPECT_EQ(lang_of(get(page + "?lang=xx")), "es") << "an unknown choice is ignored";
  EXPECT_EQ(lang_of(get(page + "?lang=ca&utm_source=qr")), "ca") << "other parameters ignored";
  EXPECT_EQ(lang_of(get("/track/hello?lang=en")), "en");
  EXPECT_EQ(lang_of(get("/track/hello", "pt-BR")), "pt");
  config_.default_language = "hu";
  EXPECT_EQ(lang_of(get("/track/hello")), "hu");
}

TEST_F(TrackRoute, TheJsonRouteStaysAndTheMetricsNameTheRouteNotTheCode) {
  auto json = get("/v1/track/" + code_.display());
  EXPECT_EQ(json.status, 200);
  EXPECT_EQ(json.content_type, "application/json");
  EXPECT_EQ(route_template(Listener::public_, "/track/" + code_.display()), "/track/{code}");
  EXPECT_EQ(route_template(Listener::public_, "/track/"), "/track/{code}");
  EXPECT_EQ(route_template(Listener::device, "/track/" + code_.display()), "other");
}

}  // namespace
}  // namespace civicbox::controller
