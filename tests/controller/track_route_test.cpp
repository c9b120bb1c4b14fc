// GET /track/{code} through the service: the statuses and headers a phone gets, and which
// language the page speaks.
#include <gtest/gtest.h>

#include <map>

#include <sqlite3.h>

#include "controller/service.hpp"
#include "controller/track_page.hpp"
#include "tests/controller/events.hpp"
#include "tests/support/temp_dir.hpp"

namespace civicbox::controller {
namespace {

constexpr std::int64_t kNow = 1'790'000'000'000;

std::string header(const Response& r, std::string_view name) {
  for (const auto& [key, value] : r.headers) {
    if (key == name) return value;
  }
  return {};
}

// A real SQLite storage with one filing, registered and then in progress.
class TrackRoute : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.institution_name = "Primăria Cluj";
    config_.default_language = "ro";
    auto opened = open_sqlite_storage(dir_.path(), {"cluj", false});
    ASSERT_TRUE(opened);
    storage_ = std::move(*opened);
    code_ = file(1, std::nullopt);
    ASSERT_TRUE(storage_->move_submission(code_, SubmissionState::in_progress, kNow + 60'000,
                                          {"test", "clerk"}));
    service_ = std::make_unique<Service>(*storage_, config_, random_, [] { return kNow; });
  }

  // A filing from box-a with the receipt's language, as the box sends it.
  TrackingCode file(std::uint64_t seq, std::optional<std::string> language) {
    wire::Event e = testing::filed_event(seq, random_, kNow);
    auto& filed = std::get<wire::SubmissionFiled>(e.body);
    filed.contact = "+40 722 000 000";
    filed.language = std::move(language);
    EXPECT_TRUE(storage_->apply_events(testing::device("box-a"), {e}, kNow));
    return filed.tracking_code;
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

  testing::TempDir dir_;
  Config config_;
  SystemRandom random_;
  std::unique_ptr<Storage> storage_;
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
  // A database that fails (here: a table gone under the controller) gets a page, not JSON.
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open((dir_.path() / "controller.db").c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, "DROP TABLE submission_history", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw);
  auto down = get("/track/" + code_.str());
  EXPECT_GE(down.status, 500);
  EXPECT_NE(down.body.find(html_escape(ro.unavailable.title)), std::string::npos);
}

TEST_F(TrackRoute, TheLanguageIsAskedThenTheReceiptsThenTheBrowsersThenTheTownHalls) {
  const std::string page = "/track/" + code_.display();
  EXPECT_EQ(lang_of(get(page)), "ro") << "the town hall's default";
  EXPECT_EQ(lang_of(get(page, "hu-HU,hu;q=0.9,en;q=0.8")), "hu");
  EXPECT_EQ(lang_of(get(page, "de-DE,en;q=0.5")), "en");
  const std::string spanish = "/track/" + file(2, "es").display();
  EXPECT_EQ(lang_of(get(spanish, "hu-HU,hu;q=0.9")), "es") << "the receipt's language first";
  EXPECT_EQ(lang_of(get(spanish + "?lang=pt", "hu")), "pt") << "what the citizen chose, first";
  EXPECT_EQ(lang_of(get(spanish + "?lang=xx")), "es") << "an unknown choice is ignored";
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
