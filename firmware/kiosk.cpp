#include "firmware/kiosk.hpp"

#include <algorithm>
#include <cstdio>

#include "common/ids.hpp"

namespace civicbox::firmware {

std::string_view to_string(Flow flow) {
  switch (flow) {
    case Flow::filing:
      return "filing";
    case Flow::pickup:
      return "pickup";
    case Flow::load:
      return "load";
    case Flow::empty:
      break;
  }
  return "empty";
}

Expected<Flow> parse_flow(std::string_view text) {
  for (Flow f : {Flow::filing, Flow::pickup, Flow::load, Flow::empty}) {
    if (to_string(f) == text) return f;
  }
  return make_error(ErrorCode::parse, "unknown flow '" + std::string(text) + "'");
}

std::string_view to_string(IntentStage stage) {
  switch (stage) {
    case IntentStage::unlock_requested:
      return "unlock_requested";
    case IntentStage::door_opened:
      return "door_opened";
    case IntentStage::done:
      return "done";
    case IntentStage::cancelled:
      return "cancelled";
    case IntentStage::quarantined:
      break;
  }
  return "quarantined";
}

Expected<IntentStage> parse_intent_stage(std::string_view text) {
  for (IntentStage s : {IntentStage::unlock_requested, IntentStage::door_opened, IntentStage::done,
                        IntentStage::cancelled, IntentStage::quarantined}) {
    if (to_string(s) == text) return s;
  }
  return make_error(ErrorCode::parse, "unknown intent stage '" + std::string(text) + "'");
}

std::string_view to_string(RefuseReason reason) {
  switch (reason) {
    case RefuseReason::mistyped:
      return "mistyped";
    case RefuseReason::wrong_code:
      return "wrong_code";
    case RefuseReason::expired:
      return "expired";
    case RefuseReason::used:
      return "used";
    case RefuseReason::locked_out:
      return "locked_out";
    case RefuseReason::not_loaded:
      return "not_loaded";
    case RefuseReason::unknown_parcel:
      return "unknown_parcel";
    case RefuseReason::already_loaded:
      return "already_loaded";
    case RefuseReason::no_free_compartment:
      return "no_free_compartment";
    case RefuseReason::unknown_kind:
      return "unknown_kind";
    case RefuseReason::bad_contact:
      return "bad_contact";
    case RefuseReason::busy:
      return "busy";
    case RefuseReason::out_of_service:
      return "out_of_service";
    case RefuseReason::door_not_opened:
      break;
  }
  return "door_not_opened";
}

bool valid_language(std::string_view code) {
  if (code.size() < 2 || code.size() > 16) return false;
  return std::all_of(code.begin(), code.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || c == '-'; });
}

bool valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > text.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      auto b = static_cast<unsigned char>(text[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

wire::BoxConfig default_box_config() {
  return wire::BoxConfig{"Town hall", {"request", "complaint", "other"}, ""};
}

Kiosk::Kiosk(Layout layout) : layout_(std::move(layout)) {
  state_.config = default_box_config();
}

void Kiosk::refresh(BoxState state) {
  state_ = std::move(state);
}

std::string Kiosk::provisional_number(std::string_view box_id, std::int64_t counter) {
  char digits[24];
  std::snprintf(digits, sizeof digits, "%06lld", static_cast<long long>(counter));
  return "P-" + std::string(box_id) + "-" + digits;
}

std::vector<Action> Kiosk::handle(const Input& input, std::int64_t now_ms, Random& random) {
  struct Visitor {
    Kiosk& k;
    std::int64_t now_ms;
    Random& random;
    std::vector<Action> operator()(const FileDocument& in) { return k.file(in, now_ms, random); }
    std::vector<Action> operator()(const CollectParcel& in) {
      return k.collect(in, now_ms, random);
    }
    std::vector<Action> operator()(const LoadParcel& in) { return k.load(in, now_ms, random); }
    std::vector<Action> operator()(const EmptyDropoff& in) { return k.empty(in, now_ms, random); }
    std::vector<Action> operator()(const DoorOpened& in) { return k.opened(in); }
    std::vector<Action> operator()(const DoorClosed& in) { return k.closed(in, now_ms); }
    std::vector<Action> operator()(const DoorNotOpened& in) { return k.not_opened(in); }
  };
  return std::visit(Visitor{*this, now_ms, random}, input);
}

// ---- compartments -------------------------------------------------------------------------

bool Kiosk::out_of_service(int compartment) const {
  if (state_.faulty.contains(compartment)) return true;
  return std::any_of(state_.unfinished.begin(), state_.unfinished.end(),
                     [compartment](const Intent& i) { return i.compartment == compartment; });
}

std::optional<int> Kiosk::free_dropoff_compartment() const {
  for (int c : layout_.dropoff) {
    if (out_of_service(c)) continue;
    bool taken = std::any_of(state_.submissions.begin(), state_.submissions.end(),
                             [c](const Submission& s) { return s.compartment == c; });
    if (!taken) return c;
  }
  return std::nullopt;
}

std::optional<int> Kiosk::free_pickup_compartment() const {
  for (int c : layout_.pickup) {
    if (out_of_service(c)) continue;
    bool taken = std::any_of(state_.parcels.begin(), state_.parcels.end(),
                             [c](const Parcel& p) { return p.compartment == c && !p.collected; });
    if (!taken) return c;
  }
  return std::nullopt;
}

int Kiosk::free_dropoff() const {
  int n = 0;
  for (int c : layout_.dropoff) {
    if (out_of_service(c)) continue;
    n += std::none_of(state_.submissions.begin(), state_.submissions.end(),
                      [c](const Submission& s) { return s.compartment == c; });
  }
  return n;
}

int Kiosk::free_pickup() const {
  int n = 0;
  for (int c : layout_.pickup) {
    if (out_of_service(c)) continue;
    n += std::none_of(state_.parcels.begin(), state_.parcels.end(),
                      [c](const Parcel& p) { return p.compartment == c && !p.collected; });
  }
  return n;
}

Parcel* Kiosk::find_parcel(std::string_view parcel_id) {
  for (auto& p : state_.parcels) {
    if (p.parcel_id == parcel_id) return &p;
  }
  return nullptr;
}

namespace {
// Who opens the door of this intent, and why: the door.opened event journaled before the unlock.
wire::DoorOpened door_opened(const Intent& intent) {
  wire::DoorOpened d;
  d.compartment = intent.compartment;
  switch (intent.flow) {
    case Flow::filing:
      d.by = "citizen";
      d.why = "filing";
      d.ref = intent.subject;
      break;
    case Flow::pickup:
      d.by = "citizen";
      d.why = "pickup";
      d.ref = intent.subject;
      break;
    case Flow::load:
      d.by = "clerk";
      d.why = "loading";
      d.ref = intent.subject;
      d.badge = intent.badge;
      break;
    case Flow::empty:
      d.by = "clerk";
      d.why = "emptying";
      d.badge = intent.badge;
      break;
  }
  if (d.ref && (d.ref->empty() || d.ref->size() > 64)) d.ref.reset();
  if (d.badge && (d.badge->empty() || d.badge->size() > 32)) d.badge.reset();
  return d;
}
}  // namespace

std::vector<Action> Kiosk::begin(Intent intent, std::string message) {
  std::vector<Action> out;
  int compartment = intent.compartment;
  out.emplace_back(RecordIntent{intent});
  out.emplace_back(RecordEvents{{door_opened(intent)}, std::nullopt});
  out.emplace_back(Show{std::move(message)});
  out.emplace_back(Unlock{compartment});
  running_ = Running{std::move(intent), false, {}};
  return out;
}

namespace {
Intent new_intent(Flow flow, int compartment, std::string subject, std::int64_t now_ms,
                  Random& random) {
  Intent i;
  i.id = EventId::generate(now_ms, random).str();
  i.flow = flow;
  i.compartment = compartment;
  i.subject = std::move(subject);
  i.created_ms = now_ms;
  return i;
}

std::vector<Action> refuse(RefuseReason reason, std::string message) {
  return {Refuse{reason, std::move(message), std::nullopt, std::nullopt}};
}

constexpr const char* kBusy = "The box is busy with another request. Please wait a moment.";
}  // namespace

// ---- filing -------------------------------------------------------------------------------

std::vector<Action> Kiosk::file(const FileDocument& in, std::int64_t now_ms, Random& random) {
  if (busy()) return refuse(RefuseReason::busy, kBusy);
  if (in.kind.size() > wire::kMaxTextBytes || !valid_utf8(in.kind)) {
    return refuse(RefuseReason::unknown_kind, "This box does not take documents of this kind.");
  }
  const auto& kinds = state_.config.document_kinds;
  if (std::find(kinds.begin(), kinds.end(), in.kind) == kinds.end()) {
    std::string list;
    for (const auto& k : kinds) list += (list.empty() ? "" : ", ") + k;
    return refuse(RefuseReason::unknown_kind, "This box does not take documents of kind '" +
                                                  in.kind + "'. Choose one of: " + list + ".");
  }
  if (in.contact && !valid_utf8(*in.contact)) {
    // Invalid bytes would be replaced (and grow) on JSON encoding; the controller would refuse
    // the event, and the outbox would stop behind it.
    return refuse(RefuseReason::bad_contact,
                  "The phone number or e-mail address contains characters the box cannot read. "
                  "Please type it again.");
  }
  if (in.contact && in.contact->size() > wire::kMaxTextBytes) {
    // The controller would refuse the event, and the outbox would stop behind it.
    return refuse(RefuseReason::bad_contact,
                  "The phone number or e-mail address is too long (at most " +
                      std::to_string(wire::kMaxTextBytes) + " characters).");
  }
  auto compartment = free_dropoff_compartment();
  if (!compartment) {
    return refuse(RefuseReason::no_free_compartment,
                  "All drop-off compartments are full. Please come back later or file at the "
                  "counter.");
  }
  auto code = TrackingCode::generate(random);
  Intent intent = new_intent(Flow::filing, *compartment, code.str(), now_ms, random);
  intent.kind = in.kind;
  if (in.contact && !in.contact->empty()) intent.contact = *in.contact;
  if (in.language && valid_language(*in.language)) intent.language = *in.language;
  intent.provisional_counter = state_.provisional_counter + 1;
  intent.provisional_number = provisional_number(layout_.box_id, intent.provisional_counter);
  state_.provisional_counter = intent.provisional_counter;
  return begin(std::move(intent), "Compartment " + std::to_string(*compartment) +
                                      " is open. Put your document in and close the door.");
}

// ---- pickup -------------------------------------------------------------------------------

std::vector<Action> Kiosk::failed_code(RefuseReason reason, std::string message,
                                       std::int64_t now_ms) {
  std::vector<Action> out;
  Keypad& keypad = state_.keypad;
  keypad.failed_in_row += 1;
  int left = std::max(0, kMaxFailedCodes - keypad.failed_in_row);
  if (keypad.failed_in_row >= kMaxFailedCodes) {
    keypad.locked_until_ms = now_ms + kKeypadLockMs;
    out.emplace_back(RecordEvents{{wire::Alarm{"keypad_locked",
                                               std::to_string(keypad.failed_in_row) +
                                                   " wrong pickup codes in a row; the keypad is "
                                                   "locked for 15 minutes",
                                               std::nullopt}},
                                  std::nullopt});
    message += " The keypad is locked for 15 minutes.";
  }
  out.emplace_back(SaveKeypad{keypad});
  out.emplace_back(Refuse{reason, std::move(message), left, std::nullopt});
  return out;
}

bool Kiosk::collected_recently(const PickupCode& code, std::int64_t now_ms) const {
  // Bounded: at most kUsedCodeMemoryParcels PBKDF2 runs, and only for a code that matched
  // nothing collectable (a used code, or a wrong one that counts as a failed try anyway).
  std::vector<const Parcel*> recent;
  for (const auto& p : state_.parcels) {
    if (p.collected && p.collected_at_ms && *p.collected_at_ms > now_ms - kUsedCodeMemoryMs) {
      recent.push_back(&p);
    }
  }
  std::sort(recent.begin(), recent.end(), [](const Parcel* a, const Parcel* b) {
    return *a->collected_at_ms > *b->collected_at_ms;
  });
  if (recent.size() > kUsedCodeMemoryParcels) recent.resize(kUsedCodeMemoryParcels);
  return std::any_of(recent.begin(), recent.end(), [&](const Parcel* p) {
    auto match = pickup_code_matches(code, p->hash);
    return match && *match;
  });
}

std::vector<Action> Kiosk::collect(const CollectParcel& in, std::int64_t now_ms, Random& random) {
  if (busy()) return refuse(RefuseReason::busy, kBusy);
  std::vector<Action> out;
  Keypad& keypad = state_.keypad;
  if (keypad.locked_until_ms != 0) {
    if (now_ms < keypad.locked_until_ms) {
      std::int64_t left_ms = keypad.locked_until_ms - now_ms;
      int retry_in_s = static_cast<int>((left_ms + 999) / 1000);
      return {Refuse{RefuseReason::locked_out,
                     "Too many wrong codes. Please try again in " +
                         std::to_string((retry_in_s + 59) / 60) + " minutes.",
                     0, retry_in_s}};
    }
    keypad = Keypad{};
    out.emplace_back(SaveKeypad{keypad});
  }
  auto code = PickupCode::parse(in.typed_code);
  if (!code) {
    auto more = failed_code(RefuseReason::mistyped,
                            "This code has a typo. Please check it and type it again.", now_ms);
    out.insert(out.end(), more.begin(), more.end());
    return out;
  }
  Parcel* found = nullptr;
  for (auto& p : state_.parcels) {
    // PBKDF2 only for parcels that can still be collected (or expired recently enough that the
    // citizen is better told so than told the code is wrong).
    if (!p.active || p.collected || p.expires_at_ms + kExpiredCodeGraceMs <= now_ms) continue;
    auto match = pickup_code_matches(*code, p.hash);
    if (match && *match) {
      found = &p;
      break;
    }
  }
  auto fail = [&](RefuseReason reason, std::string message) {
    auto more = failed_code(reason, std::move(message), now_ms);
    out.insert(out.end(), more.begin(), more.end());
    return out;
  };
  if (found == nullptr) {
    if (collected_recently(*code, now_ms)) {
      return fail(RefuseReason::used, "This document has already been collected.");
    }
    return fail(RefuseReason::wrong_code, "This code is not valid at this box.");
  }
  if (found->expires_at_ms <= now_ms) {
    return fail(RefuseReason::expired,
                "This code has expired. Please contact the town hall to get a new one.");
  }
  // A right code does not reset the failure count: only a completed pickup does, so that a
  // known code for a parcel not loaded yet cannot be used to keep guessing.
  if (!found->compartment) {
    out.emplace_back(Refuse{RefuseReason::not_loaded,
                            "Your document is not in the box yet. Please try again later.",
                            std::max(0, kMaxFailedCodes - keypad.failed_in_row), std::nullopt});
    return out;
  }
  if (out_of_service(*found->compartment)) {
    out.emplace_back(Refuse{RefuseReason::door_not_opened,
                            "Compartment " + std::to_string(*found->compartment) +
                                " is out of service. Please ask at the counter.",
                            std::nullopt, std::nullopt});
    return out;
  }
  Intent intent = new_intent(Flow::pickup, *found->compartment, found->parcel_id, now_ms, random);
  auto more = begin(std::move(intent), "Compartment " + std::to_string(*found->compartment) +
                                           " is open. Take your document and close the door.");
  out.insert(out.end(), more.begin(), more.end());
  return out;
}

// ---- clerk: load and empty ----------------------------------------------------------------

std::vector<Action> Kiosk::load(const LoadParcel& in, std::int64_t now_ms, Random& random) {
  if (busy()) return refuse(RefuseReason::busy, kBusy);
  Parcel* parcel = find_parcel(in.parcel_id);
  if (parcel == nullptr || !parcel->active) {
    return refuse(RefuseReason::unknown_parcel,
                  "Parcel '" + in.parcel_id + "' is not assigned to this box.");
  }
  if (parcel->compartment || parcel->collected) {
    return refuse(RefuseReason::already_loaded,
                  "Parcel '" + in.parcel_id + "' is already in the box.");
  }
  bool loading = std::any_of(
      state_.unfinished.begin(), state_.unfinished.end(),
      [&](const Intent& i) { return i.flow == Flow::load && i.subject == in.parcel_id; });
  if (loading) {
    return refuse(RefuseReason::already_loaded, "Parcel '" + in.parcel_id +
                                                    "' may already be in a compartment that did "
                                                    "not open; a technician must check it first.");
  }
  auto compartment = free_pickup_compartment();
  if (!compartment) {
    return refuse(RefuseReason::no_free_compartment, "All pickup compartments are in use.");
  }
  Intent intent = new_intent(Flow::load, *compartment, in.parcel_id, now_ms, random);
  intent.badge = in.badge;
  return begin(std::move(intent), "Compartment " + std::to_string(*compartment) +
                                      " is open. Put the parcel in and close the door.");
}

std::vector<Action> Kiosk::empty(const EmptyDropoff& in, std::int64_t now_ms, Random& random) {
  if (busy()) return refuse(RefuseReason::busy, kBusy);
  std::deque<Intent> todo;
  for (int c : layout_.dropoff) {
    if (out_of_service(c)) continue;  // the technician deals with it first
    Intent intent = new_intent(Flow::empty, c, "", now_ms, random);
    intent.badge = in.badge;
    for (const auto& s : state_.submissions) {
      if (s.compartment == c) intent.tracking_codes.push_back(s.tracking_code);
    }
    if (!intent.tracking_codes.empty()) todo.push_back(std::move(intent));
  }
  if (todo.empty()) return {Show{"The drop-off compartments are empty."}};
  Intent first = std::move(todo.front());
  todo.pop_front();
  auto out = begin(std::move(first), "Take the documents out and close the door.");
  running_->next = std::move(todo);
  return out;
}

// ---- doors --------------------------------------------------------------------------------

std::vector<Action> Kiosk::opened(const DoorOpened& in) {
  if (!running_ || running_->intent.compartment != in.compartment || running_->opened) return {};
  running_->opened = true;
  running_->intent.stage = IntentStage::door_opened;
  return {MarkDoorOpened{running_->intent.id}};
}

std::vector<Action> Kiosk::not_opened(const DoorNotOpened& in) {
  if (!running_ || running_->intent.compartment != in.compartment) return {};
  std::vector<Action> out;
  // The lock may have been released: the intent stays unfinished, the compartment out of
  // service, until the door is seen to move (or a technician checks it).
  const Intent& stuck = running_->intent;
  state_.unfinished.push_back(stuck);
  out.emplace_back(
      RecordEvents{{wire::Alarm{"door_not_opened",
                                "compartment " + std::to_string(in.compartment) +
                                    " did not open for the " + std::string(to_string(stuck.flow)) +
                                    " " + stuck.id + " (" + in.why.substr(0, 400) +
                                    "); it is out of service until a technician checks it",
                                in.compartment}},
                   std::nullopt});
  out.emplace_back(Refuse{
      RefuseReason::door_not_opened,
      "Compartment " + std::to_string(in.compartment) + " did not open. Please ask at the counter.",
      std::nullopt, std::nullopt});
  if (running_->intent.flow == Flow::empty && !running_->next.empty()) {
    // Go on with the other compartments: this one keeps its submissions.
    Intent next = std::move(running_->next.front());
    running_->next.pop_front();
    auto rest = std::move(running_->next);
    auto more = begin(std::move(next), "Take the documents out and close the door.");
    running_->next = std::move(rest);
    out.insert(out.end(), more.begin(), more.end());
    return out;
  }
  running_.reset();
  return out;
}

std::vector<Action> Kiosk::closed(const DoorClosed& in, std::int64_t now_ms) {
  if (!running_ || running_->intent.compartment != in.compartment) return {};
  Running run = std::move(*running_);
  running_.reset();
  const Intent& i = run.intent;
  std::vector<Action> out;
  switch (i.flow) {
    case Flow::filing: {
      auto code = TrackingCode::parse(i.subject);
      wire::SubmissionFiled filed{*code,     i.kind, i.compartment, i.provisional_number,
                                  i.contact, false,  i.language};
      out.emplace_back(RecordEvents{{filed}, i.id});
      state_.submissions.push_back(
          Submission{i.subject, i.provisional_number, std::nullopt, i.compartment});
      out.emplace_back(PrintReceipt{i.subject, i.provisional_number, now_ms});
      out.emplace_back(Show{"Thank you. Keep your receipt: it is your proof of filing."});
      break;
    }
    case Flow::pickup:
      out.emplace_back(
          RecordEvents{{wire::ParcelCollected{i.subject, i.compartment, false}}, i.id});
      if (Parcel* p = find_parcel(i.subject)) {
        p->collected = true;
        p->collected_at_ms = now_ms;
      }
      if (state_.keypad != Keypad{}) {
        state_.keypad = Keypad{};
        out.emplace_back(SaveKeypad{state_.keypad});
      }
      out.emplace_back(Show{"Thank you. Have a good day."});
      break;
    case Flow::load:
      out.emplace_back(RecordEvents{{wire::ParcelLoaded{i.subject, i.compartment}}, i.id});
      if (Parcel* p = find_parcel(i.subject)) p->compartment = i.compartment;
      out.emplace_back(Show{"Parcel " + i.subject + " is in compartment " +
                            std::to_string(i.compartment) + "."});
      break;
    case Flow::empty: {
      out.emplace_back(RecordEvents{{wire::DropoffEmptied{i.compartment, i.tracking_codes}}, i.id});
      std::erase_if(state_.submissions, [&](const Submission& s) {
        return std::find(i.tracking_codes.begin(), i.tracking_codes.end(), s.tracking_code) !=
               i.tracking_codes.end();
      });
      if (!run.next.empty()) {
        Intent next = std::move(run.next.front());
        run.next.pop_front();
        auto more = begin(std::move(next), "Take the documents out and close the door.");
        running_->next = std::move(run.next);
        out.insert(out.end(), more.begin(), more.end());
      } else {
        out.emplace_back(Show{"The drop-off compartments are empty."});
      }
      break;
    }
  }
  return out;
}

}  // namespace civicbox::firmware
