// The setup screen of a box that is not enrolled yet, as a technician meets it: it asks for the
// enrolment QR code, refuses any other code, says what the controller answered in words a
// technician can act on, and ends once the box has its identity.
#include "firmware/setup.hpp"

#include <gtest/gtest.h>

#include <toml++/toml.h>

#include <algorithm>

#include "provisioning/enrolment.hpp"

namespace civicbox::firmware {
namespace {

using ui::ScreenId;

constexpr const char* kToken = "q7Vb3kP0xY2mN8sT4wZ6aC1dE5fG9hJ0";

BoxFacts setup_facts(bool scanner_ok = true) {
  BoxFacts f;
  f.has_scanner = true;
  f.scanner_ok = scanner_ok;
  f.devices = {{{"technician.doors", ""}, {"", "12"}, std::nullopt},
               {{"technician.camera", ""}, {"", "/dev/ttyACM0"}, scanner_ok},
               {{"setup.controller", ""}, {"", "https://127.0.0.1:8444"}, std::nullopt}};
  return f;
}

template <class T>
int count(const std::vector<Command>& commands) {
  return static_cast<int>(std::count_if(commands.begin(), commands.end(), [](const Command& c) {
    return std::holds_alternative<T>(c);
  }));
}

bool sounds(const std::vector<Command>& commands, ui::Cue cue) {
  return std::any_of(commands.begin(), commands.end(), [&](const Command& c) {
    const auto* s = std::get_if<PlaySound>(&c);
    return s != nullptr && s->cue == cue;
  });
}

// Every key of the setup screen is in every catalogue.
void expect_in_catalogues(const ui::View& view) {
  for (const char* lang : {"ro", "hu", "en", "ca", "es", "pt"}) {
    const toml::table root =
        toml::parse_file(std::string(CIVICBOX_UI_LANG_DIR) + "/" + lang + ".toml");
    for (const std::string& key : {view.title_key, view.body_key, view.detail_key}) {
      if (key.empty()) continue;
      const auto dot = key.find('.');
      EXPECT_TRUE(root[key.substr(0, dot)][key.substr(dot + 1)].is_string())
          << lang << " lacks " << key;
    }
  }
}

TEST(SetupSession, AsksForTheEnrolmentQrAndEnrolsWithTheTokenScanned) {
  SetupSession setup("ro", setup_facts());
  EXPECT_EQ(setup.view().screen, ScreenId::setup);
  EXPECT_EQ(setup.view().title_key, "setup.title");
  EXPECT_EQ(setup.view().body_key, "");
  EXPECT_EQ(setup.view().language, "ro");
  EXPECT_EQ(setup.view().rows.size(), 3u);

  setup.handle(Touched{"lang:en"}, 0);
  EXPECT_EQ(setup.view().language, "en");
  setup.handle(Touched{"larger"}, 0);
  EXPECT_TRUE(setup.view().large_text);

  auto commands = setup.handle(ScannedText{std::string("CBX-ENROL:") + kToken}, 0);
  ASSERT_EQ(count<StartEnrol>(commands), 1);
  for (const auto& c : commands) {
    if (const auto* e = std::get_if<StartEnrol>(&c)) {
      EXPECT_EQ(e->token, kToken);
    }
  }
  EXPECT_TRUE(setup.enrolling());
  EXPECT_TRUE(setup.view().running);
  EXPECT_EQ(setup.view().body_key, "setup.enrolling");
  EXPECT_EQ(setup.view().language, "en") << "the technician's language stays";
  EXPECT_TRUE(setup.view().large_text);

  // A second scan while the controller is asked starts nothing.
  EXPECT_TRUE(setup.handle(ScannedText{std::string("CBX-ENROL:") + kToken}, 0).empty());

  EnrolFinished done;
  done.ok = true;
  done.box_id = "box-centru-1";
  done.site = "centru";
  EXPECT_TRUE(sounds(setup.handle(done, 0), ui::Cue::success));
  EXPECT_TRUE(setup.enrolled());
  EXPECT_FALSE(setup.enrolling());
  EXPECT_FALSE(setup.view().running);
  EXPECT_EQ(setup.view().body_key, "setup.done");
  EXPECT_EQ(setup.view().tone, ui::Tone::success);
  EXPECT_EQ(setup.view().args.at("box"), "box-centru-1");
  EXPECT_EQ(setup.view().args.at("site"), "centru");
  expect_in_catalogues(setup.view());
  // Enrolled: nothing more is scanned here.
  EXPECT_TRUE(setup.handle(ScannedText{std::string("CBX-ENROL:") + kToken}, 0).empty());
}

TEST(SetupSession, AnyOtherCodeIsRefusedOnTheScreen) {
  SetupSession setup("en", setup_facts());
  for (const char* text : {"CBX-BADGE:TECH-07", "7K3M-Q9XR-2D4P", "CBX-ENROL:short", "hello",
                           "CBX-TEST:0123456789ABCDEF"}) {
    auto commands = setup.handle(ScannedText{text}, 0);
    EXPECT_EQ(count<StartEnrol>(commands), 0) << text;
    EXPECT_TRUE(sounds(commands, ui::Cue::failure)) << text;
    EXPECT_EQ(setup.view().body_key, "setup.not_a_token") << text;
    EXPECT_EQ(setup.view().tone, ui::Tone::failure);
    EXPECT_FALSE(setup.enrolling());
  }
  expect_in_catalogues(setup.view());
}

TEST(SetupSession, AFailureSaysWhyAndTheNextScanTriesAgain) {
  SetupSession setup("en", setup_facts());
  setup.handle(ScannedText{std::string("CBX-ENROL:") + kToken}, 0);
  EnrolFinished failed;
  failed.reason_key = "setup.token_used";
  failed.advice_key = "setup.new_token";
  EXPECT_TRUE(sounds(setup.handle(failed, 0), ui::Cue::failure));
  EXPECT_FALSE(setup.enrolling());
  EXPECT_FALSE(setup.enrolled());
  EXPECT_EQ(setup.view().body_key, "setup.token_used");
  EXPECT_EQ(setup.view().detail_key, "setup.new_token");
  EXPECT_EQ(setup.view().tone, ui::Tone::failure);
  expect_in_catalogues(setup.view());

  EnrolFinished limited;
  limited.reason_key = "setup.rate_limited";
  limited.args["wait_s"] = "12";
  EXPECT_EQ(count<StartEnrol>(setup.handle(ScannedText{std::string("CBX-ENROL:") + kToken}, 0)), 1);
  setup.handle(limited, 0);
  EXPECT_EQ(setup.view().body_key, "setup.rate_limited");
  EXPECT_EQ(setup.view().detail_key, "");
  EXPECT_EQ(setup.view().args.at("wait_s"), "12");
}

TEST(SetupSession, WithoutACameraItSaysHowElseToEnrol) {
  SetupSession setup("en", setup_facts(false));
  EXPECT_FALSE(setup.view().has_camera);
  EXPECT_EQ(setup.view().body_key, "setup.no_camera");
  expect_in_catalogues(setup.view());
  // The camera comes back: the screen asks for the code again.
  setup.handle(FactsChanged{setup_facts(true)}, 0);
  EXPECT_TRUE(setup.view().has_camera);
  EXPECT_EQ(setup.view().body_key, "");
  EXPECT_EQ(setup.view().rows[1].ok, std::optional<bool>(true));
}

TEST(EnrolOutcome, EachRefusalHasItsOwnWordsForTheTechnician) {
  struct Case {
    ErrorCode code;
    const char* word;
    const char* reason;
    const char* advice;
  };
  for (const Case& k : {
           Case{ErrorCode::forbidden, "token_unknown", "setup.token_unknown", "setup.new_token"},
           Case{ErrorCode::forbidden, "token_used", "setup.token_used", "setup.new_token"},
           Case{ErrorCode::forbidden, "token_expired", "setup.token_expired", "setup.new_token"},
           Case{ErrorCode::forbidden, "wrong_site", "setup.wrong_site", "setup.new_token"},
           Case{ErrorCode::forbidden, "subject_mismatch", "setup.refused", "setup.new_token"},
           Case{ErrorCode::unavailable, "rate_limited", "setup.rate_limited", ""},
           Case{ErrorCode::unavailable, "", "setup.unreachable", ""},
           Case{ErrorCode::crypto, "", "setup.mismatch", ""},
           Case{ErrorCode::state, "", "setup.busy", ""},
           Case{ErrorCode::parse, "", "setup.failed", ""},
           Case{ErrorCode::io, "", "setup.failed", ""},
       }) {
    provisioning::Refusal refusal;
    refusal.word = k.word;
    if (std::string(k.word) == "rate_limited") refusal.retry_after = std::chrono::seconds(42);
    Expected<provisioning::EnrolResult> result = make_error(k.code, "refused");
    EnrolFinished out = enrol_outcome(result, refusal);
    EXPECT_FALSE(out.ok);
    EXPECT_EQ(out.reason_key, k.reason) << k.word << " " << to_string(k.code);
    EXPECT_EQ(out.advice_key, k.advice) << k.word;
    if (std::string(k.word) == "rate_limited") {
      EXPECT_EQ(out.args.at("wait_s"), "42");
    }
    ui::View v;
    v.body_key = out.reason_key;
    v.detail_key = out.advice_key;
    expect_in_catalogues(v);
  }
}

TEST(EnrolOutcome, AWorkingIdentityIsNotReplacedFromAScreenAndSaysSo) {
  provisioning::Refusal none;
  Expected<provisioning::EnrolResult> enrolled =
      make_error(ErrorCode::state,
                 "this box is already enrolled as box-0001 (until 2027-02-01); to replace "
                 "its identity, enrol again with --force");
  EXPECT_EQ(enrol_outcome(enrolled, none).reason_key, "setup.already_enrolled");
  Expected<provisioning::EnrolResult> locked =
      make_error(ErrorCode::state, "another process holds the identity folder");
  EXPECT_EQ(enrol_outcome(locked, none).reason_key, "setup.busy");
}

TEST(SessionAfterSetup, ACancelledProvisioningSelfTestIsStillTheNextOneRun) {
  Session session(SessionSettings{}, setup_facts(), 0);
  ASSERT_EQ(count<StartSelfTest>(session.handle(SelfTestRequested{"provisioning", ""}, 0)), 1);
  SelfTestResult cancelled;
  cancelled.reason = "provisioning";
  cancelled.lines.push_back(
      SelfTestLine{wire::SelfTestCheck{"printer", std::nullopt, false, "not tested: cancelled"},
                   SelfTestFinding::cancelled});
  session.handle(SelfTestFinished{cancelled}, 1000);
  auto again = session.handle(Touched{"self_test"}, 2000);
  ASSERT_EQ(count<StartSelfTest>(again), 1);
  for (const auto& c : again) {
    if (const auto* t = std::get_if<StartSelfTest>(&c)) {
      EXPECT_EQ(t->reason, "provisioning");
    }
  }
}

TEST(SessionAfterSetup, TheProvisioningSelfTestRunsOnTheTechnicianScreenWithoutABadge) {
  SessionSettings settings;
  settings.default_language = "en";
  BoxFacts facts = setup_facts();
  facts.box_id = "box-centru-1";
  Session session(settings, facts, 0);
  auto commands = session.handle(SelfTestRequested{"provisioning", "hu"}, 0);
  ASSERT_EQ(count<StartSelfTest>(commands), 1);
  for (const auto& c : commands) {
    if (const auto* t = std::get_if<StartSelfTest>(&c)) {
      EXPECT_EQ(t->reason, "provisioning");
    }
  }
  EXPECT_EQ(session.view().screen, ScreenId::technician);
  EXPECT_EQ(session.view().language, "hu") << "the language the technician chose at setup";
  EXPECT_TRUE(session.view().running);
  EXPECT_TRUE(session.flow_running());
  // A second request while it runs starts nothing.
  EXPECT_EQ(count<StartSelfTest>(session.handle(SelfTestRequested{"provisioning", ""}, 0)), 0);

  SelfTestResult result;
  result.reason = "provisioning";
  result.lines.push_back(
      SelfTestLine{wire::SelfTestCheck{"journal", std::nullopt, true, "a row was written"},
                   SelfTestFinding::passed});
  result.delivery = ReportDelivery::sent;
  session.handle(SelfTestFinished{result}, 1000);
  EXPECT_FALSE(session.flow_running());
  EXPECT_EQ(session.view().screen, ScreenId::technician);
  EXPECT_EQ(session.view().body_key, "self_test.passed");
  // The screen is the technician's until they leave it: they may run it again (on demand).
  auto again = session.handle(Touched{"self_test"}, 2000);
  ASSERT_EQ(count<StartSelfTest>(again), 1);
  for (const auto& c : again) {
    if (const auto* t = std::get_if<StartSelfTest>(&c)) {
      EXPECT_EQ(t->reason, "on_demand");
    }
  }
  session.handle(SelfTestFinished{result}, 3000);
  session.handle(Touched{"logout"}, 4000);
  EXPECT_EQ(session.view().screen, ScreenId::home);
  // Logged out: the technician screen is not reachable without a badge any more.
  EXPECT_TRUE(session.handle(Touched{"self_test"}, 5000).empty());
  EXPECT_EQ(session.view().screen, ScreenId::home);
}

}  // namespace
}  // namespace civicbox::firmware
