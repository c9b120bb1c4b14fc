// The kiosk's rules as a pure state machine: what may happen at the box, in which order, and
// what the agent must do about it. No I/O, no clock, no randomness of its own: every call gets
// `now_ms` and a Random, and answers with a list of Actions that the agent carries out in order.
//
// Journal first: every flow that opens a door answers RecordIntent, then RecordEvents with a
// door.opened (who and why: the controller's audit trail of openings), before Unlock, so the intent
// is on disk before the lock moves; the outcome (RecordEvents) comes after the door sensor
// reported the door closed. A wrong, mistyped, expired, used or foreign pickup code never yields
// an Unlock. Ten failed codes in a row lock the keypad for 15 minutes; only a completed pickup
// (the door closed after a collection) resets the count.
//
// A door that did not open in time is not a free compartment: unlock() released the lock and a
// person may still pull it. Its intent stays unfinished (the agent watches the sensor and
// finishes the flow as interrupted when the door moves), an alarm calls a technician, and no flow
// uses that compartment while the intent is unfinished.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/codes.hpp"
#include "common/error.hpp"
#include "common/pickup_hash.hpp"
#include "common/random.hpp"
#include "common/wire.hpp"

namespace civicbox::firmware {

inline constexpr int kMaxFailedCodes = 10;
inline constexpr std::int64_t kKeypadLockMs = 15 * 60 * 1000;
// A code expired less than this long ago is still recognised (and refused as expired); older
// ones are not hashed at all, so one typed code costs PBKDF2 only over the parcels that matter.
inline constexpr std::int64_t kExpiredCodeGraceMs = 24 * 3600 * 1000;
// A code typed again after its parcel was collected here is told "already collected" if the
// collection was less than this long ago and among the kUsedCodeMemoryParcels most recent ones;
// only checked once no parcel that can be collected matched, so its cost is bounded. The journal
// keeps those assignments (their hashes) that long.
inline constexpr std::int64_t kUsedCodeMemoryMs = 7LL * 24 * 3600 * 1000;
inline constexpr std::size_t kUsedCodeMemoryParcels = 20;

// Whether `text` is well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
bool valid_utf8(std::string_view text);
// Whether `code` is a UI language code as submission.filed carries it: 2..16 of a-z and '-'.
bool valid_language(std::string_view code);

enum class Flow { filing, pickup, load, empty };
std::string_view to_string(Flow flow);
Expected<Flow> parse_flow(std::string_view text);

// unlock_requested -> door_opened -> done, or unlock_requested -> cancelled. An intent whose row
// cannot be read (or finished) at recovery is quarantined: kept for a person, never acted on.
enum class IntentStage { unlock_requested, door_opened, done, cancelled, quarantined };
std::string_view to_string(IntentStage stage);
Expected<IntentStage> parse_intent_stage(std::string_view text);

// What the agent is about to do to a door, with what it takes to finish the flow after a crash.
struct Intent {
  std::string id;  // a UUIDv7
  Flow flow = Flow::filing;
  int compartment = 0;
  std::string subject;  // the tracking code (filing) or the parcel id (pickup, load)
  IntentStage stage = IntentStage::unlock_requested;
  std::int64_t created_ms = 0;
  // filing
  std::string kind;
  std::optional<std::string> contact;
  std::string provisional_number;
  std::int64_t provisional_counter = 0;
  std::optional<std::string> language{};  // the citizen's UI language, for the receipt
  // empty: the submissions in the compartment
  std::vector<std::string> tracking_codes;
  // load, empty: the clerk's badge, when known (journaled in door.opened)
  std::optional<std::string> badge{};
};

// A parcel the controller assigned to this box, and what the box did with it.
struct Parcel {
  std::string parcel_id;
  PickupHash hash;
  std::int64_t expires_at_ms = 0;
  bool active = true;
  std::optional<int> compartment;  // loaded here
  bool collected = false;
  std::optional<std::int64_t> collected_at_ms;  // when the parcel.collected event was recorded
};

// A document filed here and not yet taken out by a clerk.
struct Submission {
  std::string tracking_code;  // canonical
  std::string provisional_number;
  std::optional<std::string> registration_number;
  int compartment = 0;
};

struct Keypad {
  int failed_in_row = 0;
  std::int64_t locked_until_ms = 0;  // 0: not locked
  friend bool operator==(const Keypad&, const Keypad&) = default;
};

// What the journal knows that the rules need; the agent loads it before each flow.
struct BoxState {
  wire::BoxConfig config;
  std::vector<Parcel> parcels;
  std::vector<Submission> submissions;  // not emptied
  std::int64_t provisional_counter = 0;
  Keypad keypad;
  // Intents not done nor cancelled (a door that did not open, a sensor that was unsure): their
  // compartments are out of service until the agent finishes them.
  std::vector<Intent> unfinished;
  // Not from the journal: compartments the agent's sensor sweeps put out of service (a board
  // that stopped answering, a door opened with no unlock). No flow uses them.
  std::set<int> faulty;
};

// The configuration a box uses until its first pull from the controller.
wire::BoxConfig default_box_config();

// ---- inputs -------------------------------------------------------------------------------
struct FileDocument {
  std::string kind;
  std::optional<std::string> contact;
  std::optional<std::string> language{};  // the UI language of the receipt (submission.filed)
};
struct CollectParcel {
  std::string typed_code;
};
struct LoadParcel {
  std::string parcel_id;
  std::optional<std::string> badge{};  // the clerk's
};
struct EmptyDropoff {
  std::optional<std::string> badge{};  // the clerk's
};
struct DoorOpened {
  int compartment = 0;
};
struct DoorClosed {
  int compartment = 0;
};
// The lock did not release (board error) or nobody opened the door in time.
struct DoorNotOpened {
  int compartment = 0;
  std::string why;
};
using Input = std::variant<FileDocument, CollectParcel, LoadParcel, EmptyDropoff, DoorOpened,
                           DoorClosed, DoorNotOpened>;

// ---- actions ------------------------------------------------------------------------------
enum class RefuseReason {
  mistyped,
  wrong_code,
  expired,
  used,
  locked_out,
  not_loaded,
  unknown_parcel,
  already_loaded,
  no_free_compartment,
  unknown_kind,
  bad_contact,
  busy,
  door_not_opened,
  out_of_service,  // the box's certificate was revoked: no citizen flow until re-enrolled
};
std::string_view to_string(RefuseReason reason);

struct RecordIntent {
  Intent intent;
};
struct Unlock {
  int compartment = 0;
};
struct MarkDoorOpened {
  std::string intent_id;
};
struct CancelIntent {
  std::string intent_id;
  std::string why;
};
// Appended in one transaction, which also marks the intent done.
struct RecordEvents {
  std::vector<wire::EventBody> events;
  std::optional<std::string> finishes_intent;
};
struct SaveKeypad {
  Keypad keypad;
};
struct PrintReceipt {
  std::string tracking_code;  // canonical
  std::string provisional_number;
  std::int64_t at_ms = 0;
};
struct Show {
  std::string message;
};
struct Refuse {
  RefuseReason reason = RefuseReason::wrong_code;
  std::string message;            // one plain sentence for the citizen or clerk
  std::optional<int> tries_left;  // pickup codes only
  std::optional<int> retry_in_s;  // locked_out only
};
using Action = std::variant<RecordIntent, Unlock, MarkDoorOpened, CancelIntent, RecordEvents,
                            SaveKeypad, PrintReceipt, Show, Refuse>;

struct Layout {
  std::string box_id;
  std::vector<int> dropoff;
  std::vector<int> pickup;
};

class Kiosk {
 public:
  explicit Kiosk(Layout layout);

  // Replaces what the kiosk knows from the journal (a flow under way is kept).
  void refresh(BoxState state);
  std::vector<Action> handle(const Input& input, std::int64_t now_ms, Random& random);

  [[nodiscard]] bool busy() const { return running_.has_value(); }
  // Drops the flow under way (the agent could not carry out its actions; the journal's intent,
  // if any, is left for recovery).
  void abandon() { running_.reset(); }
  [[nodiscard]] const BoxState& state() const { return state_; }
  [[nodiscard]] int free_dropoff() const;
  [[nodiscard]] int free_pickup() const;

  // "P-box-0001-000007"
  static std::string provisional_number(std::string_view box_id, std::int64_t counter);

 private:
  struct Running {
    Intent intent;
    bool opened = false;
    std::deque<Intent> next;  // empty flow: the compartments still to open
  };

  std::vector<Action> file(const FileDocument& in, std::int64_t now_ms, Random& random);
  std::vector<Action> collect(const CollectParcel& in, std::int64_t now_ms, Random& random);
  std::vector<Action> load(const LoadParcel& in, std::int64_t now_ms, Random& random);
  std::vector<Action> empty(const EmptyDropoff& in, std::int64_t now_ms, Random& random);
  std::vector<Action> opened(const DoorOpened& in);
  std::vector<Action> closed(const DoorClosed& in, std::int64_t now_ms);
  std::vector<Action> not_opened(const DoorNotOpened& in);
  std::vector<Action> failed_code(RefuseReason reason, std::string message, std::int64_t now_ms);
  [[nodiscard]] bool collected_recently(const PickupCode& code, std::int64_t now_ms) const;
  std::vector<Action> begin(Intent intent, std::string message);
  std::optional<int> free_dropoff_compartment() const;
  std::optional<int> free_pickup_compartment() const;
  Parcel* find_parcel(std::string_view parcel_id);
  [[nodiscard]] bool out_of_service(int compartment) const;

  Layout layout_;
  BoxState state_;
  std::optional<Running> running_;
};

}  // namespace civicbox::firmware
