// The kiosk's screen flow, as citizens, clerks and technicians meet it: what they see after each
// touch or scan, which flow starts (once), what is forgotten after idle. Every View any of these
// tests produces is checked against the English catalogue: each key it names exists and each
// {placeholder} of its texts is filled.
#include "firmware/session.hpp"

#include <gtest/gtest.h>

#include <toml++/toml.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/scanned.hpp"
#include "tests/support/seeded_random.hpp"

namespace civicbox::firmware {
namespace {

using ui::ScreenId;

constexpr std::int64_t kTen = 1'795'514'400'000;  // 2026-11-24 10:00:00 UTC
constexpr const char* kClerkPin = "9173";
constexpr const char* kTechnicianPin = "246810";

const char* screen_name(ScreenId id) {
  return ui::to_string(id);
}

// ---- the English catalogue, read with toml++ (ui::Catalog is being written elsewhere) ------

const std::map<std::string, std::string>& english() {
  static const std::map<std::string, std::string> entries = [] {
    std::map<std::string, std::string> out;
    const toml::table root = toml::parse_file(std::string(CIVICBOX_UI_LANG_DIR) + "/en.toml");
    for (const auto& [section, node] : root) {
      const toml::table* table = node.as_table();
      if (table == nullptr) continue;
      for (const auto& [key, text] : *table) {
        out[std::string(section.str()) + "." + std::string(key.str())] =
            text.value<std::string>().value_or("");
      }
    }
    return out;
  }();
  return entries;
}

std::vector<std::string> placeholders_in(const std::string& text) {
  std::vector<std::string> names;
  for (std::size_t open = text.find('{'); open != std::string::npos;
       open = text.find('{', open + 1)) {
    const std::size_t close = text.find('}', open);
    if (close == std::string::npos) break;
    names.push_back(text.substr(open + 1, close - open - 1));
  }
  return names;
}

std::set<ScreenId>& screens_seen() {
  static std::set<ScreenId> seen;
  return seen;
}

// Every key the View names is in English, and every placeholder of its texts is filled.
void expect_words_exist(const ui::View& view) {
  screens_seen().insert(view.screen);
  const auto& en = english();
  auto filled = [&](const std::string& name) {
    return view.args.count(name) > 0 || view.arg_keys.count(name) > 0;
  };
  const std::map<std::string, std::string>* row_args = nullptr;
  auto check_key = [&](const std::string& key, const char* where, bool must_exist) {
    if (key.empty()) return;
    auto it = en.find(key);
    if (it == en.end()) {
      if (must_exist) {
        ADD_FAILURE() << screen_name(view.screen) << ": " << where << " names '" << key
                      << "', which English lacks";
      }
      return;
    }
    for (const auto& name : placeholders_in(it->second)) {
      EXPECT_TRUE(filled(name) || (row_args != nullptr && row_args->count(name) > 0))
          << screen_name(view.screen) << ": '" << key << "' needs {" << name << "}";
    }
  };
  check_key(view.title_key, "title_key", true);
  check_key(view.body_key, "body_key", true);
  check_key(view.detail_key, "detail_key", true);
  for (const auto& [name, key] : view.arg_keys) check_key(key, "arg_keys", true);
  for (const auto& choice : view.choices) {
    // A document kind English does not know shows its literal.
    check_key(choice.label.key, "a choice", choice.label.literal.empty());
    EXPECT_FALSE(choice.label.key.empty() && choice.label.literal.empty());
  }
  for (const auto& row : view.rows) {
    row_args = &row.args;
    check_key(row.label.key, "a row's label", row.label.literal.empty());
    check_key(row.value.key, "a row's value", row.value.literal.empty());
    row_args = nullptr;
  }
  if (view.idle_countdown_s) {
    EXPECT_EQ(view.args.count("seconds"), 1U);
  }
}

// Every string a View carries, for "never shown" checks.
std::vector<std::string> strings_of(const ui::View& view) {
  std::vector<std::string> out{view.title_key, view.body_key, view.detail_key, view.typed,
                               view.language};
  for (const auto& [k, v] : view.args) {
    out.push_back(k);
    out.push_back(v);
  }
  for (const auto& [k, v] : view.arg_keys) {
    out.push_back(k);
    out.push_back(v);
  }
  for (const auto& c : view.choices) {
    out.push_back(c.action);
    out.push_back(c.label.key);
    out.push_back(c.label.literal);
  }
  for (const auto& r : view.rows) {
    out.push_back(r.label.key);
    out.push_back(r.label.literal);
    out.push_back(r.value.key);
    out.push_back(r.value.literal);
  }
  return out;
}

template <typename T>
int count(const std::vector<Command>& commands) {
  return static_cast<int>(std::count_if(commands.begin(), commands.end(), [](const Command& c) {
    return std::holds_alternative<T>(c);
  }));
}

template <typename T>
const T* first(const std::vector<Command>& commands) {
  for (const auto& c : commands) {
    if (const auto* t = std::get_if<T>(&c)) return t;
  }
  return nullptr;
}

bool sounds(const std::vector<Command>& commands, ui::Cue cue) {
  return std::any_of(commands.begin(), commands.end(), [cue](const Command& c) {
    const auto* sound = std::get_if<PlaySound>(&c);
    return sound != nullptr && sound->cue == cue;
  });
}

class SessionTest : public ::testing::Test {
 protected:
  SessionTest() {
    settings.default_language = "ro";
    settings.idle_after_s = 60;
    settings.idle_countdown_s = 15;
    settings.helpline = "+40 264 596 030";
    settings.counter_hours = "Mon-Fri 8:00-16:00";
    settings.track_url = "https://primaria.example/t/";
    settings.local_time = [](std::int64_t unix_ms) {
      const std::int64_t minutes = unix_ms / 60'000;
      char text[8];
      std::snprintf(text, sizeof text, "%02d:%02d", static_cast<int>(minutes / 60 % 24),
                    static_cast<int>(minutes % 60));
      return std::string(text);
    };
    settings.staff.push_back(member("CLERK-0001", "Ana Pop", StaffRole::clerk, kClerkPin));
    settings.staff.push_back(
        member("TECH-07", "Kovács Béla", StaffRole::technician, kTechnicianPin));

    facts.box_id = "box-0001";
    facts.document_kinds = {"request", "complaint", "building_permit"};
    facts.free_dropoff = 2;
    facts.free_pickup = 5;
    facts.compartments = 12;
    facts.last_sync = "09:58";
    facts.controller = "https://controller.example:8443";
    facts.devices = {{{"technician.boards", ""}, {"", "2/2"}, true},
                     {{"technician.printer", ""}, {"", "ready"}, true},
                     {{"technician.camera", ""}, {"", "/dev/video0"}, true}};
  }

  StaffMember member(std::string badge, std::string name, StaffRole role, const char* pin) {
    auto hash = parse_pin_hash(hash_pin(pin, random, 1000));
    EXPECT_TRUE(hash.has_value());
    return StaffMember{std::move(badge), std::move(name), role, *hash};
  }

  Session& session() {
    if (!session_) {
      session_.emplace(settings, facts, now);
      expect_words_exist(session_->view());
    }
    return *session_;
  }
  const ui::View& view() { return session().view(); }

  std::vector<Command> run(const SessionInput& input) {
    auto commands = session().handle(input, now);
    expect_words_exist(session().view());
    return commands;
  }
  std::vector<Command> touch(const std::string& action) { return run(Touched{action}); }
  std::vector<Command> scan(const std::string& text) { return run(ScannedText{text}); }
  std::vector<Command> type(const std::string& keys) {
    std::vector<Command> all;
    for (char c : keys) {
      auto commands = touch(c == ' ' ? std::string("key:space") : "key:" + std::string(1, c));
      all.insert(all.end(), commands.begin(), commands.end());
    }
    return all;
  }
  std::vector<Command> wait_s(int seconds) {
    now += seconds * 1000LL;
    return run(Tick{});
  }
  std::vector<Command> door(int compartment) { return run(DoorUnlocked{compartment}); }
  std::vector<Command> finish(FlowResult result) { return run(FlowFinished{std::move(result)}); }

  FlowResult filed(std::optional<std::string> contact, bool printed = true) {
    FlowResult r;
    r.events.push_back(wire::SubmissionFiled{tracking, "request", 3, "P-box-0001-000007",
                                             std::move(contact), false});
    if (printed) r.receipt_for = tracking.str();
    return r;
  }
  static FlowResult refused(RefuseReason reason, std::optional<int> tries = std::nullopt,
                            std::optional<int> retry_in_s = std::nullopt) {
    FlowResult r;
    r.refused = Refuse{reason, "(the kiosk's English sentence)", tries, retry_in_s};
    return r;
  }

  // From home to the consent screen, with `contact` typed.
  void file_up_to_consent(const std::string& contact) {
    touch("file");
    touch("kind:request");
    type(contact);
    touch("next");
    ASSERT_EQ(view().screen, ScreenId::file_consent);
  }

  void log_in(const std::string& badge, const std::string& pin) {
    scan("CBX-BADGE:" + badge);
    ASSERT_EQ(view().screen, ScreenId::staff_pin);
    type(pin);
    touch("login");
  }

  testing::SeededRandom random{2026};
  TrackingCode tracking = TrackingCode::generate(random);
  PickupCode pickup = PickupCode::generate(random);
  std::int64_t now = kTen;
  SessionSettings settings;
  BoxFacts facts;

 private:
  std::optional<Session> session_;
};

// ---- filing -------------------------------------------------------------------------------

TEST_F(SessionTest, ACitizenFilesWithAContactAndSeesTheReceiptWithTheTrackingCode) {
  EXPECT_EQ(view().screen, ScreenId::home);
  EXPECT_TRUE(view().can_file);
  touch("file");
  ASSERT_EQ(view().screen, ScreenId::file_kind);
  ASSERT_EQ(view().choices.size(), 3U);
  EXPECT_EQ(view().choices[0].action, "kind:request");
  EXPECT_EQ(view().choices[0].label.key, "kind.request");
  EXPECT_EQ(view().choices[2].label.literal, "building_permit");

  touch("kind:request");
  ASSERT_EQ(view().screen, ScreenId::file_contact);
  EXPECT_EQ(view().typed, "");
  auto taps = type("+40 722 123 456");
  EXPECT_EQ(view().typed, "+40 722 123 456");
  EXPECT_TRUE(sounds(taps, ui::Cue::tap));
  EXPECT_TRUE(touch("next").empty());
  ASSERT_EQ(view().screen, ScreenId::file_consent);

  auto started = touch("agree");
  const auto* filing = first<StartFiling>(started);
  ASSERT_NE(filing, nullptr);
  EXPECT_EQ(filing->kind, "request");
  EXPECT_EQ(filing->contact, std::optional<std::string>("+40 722 123 456"));
  EXPECT_EQ(filing->language, view().language) << "the receipt's language is the screen's";
  EXPECT_EQ(view().screen, ScreenId::working);
  EXPECT_TRUE(session().flow_running());

  auto opened = door(3);
  EXPECT_EQ(view().screen, ScreenId::door_open);
  EXPECT_EQ(view().body_key, "door.file");
  EXPECT_EQ(view().args.at("compartment"), "3");
  EXPECT_TRUE(sounds(opened, ui::Cue::attention));

  auto done = finish(filed("+40 722 123 456"));
  EXPECT_FALSE(session().flow_running());
  ASSERT_EQ(view().screen, ScreenId::receipt);
  EXPECT_EQ(view().args.at("tracking_code"), tracking.display());
  EXPECT_NE(tracking.display(), tracking.str());  // grouped for reading
  EXPECT_EQ(view().args.at("number"), "P-box-0001-000007");
  EXPECT_EQ(view().args.at("url"), "https://primaria.example/t/" + tracking.str());
  EXPECT_EQ(view().body_key, "receipt.take");
  EXPECT_TRUE(view().has_printer);
  EXPECT_TRUE(sounds(done, ui::Cue::success));

  touch("ok");
  EXPECT_EQ(view().screen, ScreenId::home);
  for (const auto& s : strings_of(view())) {
    EXPECT_EQ(s.find(tracking.display()), std::string::npos) << "the receipt is gone from home";
  }
}

TEST_F(SessionTest, SkipFilesWithoutContact) {
  touch("file");
  touch("kind:complaint");
  auto started = touch("skip");
  const auto* filing = first<StartFiling>(started);
  ASSERT_NE(filing, nullptr);
  EXPECT_EQ(filing->kind, "complaint");
  EXPECT_FALSE(filing->contact.has_value());
}

TEST_F(SessionTest, AnOnlineFilingShowsTheRegistrationNumberNotAProvisionalOne) {
  touch("file");
  touch("kind:request");
  touch("skip");
  door(3);
  FlowResult result = filed(std::nullopt);
  result.registration_number = "2026/000123";
  finish(result);
  EXPECT_EQ(view().screen, ScreenId::receipt);
  EXPECT_EQ(view().args.at("registration"), "2026/000123");
  EXPECT_TRUE(view().detail_key.empty()) << "no 'the number is provisional' note";
}

TEST_F(SessionTest, DisagreeingFilesWithoutTheContactTyped) {
  file_up_to_consent("ana@example.ro");
  auto started = touch("disagree");
  const auto* filing = first<StartFiling>(started);
  ASSERT_NE(filing, nullptr);
  EXPECT_FALSE(filing->contact.has_value());
}

TEST_F(SessionTest, BackReturnsOneScreen) {
  file_up_to_consent("ana@example.ro");
  touch("back");
  EXPECT_EQ(view().screen, ScreenId::file_contact);
  EXPECT_EQ(view().typed, "ana@example.ro");  // to correct it, not to type it again
  touch("back");
  EXPECT_EQ(view().screen, ScreenId::file_kind);
  touch("back");
  EXPECT_EQ(view().screen, ScreenId::home);

  touch("collect");
  EXPECT_EQ(view().screen, ScreenId::collect_scan);
  touch("type_code");
  EXPECT_EQ(view().screen, ScreenId::collect_keypad);
  touch("back");
  EXPECT_EQ(view().screen, ScreenId::collect_scan);
  touch("back");
  EXPECT_EQ(view().screen, ScreenId::home);
}

TEST_F(SessionTest, HomeCancelsTheFilingAndForgetsWhatWasTyped) {
  touch("file");
  touch("kind:request");
  type("ana@example.ro");
  EXPECT_TRUE(touch("home").empty());
  EXPECT_EQ(view().screen, ScreenId::home);
  touch("file");
  touch("kind:request");
  EXPECT_EQ(view().typed, "");
}

TEST_F(SessionTest, AnInvalidContactIsRefusedWithAMessageAndNothingStarts) {
  touch("file");
  touch("kind:request");
  for (const char* typed : {"12345", "ana@example", "ana example.ro", "+40 72x 123 456"}) {
    while (!view().typed.empty()) touch("key:erase");
    type(typed);
    auto commands = touch("next");
    EXPECT_EQ(count<StartFiling>(commands), 0) << typed;
    EXPECT_EQ(view().screen, ScreenId::file_contact) << typed;
    EXPECT_EQ(view().body_key, "contact.invalid") << typed;
    EXPECT_EQ(view().typed, typed) << "kept to be corrected";
  }
  EXPECT_FALSE(session().flow_running());
}

TEST_F(SessionTest, ErasingRemovesOneWholeCharacter) {
  touch("file");
  touch("kind:request");
  touch("key:ș");
  touch("key:a");
  touch("key:ő");
  touch("key:erase");
  EXPECT_EQ(view().typed, "șa");
  touch("key:erase");
  touch("key:erase");
  EXPECT_EQ(view().typed, "");
  touch("key:erase");
  EXPECT_EQ(view().typed, "");
  touch("key:ab");  // not one character
  touch("key:\x07");
  EXPECT_EQ(view().typed, "");
}

TEST_F(SessionTest, AContactCannotGrowPastItsLimit) {
  touch("file");
  touch("kind:request");
  type(std::string(kMaxContactBytes + 10, '1'));
  EXPECT_EQ(view().typed.size(), kMaxContactBytes);
}

TEST_F(SessionTest, ASecondTouchOnAgreeStartsOnlyOneFiling) {
  file_up_to_consent("ana@example.ro");
  int filings = count<StartFiling>(touch("agree"));
  filings += count<StartFiling>(touch("agree"));
  filings += count<StartFiling>(touch("disagree"));
  filings += count<StartCollect>(scan(pickup.display()));
  EXPECT_EQ(filings, 1);
  EXPECT_EQ(view().screen, ScreenId::working);
}

TEST_F(SessionTest, WhileAFlowRunsOnlyLanguageAndThemeAct) {
  file_up_to_consent("ana@example.ro");
  touch("agree");
  door(3);
  for (const char* action : {"home", "back", "ok", "file", "collect", "logout"}) {
    EXPECT_TRUE(touch(action).empty()) << action;
    EXPECT_EQ(view().screen, ScreenId::door_open) << action;
  }
  touch("lang:es");
  touch("contrast");
  touch("larger");
  EXPECT_EQ(view().language, "es");
  EXPECT_TRUE(view().high_contrast);
  EXPECT_TRUE(view().large_text);
  EXPECT_EQ(view().screen, ScreenId::door_open);
}

TEST_F(SessionTest, AReceiptThatCouldNotBePrintedSaysWhyAndTheCodeStaysOnScreen) {
  file_up_to_consent("ana@example.ro");
  touch("agree");
  FlowResult result = filed("ana@example.ro", false);
  result.no_receipt = "out of paper";
  finish(result);
  ASSERT_EQ(view().screen, ScreenId::receipt);
  EXPECT_EQ(view().body_key, "receipt.no_receipt");
  EXPECT_EQ(view().arg_keys.at("why"), "why.printer");
  EXPECT_FALSE(view().has_printer);
  EXPECT_EQ(view().args.at("tracking_code"), tracking.display());

  for (const auto& [said, key] : std::vector<std::pair<std::string, std::string>>{
           {"its cover is open", "why.printer_cover"},
           {"it is offline: timeout", "why.printer_off"}}) {
    touch("ok");
    file_up_to_consent("ana@example.ro");
    touch("agree");
    result.no_receipt = said;
    finish(result);
    EXPECT_EQ(view().arg_keys.at("why"), key) << said;
  }
}

TEST_F(SessionTest, ARefusedFilingSaysWhyWithASound) {
  struct Case {
    RefuseReason reason;
    std::string key;
  };
  for (const auto& c :
       std::vector<Case>{{RefuseReason::no_free_compartment, "refused.no_compartment"},
                         {RefuseReason::busy, "refused.busy"},
                         {RefuseReason::unknown_kind, "refused.unknown_kind"},
                         {RefuseReason::bad_contact, "contact.invalid"},
                         {RefuseReason::door_not_opened, "refused.door_not_opened"}}) {
    touch("file");
    touch("kind:request");
    touch("skip");
    auto commands = finish(refused(c.reason));
    ASSERT_EQ(view().screen, ScreenId::notice) << c.key;
    EXPECT_EQ(view().body_key, c.key);
    EXPECT_EQ(view().tone, ui::Tone::failure);
    EXPECT_TRUE(sounds(commands, ui::Cue::failure));
    touch("ok");
    EXPECT_EQ(view().screen, ScreenId::home);
  }

  touch("file");
  touch("kind:request");
  touch("skip");
  FlowResult broken;
  broken.error = make_error(ErrorCode::io, "journal: disk I/O error");
  finish(broken);
  EXPECT_EQ(view().body_key, "refused.error");
  EXPECT_EQ(view().args.at("phone"), "+40 264 596 030");
  for (const auto& s : strings_of(view())) {
    EXPECT_EQ(s.find("disk"), std::string::npos) << "a citizen never sees the technician's cause";
  }
}

// ---- collecting ---------------------------------------------------------------------------

TEST_F(SessionTest, TheLastWrongCodeSaysTheKeypadIsLockedAndUntilWhen) {
  touch("collect");
  touch("type_code");
  type("4f7kq29xw");
  touch("open");
  finish(refused(RefuseReason::wrong_code, 0));
  ASSERT_EQ(view().screen, ScreenId::notice);
  EXPECT_EQ(view().title_key, "refused.locked_title");
  EXPECT_EQ(view().body_key, "refused.locked");
  EXPECT_FALSE(view().args.at("until").empty());
  EXPECT_TRUE(view().detail_key.empty()) << "no 'tries left: 0'";
}

TEST_F(SessionTest, WithoutAHelplineTheBoxSaysAskAtTheCounterInsteadOfCallNothing) {
  settings.helpline = "";
  touch("collect");
  touch("type_code");
  type("4f7kq29xw");
  touch("open");
  finish(refused(RefuseReason::expired));
  EXPECT_EQ(view().body_key, "refused.expired_no_phone");
}

TEST_F(SessionTest, MoreTurnsThePageOfDocumentKinds) {
  touch("file");
  EXPECT_EQ(view().page, 0);
  touch("more");
  EXPECT_EQ(view().page, 1);
  touch("back");
  touch("file");
  EXPECT_EQ(view().page, 0) << "a new filing starts on the first page";
}

TEST_F(SessionTest, AWrongPickupCodeShowsTheTriesLeft) {
  touch("collect");
  touch("type_code");
  type("4f7kq29xw");
  EXPECT_EQ(view().typed, "4F7KQ29XW");
  auto started = touch("open");
  const auto* collect = first<StartCollect>(started);
  ASSERT_NE(collect, nullptr);
  EXPECT_EQ(collect->code, "4F7KQ29XW");
  EXPECT_EQ(view().screen, ScreenId::working);
  EXPECT_EQ(view().typed, "");

  auto commands = finish(refused(RefuseReason::wrong_code, 7));
  ASSERT_EQ(view().screen, ScreenId::notice);
  EXPECT_EQ(view().body_key, "refused.wrong_code");
  EXPECT_EQ(view().detail_key, "refused.tries_left");
  EXPECT_EQ(view().args.at("tries"), "7");
  EXPECT_TRUE(sounds(commands, ui::Cue::failure));
  for (const auto& s : strings_of(view())) {
    EXPECT_EQ(s.find("4F7KQ29XW"), std::string::npos) << "the typed code is gone";
  }

  touch("ok");
  touch("collect");
  touch("type_code");
  type("4F7KQ29XV");
  touch("open");
  finish(refused(RefuseReason::mistyped, 6));
  EXPECT_EQ(view().body_key, "refused.mistyped");
  EXPECT_EQ(view().args.at("tries"), "6");
}

TEST_F(SessionTest, EveryPickupRefusalHasItsOwnWords) {
  struct Case {
    RefuseReason reason;
    std::string key;
  };
  for (const auto& c : std::vector<Case>{{RefuseReason::expired, "refused.expired"},
                                         {RefuseReason::used, "refused.used"},
                                         {RefuseReason::not_loaded, "refused.not_here"},
                                         {RefuseReason::unknown_parcel, "refused.not_here"}}) {
    scan(pickup.display());
    finish(refused(c.reason));
    EXPECT_EQ(view().body_key, c.key);
    touch("ok");
  }
}

TEST_F(SessionTest, LockedOutShowsWhenToTryAgain) {
  scan(pickup.display());
  now += 20'000;  // 10:00:20 when the refusal comes back
  auto commands = finish(refused(RefuseReason::locked_out, 0, 900));
  ASSERT_EQ(view().screen, ScreenId::notice);
  EXPECT_EQ(view().title_key, "refused.locked_title");
  EXPECT_EQ(view().body_key, "refused.locked");
  EXPECT_EQ(view().args.at("until"), "10:16") << "10:15:20, rounded up: trying then works";
  EXPECT_EQ(view().args.at("phone"), "+40 264 596 030");
  EXPECT_TRUE(sounds(commands, ui::Cue::failure));
}

TEST_F(SessionTest, AScannedPickupCodeCollects) {
  auto started = scan(pickup.display());
  const auto* collect = first<StartCollect>(started);
  ASSERT_NE(collect, nullptr);
  EXPECT_EQ(collect->code, pickup.str());
  EXPECT_EQ(view().screen, ScreenId::working);
  for (const auto& s : strings_of(view())) {
    EXPECT_EQ(s.find(pickup.str()), std::string::npos);
  }

  auto opened = door(8);
  EXPECT_EQ(view().body_key, "door.collect");
  EXPECT_EQ(view().args.at("compartment"), "8");
  EXPECT_TRUE(sounds(opened, ui::Cue::attention));

  FlowResult result;
  result.events.push_back(wire::ParcelCollected{"PARCEL-1", 8, false});
  auto done = finish(result);
  ASSERT_EQ(view().screen, ScreenId::notice);
  EXPECT_EQ(view().title_key, "thanks.title");
  EXPECT_EQ(view().body_key, "thanks.collected");
  EXPECT_EQ(view().tone, ui::Tone::success);
  EXPECT_TRUE(sounds(done, ui::Cue::success));
}

TEST_F(SessionTest, APickupCodeScannedOnTheCollectScreensCollectsToo) {
  touch("collect");
  EXPECT_EQ(count<StartCollect>(scan(pickup.display())), 1);
  finish(refused(RefuseReason::wrong_code, 9));
  touch("ok");
  touch("collect");
  touch("type_code");
  type("12");
  EXPECT_EQ(count<StartCollect>(scan("https://primaria.example/p/" + pickup.str())), 1);
}

TEST_F(SessionTest, AScannedReceiptTrackingCodeSaysItIsForTheWebsite) {
  auto commands = scan(tracking.display());
  EXPECT_EQ(count<StartCollect>(commands), 0);
  ASSERT_EQ(view().screen, ScreenId::notice);
  EXPECT_EQ(view().body_key, "refused.tracking_code");
  EXPECT_TRUE(sounds(commands, ui::Cue::failure));

  touch("ok");
  scan("https://example.com/whatever");
  EXPECT_EQ(view().body_key, "refused.not_a_code");
  touch("ok");
  scan(format_scanned(ParcelLabel{tracking}));
  EXPECT_EQ(view().body_key, "refused.not_a_code") << "a parcel label is for the clerk's screen";
}

TEST_F(SessionTest, WithoutACameraCollectingGoesStraightToTheKeypad) {
  facts.scanner_ok = false;
  EXPECT_FALSE(view().has_camera);
  touch("collect");
  EXPECT_EQ(view().screen, ScreenId::collect_keypad);
  touch("back");
  EXPECT_EQ(view().screen, ScreenId::home);
}

// ---- staff --------------------------------------------------------------------------------

TEST_F(SessionTest, AClerkBadgeWithTheWrongPinFiveTimesLocksIt) {
  scan("CBX-BADGE:CLERK-0001");
  ASSERT_EQ(view().screen, ScreenId::staff_pin);
  EXPECT_EQ(view().args.at("badge"), "CLERK-0001");
  for (int wrong = 1; wrong <= 4; ++wrong) {
    type("0000");
    auto commands = touch("login");
    ASSERT_EQ(view().screen, ScreenId::staff_pin);
    EXPECT_EQ(view().body_key, "staff.wrong_pin");
    EXPECT_EQ(view().args.at("tries"), std::to_string(kMaxWrongPins - wrong));
    EXPECT_TRUE(sounds(commands, ui::Cue::failure));
  }
  type("0000");
  touch("login");
  ASSERT_EQ(view().screen, ScreenId::notice);
  EXPECT_EQ(view().body_key, "staff.locked");
  EXPECT_EQ(view().args.at("until"), "10:15");

  // Even the right PIN waits for the lock to end, and the badge stays locked after a new session.
  touch("ok");
  now += 10 * 60'000;
  scan("CBX-BADGE:CLERK-0001");
  EXPECT_EQ(view().screen, ScreenId::notice);
  EXPECT_EQ(view().body_key, "staff.locked");
  now += 5 * 60'000;
  touch("ok");
  log_in("CLERK-0001", kClerkPin);
  EXPECT_EQ(view().screen, ScreenId::clerk_menu);
  EXPECT_EQ(session().staff_badge(), "CLERK-0001");
}

TEST_F(SessionTest, ARightPinResetsTheWrongOnesBefore) {
  for (int round = 0; round < 3; ++round) {
    scan("CBX-BADGE:CLERK-0001");
    for (int wrong = 0; wrong < 4; ++wrong) {
      type("1111");
      touch("login");
    }
    type(kClerkPin);
    touch("login");
    ASSERT_EQ(view().screen, ScreenId::clerk_menu) << round;
    touch("logout");
  }
}

TEST_F(SessionTest, TooShortAPinIsNoTry) {
  scan("CBX-BADGE:CLERK-0001");
  type("12");
  touch("login");
  EXPECT_EQ(view().screen, ScreenId::staff_pin);
  EXPECT_EQ(view().args.at("tries"), std::to_string(kMaxWrongPins));
}

TEST_F(SessionTest, AnUnknownBadgeIsToldSo) {
  auto commands = scan("CBX-BADGE:STRANGER-1");
  ASSERT_EQ(view().screen, ScreenId::notice);
  EXPECT_EQ(view().body_key, "staff.unknown_badge");
  EXPECT_TRUE(sounds(commands, ui::Cue::failure));
  EXPECT_EQ(session().staff_badge(), "");
}

TEST_F(SessionTest, ThePinNeverAppearsInTheView) {
  const std::string pin = kClerkPin;
  auto check = [&](const char* when) {
    for (const auto& s : strings_of(view())) {
      for (std::size_t length = 3; length <= pin.size(); ++length) {
        EXPECT_EQ(s.find(pin.substr(0, length)), std::string::npos) << when << ": " << s;
      }
    }
  };
  scan("CBX-BADGE:CLERK-0001");
  for (char digit : pin) {
    touch(std::string("key:") + digit);
    check("typing");
  }
  EXPECT_EQ(view().typed, "\u2022\u2022\u2022\u2022");
  touch("key:erase");
  EXPECT_EQ(view().typed, "\u2022\u2022\u2022");
  touch("key:3");
  touch("key:9");  // wrong PIN "91739"
  touch("login");
  check("wrong PIN");
  EXPECT_EQ(view().typed, "");
  type(pin);
  touch("login");
  ASSERT_EQ(view().screen, ScreenId::clerk_menu);
  check("logged in");
  touch("clerk:faulty");
  check("faulty");
}

TEST_F(SessionTest, AClerkLoadsAParcelByScanningItsLabel) {
  log_in("CLERK-0001", kClerkPin);
  ASSERT_EQ(view().screen, ScreenId::clerk_menu);
  EXPECT_EQ(view().args.at("name"), "Ana Pop");
  EXPECT_EQ(view().detail_key, "clerk.free");
  EXPECT_EQ(view().args.at("dropoff"), "2");
  EXPECT_EQ(view().args.at("pickup"), "5");

  touch("clerk:load");
  ASSERT_EQ(view().screen, ScreenId::clerk_load);
  auto started = scan(format_scanned(ParcelLabel{tracking}));
  const auto* load = first<StartLoad>(started);
  ASSERT_NE(load, nullptr);
  EXPECT_EQ(load->parcel_id, tracking.str());
  EXPECT_EQ(load->badge, "CLERK-0001") << "the opening is journaled with the clerk's badge";

  door(6);
  EXPECT_EQ(view().body_key, "door.load");
  EXPECT_EQ(view().args.at("parcel"), tracking.str());
  FlowResult result;
  result.events.push_back(wire::ParcelLoaded{tracking.str(), 6});
  auto done = finish(result);
  ASSERT_EQ(view().screen, ScreenId::clerk_load) << "ready for the next label";
  EXPECT_EQ(view().body_key, "clerk.loaded");
  EXPECT_EQ(view().args.at("parcel"), tracking.str());
  EXPECT_EQ(view().args.at("compartment"), "6");
  EXPECT_EQ(view().tone, ui::Tone::success);
  EXPECT_TRUE(sounds(done, ui::Cue::success));

  for (const auto& [reason, key] : std::vector<std::pair<RefuseReason, std::string>>{
           {RefuseReason::already_loaded, "clerk.already_loaded"},
           {RefuseReason::unknown_parcel, "refused.not_here"},
           {RefuseReason::no_free_compartment, "clerk.no_free"}}) {
    scan(format_scanned(ParcelLabel{tracking}));
    finish(refused(reason));
    EXPECT_EQ(view().screen, ScreenId::clerk_load);
    EXPECT_EQ(view().body_key, key);
    EXPECT_EQ(view().tone, ui::Tone::failure);
  }

  auto other = scan(pickup.display());
  EXPECT_EQ(count<StartCollect>(other) + count<StartLoad>(other), 0);
  EXPECT_EQ(view().body_key, "refused.not_a_code");
  touch("back");
  EXPECT_EQ(view().screen, ScreenId::clerk_menu);
}

TEST_F(SessionTest, EmptyShowsTheCountConfirmed) {
  log_in("CLERK-0001", kClerkPin);
  auto started = touch("clerk:empty");
  EXPECT_EQ(count<StartEmpty>(started), 1);
  EXPECT_EQ(first<StartEmpty>(started)->badge, "CLERK-0001");
  EXPECT_EQ(count<StartEmpty>(touch("clerk:empty")), 0);
  door(1);
  EXPECT_EQ(view().body_key, "door.empty");
  EXPECT_EQ(view().args.at("compartment"), "1");
  door(2);
  EXPECT_EQ(view().args.at("compartment"), "2");
  FlowResult result;
  result.events.push_back(wire::DropoffEmptied{1, {"AAAA", "BBBB"}});
  result.events.push_back(wire::DropoffEmptied{2, {"CCCC"}});
  finish(result);
  ASSERT_EQ(view().screen, ScreenId::clerk_menu);
  EXPECT_EQ(view().body_key, "clerk.emptied");
  EXPECT_EQ(view().args.at("count"), "3");
  EXPECT_EQ(view().args.at("compartments"), "2");

  touch("clerk:empty");
  finish(FlowResult{});
  EXPECT_EQ(view().body_key, "clerk.nothing_to_empty");
}

TEST_F(SessionTest, ADoorThatDidNotOpenWhileEmptyingStillCountsWhatWasTakenOut) {
  log_in("CLERK-0001", kClerkPin);
  touch("clerk:empty");
  door(1);
  FlowResult result = refused(RefuseReason::door_not_opened);
  result.events.push_back(wire::DropoffEmptied{1, {"AAAA", "BBBB"}});
  auto commands = finish(result);
  ASSERT_EQ(view().screen, ScreenId::clerk_menu);
  EXPECT_EQ(view().body_key, "refused.door_not_opened");
  EXPECT_EQ(view().detail_key, "clerk.emptied");
  EXPECT_EQ(view().args.at("count"), "2");
  EXPECT_EQ(view().tone, ui::Tone::failure);
  EXPECT_TRUE(sounds(commands, ui::Cue::failure));
}

TEST_F(SessionTest, TheClerkSeesTheFaultyCompartments) {
  facts.faulty = {7, 3};
  log_in("CLERK-0001", kClerkPin);
  touch("clerk:faulty");
  ASSERT_EQ(view().screen, ScreenId::clerk_faulty);
  ASSERT_EQ(view().rows.size(), 2U);
  EXPECT_EQ(view().rows[0].label.literal, "3");
  EXPECT_EQ(view().rows[0].ok, std::optional<bool>(false));
  touch("back");
  facts.faulty.clear();
  run(FactsChanged{facts});
  touch("clerk:faulty");
  ASSERT_EQ(view().rows.size(), 1U);
  EXPECT_EQ(view().rows[0].label.key, "clerk.none_faulty");
}

// A self-test's line, as the agent reports it.
SelfTestLine test_line(std::string part, std::optional<int> compartment, SelfTestFinding finding,
                       bool ok) {
  return SelfTestLine{wire::SelfTestCheck{std::move(part), compartment, ok, "(English detail)"},
                      finding};
}

TEST_F(SessionTest, ATechnicianRunsTheSelfTest) {
  log_in("TECH-07", kTechnicianPin);
  ASSERT_EQ(view().screen, ScreenId::technician);
  auto labels = [&] {
    std::vector<std::string> out;
    for (const auto& row : view().rows) out.push_back(row.label.key);
    return out;
  };
  EXPECT_EQ(labels(), (std::vector<std::string>{"technician.boards", "technician.printer",
                                                "technician.camera", "technician.identity",
                                                "technician.controller", "technician.last_sync"}));
  EXPECT_EQ(view().rows[3].value.literal, "box-0001");
  EXPECT_EQ(view().rows[4].ok, std::optional<bool>(true));
  EXPECT_FALSE(view().running);

  EXPECT_EQ(count<StartSelfTest>(touch("self_test")), 1);
  EXPECT_EQ(count<StartSelfTest>(touch("self_test")), 0);
  EXPECT_TRUE(session().flow_running());
  EXPECT_TRUE(view().running);

  // Under way: which door, of how many, and the lines done so far.
  SelfTestProgress progress;
  progress.step = SelfTestProgress::Step::compartment;
  progress.compartment = 5;
  progress.index = 3;
  progress.of = 4;
  progress.done = {test_line("lock_board", std::nullopt, SelfTestFinding::passed, true),
                   test_line("journal", std::nullopt, SelfTestFinding::passed, true),
                   test_line("compartment", 1, SelfTestFinding::passed, true),
                   test_line("compartment", 2, SelfTestFinding::holds_document, true)};
  run(SelfTestUnderWay{progress});
  ASSERT_EQ(view().screen, ScreenId::technician);
  EXPECT_TRUE(view().running);
  EXPECT_EQ(view().body_key, "self_test.step_compartment");
  EXPECT_EQ(view().args.at("compartment"), "5");
  EXPECT_EQ(view().args.at("index"), "3");
  EXPECT_EQ(view().args.at("of"), "4");
  EXPECT_EQ(labels(), (std::vector<std::string>{"technician.boards", "self_test.journal",
                                                "self_test.compartments_all",
                                                "self_test.compartment", "technician.identity",
                                                "technician.controller", "technician.last_sync"}));
  // A door of the self-test is not a citizen's door screen; logging out waits for the end.
  EXPECT_TRUE(door(5).empty());
  EXPECT_EQ(view().screen, ScreenId::technician);
  EXPECT_TRUE(touch("logout").empty());
  EXPECT_EQ(session().staff_badge(), "TECH-07");

  progress.step = SelfTestProgress::Step::scanner;
  progress.scan_wait = std::chrono::seconds(60);
  EXPECT_TRUE(sounds(run(SelfTestUnderWay{progress}), ui::Cue::attention))
      << "the technician has to hold the receipt up now";
  EXPECT_EQ(view().body_key, "self_test.step_scanner");
  EXPECT_EQ(view().args.at("seconds"), "60");

  SelfTestResult result;
  result.lines = progress.done;
  result.lines.push_back(test_line("compartment", 5, SelfTestFinding::passed, true));
  result.lines.push_back(test_line("printer", std::nullopt, SelfTestFinding::paper_out, false));
  result.lines.push_back(
      test_line("scanner", std::nullopt, SelfTestFinding::no_test_receipt, false));
  result.delivery = ReportDelivery::queued;
  auto done = run(SelfTestFinished{result});
  EXPECT_FALSE(session().flow_running());
  EXPECT_FALSE(view().running);
  ASSERT_EQ(view().screen, ScreenId::technician);
  EXPECT_EQ(view().body_key, "self_test.failed");
  EXPECT_EQ(view().tone, ui::Tone::failure);
  EXPECT_TRUE(sounds(done, ui::Cue::failure));
  const auto& rows = view().rows;
  ASSERT_GE(rows.size(), 8u);
  EXPECT_EQ(rows[2].label.key, "self_test.compartments_all");
  EXPECT_EQ(rows[2].args.at("passed"), "2");
  EXPECT_EQ(rows[2].args.at("of"), "3");
  EXPECT_EQ(rows[4].label.key, "technician.printer");
  EXPECT_EQ(rows[4].value.key, "self_test.paper_out");
  EXPECT_EQ(rows[4].ok, std::optional<bool>(false));
  EXPECT_EQ(rows[6].label.key, "self_test.report");
  EXPECT_EQ(rows[6].value.key, "self_test.report_queued");
  touch("logout");
  EXPECT_EQ(view().screen, ScreenId::home);
  EXPECT_EQ(session().staff_badge(), "");
}

// A revoked box: the technician logs in and shows a new enrolment QR; the box is enrolled again
// while it runs, and the next self-test there is the provisioning one.
TEST_F(SessionTest, ATechnicianEnrolsARevokedBoxAgainFromTheTechnicianScreen) {
  const std::string token = "CBX-ENROL:q7Vb3kP0xY2mN8sT4wZ6aC1dE5fG9hJ0";
  facts.revoked = true;
  facts.can_enrol = true;
  // A citizen showing a token gets nothing from it.
  EXPECT_EQ(count<StartEnrol>(scan(token)), 0);
  log_in("TECH-07", kTechnicianPin);
  ASSERT_EQ(view().screen, ScreenId::technician);
  EXPECT_EQ(count<StartEnrol>(scan("CBX-BADGE:TECH-07")), 0) << "not a token: ignored";

  auto started = scan(token);
  ASSERT_EQ(count<StartEnrol>(started), 1);
  EXPECT_TRUE(session().flow_running());
  EXPECT_TRUE(view().running);
  EXPECT_EQ(view().body_key, "setup.enrolling");
  EXPECT_EQ(count<StartEnrol>(scan(token)), 0) << "one at a time";
  touch("logout");
  EXPECT_TRUE(session().flow_running()) << "no logging out while the controller is asked";
  EXPECT_EQ(view().screen, ScreenId::technician);

  EnrolFinished refused;
  refused.reason_key = "setup.token_expired";
  refused.advice_key = "setup.new_token";
  EXPECT_TRUE(sounds(run(refused), ui::Cue::failure));
  EXPECT_FALSE(session().flow_running());
  EXPECT_EQ(view().body_key, "setup.token_expired");
  EXPECT_EQ(view().detail_key, "setup.new_token");
  // The box's facts come every 2 s: what the screen says, and its advice, stay.
  run(FactsChanged{facts});
  EXPECT_EQ(view().body_key, "setup.token_expired");
  EXPECT_EQ(view().detail_key, "setup.new_token");

  ASSERT_EQ(count<StartEnrol>(scan(token)), 1);
  EnrolFinished done;
  done.ok = true;
  done.box_id = "box-0001";
  done.site = "centru";
  EXPECT_TRUE(sounds(run(done), ui::Cue::success));
  EXPECT_EQ(view().body_key, "technician.enrolled_again");
  EXPECT_EQ(view().args.at("box"), "box-0001");
  run(FactsChanged{facts});
  EXPECT_EQ(view().args.at("site"), "centru");
  // The same token again: the identity it made is in use, nothing is enrolled.
  ASSERT_EQ(count<StartEnrol>(scan(token)), 1);
  EnrolFinished same = done;
  same.already_done = true;
  run(same);
  EXPECT_EQ(view().body_key, "setup.already_enrolled");
  auto test = touch("self_test");
  ASSERT_EQ(count<StartSelfTest>(test), 1);
  for (const auto& c : test) {
    if (const auto* t = std::get_if<StartSelfTest>(&c)) {
      EXPECT_EQ(t->reason, "provisioning");
    }
  }
}

TEST_F(SessionTest, WithoutEnrolConfiguredTheTechnicianScreenSaysToUseTheCommand) {
  facts.can_enrol = false;
  log_in("TECH-07", kTechnicianPin);
  EXPECT_EQ(count<StartEnrol>(scan("CBX-ENROL:q7Vb3kP0xY2mN8sT4wZ6aC1dE5fG9hJ0")), 0);
  EXPECT_EQ(view().body_key, "technician.enrol_not_configured");
  EXPECT_EQ(view().tone, ui::Tone::failure);
}

TEST_F(SessionTest, CancellingTheSelfTestIsTheOneTouchThatActsWhileItRuns) {
  log_in("TECH-07", kTechnicianPin);
  auto started = touch("self_test");
  ASSERT_EQ(count<StartSelfTest>(started), 1);
  EXPECT_EQ(first<StartSelfTest>(started)->badge, "TECH-07") << "who opens the doors";
  EXPECT_EQ(count<CancelSelfTest>(touch("self_test_cancel")), 1);
  EXPECT_EQ(view().body_key, "self_test.cancelling");
  SelfTestProgress progress;
  progress.step = SelfTestProgress::Step::printer;
  run(SelfTestUnderWay{progress});
  EXPECT_EQ(view().body_key, "self_test.cancelling") << "until it ends, the screen says it stops";
  SelfTestResult result;
  result.lines = {test_line("compartment", 1, SelfTestFinding::passed, true),
                  test_line("compartment", 2, SelfTestFinding::cancelled, false)};
  result.delivery = ReportDelivery::sent;
  run(SelfTestFinished{result});
  EXPECT_EQ(view().body_key, "self_test.was_cancelled");
  EXPECT_EQ(view().tone, ui::Tone::warning);
  // Not while nothing runs.
  EXPECT_TRUE(touch("self_test_cancel").empty());
}

TEST_F(SessionTest, APassedSelfTestSaysSoAndTheReportWasSent) {
  log_in("TECH-07", kTechnicianPin);
  touch("self_test");
  SelfTestResult result;
  result.lines = {test_line("lock_board", std::nullopt, SelfTestFinding::passed, true),
                  test_line("compartment", 1, SelfTestFinding::passed, true),
                  test_line("printer", std::nullopt, SelfTestFinding::passed, true),
                  test_line("scanner", std::nullopt, SelfTestFinding::passed, true)};
  result.delivery = ReportDelivery::sent;
  auto done = run(SelfTestFinished{result});
  EXPECT_EQ(view().body_key, "self_test.passed");
  EXPECT_EQ(view().tone, ui::Tone::success);
  EXPECT_TRUE(sounds(done, ui::Cue::success));
  EXPECT_EQ(view().rows[4].value.key, "self_test.report_sent");
  EXPECT_EQ(view().rows[4].ok, std::optional<bool>(true));
}

// Whatever a line found, for whichever part, the screen has the words for it.
TEST(SelfTestRows, EveryFindingOfEveryPartHasItsWordsInTheCatalogue) {
  for (const char* part : {"lock_board", "journal", "compartment", "printer", "scanner"}) {
    for (int f = 0; f <= static_cast<int>(SelfTestFinding::no_test_receipt); ++f) {
      const auto finding = static_cast<SelfTestFinding>(f);
      const std::optional<int> compartment =
          std::string_view(part) == "compartment" ? std::optional<int>(f + 1) : std::nullopt;
      ui::View v;
      v.screen = ScreenId::technician;
      v.rows =
          self_test_rows({test_line(part, compartment, finding, false),
                          test_line(part, compartment ? std::optional<int>(40 + f) : std::nullopt,
                                    finding, false)});
      SCOPED_TRACE(std::string(part) + " " + std::string(to_string(finding)));
      expect_words_exist(v);
    }
  }
}

// Sixteen doors with every kind of finding still make a short list: passed ones counted,
// the others grouped by what was found, in the order first seen, with their numbers.
TEST(SelfTestRows, CompartmentsArePassedCountedAndTheRestGroupedByFinding) {
  std::vector<SelfTestLine> lines{
      test_line("lock_board", std::nullopt, SelfTestFinding::no_answer, false)};
  for (int c = 1; c <= 16; ++c) {
    SelfTestFinding finding = SelfTestFinding::passed;
    if (c == 3 || c == 7) finding = SelfTestFinding::holds_document;
    if (c == 8) finding = SelfTestFinding::not_opened;
    if (c >= 13) finding = SelfTestFinding::no_answer;
    lines.push_back(test_line(
        "compartment", c, finding,
        finding == SelfTestFinding::passed || finding == SelfTestFinding::holds_document));
  }
  lines.push_back(test_line("printer", std::nullopt, SelfTestFinding::paper_low, true));
  auto rows = self_test_rows(lines);
  ASSERT_EQ(rows.size(), 6u);
  EXPECT_EQ(rows[0].value.key, "self_test.boards_silent");
  EXPECT_EQ(rows[1].label.key, "self_test.compartments_all");
  EXPECT_EQ(rows[1].args.at("passed"), "9");
  EXPECT_EQ(rows[1].args.at("of"), "16");
  EXPECT_EQ(rows[1].ok, std::optional<bool>(false));
  EXPECT_EQ(rows[2].label.key, "self_test.compartments");
  EXPECT_EQ(rows[2].args.at("list"), "3, 7");
  EXPECT_EQ(rows[2].value.key, "self_test.holds_document");
  EXPECT_EQ(rows[2].ok, std::nullopt) << "skipped on purpose is neither a fault nor a pass";
  EXPECT_EQ(rows[3].label.key, "self_test.compartment");
  EXPECT_EQ(rows[3].args.at("compartment"), "8");
  EXPECT_EQ(rows[3].value.key, "self_test.not_opened");
  EXPECT_EQ(rows[3].ok, std::optional<bool>(false));
  EXPECT_EQ(rows[4].args.at("list"), "13–16");
  EXPECT_EQ(rows[4].value.key, "self_test.no_answer");
  EXPECT_EQ(rows[5].label.key, "technician.printer");
  EXPECT_EQ(rows[5].value.key, "self_test.paper_low");
  EXPECT_EQ(rows[5].ok, std::optional<bool>(true));
  // Every key it names is in the catalogue, every placeholder filled by the row.
  ui::View v;
  v.screen = ScreenId::technician;
  v.rows = rows;
  expect_words_exist(v);
}

TEST_F(SessionTest, AClerkCannotRunTheSelfTestNorATechnicianEmpty) {
  log_in("CLERK-0001", kClerkPin);
  EXPECT_TRUE(touch("self_test").empty());
  touch("logout");
  log_in("TECH-07", kTechnicianPin);
  EXPECT_TRUE(touch("clerk:empty").empty());
  EXPECT_TRUE(touch("clerk:load").empty());
  EXPECT_EQ(view().screen, ScreenId::technician);
}

// ---- idle ---------------------------------------------------------------------------------

TEST_F(SessionTest, IdleCountdownAppearsAfterIdleAfterSAndClearsEverythingAtTheEnd) {
  touch("lang:en");
  touch("larger");
  touch("file");
  touch("kind:request");
  type("ana@example.ro");
  now += 59'000;
  run(Tick{});
  EXPECT_FALSE(view().idle_countdown_s.has_value());
  auto appears = wait_s(1);
  ASSERT_EQ(view().idle_countdown_s, std::optional<int>(15));
  EXPECT_TRUE(sounds(appears, ui::Cue::attention));
  EXPECT_EQ(view().screen, ScreenId::file_contact);
  auto later = wait_s(1);
  EXPECT_EQ(view().idle_countdown_s, std::optional<int>(14));
  EXPECT_FALSE(sounds(later, ui::Cue::attention)) << "the sound comes once";

  touch("stay");
  EXPECT_FALSE(view().idle_countdown_s.has_value());
  EXPECT_EQ(view().typed, "ana@example.ro");
  wait_s(59);
  EXPECT_FALSE(view().idle_countdown_s.has_value()) << "the stay restarted the wait";

  wait_s(1);
  wait_s(14);
  EXPECT_EQ(view().idle_countdown_s, std::optional<int>(1));
  wait_s(1);
  EXPECT_EQ(view().screen, ScreenId::home);
  EXPECT_FALSE(view().idle_countdown_s.has_value());
  EXPECT_EQ(view().language, "ro");
  EXPECT_FALSE(view().large_text);
  touch("file");
  touch("kind:request");
  EXPECT_EQ(view().typed, "") << "the contact is forgotten";
}

TEST_F(SessionTest, IdleLogsStaffOut) {
  log_in("CLERK-0001", kClerkPin);
  wait_s(60);
  EXPECT_TRUE(view().idle_countdown_s.has_value());
  wait_s(15);
  EXPECT_EQ(view().screen, ScreenId::home);
  EXPECT_EQ(session().staff_badge(), "");
}

TEST_F(SessionTest, NoIdleCountdownWhileADoorIsOpen) {
  touch("file");
  touch("kind:request");
  touch("skip");
  wait_s(30);
  door(3);
  for (int i = 0; i < 10; ++i) wait_s(60);
  EXPECT_EQ(view().screen, ScreenId::door_open);
  EXPECT_FALSE(view().idle_countdown_s.has_value());
  EXPECT_TRUE(session().flow_running());

  finish(filed(std::nullopt));
  ASSERT_EQ(view().screen, ScreenId::receipt);
  wait_s(59);
  EXPECT_FALSE(view().idle_countdown_s.has_value()) << "the receipt gets its full time";
  wait_s(1);
  EXPECT_TRUE(view().idle_countdown_s.has_value());
  wait_s(15);
  EXPECT_EQ(view().screen, ScreenId::home) << "a result goes home by itself";
}

TEST_F(SessionTest, LanguageChoiceIsKeptThroughAFilingAndResetAfterIdle) {
  touch("lang:hu");
  touch("lang:xx");  // unknown: ignored
  EXPECT_EQ(view().language, "hu");
  file_up_to_consent("ana@example.ro");
  EXPECT_EQ(view().language, "hu");
  touch("agree");
  door(3);
  EXPECT_EQ(view().language, "hu");
  finish(filed("ana@example.ro"));
  EXPECT_EQ(view().language, "hu");
  wait_s(60);
  wait_s(15);
  EXPECT_EQ(view().screen, ScreenId::home);
  EXPECT_EQ(view().language, "ro");
}

TEST_F(SessionTest, DismissingASuccessEndsTheSessionButARefusalKeepsTheLanguage) {
  touch("lang:pt");
  scan(pickup.display());
  finish(refused(RefuseReason::wrong_code, 8));
  touch("ok");
  EXPECT_EQ(view().language, "pt") << "the same person tries again";
  scan(pickup.display());
  FlowResult result;
  result.events.push_back(wire::ParcelCollected{"PARCEL-1", 8, false});
  finish(result);
  touch("ok");
  EXPECT_EQ(view().screen, ScreenId::home);
  EXPECT_EQ(view().language, "ro");
}

TEST_F(SessionTest, HomeInAnotherLanguageGoesBackToTheDefaultAfterIdleWithoutACountdown) {
  wait_s(3600);
  EXPECT_FALSE(view().idle_countdown_s.has_value()) << "home as the next person finds it";
  touch("lang:ca");
  touch("contrast");
  auto commands = wait_s(60);
  EXPECT_TRUE(commands.empty());
  EXPECT_FALSE(view().idle_countdown_s.has_value());
  EXPECT_EQ(view().language, "ro");
  EXPECT_FALSE(view().high_contrast);
}

// ---- what the box can do ------------------------------------------------------------------

TEST_F(SessionTest, FilingIsDisabledWithAReasonWhenNoDropoffCompartmentIsFreePickupsStillWork) {
  EXPECT_TRUE(view().can_file);
  facts.free_dropoff = 0;
  run(FactsChanged{facts});
  ASSERT_EQ(view().screen, ScreenId::home);
  EXPECT_FALSE(view().can_file);
  EXPECT_EQ(view().arg_keys.at("file_why"), "why.no_dropoff");
  EXPECT_TRUE(view().can_collect);

  touch("file");
  EXPECT_EQ(view().screen, ScreenId::home);
  touch("collect");
  EXPECT_EQ(view().screen, ScreenId::collect_scan);
  EXPECT_EQ(count<StartCollect>(scan(pickup.display())), 1);

  facts.free_dropoff = 1;
  run(FactsChanged{facts});
  EXPECT_EQ(view().screen, ScreenId::working) << "the flow's screen stays";
  finish(refused(RefuseReason::wrong_code, 9));
  touch("ok");
  EXPECT_TRUE(view().can_file);
}

TEST_F(SessionTest, RevokedShowsOutOfOrder) {
  facts.revoked = true;
  ASSERT_EQ(view().screen, ScreenId::out_of_order);
  EXPECT_EQ(view().title_key, "out_of_order.title");
  EXPECT_EQ(view().body_key, "out_of_order.text");
  EXPECT_EQ(view().arg_keys.at("why"), "why.revoked");
  EXPECT_EQ(view().args.at("hours"), "Mon-Fri 8:00-16:00");
  EXPECT_EQ(view().args.at("phone"), "+40 264 596 030");
  EXPECT_FALSE(view().can_file);
  EXPECT_FALSE(view().can_collect);
  EXPECT_FALSE(view().rows.empty()) << "what can be done instead";

  EXPECT_TRUE(touch("file").empty());
  EXPECT_TRUE(touch("collect").empty());
  EXPECT_TRUE(scan(pickup.display()).empty());
  EXPECT_EQ(view().screen, ScreenId::out_of_order);
}

TEST_F(SessionTest, ABoxRevokedWhileSomeoneFilesTurnsOutOfOrder) {
  touch("file");
  touch("kind:request");
  type("ana@example.ro");
  facts.revoked = true;
  run(FactsChanged{facts});
  EXPECT_EQ(view().screen, ScreenId::out_of_order);
  facts.revoked = false;
  run(FactsChanged{facts});
  EXPECT_EQ(view().screen, ScreenId::home);
  touch("file");
  touch("kind:request");
  EXPECT_EQ(view().typed, "");
}

TEST_F(SessionTest, WhenEveryCompartmentIsFaultyTheBoxIsOutOfOrder) {
  for (int c = 1; c <= 11; ++c) facts.faulty.push_back(c);
  EXPECT_EQ(view().screen, ScreenId::home);
  facts.faulty.push_back(12);
  run(FactsChanged{facts});
  ASSERT_EQ(view().screen, ScreenId::out_of_order);
  EXPECT_EQ(view().arg_keys.at("why"), "why.board");
  // A technician can still log in to find out why.
  log_in("TECH-07", kTechnicianPin);
  EXPECT_EQ(view().screen, ScreenId::technician);
}

TEST(SessionSettingsFromConfig, TheScreenSettingsAndTheStaffReachTheSession) {
  AgentConfig config;
  config.default_language = "hu";
  config.idle_after_s = 30;
  config.idle_countdown_s = 10;
  config.helpline = "+36 1 000 0000";
  config.counter_hours = "H-P 8-16";
  config.staff.push_back(StaffMember{"CLERK-0001", "Ana Pop", StaffRole::clerk, {}});
  const SessionSettings s = session_settings(config, "https://t.example/");
  EXPECT_EQ(s.default_language, "hu");
  EXPECT_EQ(s.idle_after_s, 30);
  EXPECT_EQ(s.idle_countdown_s, 10);
  EXPECT_EQ(s.helpline, "+36 1 000 0000");
  EXPECT_EQ(s.counter_hours, "H-P 8-16");
  EXPECT_EQ(s.track_url, "https://t.example/");
  ASSERT_EQ(s.staff.size(), 1U);
  EXPECT_EQ(s.staff[0].name, "Ana Pop");
  Session session(s, BoxFacts{}, kTen);
  EXPECT_EQ(session.view().language, "hu");
}

TEST(SessionContact, APhoneOrAnEmailLooksLikeAContact) {
  for (const char* fine :
       {"+40 722 123 456", "0722123456", "123456", "ana@example.ro", "a.b-c@mail.primaria.ro"}) {
    EXPECT_TRUE(looks_like_contact(fine)) << fine;
  }
  for (const char* not_one :
       {"", "12345", "+", "123456789012345678901", "07-22-12-34-56", "ana", "ana@", "@example.ro",
        "ana@example", "ana@example.", "ana@@example.ro", "ana @example.ro", "ana@.ro"}) {
    EXPECT_FALSE(looks_like_contact(not_one)) << not_one;
  }
}

// Walks every screen the session has and checks (as every test here does) the words it names.
TEST_F(SessionTest, TheViewNeverNamesACatalogueKeyThatEnglishLacks) {
  ASSERT_GT(english().size(), 100U);
  ASSERT_TRUE(english().count("home.title"));
  screens_seen().clear();

  file_up_to_consent("ana@example.ro");
  touch("agree");
  door(3);
  FlowResult unprinted = filed("ana@example.ro", false);
  unprinted.no_receipt = "its cover is open";
  finish(unprinted);
  wait_s(60);  // the countdown over the receipt
  touch("ok");
  touch("collect");
  touch("type_code");
  type("AB");
  touch("open");
  finish(refused(RefuseReason::locked_out, 0, 600));
  touch("ok");
  scan("CBX-BADGE:CLERK-0001");
  type(kClerkPin);
  touch("login");
  touch("clerk:faulty");
  touch("back");
  touch("clerk:load");
  touch("logout");
  log_in("TECH-07", kTechnicianPin);
  touch("logout");
  facts.revoked = true;
  run(FactsChanged{facts});

  for (int id = 0; id <= static_cast<int>(ScreenId::out_of_order); ++id) {
    EXPECT_TRUE(screens_seen().count(static_cast<ScreenId>(id)))
        << screen_name(static_cast<ScreenId>(id)) << " was not visited";
  }
}

TEST_F(SessionTest, AClerkTheControllerManagesLogsInLikeALocalOneUntilRemovedFromTheList) {
  facts.controller_clerks = {member("CLERK-0042", "Ioana Rus", StaffRole::clerk, "5521"),
                             // A clash with agent.toml's CLERK-0001: the local entry wins.
                             member("CLERK-0001", "Someone Else", StaffRole::clerk, "1111")};
  log_in("CLERK-0042", "5521");
  ASSERT_EQ(view().screen, ScreenId::clerk_menu);
  EXPECT_EQ(session().staff_badge(), "CLERK-0042");
  EXPECT_EQ(view().args.at("name"), "Ioana Rus");
  auto started = touch("clerk:empty");
  ASSERT_EQ(count<StartEmpty>(started), 1);
  EXPECT_EQ(first<StartEmpty>(started)->badge, "CLERK-0042");
  FlowResult emptied;
  finish(emptied);
  touch("logout");

  log_in("CLERK-0001", "1111");
  EXPECT_NE(view().screen, ScreenId::clerk_menu) << "the controller's PIN for a local badge";
  touch("ok");
  log_in("CLERK-0001", kClerkPin);
  ASSERT_EQ(view().screen, ScreenId::clerk_menu);
  EXPECT_EQ(view().args.at("name"), "Ana Pop");
  touch("logout");

  // Removed from the list (the next pull): the badge is not known any more.
  facts.controller_clerks.erase(facts.controller_clerks.begin());
  run(FactsChanged{facts});
  scan("CBX-BADGE:CLERK-0042");
  EXPECT_NE(view().screen, ScreenId::staff_pin);
  EXPECT_EQ(view().body_key, "staff.unknown_badge");
}

TEST_F(SessionTest, TheControllerNeverMakesATechnician) {
  facts.controller_clerks = {member("TECH-99", "Kiss Anna", StaffRole::technician, "2468")};
  scan("CBX-BADGE:TECH-99");
  EXPECT_NE(view().screen, ScreenId::staff_pin);
  EXPECT_EQ(view().body_key, "staff.unknown_badge");
}

}  // namespace
}  // namespace civicbox::firmware
