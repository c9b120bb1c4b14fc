// The kiosk's screen flow: which screen follows which, for citizens, clerks and technicians.
// Pure like Kiosk: no I/O, no clock, no threads. The UI reports what was touched (a Frame
// widget's action string) or scanned; the agent reports what its flows did; the Session answers
// with the View to show now and Commands for the agent (start a flow, play a sound). The UI
// layer knows screens, not rules; the door rules stay in Kiosk.
//
// Idle: after `idle_after_s` without a touch or scan on a screen where a person is expected to
// act, a countdown of `idle_countdown_s` is shown; a touch keeps everything, the end of the
// countdown clears everything personal (typed contact, typed code, the receipt on screen, the
// staff login) and returns home in the default language and theme. Never while a door is open or
// a flow runs: the flow ends first.
//
// Self-test: the technician screen shows what the self-test does now (which compartment, "show
// the QR") and the lines done so far, then the result lines with ✓ / ✗ and where the report went.
// Compartments that passed are counted on one line; the others are grouped by what was found
// ("Compartments 3, 7–9: not opened: a document is inside"), so a 16-door cabinet fits. While it
// runs, "cancel" is the only action the screen offers besides the language and theme.
//
// Enrolling again: a technician on their screen who shows a new enrolment QR (CBX-ENROL:) has a
// revoked or expired box enrolled again under its own id (StartEnrol; EnrolFinished says how it
// went, in the setup screen's words); the next self-test run there is the provisioning one.
//
// Staff: a scanned badge known to the box asks for its PIN (checked here against the PBKDF2 hash
// from the configuration; five wrong PINs lock the badge for 15 minutes). A clerk gets the clerk
// menu, a technician the technician screen. Staff screens log out on idle as well.
//
// Where a session ends: the language, contrast and text size a person chose, and everything
// personal, are kept while that person uses the box and reset when
//   - the idle countdown reaches 0 (on any screen but home, working and door_open);
//   - home sits idle for `idle_after_s` in another language or theme (reset without countdown:
//     nothing personal is on it);
//   - a successful citizen flow's result (the receipt, "thank you") is dismissed with ok / home
//     or times out;
//   - a clerk or technician logs out (logout, or home on a staff screen).
// A refusal's notice (a wrong code, a full box) and "home" in the middle of a form go home in
// the same language: the same person is likely to try again. A code scanned over a result
// clears that result and starts the next flow in the language on screen.
//
// While a flow runs only lang:, contrast and larger act; touches and scans are ignored, so a
// second Start* is never emitted. Badge lockouts are kept in memory across sessions (a restart
// of the agent clears them). The PIN is kept here only until it is checked; the View shows one
// dot per digit.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/random.hpp"
#include "firmware/agent.hpp"
#include "firmware/staff.hpp"
#include "ui/view.hpp"

namespace civicbox::firmware {

// What the box knows about itself that the screens show (refreshed by the agent).
struct BoxFacts {
  std::string box_id;
  std::vector<std::string> document_kinds;  // from the controller's configuration
  int free_dropoff = 0;
  int free_pickup = 0;
  std::vector<int> faulty;                     // compartments out of service
  std::optional<std::string> printer_problem;  // "out of paper", "cover open", none: fine
  bool has_printer = true;
  bool has_scanner = true;
  bool scanner_ok = true;
  bool controller_online = true;
  std::string last_sync;         // "14:32" or "never"
  std::string controller;        // the controller's URL
  bool revoked = false;          // identity withdrawn: out of order, nothing works
  int compartments = 0;          // in the cabinet: when all of them are faulty, out of order
  std::vector<ui::Row> devices;  // the technician screen's rows, already worded
  std::string track_url;         // the tracking page's base, from the controller ("": not yet)
  bool can_enrol = false;        // [enrol] is configured: a technician may enrol it again here
  // The clerks the controller manages (settings' [[staff]] win on a badge clash; never
  // technicians): a clerk no longer on the list can no longer log in.
  std::vector<StaffMember> controller_clerks;
};

struct SessionSettings {
  std::string default_language = "ro";
  int idle_after_s = 60;
  int idle_countdown_s = 15;
  std::string helpline = "";       // phone number shown on failures, "" hides it
  std::string counter_hours = "";  // "Mon-Fri 8:00-16:00"
  std::string track_url = "";      // shown on the receipt screen
  std::vector<StaffMember> staff;
  // "HH:MM" of a Unix time in the box's time zone (a locked keypad's "try again at"); empty: the
  // system's local time zone. Tests pass their own.
  std::function<std::string(std::int64_t unix_ms)> local_time;
};

// The session's settings from the agent's configuration ([ui], [[staff]]); the tracking page's
// base URL comes from the controller's box configuration.
SessionSettings session_settings(const AgentConfig& config, std::string track_url);

// Five wrong PINs in a row lock a badge for 15 minutes.
inline constexpr int kMaxWrongPins = 5;
inline constexpr std::int64_t kBadgeLockMs = 15 * 60 * 1000;
// What a person may type: a contact up to 80 bytes, a pickup code up to 16 characters.
inline constexpr std::size_t kMaxContactBytes = 80;
inline constexpr std::size_t kMaxTypedCode = 16;

// Whether typed text looks like a phone number (an optional +, digits and spaces, 6 to 20
// digits) or an e-mail address (x@y.z, no spaces).
bool looks_like_contact(std::string_view text);

// ---- what comes in ------------------------------------------------------------------------
struct Touched {
  std::string action;  // a Frame widget's action
};
struct ScannedText {
  std::string text;  // raw, as the scanner gave it; parsed here with parse_scanned
};
struct Tick {};  // time passes (the agent ticks at least once a second)
struct DoorUnlocked {
  int compartment = 0;  // a flow's door was unlocked: show door_open
};
struct FlowFinished {
  FlowResult result;
};
struct FactsChanged {
  BoxFacts facts;
};
struct SelfTestUnderWay {
  SelfTestProgress progress;
};
struct SelfTestFinished {
  SelfTestResult result;
};
// Run the self-test now, on the technician screen, without a badge: the box was just enrolled
// from its screen (firmware/setup.hpp) and the technician is in front of it. The technician screen
// stays theirs until they log out or it idles.
struct SelfTestRequested {
  std::string reason = "provisioning";
  std::string language;  // the one the technician chose on the setup screen ("": keep)
};
// Setup (firmware/setup.hpp): how the enrolment went. Failures name their catalogue keys.
struct EnrolFinished {
  bool ok = false;
  // ok, but nothing was enrolled: the identity in use was made with this very token already.
  bool already_done = false;
  std::string box_id;
  std::string site;
  std::string reason_key;                   // "setup.token_used", ...
  std::string advice_key;                   // "setup.new_token", or none
  std::map<std::string, std::string> args;  // {wait_s} of a rate limit
};
using SessionInput =
    std::variant<Touched, ScannedText, Tick, DoorUnlocked, FlowFinished, FactsChanged,
                 SelfTestUnderWay, SelfTestFinished, SelfTestRequested, EnrolFinished>;

// The technician screen's rows for self-test lines (grouped as said above).
std::vector<ui::Row> self_test_rows(const std::vector<SelfTestLine>& lines);

// ---- what goes out ------------------------------------------------------------------------
struct StartFiling {
  std::string kind;
  std::optional<std::string> contact;
  std::string language{};  // on screen: the receipt's language
};
struct StartCollect {
  std::string code;  // typed or scanned; a secret, never logged
};
struct StartLoad {
  std::string parcel_id;
  std::string badge{};  // the clerk logged in
};
struct StartEmpty {
  std::string badge{};  // the clerk logged in
};
struct StartSelfTest {
  std::string reason = "on_demand";  // or "provisioning"
  std::string badge{};               // the technician logged in ("": none, after enrolment)
};
struct StartEnrol {
  std::string token;  // a secret until used: never logged
};
struct CancelSelfTest {};  // at once, not queued behind the self-test it cancels
struct PlaySound {
  ui::Cue cue = ui::Cue::tap;
};
using Command = std::variant<StartFiling, StartCollect, StartLoad, StartEmpty, StartSelfTest,
                             CancelSelfTest, PlaySound, StartEnrol>;

class Session {
 public:
  Session(SessionSettings settings, BoxFacts facts, std::int64_t now_ms);

  std::vector<Command> handle(const SessionInput& input, std::int64_t now_ms);
  [[nodiscard]] const ui::View& view() const { return view_; }
  // A flow was started and has not finished: no other may start, idle is off.
  [[nodiscard]] bool flow_running() const { return flow_running_; }
  // Who is logged in ("" for a citizen).
  [[nodiscard]] const std::string& staff_badge() const;

 private:
  enum class Running { none, filing, pickup, load, empty, self_test, enrol };
  struct BadgeLock {
    int wrong_in_row = 0;
    std::int64_t locked_until_ms = 0;
  };
  struct Message {
    std::string title_key;
    std::string body_key;
    std::string detail_key;
    std::map<std::string, std::string> args;
    std::map<std::string, std::string> arg_keys;
  };

  std::vector<Command> touched(const std::string& action, std::int64_t now_ms);
  std::vector<Command> scanned(const std::string& text, std::int64_t now_ms);
  std::vector<Command> tick(std::int64_t now_ms);
  std::vector<Command> door_unlocked(int compartment);
  std::vector<Command> flow_finished(const FlowResult& result, std::int64_t now_ms);
  std::vector<Command> self_test_under_way(const SelfTestProgress& progress);
  std::vector<Command> self_test_finished(const SelfTestResult& result);
  std::vector<Command> self_test_requested(const SelfTestRequested& request, std::int64_t now_ms);
  std::vector<Command> start_self_test(const std::string& reason);
  std::vector<Command> technician_scanned(const std::string& text);
  std::vector<Command> enrol_finished(const EnrolFinished& finished);
  void facts_changed(BoxFacts facts);

  std::vector<Command> on_file_contact(const std::string& action);
  std::vector<Command> on_collect_keypad(const std::string& action);
  std::vector<Command> on_staff_pin(const std::string& action, std::int64_t now_ms);
  std::vector<Command> on_staff_screen(const std::string& action);
  std::vector<Command> start(Command command, Running running);
  std::vector<Command> finish_filing(const FlowResult& result, std::int64_t now_ms);
  std::vector<Command> finish_pickup(const FlowResult& result, std::int64_t now_ms);
  std::vector<Command> finish_load(const FlowResult& result, std::int64_t now_ms);
  std::vector<Command> finish_empty(const FlowResult& result, std::int64_t now_ms);

  [[nodiscard]] bool can_file() const;
  [[nodiscard]] bool out_of_order() const;
  [[nodiscard]] bool at_defaults() const;
  [[nodiscard]] const StaffMember* find_staff(std::string_view badge) const;
  [[nodiscard]] std::string until_text(std::int64_t at_ms) const;
  [[nodiscard]] Message refusal(const Refuse& refused, std::int64_t now_ms) const;
  // Why a flow did not do what it was for: its refusal, or an error.
  [[nodiscard]] Message why_not(const FlowResult& result, std::int64_t now_ms) const;
  [[nodiscard]] Message without_empty_phone(Message m) const;

  // A fresh View of `screen` in the person's language and theme, with the box's facts.
  [[nodiscard]] ui::View screen(ui::ScreenId id) const;
  void show_home();
  void show_notice(const Message& message, ui::Tone tone);
  void show_file_kind();
  void show_file_contact();
  void show_collect_keypad();
  void show_staff_pin();
  void show_clerk_menu();
  void show_clerk_load();
  void show_clerk_faulty();
  void show_technician();
  void show_working();
  // Clears what a person typed or was shown (not the language or theme, nor a staff login).
  void forget_citizen();
  // Ends the session: everything personal, the staff login, the language and theme.
  void end_session();

  SessionSettings settings_;
  BoxFacts facts_;
  ui::View view_;
  bool flow_running_ = false;
  std::int64_t last_touch_ms_ = 0;
  std::string staff_badge_;
  // The technician who enrolled the box from its screen: the technician screen without a badge
  // (SelfTestRequested), until logout.
  bool setup_technician_ = false;
  // Enrolled again from the technician screen: its next self-test is the provisioning one.
  bool provisioning_due_ = false;

  Running running_ = Running::none;
  std::string kind_;                    // filing: the kind chosen
  std::string typed_;                   // the contact or the pickup code being typed
  std::optional<std::string> contact_;  // filing: the contact waiting for consent
  std::string pin_;                     // staff_pin: the digits, never in the View
  std::string pin_badge_;               // staff_pin: whose PIN is asked
  std::string loading_parcel_;          // load: the parcel whose door opens
  std::vector<ui::Row> self_test_rows_;
  bool self_test_cancelling_ = false;  // cancel touched: said until the self-test ends
  bool ends_session_ = false;          // dismissing this result ends the session
  std::map<std::string, BadgeLock, std::less<>> badge_locks_;
};

}  // namespace civicbox::firmware
