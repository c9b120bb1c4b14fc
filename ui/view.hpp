// What the agent wants on the screen: which screen, in which language and theme, with which
// facts. The UI knows screens, not rules: the firmware's Session decides the View and hands the
// actions the UI reports (a touch's action string) back to its state machine.
//
// Every text comes from the catalogue by key; `args` fills its {placeholders}. A fact the View
// carries is already in the words the person should read (a tracking code grouped for reading,
// a time as "14:30"), so the UI never formats a rule.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace civicbox::ui {

enum class ScreenId {
  home,            // "File a document" / "Collect a document", languages, staff entry
  file_kind,       // choose the kind: choices = the box's document kinds
  file_contact,    // optional phone or e-mail, on-screen keyboard; typed = what is typed
  file_consent,    // consent to the processing of personal data
  door_open,       // a door is open: body_key says what to do ({compartment})
  receipt,         // tracking code big, provisional / registration number, take the receipt
  collect_scan,    // show the QR to the camera (live hint), or type the code
  collect_keypad,  // type the pickup code on a large keypad; typed = what is typed
  notice,          // one plain message with a symbol: refusal, thanks, locked out...
  working,         // one moment: a door is being unlocked
  staff_pin,       // a badge was read: type the PIN; typed = dots
  clerk_menu,      // load parcels, empty drop-off, faulty compartments, log out
  clerk_load,      // scan the parcel label
  clerk_faulty,    // rows = compartments out of service and why
  technician,      // rows = each device's state or the self-test's lines; identity; controller
  out_of_order,    // why, what to do instead (counter hours), what still works
  setup,           // not enrolled yet: scan the enrolment QR; rows = the devices; running while
                   // the controller is asked; body_key = what happens or why it failed
};
const char* to_string(ScreenId id);

enum class Tone { info, success, failure, warning };

// The sounds that go with what happens, for those who do not look at the screen at that moment.
enum class Cue { tap, success, failure, attention };

// A text the session cannot translate itself (it has no catalogue): the catalogue key, used when
// the language has it, else the literal as given (a document kind the catalogue does not know, a
// fact such as "COM3" or "14:32").
struct Text {
  std::string key;
  std::string literal;
  friend bool operator==(const Text&, const Text&) = default;
};

// One line of a list (a device and its state, a faulty compartment). `ok` adds ✓ or ✗ and the
// words for it (common.ok_mark / common.fault_mark), never colour alone. `args` fill the
// {placeholders} of this row's texts (a self-test line's compartments), besides the View's.
struct Row {
  Text label;
  Text value;
  std::optional<bool> ok;
  std::map<std::string, std::string> args = {};
  friend bool operator==(const Row&, const Row&) = default;
};

// A choice in a list (a document kind): its action and its words.
struct Choice {
  std::string action;  // "kind:request"
  Text label;          // key "kind.request", literal "request"
  friend bool operator==(const Choice&, const Choice&) = default;
};

// The actions a Frame's widgets carry and the Session understands:
//   lang:<code>  contrast  larger  home  back  next  skip  ok  stay (idle: I am still here)
//   file  collect  kind:<id>  more (the next page of kinds)  agree  disagree  type_code
//   open (submit the pickup code)
//   key:<one UTF-8 character>  key:erase  key:space
//   login (submit the PIN)  logout  clerk:load  clerk:empty  clerk:faulty  self_test
//   self_test_cancel
// (setup has only lang:, contrast and larger: the enrolment QR is scanned, not touched)

struct View {
  ScreenId screen = ScreenId::home;
  std::string language = "ro";
  bool high_contrast = false;
  bool large_text = false;

  // notice (and the banner of door_open / out_of_order): the catalogue keys of the title and the
  // sentence under it, and the symbol and colour that go with it.
  std::string title_key;
  std::string body_key;
  std::string detail_key;  // a second sentence ("refused.tries_left"), or none
  Tone tone = Tone::info;
  // Fills the {placeholders} of every text on the screen: compartment, tracking_code, number,
  // tries, until, phone, parcel, count, seconds, hours, box, controller ...
  std::map<std::string, std::string> args;
  // Placeholders filled with a catalogue text in the View's language: {"why", "why.printer"}.
  std::map<std::string, std::string> arg_keys;

  std::vector<Choice> choices;  // file_kind
  // Which page of `choices` (more kinds than fit on a screen): "more" turns it; the layout shows
  // page % pages, so the session need not know how many fit.
  int page = 0;
  std::vector<Row> rows;  // clerk_faulty, technician, out_of_order (what still works)
  std::string typed;      // file_contact, collect_keypad, staff_pin (already masked)
  // Which buttons are offered: filing may be off (no free drop-off compartment) while pickups
  // still work; each disabled button says why in `args` / its own catalogue key.
  bool can_file = true;
  bool can_collect = true;
  bool has_camera = true;   // collect_scan is offered only with a scanner
  bool has_printer = true;  // receipt: "take your receipt" or "write the code down"
  // technician: a self-test runs (what it does now in body_key; cancel instead of run, no log-out)
  bool running = false;

  // Over any screen after a while without a touch: "Are you still there? {seconds}".
  std::optional<int> idle_countdown_s;

  friend bool operator==(const View&, const View&) = default;
};

}  // namespace civicbox::ui
