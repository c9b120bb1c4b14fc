// The webhook outbox: notifications for the town hall's SMS or e-mail gateway, written in the
// same transaction as the change they announce (a transactional outbox), so that a change and
// its notification commit together or not at all, and a controller restart loses none. One row
// per (event, subscriber) in `webhook_outbox`; controller/webhooks.hpp delivers them.
//
// A row's state: held (a parcel.ready waiting for its parcel to be loaded into a box), pending
// (due at due_at), delivered, dead (max_attempts failed). The pickup code of a parcel.ready
// lives in its payload only until the row is delivered or dead; storage otherwise keeps only
// the code's salted hash.
//
// Every function here runs inside a transaction the caller opened on `db`.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "controller/sql.hpp"

namespace civicbox::controller::webhooks {

inline constexpr const char* kRegistered = "submission.registered";
inline constexpr const char* kStatusChanged = "submission.status_changed";
inline constexpr const char* kParcelReady = "parcel.ready";
inline constexpr const char* kParcelReminder = "parcel.reminder";
inline constexpr const char* kParcelReturned = "parcel.returned";
inline constexpr std::array<const char*, 5> kEvents{kRegistered, kStatusChanged, kParcelReady,
                                                    kParcelReminder, kParcelReturned};
[[nodiscard]] bool is_event(std::string_view name);

// Who wants which events: one per [[webhooks.subscribers]].
struct Route {
  std::string subscriber;
  std::vector<std::string> events;
  [[nodiscard]] bool wants(std::string_view event) const;
};
using Routes = std::vector<Route>;

// A row for each subscriber that wants `event`, pending and due now (or held, see above).
// `parcel_id` ties a row to a parcel (parcel.* events).
Expected<void> enqueue(sql::Connection& db, const Routes& routes, std::string_view event,
                       const nlohmann::json& payload, std::int64_t now_ms,
                       const std::optional<std::string>& parcel_id = std::nullopt,
                       bool held = false);

// The parcel's held parcel.ready rows become pending, due now, with the box, the compartment
// and when the clerk loaded it (the box's event time) filled in.
Expected<void> release_parcel_ready(sql::Connection& db, const std::string& parcel_id,
                                    const std::string& box, int compartment,
                                    std::int64_t loaded_at_ms, std::int64_t now_ms);

// Drops the parcel's held parcel.ready rows, with the pickup code in them: the code of a parcel
// cancelled before it was loaded is never announced.
Expected<void> drop_held(sql::Connection& db, const std::string& parcel_id);

// For the back office's "mark returned": the parcel went back to the town hall uncollected.
// Any parcel.ready still held for it is dropped (with its pickup code).
Expected<void> enqueue_parcel_returned(sql::Connection& db, const Routes& routes,
                                       const std::string& parcel_id, const std::string& box,
                                       const std::string& reference, std::int64_t now_ms);

// One parcel.reminder per loaded, uncollected parcel whose hold ends within `before_ms` of now
// (and has not ended): once per parcel, recorded in `webhook_reminders` in the same
// transaction, so a restart or a second instance does not repeat it. Returns how many parcels
// were reminded.
Expected<int> enqueue_due_reminders(sql::Connection& db, const Routes& routes, std::int64_t now_ms,
                                    std::int64_t before_ms);

// One row as the sender sees it.
struct OutboxRow {
  std::int64_t id = 0;
  std::string subscriber;
  std::string event;
  std::string payload;
  std::string state;
  std::int64_t attempts = 0;
  std::int64_t due_at_ms = 0;
  std::optional<std::string> last_error;
  std::optional<std::int64_t> delivered_at_ms;
};

// For the sender (controller/webhooks.hpp). Claims up to `limit` pending rows due by now, in
// order: each gets attempts + 1, due_at = now + claim_ms and the sender's `claim` token, so that
// no other sender takes it meanwhile (on PostgreSQL, FOR UPDATE SKIP LOCKED: two instances
// never claim one row; a sender that dies leaves its rows due again when the claim runs out).
Expected<std::vector<OutboxRow>> claim_due(sql::Connection& db, std::int64_t now_ms, int limit,
                                           std::int64_t claim_ms, const std::string& claim);
// The receiver answered 2xx. The pickup code leaves the payload. False when the claim was lost.
Expected<bool> mark_delivered(sql::Connection& db, std::int64_t id, const std::string& claim,
                              std::int64_t now_ms);
// The attempt failed with `error`: pending again, due at `retry_at_ms`, or dead when that is
// nullopt (the pickup code leaves the payload). `count_attempt` false gives the attempt back (a
// row this sender has no subscriber for). False when the claim was lost.
Expected<bool> mark_failed(sql::Connection& db, std::int64_t id, const std::string& claim,
                           const std::string& error, std::optional<std::int64_t> retry_at_ms,
                           bool count_attempt = true);

// Forgets notifications delivered before `before_ms` (dead ones stay for the operator).
// Returns how many.
Expected<std::int64_t> prune_delivered(sql::Connection& db, std::int64_t before_ms);

// Every row, oldest first (tests and the operator's eye).
Expected<std::vector<OutboxRow>> list_rows(sql::Connection& db);

}  // namespace civicbox::controller::webhooks
