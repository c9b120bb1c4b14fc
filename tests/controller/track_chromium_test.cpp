// The tracking page in a real browser at a phone's size, with JavaScript off, served by a real
// controller over TLS on loopback: what a citizen sees after scanning the receipt's QR.
// Screenshots are kept for a person to look at: build/dev/tests/controller/screens/track-*.png.
#include <gtest/gtest.h>

#include <thread>

#include "controller/https_server.hpp"
#include "controller/track_page.hpp"
#include "provisioning/dev_pki.hpp"
#include "tests/controller/events.hpp"
#include "tests/support/chromium.hpp"
#include "tests/support/temp_dir.hpp"

namespace civicbox::controller {
namespace {

using nlohmann::json;
using provisioning::DevPkiPaths;
using testing::Chromium;
using testing::device;
using testing::filed_event;

const std::filesystem::path kScreens = CIVICBOX_TRACK_SCREENS_DIR;

constexpr const char* kOverflow = "document.documentElement.scrollWidth <= window.innerWidth";
constexpr const char* kText = "document.body.innerText";
constexpr const char* kLang = "document.documentElement.lang";

class TrackPageChromium : public ::testing::Test {
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
    config_.backoffice_token = "chromium-test-token-0123456789";
    config_.institution_name = "Primăria Municipiului Cluj-Napoca";
    config_.default_language = "ro";
    auto opened = open_sqlite_storage(data_.path(), {"cluj", false});
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

    // A filing from a box, registered, then taken up by a clerk.
    auto event = filed_event(1, random_);
    code_ = std::get<wire::SubmissionFiled>(event.body).tracking_code;
    std::get<wire::SubmissionFiled>(event.body).contact = "+40 722 000 111";
    auto applied = storage_->apply_events(device("box-lobby"), {event}, 1'790'000'060'000);
    ASSERT_TRUE(applied) << applied.error().describe();
    ASSERT_TRUE(storage_->move_submission(code_, SubmissionState::in_progress, 1'790'090'000'000,
                                          {"test", "clerk"}));

    testing::ChromiumOptions options;
    options.trusted_spki = {testing::spki_sha256_base64(pki_.controller_cert())};
    options.accept_language = "ro-RO,ro,en-US;q=0.8";  // a phone set to Romanian
    browser_ = std::make_unique<Chromium>(options);
    browser_->set_viewport({390, 844, 2, true});
    browser_->set_javascript_enabled(false);
  }
  void TearDown() override {
    browser_.reset();  // before the server: the browser may hold a connection open
    if (server_) server_->stop();
  }

  std::string url(const std::string& path) const {
    return "https://127.0.0.1:" + std::to_string(server_->public_endpoint().port) + path;
  }
  std::string text() { return browser_->value_of(kText).get<std::string>(); }

  // Checks every phone page must pass, then keeps its screenshot.
  void check_phone_page(const std::string& name) {
    EXPECT_TRUE(browser_->value_of(kOverflow).get<bool>())
        << name
        << ": wider than the phone: " << browser_->value_of("document.documentElement.scrollWidth")
        << " > " << browser_->value_of("window.innerWidth");
    // Nothing was fetched besides the page itself (no fonts, images, scripts, styles).
    EXPECT_EQ(browser_->value_of("performance.getEntriesByType('resource').length"), 0) << name;
    // Readable: no text under 16 CSS pixels.
    EXPECT_GE(browser_
                  ->value_of("Math.min(...[...document.querySelectorAll('body *')]"
                             ".filter(e => e.innerText && e.innerText.trim())"
                             ".map(e => parseFloat(getComputedStyle(e).fontSize)))")
                  .get<double>(),
              16)
        << name;
    browser_->screenshot(kScreens / ("track-" + name + ".png"));
  }

  static testing::TempDir* dir_;
  static DevPkiPaths pki_;
  testing::TempDir data_;
  Config config_;
  SystemRandom random_;
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<HttpsServer> server_;
  TrackingCode code_ = TrackingCode::generate(random_);
  std::unique_ptr<Chromium> browser_;
};

testing::TempDir* TrackPageChromium::dir_ = nullptr;
DevPkiPaths TrackPageChromium::pki_;

TEST_F(TrackPageChromium, APhoneWithoutJavaScriptSeesTheNumberTheStateAndTheSteps) {
  browser_->navigate(url("/track/" + code_.display()));
  EXPECT_EQ(browser_->value_of(kLang), "ro");
  const std::string shown = text();
  EXPECT_NE(shown.find("2026/000001"), std::string::npos) << shown;
  EXPECT_NE(shown.find("În lucru"), std::string::npos) << shown;
  EXPECT_NE(shown.find("Înregistrat"), std::string::npos) << shown;
  EXPECT_NE(shown.find(code_.display()), std::string::npos) << shown;
  EXPECT_NE(shown.find("Orele sunt în UTC."), std::string::npos) << shown;
  EXPECT_EQ(shown.find("722"), std::string::npos) << "the contact is never shown";
  EXPECT_EQ(shown.find("box-lobby"), std::string::npos) << "nor the box";
  check_phone_page("ro");
}

TEST_F(TrackPageChromium, AnotherLanguageIsOneTapAway) {
  browser_->navigate(url("/track/" + code_.display()));
  ASSERT_EQ(browser_->value_of(kLang), "ro");
  const json link = browser_->value_of(
      "(() => { const r = document.querySelector('a[hreflang=en]').getBoundingClientRect();"
      " return {x: r.x + r.width / 2, y: r.y + r.height / 2, w: r.width, h: r.height}; })()");
  EXPECT_GE(link.at("h").get<double>(), 44) << "a finger's target";
  EXPECT_GE(link.at("w").get<double>(), 44) << "a finger's target";
  browser_->click_and_wait_for_load(link.at("x").get<double>(), link.at("y").get<double>());
  EXPECT_EQ(browser_->value_of(kLang), "en");
  EXPECT_EQ(browser_->value_of("location.pathname"), "/track/" + code_.display());
  EXPECT_EQ(browser_->value_of("location.search"), "?lang=en");
  const std::string shown = text();
  EXPECT_NE(shown.find("In progress"), std::string::npos) << shown;
  EXPECT_NE(shown.find("Registration number"), std::string::npos) << shown;
  check_phone_page("en");

  // The longest words of the catalog fit too.
  for (const char* language : {"hu", "pt", "ca", "es"}) {
    browser_->navigate(url("/track/" + code_.display() + "?lang=" + language));
    EXPECT_EQ(browser_->value_of(kLang), language);
    check_phone_page(language);
  }
}

TEST_F(TrackPageChromium, AWrongCodeGetsAPageThatSaysWhatToDo) {
  std::string typo = code_.str();
  typo[5] = typo[5] == 'A' ? 'B' : 'A';
  browser_->navigate(url("/track/" + typo));
  EXPECT_NE(text().find(std::string(track_words("ro")->mistyped_code.title)), std::string::npos)
      << text();
  check_phone_page("mistyped");
  browser_->navigate(url("/track/" + TrackingCode::generate(random_).display() + "?lang=hu"));
  EXPECT_NE(text().find(std::string(track_words("hu")->unknown_code.title)), std::string::npos)
      << text();
  check_phone_page("unknown-hu");
}

TEST_F(TrackPageChromium, TheSmallestPhoneStillFitsTheLongestLanguage) {
  browser_->set_viewport({320, 568, 2, true});
  browser_->navigate(url("/track/" + code_.display() + "?lang=pt"));
  check_phone_page("pt-320");
}

}  // namespace
}  // namespace civicbox::controller
