// The wire types of the sync protocol between a box and its controller (JSON over mutual-TLS
// HTTPS), with strict parsing: a missing field, a wrong type, an unknown field or an oversized
// value gives a typed Error, never a crash or a silent default. docs/openapi.yaml describes
// the same shapes for people.
//
//   POST /v1/device/events          PushRequest  -> PushResponse
//   GET  /v1/device/sync?cursor=N   (no body)    -> PullResponse
//   POST /v1/device/status          BoxStatus    -> {"status": "ok"}
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/codes.hpp"
#include "common/error.hpp"
#include "common/ids.hpp"

namespace civicbox::wire {

inline constexpr std::size_t kMaxBatchEvents = 100;    // events in one push
inline constexpr std::size_t kMaxBodyBytes = 1 << 20;  // any request or response body
inline constexpr std::size_t kMaxTextBytes = 200;      // a free-text field (kind, contact, ...)
inline constexpr std::size_t kMaxListItems = 1000;     // any other list
inline constexpr int kMaxCompartment = 9999;

// A citizen put a document into a drop-off compartment and closed the door.
// `interrupted` is set when the agent recovered this filing after a crash: the door was
// opened, so a document may be inside; the receipt may not have been printed.
struct SubmissionFiled {
  TrackingCode tracking_code;
  std::string kind;  // a document kind from the box configuration
  int compartment = 0;
  std::string provisional_number;  // printed on the receipt when offline, e.g. P-box-0001-000007
  std::optional<std::string> contact;  // phone or e-mail for notifications, if the citizen gave one
  bool interrupted = false;
  // The UI language of the receipt the citizen got ("ro", "hu", "pt-br"...): 2..16 of a-z and -.
  std::optional<std::string> language{};
};

// A clerk loaded a parcel into a pickup compartment.
struct ParcelLoaded {
  std::string parcel_id;
  int compartment = 0;
};

// A citizen collected a parcel with its pickup code. `interrupted` as above.
struct ParcelCollected {
  std::string parcel_id;
  int compartment = 0;
  bool interrupted = false;
};

// A clerk emptied a drop-off compartment; the submissions that were in it.
struct DropoffEmptied {
  int compartment = 0;
  std::vector<std::string> tracking_codes;
};

// Something a technician or the back office must know: a door left open, a wrong-code lockout,
// an interrupted flow, a device fault.
struct Alarm {
  std::string what;    // short machine word, e.g. "keypad_locked", "door_left_open"
  std::string detail;  // one line for a person
  std::optional<int> compartment;
};

// A compartment's door was unlocked, by whom and why: the controller's audit trail of openings.
// Journaled before the unlock is sent to the lock board.
struct DoorOpened {
  int compartment = 0;
  std::string by{};  // "citizen" | "clerk" | "technician" | "remote" | "self_test"
  std::optional<std::string> badge{};    // the staff badge id, for a clerk or technician (<= 32)
  std::optional<std::string> command{};  // the remote command id, for "remote" (<= 64)
  std::optional<std::string> ref{};      // the tracking code or parcel id it concerns (<= 64)
  // "filing", "pickup", "loading", "emptying", "self_test", "maintenance", or the remote reason.
  std::string why{};
};

// What became of a remote command (PullResponse::commands): each is executed at most once.
struct CommandDone {
  std::string command{};  // Command::id
  std::string outcome{};  // "opened" | "refused" | "expired" | "failed"
  std::string detail{};   // one line for a person, may be empty
};

// Alarm first: a default-constructed body is an empty alarm, never a half-made submission.
// New kinds go at the end.
using EventBody = std::variant<Alarm, SubmissionFiled, ParcelLoaded, ParcelCollected,
                               DropoffEmptied, DoorOpened, CommandDone>;

// "submission.filed", "parcel.loaded", "parcel.collected", "dropoff.emptied", "alarm",
// "door.opened", "command.done".
std::string_view event_type(const EventBody& body);

struct Event {
  std::uint64_t seq = 0;  // gap-free per device, from 1
  EventId id;
  std::int64_t at_ms = 0;  // Unix milliseconds on the box's clock
  EventBody body;
};

struct PushRequest {
  std::vector<Event> events;  // 1..kMaxBatchEvents, seq strictly increasing
};

struct Registration {
  TrackingCode tracking_code;
  std::string registration_number;  // e.g. 2026/000123
};

struct PushResponse {
  std::uint64_t applied_through = 0;        // highest seq the controller holds for this device
  std::vector<Registration> registrations;  // for every submission.filed in the request
};

// The controller's word to a box: parcel P may be collected with a code matching the hash until
// expires_at_ms. `active == false` withdraws an earlier assignment (cancelled or collected).
struct Assignment {
  std::string parcel_id;
  std::string salt_hex;
  std::uint32_t iterations = 0;
  std::string hash_hex;
  std::int64_t expires_at_ms = 0;
  bool active = true;
};

struct BoxConfig {
  std::string institution;                  // printed on receipts
  std::vector<std::string> document_kinds;  // offered when filing
  std::string track_url;                    // base URL; the receipt's QR is track_url + code
};

inline constexpr std::size_t kMaxCommands = 100;  // commands in one pull

// The back office's word to open a compartment remotely. A box executes a command id at most once.
struct Command {
  std::string id{};           // 1..64 characters
  std::string kind = "open";  // only "open" for now
  int compartment = 0;
  std::string reason{};            // why, journaled as DoorOpened::why (<= kMaxTextBytes)
  std::string by{};                // the operator's name (<= 64)
  std::int64_t expires_at_ms = 0;  // not executed after this, on the box's clock
};

// A clerk managed by the controller: logs in with badge + PIN like an agent.toml [[staff]] clerk.
struct StaffClerk {
  std::string badge{};     // 1..32
  std::string name{};      // <= kMaxTextBytes
  std::string pin_hash{};  // "pbkdf2-sha256$..." (firmware/staff.hpp hash_pin), <= kMaxTextBytes
};

// The whole list, every pull. Version 0 with no clerks: the controller manages none.
struct StaffList {
  std::uint64_t version = 0;
  std::vector<StaffClerk> clerks{};  // <= kMaxListItems
};

struct PullResponse {
  std::uint64_t cursor = 0;  // pass back as ?cursor= to get only newer changes
  std::vector<Assignment> assignments;
  BoxConfig config;
  std::vector<Command> commands{};  // <= kMaxCommands; required in the JSON
  StaffList staff{};                // required in the JSON
};

// A box's snapshot for POST /v1/device/status: sent at start, on change and periodically; not
// journaled (a newer one replaces it).
struct CompartmentStatus {
  int number = 0;
  std::string size{};   // "S" | "M" | "L" (the cabinet profile's sizes)
  std::string use{};    // "dropoff" | "pickup" (the cabinet profile's roles)
  std::string state{};  // "free" | "occupied" | "open" | "fault"
};

struct BoxFault {
  std::string what{};    // short machine word, like Alarm::what (<= 64)
  std::string detail{};  // one line for a person (<= kMaxTextBytes * 4)
};

struct BoxStatus {
  std::int64_t at_ms = 0;                         // Unix milliseconds on the box's clock
  std::vector<CompartmentStatus> compartments{};  // <= kMaxListItems
  std::string paper{};                            // "ok" | "low" | "out" | "unknown"
  std::vector<BoxFault> faults{};                 // <= kMaxListItems
  std::string version{};                          // the agent's version (<= 64)
};

// A JSON error body: {"error": "<machine word>", "message": "<one line for a person>"}.
struct ErrorBody {
  std::string error;
  std::string message;
};

Expected<PushRequest> parse_push_request(std::string_view json);
Expected<PushResponse> parse_push_response(std::string_view json);
Expected<PullResponse> parse_pull_response(std::string_view json);
Expected<ErrorBody> parse_error_body(std::string_view json);
Expected<BoxStatus> parse_box_status(std::string_view json);

std::string to_json(const PushRequest& value);
std::string to_json(const PushResponse& value);
std::string to_json(const PullResponse& value);
std::string to_json(const ErrorBody& value);
std::string to_json(const BoxStatus& value);

// One event on its own (the agent stores events in its journal in this form).
Expected<Event> parse_event(std::string_view json);
std::string to_json(const Event& value);

}  // namespace civicbox::wire
