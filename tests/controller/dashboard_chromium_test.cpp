// The town hall's dashboard in a real browser at a desktop's size, JavaScript on, served by a
// real controller over TLS on loopback, reading figures made through the real storage: three
// boxes (one healthy, one with a fault and an alarm, one gone quiet), filings, resolutions and
// documents waiting too long. Screenshots are kept for a person to look at:
// build/dev/tests/controller/screens/dashboard-*.png.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "controller/https_server.hpp"
#include "provisioning/dev_pki.hpp"
#include "tests/controller/events.hpp"
#include "tests/support/chromium.hpp"
#include "tests/support/temp_dir.hpp"

namespace civicbox::controller {
namespace {

using nlohmann::json;
using provisioning::DevPkiPaths;
using testing::body_event;
using testing::Chromium;
using testing::device;
using testing::filed_event;

const std::filesystem::path kScreens = CIVICBOX_DASHBOARD_SCREENS_DIR;
constexpr std::int64_t kHour = 3600 * 1000;
constexpr std::int64_t kDay = 24 * kHour;
constexpr const char* kOperator = "Bearer chromium-dashboard-token-0123456789";
constexpr const char* kOverflow = "document.documentElement.scrollWidth <= window.innerWidth";

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class DashboardChromium : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    pki_ = DevPkiPaths{dir_->path() / "pki"};
    ASSERT_TRUE(provisioning::init_dev_pki(pki_.dir));
  }
  static void TearDownTestSuite() { delete dir_; }

  void SetUp() override {
    if (!Chromium::available()) GTEST_SKIP() << "no /usr/bin/chromium";
    config_.device_listen = {"127.0.0.1", 0};
    config_.public_listen = {"127.0.0.1", 0};
    config_.tls_cert = pki_.controller_cert();
    config_.tls_key = pki_.controller_key();
    config_.fleet_ca = pki_.ca_cert();
    config_.backoffice_token = std::string(kOperator).substr(7);
    config_.document_kinds = {"request", "complaint", "other"};
    auto opened = open_sqlite_storage(data_.path(), {"cluj", false});
    ASSERT_TRUE(opened);
    storage_ = std::move(*opened);
    service_ = std::make_unique<Service>(*storage_, config_, random_, [] { return now_ms(); });
    auto started = HttpsServer::start(config_, *service_);
    ASSERT_TRUE(started) << started.error().describe();
    server_ = std::move(*started);
    ASSERT_NO_FATAL_FAILURE(make_data());

    // The page's token: an auditor's, made by the operator.
    Response made =
        service_->handle_public({"POST", "/v1/backoffice/api-tokens", "application/json", kOperator,
                                 json{{"name", "town-hall-screen"}, {"role", "auditor"}}.dump()});
    ASSERT_EQ(made.status, 201) << made.body;
    auditor_ = json::parse(made.body).at("token").get<std::string>();

    testing::ChromiumOptions options;
    options.trusted_spki = {testing::spki_sha256_base64(pki_.controller_cert())};
    options.accept_language = "en-GB,en";
    browser_ = std::make_unique<Chromium>(options);
    browser_->set_viewport({1280, 800, 1, false});
  }
  void TearDown() override {
    browser_.reset();  // before the server: the browser may hold a connection open
    if (server_) server_->stop();
  }

  void report_status(const std::string& box, wire::BoxStatus status) {
    const std::int64_t now = now_ms();
    status.at_ms = now;
    status.version = "0.6.0";
    Response r = service_->handle_device(
        {device(box), {box, "0a0b0c", now - kDay, now + 90 * kDay, "feed"}},
        {"POST", "/v1/device/status", "application/json", "", wire::to_json(status)});
    ASSERT_EQ(r.status, 200) << r.body;
  }
  TrackingCode file(const std::string& box, std::uint64_t seq, const std::string& kind,
                    std::int64_t at_ms) {
    wire::Event e = filed_event(seq, random_, at_ms);
    auto& filed = std::get<wire::SubmissionFiled>(e.body);
    filed.kind = kind;
    filed.provisional_number = "P-" + box + "-" + std::to_string(seq);
    auto applied = storage_->apply_events(device(box), {e}, at_ms);
    EXPECT_TRUE(applied) << applied.error().describe();
    return filed.tracking_code;
  }
  void resolve(const TrackingCode& code, std::int64_t at_ms) {
    auto moved =
        storage_->move_submission(code, SubmissionState::resolved, at_ms, {"test", "clerk"});
    EXPECT_TRUE(moved) << moved.error().describe();
  }

  void make_data() {
    const std::int64_t now = now_ms();
    // box-north went quiet three days ago, with a complaint still waiting after 20 days.
    old_ = file("box-north", 1, "complaint", now - 20 * kDay);
    // box-lobby files and resolves requests over the last days; one complaint waits 16 days.
    std::uint64_t seq = 1;
    lobby_waiting_ = file("box-lobby", seq++, "complaint", now - 16 * kDay);
    for (int day = 6; day >= 1; --day) {
      for (int i = 0; i < (day % 3) + 1; ++i) {
        const std::int64_t at = now - day * kDay + i * kHour;
        TrackingCode code = file("box-lobby", seq++, i % 2 ? "complaint" : "request", at);
        if (day > 1) resolve(code, at + (4 + 9 * i + day) * kHour);
      }
    }
    // box-annex: a filing, a stuck door and its alarm.
    annex_ = file("box-annex", 1, "other", now - 2 * kDay);
    resolve(annex_, now - 2 * kDay + 30 * kHour);
    file("box-north", 2, "request", now - 3 * kDay);
    auto alarm = storage_->apply_events(
        device("box-annex"),
        {body_event(2, random_,
                    wire::Alarm{"door_left_open", "compartment 3 was left open for 5 minutes", 3},
                    now - kHour)},
        now - kHour);
    ASSERT_TRUE(alarm) << alarm.error().describe();
    ASSERT_TRUE(storage_->apply_events(
        device("box-lobby"),
        {body_event(seq, random_, wire::ParcelCollected{"P-1", 2, false}, now - 2 * kDay)},
        now - 2 * kDay));

    ASSERT_NO_FATAL_FAILURE(report_status("box-lobby", {0,
                                                        {{1, "M", "dropoff", "occupied"},
                                                         {2, "M", "dropoff", "free"},
                                                         {3, "L", "dropoff", "free"},
                                                         {4, "S", "pickup", "free"}},
                                                        "ok",
                                                        {},
                                                        ""}));
    ASSERT_NO_FATAL_FAILURE(report_status("box-annex", {0,
                                                        {{1, "M", "dropoff", "occupied"},
                                                         {2, "M", "dropoff", "occupied"},
                                                         {3, "L", "pickup", "fault"},
                                                         {4, "S", "pickup", "free"}},
                                                        "low",
                                                        {{"lock_jammed", "compartment 3"}},
                                                        ""}));
  }

  std::string url(const std::string& path) const {
    return "https://127.0.0.1:" + std::to_string(server_->public_endpoint().port) + path;
  }
  // Evaluates `expression` until it is true, for up to 20 s.
  bool wait_for(const std::string& expression) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      auto e = browser_->evaluate(expression);
      if (e.exception.empty() && e.value == true) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  std::string text(const std::string& selector) {
    return browser_->value_of("document.querySelector('" + selector + "').innerText")
        .get<std::string>();
  }
  void click(const std::string& selector) {
    const json at =
        browser_->value_of("(() => { const r = document.querySelector('" + selector +
                           "').getBoundingClientRect();"
                           " return {x: r.x + r.width / 2, y: r.y + r.height / 2}; })()");
    for (const char* type : {"mousePressed", "mouseReleased"}) {
      browser_->command("Input.dispatchMouseEvent", {{"type", type},
                                                     {"x", at.at("x")},
                                                     {"y", at.at("y")},
                                                     {"button", "left"},
                                                     {"clickCount", 1}});
    }
  }
  void sign_in() {
    browser_->navigate(url("/dashboard"));
    ASSERT_TRUE(wait_for("!document.getElementById('signin').hidden"));
    browser_->screenshot(kScreens / "dashboard-signin.png");
    browser_->value_of("document.getElementById('token').value = " + json(auditor_).dump() +
                       "; document.getElementById('signin').requestSubmit(); true");
    ASSERT_TRUE(wait_for("document.body.dataset.loaded >= 1")) << text("body");
  }
  void expect_fits(const std::string& name) {
    EXPECT_TRUE(browser_->value_of(kOverflow).get<bool>())
        << name << ": wider than the window: "
        << browser_->value_of("document.documentElement.scrollWidth");
    // No table needs its own sideways scrolling either: every column is in sight.
    EXPECT_EQ(browser_->value_of("[...document.querySelectorAll('.scroll')]"
                                 ".filter(e => e.scrollWidth > e.clientWidth).map(e => e.id ||"
                                 " e.firstElementChild.id).join(',')"),
              "")
        << name;
    // Nothing fetched besides the page's own three files and the back office's JSON.
    EXPECT_EQ(browser_->value_of("performance.getEntriesByType('resource')"
                                 ".filter(e => !e.name.startsWith(location.origin)).length"),
              0);
  }

  static testing::TempDir* dir_;
  static DevPkiPaths pki_;
  testing::TempDir data_;
  Config config_;
  SystemRandom random_;
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<HttpsServer> server_;
  std::unique_ptr<Chromium> browser_;
  std::string auditor_;
  TrackingCode old_ = TrackingCode::generate(random_);
  TrackingCode lobby_waiting_ = TrackingCode::generate(random_);
  TrackingCode annex_ = TrackingCode::generate(random_);
};

testing::TempDir* DashboardChromium::dir_ = nullptr;
DevPkiPaths DashboardChromium::pki_;

TEST_F(DashboardChromium, ShowsTheBoxesTheFiguresAndWhatWaitsThenFiltersByBox) {
  ASSERT_NO_FATAL_FAILURE(sign_in());
  // The token stays in the tab only.
  EXPECT_EQ(browser_->value_of("sessionStorage.getItem('civicbox.dashboard.token')"), auditor_);
  EXPECT_EQ(browser_->value_of("localStorage.length"), 0);
  EXPECT_EQ(browser_->value_of("location.href.includes(" + json(auditor_).dump() + ")"), false);

  const std::string boxes = text("#boxes");
  for (const char* box : {"box-lobby", "box-annex", "box-north"}) {
    EXPECT_NE(boxes.find(box), std::string::npos) << boxes;
  }
  EXPECT_NE(boxes.find("Offline"), std::string::npos) << boxes;
  EXPECT_NE(boxes.find("lock_jammed"), std::string::npos) << boxes;
  EXPECT_NE(boxes.find("door_left_open"), std::string::npos) << boxes;
  // The quiet box and the faulty one are marked; the healthy one is not.
  EXPECT_EQ(browser_->value_of("[...document.querySelectorAll('#boxes tr.trouble')]"
                               ".map(r => r.dataset.box).sort().join(',')"),
            "box-annex,box-north");

  // The per-day plot has bars, and some are not empty.
  EXPECT_GT(browser_->value_of("document.querySelectorAll('#days-svg rect.bar').length").get<int>(),
            10);
  EXPECT_TRUE(browser_
                  ->value_of("[...document.querySelectorAll('#days-svg rect.filed')]"
                             ".some(r => r.getAttribute('height') > 0)")
                  .get<bool>());
  // The resolution plot names the kinds.
  const std::string resolution = text("#resolution-plot");
  EXPECT_NE(resolution.find("request"), std::string::npos) << resolution;
  EXPECT_NE(resolution.find("other"), std::string::npos) << resolution;
  EXPECT_EQ(browser_->value_of("document.querySelectorAll('#resolution-svg rect.median').length"),
            3);

  // What waits too long: both old complaints.
  std::string waiting = text("#waiting");
  EXPECT_NE(waiting.find(old_.display()), std::string::npos) << waiting;
  EXPECT_NE(waiting.find(lobby_waiting_.display()), std::string::npos) << waiting;
  EXPECT_NE(waiting.find("20"), std::string::npos) << waiting;
  EXPECT_NE(text("#submissions").find(annex_.display()), std::string::npos);
  expect_fits("all");
  browser_->screenshot(kScreens / "dashboard-all.png");

  // A click on box-north's row: only its documents.
  click("#boxes tr[data-box=box-north]");
  ASSERT_TRUE(wait_for("document.getElementById('subs-title').innerText.includes('box-north')"));
  waiting = text("#waiting");
  EXPECT_NE(waiting.find(old_.display()), std::string::npos) << waiting;
  EXPECT_EQ(waiting.find(lobby_waiting_.display()), std::string::npos) << waiting;
  const std::string documents = text("#submissions");
  EXPECT_NE(documents.find(old_.display()), std::string::npos) << documents;
  EXPECT_EQ(documents.find("box-lobby"), std::string::npos) << documents;
  EXPECT_EQ(documents.find(annex_.display()), std::string::npos) << documents;
  EXPECT_EQ(browser_->value_of("document.getElementById('box-filter').value"), "box-north");
  expect_fits("box-north");
  browser_->screenshot(kScreens / "dashboard-box-north.png");

  // "Show all" brings everything back.
  click("#show-all");
  ASSERT_TRUE(wait_for("!document.getElementById('subs-title').innerText.includes('box-north')"));
  EXPECT_NE(text("#waiting").find(lobby_waiting_.display()), std::string::npos);

  // A tablet, upright: still no sideways scrolling.
  browser_->set_viewport({768, 1024, 2, true});
  EXPECT_TRUE(wait_for(kOverflow));
  expect_fits("tablet");
  browser_->screenshot(kScreens / "dashboard-tablet.png");

  // Signing out forgets the token.
  browser_->set_viewport({1280, 800, 1, false});
  click("#signout");
  EXPECT_TRUE(wait_for("!document.getElementById('signin').hidden"));
  EXPECT_EQ(browser_->value_of("sessionStorage.length"), 0);
}

TEST_F(DashboardChromium, TheFilesComeWithTheirTypesAndAStrictPolicy) {
  auto header = [](const Response& r, const std::string& name) {
    for (const auto& [key, value] : r.headers) {
      if (key == name) return value;
    }
    return std::string();
  };
  for (const auto& [path, type] : std::vector<std::pair<std::string, std::string>>{
           {"/dashboard", "text/html; charset=utf-8"},
           {"/dashboard/", "text/html; charset=utf-8"},
           {"/dashboard/dashboard.css", "text/css; charset=utf-8"},
           {"/dashboard/dashboard.js", "text/javascript; charset=utf-8"}}) {
    Response r = service_->handle_public({"GET", path, "", "", ""});
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.content_type, type) << path;
    EXPECT_FALSE(r.body.empty()) << path;
    EXPECT_EQ(header(r, "Cache-Control"), "no-cache") << path;
    EXPECT_EQ(header(r, "Content-Security-Policy"),
              "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; "
              "script-src 'self'; frame-ancestors 'none'")
        << path;
  }
  EXPECT_EQ(service_->handle_public({"POST", "/dashboard", "", "", ""}).status, 405);
  EXPECT_EQ(service_->handle_public({"GET", "/dashboard/other.js", "", "", ""}).status, 404);
  // The browser enforces that policy: the page still works under it (no inline script or style).
  ASSERT_NO_FATAL_FAILURE(sign_in());
  EXPECT_EQ(browser_->value_of("document.querySelectorAll('#boxes tbody tr').length"), 3);
}

TEST_F(DashboardChromium, ARefusedTokenAsksAgain) {
  browser_->navigate(url("/dashboard/"));
  ASSERT_TRUE(wait_for("!document.getElementById('signin').hidden"));
  browser_->value_of(
      "document.getElementById('token').value = 'not-a-token';"
      " document.getElementById('signin').requestSubmit(); true");
  ASSERT_TRUE(wait_for("document.getElementById('banner').innerText.includes('refused')"));
  EXPECT_FALSE(browser_->value_of("document.getElementById('signin').hidden").get<bool>());
  EXPECT_EQ(browser_->value_of("sessionStorage.length"), 0);
  browser_->screenshot(kScreens / "dashboard-refused.png");
}

}  // namespace
}  // namespace civicbox::controller
