#include "firmware/session.hpp"

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <utility>

#include "common/scanned.hpp"
#include "ui/keyboard.hpp"

namespace civicbox::firmware {

using ui::ScreenId;
using ui::Tone;

namespace {

constexpr std::string_view kDot = "\xE2\x80\xA2";  // U+2022 BULLET: one per PIN digit
constexpr std::size_t kMaxPinDigits = 8;

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// Exactly one printable UTF-8 character.
bool one_character(std::string_view text) {
  return ui::utf8_characters(text).size() == 1 && is_printable_text(text);
}

void erase_last_character(std::string& text) {
  while (!text.empty()) {
    const auto byte = static_cast<unsigned char>(text.back());
    text.pop_back();
    if ((byte & 0xC0) != 0x80) break;  // not a continuation byte: the character's first
  }
}

std::string trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(' ');
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(' ');
  return std::string(text.substr(first, last - first + 1));
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool looks_like_phone(std::string_view text) {
  if (!text.empty() && text[0] == '+') text.remove_prefix(1);
  int digits = 0;
  for (char c : text) {
    if (is_digit(c)) {
      ++digits;
    } else if (c != ' ') {
      return false;
    }
  }
  return digits >= 6 && digits <= 20;
}

bool looks_like_email(std::string_view text) {
  const auto at = text.find('@');
  if (at == std::string_view::npos || at == 0 || text.find('@', at + 1) != std::string_view::npos)
    return false;
  if (text.find(' ') != std::string_view::npos || !is_printable_text(text)) return false;
  const std::string_view domain = text.substr(at + 1);
  const auto dot = domain.rfind('.');
  return dot != std::string_view::npos && dot > 0 && dot + 1 < domain.size() &&
         domain.find("..") == std::string_view::npos;
}

std::string system_local_time(std::int64_t unix_ms) {
  const time_t seconds = static_cast<time_t>(unix_ms / 1000);
  struct tm local {};
  localtime_r(&seconds, &local);
  char text[8];
  std::snprintf(text, sizeof text, "%02d:%02d", local.tm_hour, local.tm_min);
  return text;
}

// The agent's words for why no receipt can be printed (Agent::check_printer), as a catalogue key.
std::string printer_why(std::string_view no_receipt) {
  if (no_receipt.find("paper") != std::string_view::npos) return "why.printer";
  if (no_receipt.find("cover") != std::string_view::npos) return "why.printer_cover";
  return "why.printer_off";
}

template <typename T>
const T* find_event(const FlowResult& result) {
  for (const auto& event : result.events) {
    if (const auto* found = std::get_if<T>(&event)) return found;
  }
  return nullptr;
}

// The catalogue key of what a line found, for the value of its row.
std::string finding_key(const SelfTestLine& line) {
  if (line.check.part == "lock_board" && line.finding == SelfTestFinding::no_answer) {
    return "self_test.boards_silent";
  }
  if (line.finding == SelfTestFinding::passed) {
    const std::string& part = line.check.part;
    if (part == "lock_board") return "self_test.boards_ok";
    if (part == "journal") return "self_test.journal_ok";
    if (part == "printer") return "self_test.printed";
    if (part == "scanner") return "self_test.qr_read";
    return "self_test.passed_one";
  }
  return "self_test." + std::string(to_string(line.finding));
}

std::string part_key(std::string_view part) {
  if (part == "lock_board") return "technician.boards";
  if (part == "printer") return "technician.printer";
  if (part == "scanner") return "self_test.scanner";
  if (part == "journal") return "self_test.journal";
  return {};
}

}  // namespace

std::vector<ui::Row> self_test_rows(const std::vector<SelfTestLine>& lines) {
  std::vector<ui::Row> rows;
  // The compartments' place in the list: where the first of them was.
  std::optional<std::size_t> compartments_at;
  int tested = 0;
  int passed = 0;
  bool all_ok = true;
  // Compartments that did not simply pass, grouped by what was found, in the order first seen.
  std::vector<std::pair<SelfTestFinding, std::vector<int>>> groups;
  std::map<SelfTestFinding, bool> group_ok;
  for (const auto& line : lines) {
    if (line.check.part != "compartment" || !line.check.compartment) {
      ui::Row row{
          {part_key(line.check.part), line.check.part}, {finding_key(line), ""}, line.check.ok};
      rows.push_back(std::move(row));
      continue;
    }
    if (!compartments_at) {
      compartments_at = rows.size();
      rows.emplace_back();  // the count, filled below
    }
    ++tested;
    all_ok = all_ok && line.check.ok;
    if (line.finding == SelfTestFinding::passed) {
      ++passed;
      continue;
    }
    auto group = std::find_if(groups.begin(), groups.end(),
                              [&](const auto& g) { return g.first == line.finding; });
    if (group == groups.end()) {
      groups.emplace_back(line.finding, std::vector<int>{});
      group = std::prev(groups.end());
      group_ok[line.finding] = true;
    }
    group->second.push_back(*line.check.compartment);
    group_ok[line.finding] = group_ok[line.finding] && line.check.ok;
  }
  if (!compartments_at) return rows;
  ui::Row count{{"self_test.compartments_all", ""}, {"self_test.opened_closed", ""}, all_ok};
  count.args = {{"passed", std::to_string(passed)}, {"of", std::to_string(tested)}};
  rows[*compartments_at] = std::move(count);
  std::vector<ui::Row> grouped;
  for (const auto& [finding, numbers] : groups) {
    ui::Row row;
    if (numbers.size() == 1) {
      row.label = {"self_test.compartment", ""};
      row.args["compartment"] = std::to_string(numbers.front());
    } else {
      row.label = {"self_test.compartments", ""};
      row.args["list"] = compartment_ranges(numbers);
    }
    row.value = {"self_test." + std::string(to_string(finding)), ""};
    // Skipped on purpose (a document inside) is neither a fault nor a pass: no mark.
    if (finding != SelfTestFinding::holds_document) row.ok = group_ok[finding];
    grouped.push_back(std::move(row));
  }
  rows.insert(rows.begin() + static_cast<std::ptrdiff_t>(*compartments_at) + 1, grouped.begin(),
              grouped.end());
  return rows;
}

bool looks_like_contact(std::string_view text) {
  return looks_like_phone(text) || looks_like_email(text);
}

SessionSettings session_settings(const AgentConfig& config, std::string track_url) {
  SessionSettings settings;
  settings.default_language = config.default_language;
  settings.idle_after_s = config.idle_after_s;
  settings.idle_countdown_s = config.idle_countdown_s;
  settings.helpline = config.helpline;
  settings.counter_hours = config.counter_hours;
  settings.track_url = std::move(track_url);
  settings.staff = config.staff;
  return settings;
}

Session::Session(SessionSettings settings, BoxFacts facts, std::int64_t now_ms)
    : settings_(std::move(settings)), facts_(std::move(facts)), last_touch_ms_(now_ms) {
  view_.language = settings_.default_language;
  show_home();
}

const std::string& Session::staff_badge() const {
  return staff_badge_;
}

std::vector<Command> Session::handle(const SessionInput& input, std::int64_t now_ms) {
  return std::visit(
      [&](const auto& in) -> std::vector<Command> {
        using T = std::decay_t<decltype(in)>;
        if constexpr (std::is_same_v<T, Touched>) {
          return touched(in.action, now_ms);
        } else if constexpr (std::is_same_v<T, ScannedText>) {
          return scanned(in.text, now_ms);
        } else if constexpr (std::is_same_v<T, Tick>) {
          return tick(now_ms);
        } else if constexpr (std::is_same_v<T, DoorUnlocked>) {
          last_touch_ms_ = now_ms;
          return door_unlocked(in.compartment);
        } else if constexpr (std::is_same_v<T, FlowFinished>) {
          return flow_finished(in.result, now_ms);
        } else if constexpr (std::is_same_v<T, FactsChanged>) {
          // The tracking page's address comes with the controller's configuration, which a box
          // that started offline gets later.
          if (!in.facts.track_url.empty()) settings_.track_url = in.facts.track_url;
          facts_changed(in.facts);
          return {};
        } else if constexpr (std::is_same_v<T, SelfTestUnderWay>) {
          last_touch_ms_ = now_ms;
          return self_test_under_way(in.progress);
        } else if constexpr (std::is_same_v<T, SelfTestFinished>) {
          last_touch_ms_ = now_ms;
          return self_test_finished(in.result);
        } else if constexpr (std::is_same_v<T, SelfTestRequested>) {
          return self_test_requested(in, now_ms);
        } else {
          last_touch_ms_ = now_ms;
          return enrol_finished(in);
        }
      },
      input);
}

// ---- what the box can do --------------------------------------------------------------------

bool Session::out_of_order() const {
  if (facts_.revoked) return true;
  const std::set<int> faulty(facts_.faulty.begin(), facts_.faulty.end());
  return facts_.compartments > 0 && static_cast<int>(faulty.size()) >= facts_.compartments;
}

bool Session::can_file() const {
  return facts_.free_dropoff > 0 && !out_of_order();
}

bool Session::at_defaults() const {
  return view_.language == settings_.default_language && !view_.high_contrast && !view_.large_text;
}

const StaffMember* Session::find_staff(std::string_view badge) const {
  for (const auto& member : settings_.staff) {
    if (member.badge == badge) return &member;
  }
  for (const auto& member : facts_.controller_clerks) {
    if (member.badge == badge && member.role == StaffRole::clerk) return &member;
  }
  return nullptr;
}

std::string Session::until_text(std::int64_t at_ms) const {
  // Rounded up to the minute: trying again at the time shown always works.
  const std::int64_t minute = 60'000;
  const std::int64_t rounded = (at_ms + minute - 1) / minute * minute;
  return settings_.local_time ? settings_.local_time(rounded) : system_local_time(rounded);
}

// ---- screens ------------------------------------------------------------------------------

ui::View Session::screen(ScreenId id) const {
  ui::View v;
  v.screen = id;
  v.language = view_.language;
  v.high_contrast = view_.high_contrast;
  v.large_text = view_.large_text;
  v.can_file = can_file();
  v.can_collect = !out_of_order();
  v.has_camera = facts_.has_scanner && facts_.scanner_ok;
  v.has_printer = facts_.has_printer;
  return v;
}

void Session::show_home() {
  if (out_of_order()) {
    view_ = screen(ScreenId::out_of_order);
    view_.title_key = "out_of_order.title";
    view_.body_key = "out_of_order.text";
    view_.tone = Tone::warning;
    view_.arg_keys["why"] = facts_.revoked ? "why.revoked" : "why.board";
    view_.args["hours"] = settings_.counter_hours;
    view_.args["phone"] = settings_.helpline;
    view_.args["url"] = settings_.track_url;
    // What still works instead of the box.
    if (!settings_.counter_hours.empty()) {
      view_.rows.push_back({{"out_of_order.instead", ""}, {}, {}});
    }
    if (!settings_.helpline.empty()) {
      view_.rows.push_back({{"out_of_order.call", ""}, {}, {}});
    }
    if (!settings_.track_url.empty()) {
      view_.rows.push_back({{"receipt.follow", ""}, {}, {}});
    }
    return;
  }
  view_ = screen(ScreenId::home);
  view_.title_key = "home.title";
  view_.body_key = "home.welcome";
  if (!view_.can_file) view_.arg_keys["file_why"] = "why.no_dropoff";
}

void Session::show_notice(const Message& message, Tone tone) {
  view_ = screen(ScreenId::notice);
  view_.title_key = message.title_key;
  view_.body_key = message.body_key;
  view_.detail_key = message.detail_key;
  view_.args = message.args;
  view_.arg_keys = message.arg_keys;
  view_.tone = tone;
}

void Session::show_file_kind() {
  view_ = screen(ScreenId::file_kind);
  view_.title_key = "kind.title";
  view_.body_key = "kind.hint";
  for (const auto& kind : facts_.document_kinds) {
    view_.choices.push_back({"kind:" + kind, {"kind." + kind, kind}});
  }
}

void Session::show_file_contact() {
  view_ = screen(ScreenId::file_contact);
  view_.title_key = "contact.title";
  view_.body_key = "contact.hint";
  view_.typed = typed_;
}

void Session::show_collect_keypad() {
  view_ = screen(ScreenId::collect_keypad);
  view_.title_key = "collect.keypad_title";
  view_.body_key = "collect.keypad_hint";
  view_.typed = typed_;
}

void Session::show_staff_pin() {
  view_ = screen(ScreenId::staff_pin);
  view_.title_key = "staff.pin_title";
  view_.body_key = "staff.pin_hint";
  view_.args["badge"] = pin_badge_;
  view_.typed.clear();
  for (std::size_t i = 0; i < pin_.size(); ++i) view_.typed += kDot;
}

void Session::show_clerk_menu() {
  const StaffMember* member = find_staff(staff_badge_);
  view_ = screen(ScreenId::clerk_menu);
  view_.title_key = "clerk.title";
  view_.detail_key = "clerk.free";
  view_.args["name"] = member != nullptr ? member->name : staff_badge_;
  view_.args["dropoff"] = std::to_string(facts_.free_dropoff);
  view_.args["pickup"] = std::to_string(facts_.free_pickup);
}

void Session::show_clerk_load() {
  view_ = screen(ScreenId::clerk_load);
  view_.title_key = "clerk.load_title";
  view_.body_key = "clerk.load_hint";
}

void Session::show_clerk_faulty() {
  view_ = screen(ScreenId::clerk_faulty);
  view_.title_key = "clerk.faulty_title";
  std::vector<int> faulty = facts_.faulty;
  std::sort(faulty.begin(), faulty.end());
  faulty.erase(std::unique(faulty.begin(), faulty.end()), faulty.end());
  for (int compartment : faulty) {
    view_.rows.push_back({{"", std::to_string(compartment)}, {}, false});
  }
  if (faulty.empty()) view_.rows.push_back({{"clerk.none_faulty", ""}, {}, true});
}

void Session::show_technician() {
  view_ = screen(ScreenId::technician);
  view_.title_key = "technician.title";
  view_.rows = self_test_rows_.empty() ? facts_.devices : self_test_rows_;
  view_.rows.push_back({{"technician.identity", ""}, {"", facts_.box_id}, {}});
  view_.rows.push_back(
      {{"technician.controller", ""}, {"", facts_.controller}, facts_.controller_online});
  view_.rows.push_back({{"technician.last_sync", ""}, {"", facts_.last_sync}, {}});
  view_.args["box"] = facts_.box_id;
  view_.args["controller"] = facts_.controller;
}

void Session::show_working() {
  view_ = screen(ScreenId::working);
  view_.title_key = "working.title";
  view_.body_key = "working.text";
}

void Session::forget_citizen() {
  kind_.clear();
  typed_.clear();
  contact_.reset();
  pin_.clear();
  pin_badge_.clear();
  ends_session_ = false;
}

void Session::end_session() {
  forget_citizen();
  staff_badge_.clear();
  setup_technician_ = false;
  provisioning_due_ = false;
  loading_parcel_.clear();
  self_test_rows_.clear();
  self_test_cancelling_ = false;
  view_.language = settings_.default_language;
  view_.high_contrast = false;
  view_.large_text = false;
  show_home();
}

// ---- touches ------------------------------------------------------------------------------

std::vector<Command> Session::touched(const std::string& action, std::int64_t now_ms) {
  last_touch_ms_ = now_ms;
  view_.idle_countdown_s.reset();
  view_.args.erase("seconds");

  // The person's choices, on any screen, even while a flow runs.
  if (starts_with(action, "lang:")) {
    const std::string code = action.substr(5);
    if (is_screen_language(code)) view_.language = code;
    return {};
  }
  if (action == "contrast") {
    view_.high_contrast = !view_.high_contrast;
    return {};
  }
  if (action == "larger") {
    view_.large_text = !view_.large_text;
    return {};
  }
  if (action == "self_test_cancel" && flow_running_ && running_ == Running::self_test) {
    self_test_cancelling_ = true;
    view_.body_key = "self_test.cancelling";
    return {CancelSelfTest{}};
  }
  if (flow_running_ || action == "stay") return {};

  switch (view_.screen) {
    case ScreenId::home:
      if (action == "file" && view_.can_file) {
        forget_citizen();
        show_file_kind();
      } else if (action == "collect" && view_.can_collect) {
        forget_citizen();
        if (view_.has_camera) {
          view_ = screen(ScreenId::collect_scan);
          view_.title_key = "collect.title";
          view_.body_key = "collect.hint";
        } else {
          show_collect_keypad();
        }
      }
      return {};

    case ScreenId::file_kind:
      if (starts_with(action, "kind:")) {
        const std::string kind = action.substr(5);
        const auto& kinds = facts_.document_kinds;
        if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) return {};
        kind_ = kind;
        typed_.clear();
        show_file_contact();
      } else if (action == "more") {
        ++view_.page;  // the layout turns back to the first page after the last
      } else if (action == "back" || action == "home") {
        forget_citizen();
        show_home();
      }
      return {};

    case ScreenId::file_contact:
      return on_file_contact(action);

    case ScreenId::file_consent:
      if (action == "agree" && contact_) {
        return start(StartFiling{kind_, contact_, view_.language}, Running::filing);
      }
      if (action == "disagree") {
        return start(StartFiling{kind_, std::nullopt, view_.language}, Running::filing);
      }
      if (action == "back") {
        typed_ = contact_.value_or("");
        contact_.reset();
        show_file_contact();
      } else if (action == "home") {
        forget_citizen();
        show_home();
      }
      return {};

    case ScreenId::collect_scan:
      if (action == "type_code") {
        typed_.clear();
        show_collect_keypad();
      } else if (action == "back" || action == "home") {
        forget_citizen();
        show_home();
      }
      return {};

    case ScreenId::collect_keypad:
      return on_collect_keypad(action);

    case ScreenId::receipt:
    case ScreenId::notice:
      if (action == "ok" || action == "home" || action == "back") {
        if (ends_session_) {
          end_session();
        } else {
          forget_citizen();
          show_home();
        }
      }
      return {};

    case ScreenId::staff_pin:
      return on_staff_pin(action, now_ms);

    case ScreenId::clerk_menu:
    case ScreenId::clerk_load:
    case ScreenId::clerk_faulty:
    case ScreenId::technician:
      return on_staff_screen(action);

    case ScreenId::out_of_order:
    case ScreenId::working:
    case ScreenId::door_open:
    case ScreenId::setup:  // SetupSession's (setup.hpp), never a served box's
      return {};
  }
  return {};
}

std::vector<Command> Session::on_file_contact(const std::string& action) {
  if (starts_with(action, "key:")) {
    const std::string key = action.substr(4);
    if (key == "erase") {
      erase_last_character(typed_);
    } else {
      const std::string add = key == "space" ? std::string(" ") : key;
      if (!one_character(add) || typed_.size() + add.size() > kMaxContactBytes) return {};
      typed_ += add;
    }
    show_file_contact();
    return {PlaySound{ui::Cue::tap}};
  }
  if (action == "skip" || (action == "next" && trimmed(typed_).empty())) {
    return start(StartFiling{kind_, std::nullopt, view_.language}, Running::filing);
  }
  if (action == "next") {
    std::string contact = trimmed(typed_);
    if (!looks_like_contact(contact)) {
      show_file_contact();
      view_.body_key = "contact.invalid";
      view_.tone = Tone::warning;
      return {};
    }
    contact_ = std::move(contact);
    view_ = screen(ScreenId::file_consent);
    view_.title_key = "consent.title";
    view_.body_key = "consent.text";
    return {};
  }
  if (action == "back") {
    typed_.clear();
    show_file_kind();
    return {};
  }
  if (action == "home") {
    forget_citizen();
    show_home();
  }
  return {};
}

std::vector<Command> Session::on_collect_keypad(const std::string& action) {
  if (starts_with(action, "key:")) {
    const std::string key = action.substr(4);
    if (key == "erase") {
      erase_last_character(typed_);
    } else {
      if (key.size() != 1 || typed_.size() >= kMaxTypedCode) return {};
      char c = key[0];
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      const bool allowed = is_digit(c) || (c >= 'A' && c <= 'Z') || c == '-';
      if (!allowed) return {};
      typed_ += c;
    }
    show_collect_keypad();
    return {PlaySound{ui::Cue::tap}};
  }
  if (action == "open") {
    if (typed_.empty()) return {};
    std::string code = std::move(typed_);
    typed_.clear();
    return start(StartCollect{std::move(code)}, Running::pickup);
  }
  if (action == "back" && view_.has_camera) {
    typed_.clear();
    view_ = screen(ScreenId::collect_scan);
    view_.title_key = "collect.title";
    view_.body_key = "collect.hint";
  } else if (action == "back" || action == "home") {
    forget_citizen();
    show_home();
  }
  return {};
}

std::vector<Command> Session::on_staff_pin(const std::string& action, std::int64_t now_ms) {
  if (starts_with(action, "key:")) {
    const std::string key = action.substr(4);
    if (key == "erase") {
      if (!pin_.empty()) pin_.pop_back();
    } else {
      if (key.size() != 1 || !is_digit(key[0]) || pin_.size() >= kMaxPinDigits) return {};
      pin_ += key;
    }
    show_staff_pin();
    return {PlaySound{ui::Cue::tap}};
  }
  if (action == "back" || action == "home") {
    forget_citizen();
    show_home();
    return {};
  }
  if (action != "login") return {};

  const StaffMember* member = find_staff(pin_badge_);
  if (member == nullptr) {  // the configuration changed under us: not possible today
    forget_citizen();
    show_home();
    return {};
  }
  BadgeLock& lock = badge_locks_[pin_badge_];
  if (!check_pin_shape(pin_)) {
    // Too short to be a PIN: not a try.
    pin_.clear();
    show_staff_pin();
    view_.body_key = "staff.wrong_pin";
    view_.args["tries"] = std::to_string(kMaxWrongPins - lock.wrong_in_row);
    view_.tone = Tone::failure;
    return {PlaySound{ui::Cue::failure}};
  }
  auto matches = pin_matches(pin_, member->pin);
  pin_.clear();
  if (matches && *matches) {
    lock = BadgeLock{};
    staff_badge_ = pin_badge_;
    pin_badge_.clear();
    if (member->role == StaffRole::clerk) {
      show_clerk_menu();
    } else {
      self_test_rows_.clear();
      show_technician();
    }
    return {PlaySound{ui::Cue::success}};
  }
  lock.wrong_in_row += 1;
  if (lock.wrong_in_row >= kMaxWrongPins) {
    lock = BadgeLock{0, now_ms + kBadgeLockMs};
    pin_badge_.clear();
    Message locked{"staff.pin_title", "staff.locked", "", {}, {}};
    locked.args["until"] = until_text(lock.locked_until_ms);
    show_notice(locked, Tone::failure);
    return {PlaySound{ui::Cue::failure}};
  }
  show_staff_pin();
  view_.body_key = "staff.wrong_pin";
  view_.args["tries"] = std::to_string(kMaxWrongPins - lock.wrong_in_row);
  view_.tone = Tone::failure;
  return {PlaySound{ui::Cue::failure}};
}

std::vector<Command> Session::on_staff_screen(const std::string& action) {
  if (action == "logout" || action == "home") {
    end_session();
    return {};
  }
  const StaffMember* member = find_staff(staff_badge_);
  if (member == nullptr && !setup_technician_) {
    end_session();
    return {};
  }
  if (setup_technician_ || member->role == StaffRole::technician) {
    if (action == "self_test" && view_.screen == ScreenId::technician) {
      const bool provisioning = std::exchange(provisioning_due_, false);
      return start_self_test(provisioning ? "provisioning" : "on_demand");
    }
    return {};
  }
  if (action == "clerk:load") {
    loading_parcel_.clear();
    show_clerk_load();
  } else if (action == "clerk:empty") {
    return start(StartEmpty{staff_badge_}, Running::empty);
  } else if (action == "clerk:faulty") {
    show_clerk_faulty();
  } else if (action == "back" && view_.screen != ScreenId::clerk_menu) {
    show_clerk_menu();
  }
  return {};
}

std::vector<Command> Session::start(Command command, Running running) {
  if (flow_running_) return {};
  flow_running_ = true;
  running_ = running;
  show_working();
  return {std::move(command)};
}

// ---- scans --------------------------------------------------------------------------------

std::vector<Command> Session::scanned(const std::string& text, std::int64_t now_ms) {
  last_touch_ms_ = now_ms;
  if (flow_running_) return {};
  const ScreenId on = view_.screen;
  const bool citizen_may_scan = on == ScreenId::home || on == ScreenId::out_of_order ||
                                on == ScreenId::collect_scan || on == ScreenId::collect_keypad ||
                                on == ScreenId::notice || on == ScreenId::receipt;
  const bool loading = on == ScreenId::clerk_load && !staff_badge_.empty();
  if (on == ScreenId::technician) return technician_scanned(text);
  if (!citizen_may_scan && !loading) return {};
  view_.idle_countdown_s.reset();
  view_.args.erase("seconds");

  auto parsed = parse_scanned(text);
  if (loading) {
    if (parsed) {
      if (const auto* label = std::get_if<ParcelLabel>(&*parsed)) {
        loading_parcel_ = label->parcel.str();
        return start(StartLoad{loading_parcel_, staff_badge_}, Running::load);
      }
    }
    show_clerk_load();
    view_.body_key = "refused.not_a_code";
    view_.tone = Tone::failure;
    return {PlaySound{ui::Cue::failure}};
  }

  // Whatever was typed or shown before (someone's receipt) gives way to what was scanned.
  forget_citizen();
  if (!parsed) {
    const bool tracking_code = parsed.error().code == ErrorCode::wrong_type;
    show_notice({"refused.title",
                 tracking_code ? "refused.tracking_code" : "refused.not_a_code",
                 "",
                 {},
                 {}},
                tracking_code ? Tone::warning : Tone::failure);
    return {PlaySound{ui::Cue::failure}};
  }
  if (const auto* code = std::get_if<PickupCode>(&*parsed)) {
    if (out_of_order()) {
      show_home();
      return {};
    }
    return start(StartCollect{format_scanned(*code)}, Running::pickup);
  }
  if (const auto* badge = std::get_if<ClerkBadge>(&*parsed)) {
    if (find_staff(badge->id) == nullptr) {
      show_notice({"staff.pin_title", "staff.unknown_badge", "", {}, {}}, Tone::failure);
      return {PlaySound{ui::Cue::failure}};
    }
    auto lock = badge_locks_.find(badge->id);
    if (lock != badge_locks_.end() && now_ms < lock->second.locked_until_ms) {
      Message locked{"staff.pin_title", "staff.locked", "", {}, {}};
      locked.args["until"] = until_text(lock->second.locked_until_ms);
      show_notice(locked, Tone::failure);
      return {PlaySound{ui::Cue::failure}};
    }
    pin_badge_ = badge->id;
    show_staff_pin();
    return {};
  }
  // A parcel label away from the clerk's load screen, an enrolment token.
  show_notice({"refused.title", "refused.not_a_code", "", {}, {}}, Tone::failure);
  return {PlaySound{ui::Cue::failure}};
}

// ---- time ---------------------------------------------------------------------------------

std::vector<Command> Session::tick(std::int64_t now_ms) {
  if (flow_running_) return {};
  const std::int64_t idle_ms = now_ms - last_touch_ms_;
  const std::int64_t after_ms = static_cast<std::int64_t>(settings_.idle_after_s) * 1000;
  const ScreenId on = view_.screen;
  if (on == ScreenId::home || on == ScreenId::out_of_order) {
    // Nothing personal on it: no countdown, only the next person's defaults.
    if (!at_defaults() && idle_ms >= after_ms) {
      last_touch_ms_ = now_ms;
      end_session();
    }
    return {};
  }
  if (on == ScreenId::working || on == ScreenId::door_open) return {};
  if (idle_ms < after_ms) return {};
  const std::int64_t remaining = settings_.idle_countdown_s - (idle_ms - after_ms) / 1000;
  if (remaining <= 0) {
    last_touch_ms_ = now_ms;
    end_session();
    return {};
  }
  const bool appears = !view_.idle_countdown_s.has_value();
  view_.idle_countdown_s = static_cast<int>(remaining);
  view_.args["seconds"] = std::to_string(remaining);
  if (appears) return {PlaySound{ui::Cue::attention}};
  return {};
}

// ---- what the flows did -------------------------------------------------------------------

std::vector<Command> Session::door_unlocked(int compartment) {
  // The self-test's doors are shown on the technician screen, with its progress.
  if (!flow_running_ || running_ == Running::self_test || running_ == Running::enrol) return {};
  view_ = screen(ScreenId::door_open);
  view_.title_key = "door.title";
  view_.detail_key = "door.help";
  view_.args["compartment"] = std::to_string(compartment);
  switch (running_) {
    case Running::filing:
      view_.body_key = "door.file";
      break;
    case Running::pickup:
      view_.body_key = "door.collect";
      break;
    case Running::load:
      view_.body_key = "door.load";
      view_.args["parcel"] = loading_parcel_;
      break;
    case Running::empty:
      view_.body_key = "door.empty";
      break;
    case Running::none:
    case Running::self_test:
    case Running::enrol:
      break;
  }
  return {PlaySound{ui::Cue::attention}};
}

std::vector<Command> Session::flow_finished(const FlowResult& result, std::int64_t now_ms) {
  if (!flow_running_ || running_ == Running::self_test || running_ == Running::enrol) return {};
  flow_running_ = false;
  last_touch_ms_ = now_ms;
  const Running finished = running_;
  running_ = Running::none;
  switch (finished) {
    case Running::filing:
      return finish_filing(result, now_ms);
    case Running::pickup:
      return finish_pickup(result, now_ms);
    case Running::load:
      return finish_load(result, now_ms);
    case Running::empty:
      return finish_empty(result, now_ms);
    case Running::none:
    case Running::self_test:
    case Running::enrol:
      break;
  }
  return {};
}

Session::Message Session::why_not(const FlowResult& result, std::int64_t now_ms) const {
  if (result.refused) return refusal(*result.refused, now_ms);
  // An error's cause is for the technician (the agent logs it); the citizen gets the helpline.
  Message m{"refused.title", "refused.error", "", {}, {}};
  m.args["phone"] = settings_.helpline;
  return without_empty_phone(std::move(m));
}

// A box with no helpline configured says "ask at the counter" instead of "call ." : each text
// that names {phone} has a twin without it.
Session::Message Session::without_empty_phone(Message m) const {
  if (!settings_.helpline.empty()) return m;
  for (const char* key :
       {"refused.expired", "refused.locked", "refused.door_not_opened", "refused.error"}) {
    if (m.body_key == key) m.body_key += "_no_phone";
  }
  return m;
}

Session::Message Session::refusal(const Refuse& refused, std::int64_t now_ms) const {
  Message m{"refused.title", "", "", {}, {}};
  m.args["phone"] = settings_.helpline;
  auto with_tries = [&] {
    if (refused.tries_left == 0) {
      // That was the last try: the keypad is locked now, and the person is told until when.
      m.title_key = "refused.locked_title";
      m.body_key = "refused.locked";
      m.args["until"] = until_text(now_ms + kKeypadLockMs);
    } else if (refused.tries_left) {
      m.detail_key = "refused.tries_left";
      m.args["tries"] = std::to_string(*refused.tries_left);
    }
  };
  switch (refused.reason) {
    case RefuseReason::mistyped:
      m.body_key = "refused.mistyped";
      with_tries();
      break;
    case RefuseReason::wrong_code:
      m.body_key = "refused.wrong_code";
      with_tries();
      break;
    case RefuseReason::expired:
      m.body_key = "refused.expired";
      break;
    case RefuseReason::used:
      m.body_key = "refused.used";
      break;
    case RefuseReason::locked_out:
      m.title_key = "refused.locked_title";
      m.body_key = "refused.locked";
      m.args["until"] =
          until_text(now_ms + static_cast<std::int64_t>(refused.retry_in_s.value_or(0)) * 1000);
      break;
    case RefuseReason::not_loaded:
    case RefuseReason::unknown_parcel:
      m.body_key = "refused.not_here";
      break;
    case RefuseReason::already_loaded:
      m.body_key = "clerk.already_loaded";
      break;
    case RefuseReason::no_free_compartment:
      m.body_key = "refused.no_compartment";
      break;
    case RefuseReason::unknown_kind:
      m.body_key = "refused.unknown_kind";
      break;
    case RefuseReason::bad_contact:
      m.body_key = "contact.invalid";
      break;
    case RefuseReason::busy:
      m.body_key = "refused.busy";
      break;
    case RefuseReason::door_not_opened:
      m.body_key = "refused.door_not_opened";
      break;
    case RefuseReason::out_of_service:
      m.body_key = "why.revoked";
      break;
  }
  return without_empty_phone(std::move(m));
}

std::vector<Command> Session::finish_filing(const FlowResult& result, std::int64_t now_ms) {
  const auto* filed = find_event<wire::SubmissionFiled>(result);
  if (result.refused || result.error || filed == nullptr) {
    forget_citizen();
    show_notice(why_not(result, now_ms), Tone::failure);
    return {PlaySound{ui::Cue::failure}};
  }
  forget_citizen();
  view_ = screen(ScreenId::receipt);
  view_.title_key = "receipt.title";
  view_.detail_key = "receipt.provisional_note";
  view_.tone = Tone::success;
  view_.args["tracking_code"] = filed->tracking_code.display();
  view_.args["number"] = filed->provisional_number;
  if (result.registration_number) {
    // Online: the town hall's own number, not a provisional one.
    view_.args["registration"] = *result.registration_number;
    view_.detail_key.clear();
  }
  if (!settings_.track_url.empty()) {
    view_.args["url"] = settings_.track_url + filed->tracking_code.str();
  }
  if (!facts_.has_printer) {
    view_.body_key = "receipt.no_printer";
  } else if (result.receipt_for) {
    view_.body_key = "receipt.take";
  } else {
    view_.body_key = "receipt.no_receipt";
    view_.arg_keys["why"] = printer_why(result.no_receipt.value_or(""));
    view_.has_printer = false;
  }
  ends_session_ = true;
  return {PlaySound{ui::Cue::success}};
}

std::vector<Command> Session::finish_pickup(const FlowResult& result, std::int64_t now_ms) {
  forget_citizen();
  if (result.refused || result.error || find_event<wire::ParcelCollected>(result) == nullptr) {
    show_notice(why_not(result, now_ms), Tone::failure);
    return {PlaySound{ui::Cue::failure}};
  }
  show_notice({"thanks.title", "thanks.collected", "", {}, {}}, Tone::success);
  ends_session_ = true;
  return {PlaySound{ui::Cue::success}};
}

std::vector<Command> Session::finish_load(const FlowResult& result, std::int64_t now_ms) {
  const auto* loaded = find_event<wire::ParcelLoaded>(result);
  show_clerk_load();
  if (result.refused || result.error || loaded == nullptr) {
    const Message m = why_not(result, now_ms);
    const bool full = result.refused && result.refused->reason == RefuseReason::no_free_compartment;
    view_.body_key = full ? "clerk.no_free" : m.body_key;
    view_.detail_key = m.detail_key;
    view_.args = m.args;
    view_.args["parcel"] = loading_parcel_;
    view_.tone = Tone::failure;
    loading_parcel_.clear();
    return {PlaySound{ui::Cue::failure}};
  }
  view_.body_key = "clerk.loaded";
  view_.args["parcel"] = loaded->parcel_id;
  view_.args["compartment"] = std::to_string(loaded->compartment);
  view_.tone = Tone::success;
  loading_parcel_.clear();
  return {PlaySound{ui::Cue::success}};
}

std::vector<Command> Session::finish_empty(const FlowResult& result, std::int64_t now_ms) {
  std::size_t documents = 0;
  int compartments = 0;
  for (const auto& event : result.events) {
    if (const auto* emptied = std::get_if<wire::DropoffEmptied>(&event)) {
      documents += emptied->tracking_codes.size();
      ++compartments;
    }
  }
  show_clerk_menu();
  const bool stopped = result.refused || result.error;
  if (compartments > 0) {
    // What was taken out counts even when a later door stopped the flow.
    (stopped ? view_.detail_key : view_.body_key) = "clerk.emptied";
    view_.args["count"] = std::to_string(documents);
    view_.args["compartments"] = std::to_string(compartments);
  }
  if (stopped) {
    const Message m = why_not(result, now_ms);
    view_.body_key = m.body_key;
    for (const auto& [key, value] : m.args) view_.args[key] = value;
    view_.tone = Tone::failure;
    return {PlaySound{ui::Cue::failure}};
  }
  if (compartments == 0) view_.body_key = "clerk.nothing_to_empty";
  view_.tone = compartments > 0 ? Tone::success : Tone::info;
  return {PlaySound{ui::Cue::success}};
}

std::vector<Command> Session::self_test_under_way(const SelfTestProgress& progress) {
  if (!flow_running_ || running_ != Running::self_test) return {};
  using Step = SelfTestProgress::Step;
  self_test_rows_ = self_test_rows(progress.done);
  show_technician();
  view_.running = true;
  switch (progress.step) {
    case Step::lock_board:
      view_.body_key = "self_test.step_boards";
      break;
    case Step::journal:
      view_.body_key = "self_test.step_journal";
      break;
    case Step::compartment:
      view_.body_key = "self_test.step_compartment";
      view_.args["compartment"] = std::to_string(progress.compartment);
      view_.args["index"] = std::to_string(progress.index);
      view_.args["of"] = std::to_string(progress.of);
      break;
    case Step::printer:
      view_.body_key = "self_test.step_printer";
      break;
    case Step::scanner:
      view_.body_key = "self_test.step_scanner";
      view_.args["seconds"] = std::to_string(progress.scan_wait.count());
      break;
    case Step::sending:
      view_.body_key = "self_test.step_sending";
      break;
  }
  if (self_test_cancelling_) view_.body_key = "self_test.cancelling";
  // The technician has something to do now: hold the receipt up.
  if (progress.step == Step::scanner && !self_test_cancelling_) {
    return {PlaySound{ui::Cue::attention}};
  }
  return {};
}

std::vector<Command> Session::self_test_requested(const SelfTestRequested& request,
                                                  std::int64_t now_ms) {
  if (flow_running_) return {};
  last_touch_ms_ = now_ms;
  forget_citizen();
  staff_badge_.clear();
  setup_technician_ = true;
  if (is_screen_language(request.language)) view_.language = request.language;
  return start_self_test(request.reason);
}

// A technician on their screen shows a new enrolment QR: a revoked (or expired) box is enrolled
// again under its own id, while it runs.
std::vector<Command> Session::technician_scanned(const std::string& text) {
  const StaffMember* member = find_staff(staff_badge_);
  const bool technician =
      setup_technician_ || (member != nullptr && member->role == StaffRole::technician);
  auto parsed = parse_scanned(text);
  if (!technician || !parsed || !std::holds_alternative<EnrolmentToken>(*parsed)) return {};
  if (!facts_.can_enrol) {
    show_technician();
    view_.body_key = "technician.enrol_not_configured";
    view_.tone = Tone::failure;
    return {PlaySound{ui::Cue::failure}};
  }
  auto commands = start(StartEnrol{std::get<EnrolmentToken>(*parsed).token}, Running::enrol);
  show_technician();
  view_.running = true;
  view_.body_key = "setup.enrolling";
  return commands;
}

std::vector<Command> Session::enrol_finished(const EnrolFinished& finished) {
  if (!flow_running_ || running_ != Running::enrol) return {};
  flow_running_ = false;
  running_ = Running::none;
  self_test_rows_.clear();
  show_technician();
  if (finished.ok && finished.already_done) {
    // The token that made the identity in use, shown again: nothing was enrolled.
    view_.body_key = "setup.already_enrolled";
    view_.tone = Tone::warning;
    return {PlaySound{ui::Cue::failure}};
  }
  if (finished.ok) {
    // The next self-test run from this screen is the provisioning one.
    provisioning_due_ = true;
    view_.body_key = "technician.enrolled_again";
    view_.tone = Tone::success;
    view_.args["box"] = finished.box_id;
    view_.args["site"] = finished.site;
    return {PlaySound{ui::Cue::success}};
  }
  view_.body_key = finished.reason_key;
  view_.detail_key = finished.advice_key;
  for (const auto& [key, value] : finished.args) view_.args[key] = value;
  view_.tone = Tone::failure;
  return {PlaySound{ui::Cue::failure}};
}

std::vector<Command> Session::start_self_test(const std::string& reason) {
  auto commands = start(StartSelfTest{reason, staff_badge_}, Running::self_test);
  self_test_rows_.clear();
  self_test_cancelling_ = false;
  show_technician();
  view_.running = true;
  view_.body_key = "technician.self_test_running";
  return commands;
}

std::vector<Command> Session::self_test_finished(const SelfTestResult& result) {
  if (!flow_running_ || running_ != Running::self_test) return {};
  flow_running_ = false;
  running_ = Running::none;
  self_test_cancelling_ = false;
  // A provisioning self-test cut short is still owed: the next one run here is it.
  const bool cut_short =
      std::any_of(result.lines.begin(), result.lines.end(),
                  [](const SelfTestLine& l) { return l.finding == SelfTestFinding::cancelled; });
  if (result.reason == "provisioning" && cut_short) provisioning_due_ = true;
  self_test_rows_ = self_test_rows(result.lines);
  ui::Row report{{"self_test.report", ""}, {}, std::nullopt};
  switch (result.delivery) {
    case ReportDelivery::sent:
      report.value.key = "self_test.report_sent";
      report.ok = true;
      break;
    case ReportDelivery::queued:
      report.value.key = "self_test.report_queued";
      break;
    case ReportDelivery::refused:
      report.value.key = "self_test.report_refused";
      report.ok = false;
      break;
    case ReportDelivery::not_saved:
      report.value.key = "self_test.report_not_saved";
      report.ok = false;
      break;
  }
  self_test_rows_.push_back(std::move(report));
  show_technician();
  const bool cancelled =
      std::any_of(result.lines.begin(), result.lines.end(),
                  [](const SelfTestLine& l) { return l.finding == SelfTestFinding::cancelled; });
  const bool passed = result.passed();
  view_.body_key =
      passed ? "self_test.passed" : (cancelled ? "self_test.was_cancelled" : "self_test.failed");
  view_.tone = passed ? Tone::success : (cancelled ? Tone::warning : Tone::failure);
  return {PlaySound{passed ? ui::Cue::success : ui::Cue::failure}};
}

void Session::facts_changed(BoxFacts facts) {
  const bool was_out_of_order = out_of_order();
  facts_ = std::move(facts);
  if (flow_running_) return;  // the flow's result comes first; home is drawn afresh after it
  const ScreenId on = view_.screen;
  switch (on) {
    case ScreenId::home:
    case ScreenId::out_of_order:
      show_home();
      break;
    case ScreenId::file_kind:
    case ScreenId::file_contact:
    case ScreenId::file_consent:
    case ScreenId::collect_scan:
    case ScreenId::collect_keypad:
      // A citizen half-way through a form on a box that just stopped working.
      if (out_of_order() && !was_out_of_order) {
        forget_citizen();
        show_home();
      } else {
        view_.can_file = can_file();
        view_.can_collect = !out_of_order();
        view_.has_camera = facts_.has_scanner && facts_.scanner_ok;
        view_.has_printer = facts_.has_printer;
      }
      break;
    case ScreenId::clerk_menu:
      view_.args["dropoff"] = std::to_string(facts_.free_dropoff);
      view_.args["pickup"] = std::to_string(facts_.free_pickup);
      break;
    case ScreenId::clerk_faulty: {
      const auto countdown = view_.idle_countdown_s;
      show_clerk_faulty();
      view_.idle_countdown_s = countdown;
      break;
    }
    case ScreenId::technician: {
      // Fresh rows; what the screen says (an outcome, its advice and the values in them) stays.
      const auto keep = view_;
      show_technician();
      view_.body_key = keep.body_key;
      view_.detail_key = keep.detail_key;
      view_.tone = keep.tone;
      view_.idle_countdown_s = keep.idle_countdown_s;
      for (const auto& [key, value] : keep.args) view_.args.try_emplace(key, value);
      break;
    }
    default:
      break;
  }
}

}  // namespace civicbox::firmware
