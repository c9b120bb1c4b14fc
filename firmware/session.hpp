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
// Staff: a scanned badge known to the box asks for its PIN (checked here against the PBKDF2 hash
// from the configuration; five wrong PINs lock the badge for 15 minutes). A clerk gets the clerk
// menu, a technician the technician screen. Staff screens log out on idle as well.
#pragma once

#include <cstdint>
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
  std::vector<int> faulty;                  // compartments out of service
  std::optional<std::string> printer_problem;  // "out of paper", "cover open", none: fine
  bool has_printer = true;
  bool has_scanner = true;
  bool scanner_ok = true;
  bool controller_online = true;
  std::string last_sync;   // "14:32" or "never"
  std::string controller;  // the controller's URL
  bool revoked = false;    // identity withdrawn: out of order, nothing works
  std::vector<ui::Row> devices;  // the technician screen's rows, already worded
};

struct SessionSettings {
  std::string default_language = "ro";
  int idle_after_s = 60;
  int idle_countdown_s = 15;
  std::string helpline = "";       // phone number shown on failures, "" hides it
  std::string counter_hours = "";  // "Mon-Fri 8:00-16:00"
  std::string track_url = "";      // shown on the receipt screen
  std::vector<StaffMember> staff;
};

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
struct SelfTestFinished {
  std::vector<ui::Row> rows;
};
using SessionInput = std::variant<Touched, ScannedText, Tick, DoorUnlocked, FlowFinished,
                                  FactsChanged, SelfTestFinished>;

// ---- what goes out ------------------------------------------------------------------------
struct StartFiling {
  std::string kind;
  std::optional<std::string> contact;
};
struct StartCollect {
  std::string code;  // typed or scanned; a secret, never logged
};
struct StartLoad {
  std::string parcel_id;
};
struct StartEmpty {};
struct StartSelfTest {};
struct PlaySound {
  ui::Cue cue = ui::Cue::tap;
};
using Command = std::variant<StartFiling, StartCollect, StartLoad, StartEmpty, StartSelfTest,
                             PlaySound>;

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
  // Implementation-defined state; see session.cpp.
  struct State;
  SessionSettings settings_;
  BoxFacts facts_;
  ui::View view_;
  bool flow_running_ = false;
  std::int64_t last_touch_ms_ = 0;
  std::string staff_badge_;
};

}  // namespace civicbox::firmware
