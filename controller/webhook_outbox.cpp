#include "controller/webhook_outbox.hpp"

#include <algorithm>

#include "controller/service.hpp"

namespace civicbox::controller::webhooks {

namespace {

using Json = nlohmann::json;

std::string dump(const Json& payload) {
  // Text from outside was checked to be UTF-8 by the wire parser; never throw here anyway.
  return payload.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// The payload without the pickup code (after delivery or death).
std::string without_pickup_code(const std::string& payload) {
  Json parsed = Json::parse(payload, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) return payload;
  parsed.erase("pickup_code");
  return dump(parsed);
}

constexpr const char* kRowColumns =
    "id, subscriber, event, payload, state, attempts, due_at, last_error, delivered_at";

OutboxRow row_from(const sql::Row& q) {
  return {q.integer(0), q.text(1),          q.text(2),
          q.text(3),    q.text(4),          q.integer(5),
          q.integer(6), q.optional_text(7), q.optional_integer(8)};
}

}  // namespace

bool is_event(std::string_view name) {
  return std::any_of(kEvents.begin(), kEvents.end(),
                     [&](const char* known) { return name == known; });
}

bool Route::wants(std::string_view event) const {
  return std::find(events.begin(), events.end(), event) != events.end();
}

Expected<void> enqueue(sql::Connection& db, const Routes& routes, std::string_view event,
                       const Json& payload, std::int64_t now_ms,
                       const std::optional<std::string>& parcel_id, bool held) {
  std::string text;
  for (const Route& route : routes) {
    if (!route.wants(event)) continue;
    if (text.empty()) text = dump(payload);
    CIVICBOX_CHECK(db.run(
        "INSERT INTO webhook_outbox(subscriber, event, parcel_id, payload, created_at, due_at, "
        "attempts, state) VALUES (?1, ?2, ?3, ?4, ?5, ?5, 0, ?6)",
        {route.subscriber, event, parcel_id, text, now_ms, held ? "held" : "pending"}));
  }
  return {};
}

Expected<void> release_parcel_ready(sql::Connection& db, const std::string& parcel_id,
                                    const std::string& box, int compartment,
                                    std::int64_t loaded_at_ms, std::int64_t now_ms) {
  CIVICBOX_TRY(auto rows, db.run("SELECT id, payload FROM webhook_outbox WHERE parcel_id = ?1 "
                                 "AND event = ?2 AND state = 'held'",
                                 {parcel_id, kParcelReady}));
  for (const sql::Row& q : rows) {
    Json payload = Json::parse(q.text(1), nullptr, false);
    if (payload.is_discarded() || !payload.is_object()) payload = Json::object();
    payload["box"] = box;
    payload["compartment"] = compartment;
    payload["loaded_at"] = rfc3339(loaded_at_ms);
    CIVICBOX_CHECK(
        db.run("UPDATE webhook_outbox SET state = 'pending', due_at = ?2, payload = ?3 "
               "WHERE id = ?1",
               {q.integer(0), now_ms, dump(payload)}));
  }
  return {};
}

Expected<void> drop_held(sql::Connection& db, const std::string& parcel_id) {
  CIVICBOX_CHECK(
      db.run("DELETE FROM webhook_outbox WHERE parcel_id = ?1 AND state = 'held'", {parcel_id}));
  return {};
}

Expected<void> enqueue_parcel_returned(sql::Connection& db, const Routes& routes,
                                       const std::string& parcel_id, const std::string& box,
                                       const std::string& reference, std::int64_t now_ms) {
  // A code that was never announced is never sent now.
  CIVICBOX_CHECK(drop_held(db, parcel_id));
  return enqueue(
      db, routes, kParcelReturned,
      {{"parcel_id", parcel_id}, {"reference", reference}, {"box", box}, {"at", rfc3339(now_ms)}},
      now_ms, parcel_id);
}

Expected<int> enqueue_due_reminders(sql::Connection& db, const Routes& routes, std::int64_t now_ms,
                                    std::int64_t before_ms) {
  if (std::none_of(routes.begin(), routes.end(),
                   [](const Route& r) { return r.wants(kParcelReminder); })) {
    return 0;
  }
  CIVICBOX_TRY(auto due,
               db.run("SELECT parcel_id, device_id, reference, compartment, expires_at "
                      "FROM parcels WHERE state = 'loaded' AND expires_at > ?1 AND "
                      "expires_at <= ?2 AND NOT EXISTS (SELECT 1 FROM webhook_reminders r "
                      "WHERE r.parcel_id = parcels.parcel_id) ORDER BY expires_at LIMIT 1000",
                      {now_ms, now_ms + before_ms}));
  int reminded = 0;
  for (const sql::Row& q : due) {
    // Another instance reminding the same parcel at the same time waits for this row's lock
    // and then inserts nothing.
    CIVICBOX_TRY(auto recorded,
                 db.run("INSERT INTO webhook_reminders(parcel_id, at) VALUES (?1, ?2) "
                        "ON CONFLICT(parcel_id) DO NOTHING",
                        {q.text(0), now_ms}));
    if (recorded.changes != 1) continue;
    Json payload = {{"parcel_id", q.text(0)},
                    {"reference", q.text(2)},
                    {"box", q.text(1)},
                    {"expires_at", rfc3339(q.integer(4))}};
    if (auto compartment = q.optional_integer(3)) payload["compartment"] = *compartment;
    CIVICBOX_CHECK(enqueue(db, routes, kParcelReminder, payload, now_ms, q.text(0)));
    ++reminded;
  }
  return reminded;
}

Expected<std::vector<OutboxRow>> claim_due(sql::Connection& db, std::int64_t now_ms, int limit,
                                           std::int64_t claim_ms, const std::string& claim) {
  const char* lock = db.dialect() == sql::Dialect::postgres ? " FOR UPDATE SKIP LOCKED" : "";
  CIVICBOX_TRY(auto rows,
               db.run(std::string("UPDATE webhook_outbox SET attempts = attempts + 1, "
                                  "due_at = ?2, claim = ?3 WHERE id IN (SELECT id FROM "
                                  "webhook_outbox WHERE state = 'pending' AND due_at <= ?1 "
                                  "ORDER BY due_at, id LIMIT ?4") +
                          lock + ") RETURNING " + kRowColumns,
                      {now_ms, now_ms + claim_ms, claim, static_cast<std::int64_t>(limit)}));
  std::vector<OutboxRow> out;
  for (const sql::Row& q : rows) out.push_back(row_from(q));
  std::sort(out.begin(), out.end(), [](const OutboxRow& a, const OutboxRow& b) {
    return a.due_at_ms != b.due_at_ms ? a.due_at_ms < b.due_at_ms : a.id < b.id;
  });
  return out;
}

Expected<bool> mark_delivered(sql::Connection& db, std::int64_t id, const std::string& claim,
                              std::int64_t now_ms) {
  CIVICBOX_TRY(auto rows, db.run("SELECT payload FROM webhook_outbox WHERE id = ?1 AND claim = ?2",
                                 {id, claim}));
  if (rows.empty()) return false;
  CIVICBOX_TRY(auto done, db.run("UPDATE webhook_outbox SET state = 'delivered', "
                                 "delivered_at = ?3, payload = ?4, claim = NULL, "
                                 "last_error = NULL WHERE id = ?1 AND claim = ?2",
                                 {id, claim, now_ms, without_pickup_code(rows[0].text(0))}));
  return done.changes == 1;
}

Expected<bool> mark_failed(sql::Connection& db, std::int64_t id, const std::string& claim,
                           const std::string& error, std::optional<std::int64_t> retry_at_ms,
                           bool count_attempt) {
  CIVICBOX_TRY(auto rows, db.run("SELECT payload FROM webhook_outbox WHERE id = ?1 AND claim = ?2",
                                 {id, claim}));
  if (rows.empty()) return false;
  const std::string payload = retry_at_ms ? rows[0].text(0) : without_pickup_code(rows[0].text(0));
  CIVICBOX_TRY(auto done,
               db.run("UPDATE webhook_outbox SET state = ?3, due_at = COALESCE(?4, due_at), "
                      "payload = ?5, last_error = ?6, claim = NULL, "
                      "attempts = attempts - ?7 WHERE id = ?1 AND claim = ?2",
                      {id, claim, retry_at_ms ? "pending" : "dead", retry_at_ms, payload, error,
                       static_cast<std::int64_t>(count_attempt ? 0 : 1)}));
  return done.changes == 1;
}

Expected<std::int64_t> prune_delivered(sql::Connection& db, std::int64_t before_ms) {
  CIVICBOX_TRY(auto done, db.run("DELETE FROM webhook_outbox WHERE state = 'delivered' AND "
                                 "delivered_at < ?1",
                                 {before_ms}));
  return done.changes;
}

Expected<std::vector<OutboxRow>> list_rows(sql::Connection& db) {
  CIVICBOX_TRY(auto rows,
               db.run(std::string("SELECT ") + kRowColumns + " FROM webhook_outbox ORDER BY id"));
  std::vector<OutboxRow> out;
  for (const sql::Row& q : rows) out.push_back(row_from(q));
  return out;
}

}  // namespace civicbox::controller::webhooks
