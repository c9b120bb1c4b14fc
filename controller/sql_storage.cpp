// The controller's storage, written once for both databases (controller/sql.hpp): SQLite, one
// file in WAL mode with synchronous=FULL, and PostgreSQL, shared by several controller
// instances. Every method is one transaction; one that PostgreSQL aborted for a deadlock or a
// serialization failure is run again from the start.
//
// What keeps several instances right on one PostgreSQL (READ COMMITTED):
//   - a batch of a box's events first upserts the box's row in `devices`, which locks it until
//     the transaction ends: two instances given the same box's batches apply them one after the
//     other, and the second sees the first's applied_through (nothing is applied twice);
//   - registration numbers come from a counter row per (institution, year), incremented by an
//     upsert in the same transaction that stores the submission: the row lock orders the
//     numbers, and a transaction that rolls back gives its number back (never skipped, never
//     given twice);
//   - the parcels' change counter is one row, updated in the transaction that changes a parcel:
//     changes commit in the order of their numbers, so a box's pull cursor never jumps one.
// Schemas are versioned (schema_migrations): each database runs the migrations it has not run
// yet at start-up, PostgreSQL under an advisory lock so that instances starting together do not
// race.
#include <algorithm>
#include <cmath>
#include <ctime>
#include <map>

#include <nlohmann/json.hpp>

#include "common/json_strict.hpp"
#include "controller/config.hpp"
#include "controller/sql.hpp"
#include "controller/storage.hpp"
#include "controller/webhook_events.hpp"
#include "controller/webhook_outbox.hpp"

namespace civicbox::controller {

namespace {

// Migrations, in order, per database: a migration is never edited once released, only
// followed by another. Version 1 is the schema as it was before versions were kept (its
// IF NOT EXISTS lets a database from then take it as a no-op). PostgreSQL's tables name an
// identity column `rowid` where the SQLite ones rely on SQLite's own, so both order by rowid.
struct Migration {
  int version;
  const char* sql;
};

constexpr Migration kSqliteMigrations[] = {{1, R"SQL(
CREATE TABLE IF NOT EXISTS devices(
  device_id TEXT PRIMARY KEY,
  applied_through INTEGER NOT NULL DEFAULT 0,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS events(
  device_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  event_id TEXT NOT NULL,
  type TEXT NOT NULL,
  at INTEGER NOT NULL,
  body TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  PRIMARY KEY(device_id, seq));
CREATE TABLE IF NOT EXISTS registry_counters(
  institution TEXT NOT NULL,
  year INTEGER NOT NULL,
  last_number INTEGER NOT NULL,
  PRIMARY KEY(institution, year));
CREATE TABLE IF NOT EXISTS submissions(
  tracking_code TEXT PRIMARY KEY,
  device_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  compartment INTEGER NOT NULL,
  provisional_number TEXT NOT NULL,
  contact TEXT,
  interrupted INTEGER NOT NULL,
  institution TEXT NOT NULL,
  year INTEGER NOT NULL,
  number INTEGER NOT NULL,
  registration_number TEXT NOT NULL,
  state TEXT NOT NULL,
  filed_at INTEGER NOT NULL,
  UNIQUE(institution, year, number));
CREATE TABLE IF NOT EXISTS submission_history(
  tracking_code TEXT NOT NULL REFERENCES submissions(tracking_code),
  state TEXT NOT NULL,
  at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS submission_history_by_code ON submission_history(tracking_code);
CREATE TABLE IF NOT EXISTS parcels(
  parcel_id TEXT PRIMARY KEY,
  device_id TEXT NOT NULL,
  reference TEXT NOT NULL,
  salt TEXT NOT NULL,
  iterations INTEGER NOT NULL,
  hash TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  state TEXT NOT NULL,
  compartment INTEGER,
  created_at INTEGER NOT NULL,
  change_seq INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS parcels_by_device_change ON parcels(device_id, change_seq);
CREATE TABLE IF NOT EXISTS change_counter(id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL);
INSERT INTO change_counter(id, value) VALUES (1, 0) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS enrolment_tokens(
  token_sha256 TEXT PRIMARY KEY,
  device_id TEXT NOT NULL,
  site TEXT NOT NULL,
  cabinet TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER,
  key_sha256 TEXT,
  serial TEXT);
CREATE INDEX IF NOT EXISTS enrolment_tokens_by_device ON enrolment_tokens(device_id, created_at);
CREATE TABLE IF NOT EXISTS certificates(
  serial TEXT PRIMARY KEY,
  device_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('enrol', 'renew')),
  not_before INTEGER NOT NULL,
  not_after INTEGER NOT NULL,
  issued_at INTEGER NOT NULL,
  pem TEXT NOT NULL,
  key_sha256 TEXT NOT NULL,
  revoked_at INTEGER,
  revoked_reason TEXT);
CREATE INDEX IF NOT EXISTS certificates_by_device ON certificates(device_id, issued_at);
CREATE TABLE IF NOT EXISTS device_revocations(
  device_id TEXT PRIMARY KEY,
  revoked_at INTEGER NOT NULL,
  reason TEXT NOT NULL,
  lifted_at INTEGER);
CREATE TABLE IF NOT EXISTS revocation_counter(id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL);
INSERT INTO revocation_counter(id, value) VALUES (1, 0) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS self_tests(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  device_id TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  finished_at INTEGER NOT NULL,
  reason TEXT NOT NULL,
  passed INTEGER NOT NULL,
  report TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS self_tests_by_device ON self_tests(device_id, id);
)SQL"},
                                           {2, R"SQL(
ALTER TABLE submissions ADD COLUMN language TEXT NOT NULL DEFAULT '';
ALTER TABLE submissions ADD COLUMN reference TEXT NOT NULL DEFAULT '';
CREATE INDEX submissions_by_filed_at ON submissions(filed_at);
CREATE INDEX events_by_type_at ON events(type, at);
CREATE TABLE audit(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  role TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  detail TEXT NOT NULL);
CREATE INDEX audit_by_at ON audit(at);
CREATE TABLE door_openings(
  device_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  at INTEGER NOT NULL,
  compartment INTEGER NOT NULL,
  opened_by TEXT NOT NULL,
  badge TEXT,
  command TEXT,
  ref TEXT,
  why TEXT NOT NULL,
  PRIMARY KEY(device_id, seq));
CREATE INDEX door_openings_by_at ON door_openings(at);
CREATE TABLE box_status(
  device_id TEXT PRIMARY KEY,
  received_at INTEGER NOT NULL,
  status TEXT NOT NULL);
CREATE TABLE commands(
  id TEXT PRIMARY KEY,
  device_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  compartment INTEGER NOT NULL,
  reason TEXT NOT NULL,
  issued_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  outcome TEXT,
  detail TEXT,
  done_at INTEGER);
CREATE INDEX commands_by_device ON commands(device_id, created_at);
CREATE TABLE clerks(
  badge TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  pin_hash TEXT NOT NULL,
  active INTEGER NOT NULL,
  updated_at INTEGER NOT NULL);
CREATE TABLE staff_counter(id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL);
INSERT INTO staff_counter(id, value) VALUES (1, 0);
CREATE TABLE api_tokens(
  token_sha256 TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER);
)SQL"},
                                           // 3: notifications for the town hall's gateway
                                           // (controller/webhook_outbox.hpp).
                                           {3, R"SQL(
CREATE TABLE webhook_outbox(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  subscriber TEXT NOT NULL,
  event TEXT NOT NULL,
  parcel_id TEXT,
  payload TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  due_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL CHECK (state IN ('held', 'pending', 'delivered', 'dead')),
  claim TEXT,
  last_error TEXT,
  delivered_at INTEGER);
CREATE INDEX webhook_outbox_due ON webhook_outbox(state, due_at);
CREATE INDEX webhook_outbox_by_parcel ON webhook_outbox(parcel_id);
CREATE TABLE webhook_reminders(parcel_id TEXT PRIMARY KEY, at INTEGER NOT NULL);
)SQL"}};

constexpr Migration kPostgresMigrations[] = {{1, R"SQL(
CREATE TABLE IF NOT EXISTS devices(
  device_id TEXT PRIMARY KEY,
  applied_through BIGINT NOT NULL DEFAULT 0,
  first_seen BIGINT NOT NULL,
  last_seen BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS events(
  device_id TEXT NOT NULL,
  seq BIGINT NOT NULL,
  event_id TEXT NOT NULL,
  type TEXT NOT NULL,
  at BIGINT NOT NULL,
  body TEXT NOT NULL,
  received_at BIGINT NOT NULL,
  outcome TEXT NOT NULL,
  PRIMARY KEY(device_id, seq));
CREATE TABLE IF NOT EXISTS registry_counters(
  institution TEXT NOT NULL,
  year BIGINT NOT NULL,
  last_number BIGINT NOT NULL,
  PRIMARY KEY(institution, year));
CREATE TABLE IF NOT EXISTS submissions(
  tracking_code TEXT PRIMARY KEY,
  device_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  compartment BIGINT NOT NULL,
  provisional_number TEXT NOT NULL,
  contact TEXT,
  interrupted BIGINT NOT NULL,
  institution TEXT NOT NULL,
  year BIGINT NOT NULL,
  number BIGINT NOT NULL,
  registration_number TEXT NOT NULL,
  state TEXT NOT NULL,
  filed_at BIGINT NOT NULL,
  UNIQUE(institution, year, number));
CREATE TABLE IF NOT EXISTS submission_history(
  rowid BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tracking_code TEXT NOT NULL REFERENCES submissions(tracking_code),
  state TEXT NOT NULL,
  at BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS submission_history_by_code ON submission_history(tracking_code);
CREATE TABLE IF NOT EXISTS parcels(
  parcel_id TEXT PRIMARY KEY,
  device_id TEXT NOT NULL,
  reference TEXT NOT NULL,
  salt TEXT NOT NULL,
  iterations BIGINT NOT NULL,
  hash TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  state TEXT NOT NULL,
  compartment BIGINT,
  created_at BIGINT NOT NULL,
  change_seq BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS parcels_by_device_change ON parcels(device_id, change_seq);
CREATE TABLE IF NOT EXISTS change_counter(id BIGINT PRIMARY KEY CHECK (id = 1), value BIGINT NOT NULL);
INSERT INTO change_counter(id, value) VALUES (1, 0) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS enrolment_tokens(
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  token_sha256 TEXT PRIMARY KEY,
  device_id TEXT NOT NULL,
  site TEXT NOT NULL,
  cabinet TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  used_at BIGINT,
  key_sha256 TEXT,
  serial TEXT);
CREATE INDEX IF NOT EXISTS enrolment_tokens_by_device ON enrolment_tokens(device_id, created_at);
CREATE TABLE IF NOT EXISTS certificates(
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  serial TEXT PRIMARY KEY,
  device_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('enrol', 'renew')),
  not_before BIGINT NOT NULL,
  not_after BIGINT NOT NULL,
  issued_at BIGINT NOT NULL,
  pem TEXT NOT NULL,
  key_sha256 TEXT NOT NULL,
  revoked_at BIGINT,
  revoked_reason TEXT);
CREATE INDEX IF NOT EXISTS certificates_by_device ON certificates(device_id, issued_at);
CREATE TABLE IF NOT EXISTS device_revocations(
  device_id TEXT PRIMARY KEY,
  revoked_at BIGINT NOT NULL,
  reason TEXT NOT NULL,
  lifted_at BIGINT);
CREATE TABLE IF NOT EXISTS revocation_counter(id BIGINT PRIMARY KEY CHECK (id = 1), value BIGINT NOT NULL);
INSERT INTO revocation_counter(id, value) VALUES (1, 0) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS self_tests(
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  device_id TEXT NOT NULL,
  received_at BIGINT NOT NULL,
  started_at BIGINT NOT NULL,
  finished_at BIGINT NOT NULL,
  reason TEXT NOT NULL,
  passed BIGINT NOT NULL,
  report TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS self_tests_by_device ON self_tests(device_id, id);
)SQL"},
                                             {2, R"SQL(
ALTER TABLE submissions ADD COLUMN language TEXT NOT NULL DEFAULT '';
ALTER TABLE submissions ADD COLUMN reference TEXT NOT NULL DEFAULT '';
CREATE INDEX submissions_by_filed_at ON submissions(filed_at);
CREATE INDEX events_by_type_at ON events(type, at);
CREATE TABLE audit(
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at BIGINT NOT NULL,
  actor TEXT NOT NULL,
  role TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  detail TEXT NOT NULL);
CREATE INDEX audit_by_at ON audit(at);
CREATE TABLE door_openings(
  device_id TEXT NOT NULL,
  seq BIGINT NOT NULL,
  at BIGINT NOT NULL,
  compartment BIGINT NOT NULL,
  opened_by TEXT NOT NULL,
  badge TEXT,
  command TEXT,
  ref TEXT,
  why TEXT NOT NULL,
  PRIMARY KEY(device_id, seq));
CREATE INDEX door_openings_by_at ON door_openings(at);
CREATE TABLE box_status(
  device_id TEXT PRIMARY KEY,
  received_at BIGINT NOT NULL,
  status TEXT NOT NULL);
CREATE TABLE commands(
  id TEXT PRIMARY KEY,
  device_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  compartment BIGINT NOT NULL,
  reason TEXT NOT NULL,
  issued_by TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  outcome TEXT,
  detail TEXT,
  done_at BIGINT);
CREATE INDEX commands_by_device ON commands(device_id, created_at);
CREATE TABLE clerks(
  badge TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  pin_hash TEXT NOT NULL,
  active BIGINT NOT NULL,
  updated_at BIGINT NOT NULL);
CREATE TABLE staff_counter(id BIGINT PRIMARY KEY CHECK (id = 1), value BIGINT NOT NULL);
INSERT INTO staff_counter(id, value) VALUES (1, 0);
CREATE TABLE api_tokens(
  token_sha256 TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  revoked_at BIGINT);
)SQL"},
                                             // 3: notifications for the town hall's gateway
                                             // (controller/webhook_outbox.hpp).
                                             {3, R"SQL(
CREATE TABLE webhook_outbox(
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  subscriber TEXT NOT NULL,
  event TEXT NOT NULL,
  parcel_id TEXT,
  payload TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  due_at BIGINT NOT NULL,
  attempts BIGINT NOT NULL DEFAULT 0,
  state TEXT NOT NULL CHECK (state IN ('held', 'pending', 'delivered', 'dead')),
  claim TEXT,
  last_error TEXT,
  delivered_at BIGINT);
CREATE INDEX webhook_outbox_due ON webhook_outbox(state, due_at);
CREATE INDEX webhook_outbox_by_parcel ON webhook_outbox(parcel_id);
CREATE TABLE webhook_reminders(parcel_id TEXT PRIMARY KEY, at BIGINT NOT NULL);
)SQL"}};

constexpr const char* kTokenColumns =
    "token_sha256, device_id, site, cabinet, created_at, expires_at, used_at, key_sha256, serial";
constexpr const char* kCertificateColumns =
    "serial, device_id, kind, not_before, not_after, issued_at, pem, key_sha256, revoked_at, "
    "revoked_reason";

constexpr const char* kParcelColumns =
    "parcel_id, device_id, reference, state, compartment, expires_at";
constexpr const char* kCommandColumns =
    "id, device_id, kind, compartment, reason, issued_by, created_at, expires_at, outcome, "
    "detail, done_at";
constexpr const char* kApiTokenColumns = "name, role, created_at, revoked_at";

using sql::Connection;
using sql::Row;
using Json = nlohmann::json;

ParcelRecord parcel_from(const Row& q) {
  ParcelRecord r{q.text(0), q.text(1), q.text(2), q.text(3), std::nullopt, q.integer(5)};
  if (auto c = q.optional_integer(4)) r.compartment = static_cast<int>(*c);
  return r;
}

CommandRecord command_from(const Row& q) {
  return {q.text(0),
          q.text(1),
          q.text(2),
          static_cast<int>(q.integer(3)),
          q.text(4),
          q.text(5),
          q.integer(6),
          q.integer(7),
          q.optional_text(8),
          q.optional_text(9),
          q.optional_integer(10)};
}

ApiTokenRecord api_token_from(const Row& q) {
  return {q.text(0), q.text(1), q.integer(2), q.optional_integer(3)};
}

// The town hall's local date (TZ, as registry_year), "YYYY-MM-DD".
std::string local_date(std::int64_t unix_ms) {
  std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char text[16];
  std::strftime(text, sizeof text, "%Y-%m-%d", &tm);
  return text;
}

// The nearest-rank percentile of sorted values (0 < p <= 1).
double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

EnrolmentTokenRecord token_from(const Row& q) {
  return {q.text(0),
          q.text(1),
          q.text(2),
          q.text(3),
          q.integer(4),
          q.integer(5),
          q.optional_integer(6),
          q.optional_text(7),
          q.optional_text(8)};
}

CertificateRecord certificate_from(const Row& q) {
  return {q.text(0),    q.text(1), q.text(2), q.integer(3),          q.integer(4),
          q.integer(5), q.text(6), q.text(7), q.optional_integer(8), q.optional_text(9)};
}

// The registry's year is the town hall's: local time of the process (TZ, set from
// [institution] timezone at start), so a filing at 00:30 on 1 January in Bucharest opens the
// new year's series even though it is still 31 December in UTC.
int registry_year(std::int64_t now_ms) {
  std::time_t t = static_cast<std::time_t>(now_ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  return tm.tm_year + 1900;
}

class SqlStorage final : public Storage {
 public:
  SqlStorage(std::unique_ptr<sql::Pool> pool, std::string institution, webhooks::Routes routes)
      : pool_(std::move(pool)),
        institution_(std::move(institution)),
        webhook_routes_(std::move(routes)) {}

  sql::Pool& database() override { return *pool_; }

  Expected<ApplyResult> apply_events(const DeviceId& device, const std::vector<wire::Event>& events,
                                     std::int64_t now_ms) override {
    return transaction([&](Connection& db) -> Expected<ApplyResult> {
      CIVICBOX_TRY(std::uint64_t applied, touch_device(db, device, now_ms));
      ApplyResult result;
      for (const auto& event : events) {
        const auto* filed = std::get_if<wire::SubmissionFiled>(&event.body);
        std::optional<std::string> number;
        if (event.seq <= applied) {
          CIVICBOX_CHECK(check_same_event(db, device, event));
          // Sent again: answered with the number it was given then.
          if (filed != nullptr) {
            CIVICBOX_TRY(number, registration_of(db, filed->tracking_code, device));
          }
        } else if (event.seq == applied + 1) {
          CIVICBOX_TRY(std::string outcome, apply_one(db, device, event, now_ms, number));
          CIVICBOX_CHECK(store_event(db, device, event, now_ms, outcome));
          applied = event.seq;
          ++result.newly_applied;
          if (number) ++result.newly_registered;
        } else {
          break;  // a gap: the device sends the missing ones first
        }
        if (filed != nullptr && number) {
          result.registrations.push_back({filed->tracking_code, *number});
        }
      }
      CIVICBOX_CHECK(db.run("UPDATE devices SET applied_through = ?1 WHERE device_id = ?2",
                            {static_cast<std::int64_t>(applied), device.str()}));
      result.applied_through = applied;
      return result;
    });
  }

  Expected<std::uint64_t> applied_through(const DeviceId& device) override {
    return read([&](Connection& db) -> Expected<std::uint64_t> {
      CIVICBOX_TRY(auto rows, db.run("SELECT applied_through FROM devices WHERE device_id = ?1",
                                     {device.str()}));
      return rows.empty() ? 0 : static_cast<std::uint64_t>(rows[0].integer(0));
    });
  }

  Expected<bool> device_known(const DeviceId& device) override {
    return read([&](Connection& db) -> Expected<bool> {
      CIVICBOX_TRY(auto rows, db.run("SELECT 1 FROM devices WHERE device_id = ?1", {device.str()}));
      return !rows.empty();
    });
  }

  Expected<wire::PullResponse> assignments_since(const DeviceId& device, std::uint64_t cursor,
                                                 std::int64_t now_ms) override {
    // A box that only pulls is known, too.
    CIVICBOX_CHECK(transaction([&](Connection& db) -> Expected<void> {
      CIVICBOX_CHECK(touch_device(db, device, now_ms));
      return {};
    }));
    return read([&](Connection& db) -> Expected<wire::PullResponse> {
      wire::PullResponse response;
      response.cursor = cursor;
      CIVICBOX_TRY(auto rows,
                   db.run("SELECT parcel_id, salt, iterations, hash, expires_at, state, change_seq "
                          "FROM parcels WHERE device_id = ?1 AND change_seq > ?2 "
                          "ORDER BY change_seq LIMIT ?3",
                          {device.str(), static_cast<std::int64_t>(cursor),
                           static_cast<std::int64_t>(wire::kMaxListItems)}));
      for (const Row& q : rows) {
        std::string state = q.text(5);
        wire::Assignment a;
        a.parcel_id = q.text(0);
        a.salt_hex = q.text(1);
        a.iterations = static_cast<std::uint32_t>(q.integer(2));
        a.hash_hex = q.text(3);
        a.expires_at_ms = q.integer(4);
        // Expiry is the box's to judge (it knows "expired" from "wrong code"); only a parcel
        // that can no longer be collected at all is withdrawn.
        a.active = state == "issued" || state == "loaded";
        response.cursor = static_cast<std::uint64_t>(q.integer(6));
        response.assignments.push_back(std::move(a));
      }
      // Commands wait until the box reports them done (command.done) or they expire: a box
      // that pulls twice before pushing sees one twice and runs it once (its journal decides).
      CIVICBOX_TRY(auto commands,
                   db.run("SELECT id, kind, compartment, reason, issued_by, expires_at FROM "
                          "commands WHERE device_id = ?1 AND done_at IS NULL AND expires_at > ?2 "
                          "ORDER BY created_at, id LIMIT 100",
                          {device.str(), now_ms}));
      for (const Row& q : commands) {
        response.commands.push_back({q.text(0), q.text(1), static_cast<int>(q.integer(2)),
                                     q.text(3), q.text(4), q.integer(5)});
      }
      CIVICBOX_TRY(auto staff_version, db.run("SELECT value FROM staff_counter WHERE id = 1"));
      if (!staff_version.empty()) {
        response.staff.version = static_cast<std::uint64_t>(staff_version[0].integer(0));
      }
      CIVICBOX_TRY(auto clerks, db.run("SELECT badge, name, pin_hash FROM clerks WHERE active = 1 "
                                       "ORDER BY badge LIMIT ?1",
                                       {static_cast<std::int64_t>(wire::kMaxListItems)}));
      for (const Row& q : clerks)
        response.staff.clerks.push_back({q.text(0), q.text(1), q.text(2)});
      return response;
    });
  }

  Expected<std::optional<SubmissionRecord>> find_submission(const TrackingCode& code) override {
    return read([&](Connection& db) { return find(db, code.str()); });
  }

  Expected<std::vector<SubmissionRecord>> list_submissions(
      const SubmissionFilter& filter) override {
    return read([&](Connection& db) -> Expected<std::vector<SubmissionRecord>> {
      std::optional<std::string> state;
      if (filter.state) state = std::string(to_string(*filter.state));
      CIVICBOX_TRY(auto rows,
                   db.run("SELECT tracking_code FROM submissions WHERE (?1 IS NULL OR state = ?1) "
                          "AND (?2 IS NULL OR device_id = ?2) AND (?3 IS NULL OR kind = ?3) "
                          "AND (?4 IS NULL OR filed_at >= ?4) AND (?5 IS NULL OR filed_at < ?5) "
                          "ORDER BY year, number LIMIT ?6",
                          {state, filter.device_id, filter.kind, filter.filed_from_ms,
                           filter.filed_before_ms, static_cast<std::int64_t>(filter.limit)}));
      std::vector<SubmissionRecord> out;
      for (const Row& q : rows) {
        CIVICBOX_TRY(auto record, find(db, q.text(0)));
        if (record) out.push_back(std::move(*record));
      }
      return out;
    });
  }

  Expected<SubmissionRecord> move_submission(const TrackingCode& code, SubmissionState to,
                                             std::int64_t now_ms, const Actor& by) override {
    return transaction([&](Connection& db) -> Expected<SubmissionRecord> {
      // Locks the row first: two back-office moves of one submission happen one after the other.
      CIVICBOX_CHECK(
          db.run("UPDATE submissions SET state = state WHERE tracking_code = ?1", {code.str()}));
      CIVICBOX_TRY(auto record, find(db, code.str()));
      if (!record) {
        return make_error(ErrorCode::not_found, "no submission with this tracking code");
      }
      if (!back_office_may_move(record->state, to)) {
        return make_error(ErrorCode::conflict, "a submission that is " +
                                                   std::string(to_string(record->state)) +
                                                   " cannot become " + std::string(to_string(to)));
      }
      CIVICBOX_CHECK(db.run("UPDATE submissions SET state = ?1 WHERE tracking_code = ?2",
                            {to_string(to), code.str()}));
      CIVICBOX_CHECK(add_history(db, code.str(), to, now_ms));
      CIVICBOX_CHECK(audit(db, by, now_ms, "submission.move", code.str(),
                           {{"from", to_string(record->state)}, {"to", to_string(to)}}));
      CIVICBOX_CHECK(webhooks::enqueue(db, webhook_routes_, webhooks::kStatusChanged,
                                       webhooks::status_changed_payload(*record, code, to, now_ms),
                                       now_ms));
      record->state = to;
      record->history.push_back({to, now_ms});
      return std::move(*record);
    });
  }

  Expected<SubmissionRecord> set_submission_reference(const TrackingCode& code,
                                                      const std::string& reference,
                                                      std::int64_t now_ms,
                                                      const Actor& by) override {
    return transaction([&](Connection& db) -> Expected<SubmissionRecord> {
      CIVICBOX_TRY(auto set,
                   db.run("UPDATE submissions SET reference = ?1 WHERE tracking_code = ?2",
                          {reference, code.str()}));
      if (set.changes == 0) {
        return make_error(ErrorCode::not_found, "no submission with this tracking code");
      }
      CIVICBOX_CHECK(
          audit(db, by, now_ms, "submission.reference", code.str(), {{"reference", reference}}));
      CIVICBOX_TRY(auto record, find(db, code.str()));
      if (!record) return make_error(ErrorCode::internal, "submission vanished");
      return std::move(*record);
    });
  }

  Expected<void> add_parcel(const NewParcel& p, std::int64_t now_ms, const Actor& by) override {
    return transaction([&](Connection& db) -> Expected<void> {
      CIVICBOX_TRY(std::int64_t change, next_change(db));
      auto done = db.run(
          "INSERT INTO parcels(parcel_id, device_id, reference, salt, iterations, hash, "
          "expires_at, state, compartment, created_at, change_seq) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'issued', NULL, ?8, ?9)",
          {p.parcel_id, p.device_id, p.reference, p.code_hash.salt_hex,
           static_cast<std::int64_t>(p.code_hash.iterations), p.code_hash.hash_hex, p.expires_at_ms,
           now_ms, change});
      if (!done && done.error().code == ErrorCode::conflict) {
        return make_error(ErrorCode::conflict, "parcel id already used: " + p.parcel_id);
      }
      CIVICBOX_CHECK(done);
      // Held until the box reports the parcel loaded (release_parcel_ready).
      CIVICBOX_CHECK(webhooks::enqueue(db, webhook_routes_, webhooks::kParcelReady,
                                       webhooks::parcel_ready_payload(p), now_ms, p.parcel_id,
                                       true));
      return audit(
          db, by, now_ms, "parcel.issue", p.parcel_id,
          {{"box", p.device_id}, {"reference", p.reference}, {"expires_at_ms", p.expires_at_ms}});
    });
  }

  Expected<std::optional<ParcelRecord>> find_parcel(const std::string& parcel_id) override {
    return one(std::string("SELECT ") + kParcelColumns + " FROM parcels WHERE parcel_id = ?1",
               parcel_id, parcel_from);
  }

  Expected<std::vector<ParcelRecord>> list_parcels(
      const std::optional<std::string>& device) override {
    return all(std::string("SELECT ") + kParcelColumns +
                   " FROM parcels WHERE (?1 IS NULL OR device_id = ?1) "
                   "ORDER BY created_at, parcel_id LIMIT 1000",
               device, parcel_from);
  }

  Expected<ParcelRecord> change_parcel(const std::string& parcel_id, ParcelChange change, int days,
                                       const std::string& reason, std::int64_t now_ms,
                                       const Actor& by) override {
    return transaction([&](Connection& db) -> Expected<ParcelRecord> {
      // Locks the row: a box's parcel.loaded or parcel.collected and this change are ordered.
      CIVICBOX_CHECK(db.run("UPDATE parcels SET state = state WHERE parcel_id = ?1", {parcel_id}));
      CIVICBOX_TRY(auto rows, db.run(std::string("SELECT ") + kParcelColumns +
                                         " FROM parcels WHERE parcel_id = ?1",
                                     {parcel_id}));
      if (rows.empty()) return make_error(ErrorCode::not_found, "no parcel " + parcel_id);
      ParcelRecord p = parcel_from(rows[0]);
      const bool waiting = p.state == "issued" || p.state == "loaded";
      std::string action;
      Json detail = {{"from", p.state}};
      if (!reason.empty()) detail["reason"] = reason;
      if (change == ParcelChange::cancel) {
        if (!waiting) {
          return make_error(ErrorCode::conflict,
                            "a parcel that is " + p.state + " cannot be cancelled");
        }
        action = "parcel.cancel";
        p.state = "cancelled";
      } else if (change == ParcelChange::extend) {
        if (!waiting) {
          return make_error(ErrorCode::conflict,
                            "a parcel that is " + p.state + " cannot be held longer");
        }
        action = "parcel.extend";
        const std::int64_t from = std::max(p.expires_at_ms, now_ms);
        detail["expires_at_ms_before"] = p.expires_at_ms;
        p.expires_at_ms = from + std::int64_t{days} * 24 * 3600 * 1000;
        detail["days"] = days;
      } else {
        const bool expired_in_box = p.state == "loaded" && p.expires_at_ms <= now_ms;
        const bool cancelled_in_box = p.state == "cancelled" && p.compartment.has_value();
        if (!expired_in_box && !cancelled_in_box) {
          return make_error(ErrorCode::conflict,
                            p.state == "loaded" ? "the parcel's hold has not ended: cancel it first"
                                                : "a parcel that is " + p.state +
                                                      " is not in a box and cannot be returned");
        }
        action = "parcel.return";
        p.state = "returned";
      }
      CIVICBOX_TRY(std::int64_t seq, next_change(db));
      CIVICBOX_CHECK(
          db.run("UPDATE parcels SET state = ?1, expires_at = ?2, change_seq = ?3 "
                 "WHERE parcel_id = ?4",
                 {p.state, p.expires_at_ms, seq, parcel_id}));
      detail["to"] = p.state;
      if (change == ParcelChange::cancel) CIVICBOX_CHECK(webhooks::drop_held(db, parcel_id));
      if (change == ParcelChange::returned) {
        CIVICBOX_CHECK(webhooks::enqueue_parcel_returned(db, webhook_routes_, parcel_id,
                                                         p.device_id, p.reference, now_ms));
      }
      CIVICBOX_CHECK(audit(db, by, now_ms, action, parcel_id, std::move(detail)));
      return p;
    });
  }

  Expected<void> record_box_status(const DeviceId& device, const wire::BoxStatus& status,
                                   std::int64_t now_ms) override {
    return transaction([&](Connection& db) -> Expected<void> {
      CIVICBOX_CHECK(touch_device(db, device, now_ms));
      CIVICBOX_CHECK(
          db.run("INSERT INTO box_status(device_id, received_at, status) "
                 "VALUES (?1, ?2, ?3) ON CONFLICT(device_id) DO UPDATE SET "
                 "received_at = ?2, status = ?3",
                 {device.str(), now_ms, wire::to_json(status)}));
      return {};
    });
  }

  Expected<std::vector<BoxRecord>> list_boxes() override {
    return read([&](Connection& db) { return boxes(db, std::nullopt); });
  }

  Expected<std::optional<BoxRecord>> find_box(const DeviceId& device) override {
    return read([&](Connection& db) -> Expected<std::optional<BoxRecord>> {
      CIVICBOX_TRY(auto found, boxes(db, device.str()));
      if (found.empty()) return std::optional<BoxRecord>{};
      return std::optional<BoxRecord>{std::move(found[0])};
    });
  }

  Expected<std::vector<DoorOpeningRecord>> list_door_openings(const DoorFilter& f) override {
    return read([&](Connection& db) -> Expected<std::vector<DoorOpeningRecord>> {
      CIVICBOX_TRY(auto rows,
                   db.run("SELECT device_id, seq, at, compartment, opened_by, badge, command, ref, "
                          "why FROM door_openings WHERE (?1 IS NULL OR device_id = ?1) AND "
                          "(?2 IS NULL OR at >= ?2) AND (?3 IS NULL OR at < ?3) "
                          "ORDER BY at DESC, device_id, seq DESC LIMIT ?4",
                          {f.device_id, f.from_ms, f.before_ms, std::int64_t{f.limit}}));
      std::vector<DoorOpeningRecord> out;
      for (const Row& q : rows) {
        out.push_back({q.text(0), static_cast<std::uint64_t>(q.integer(1)), q.integer(2),
                       static_cast<int>(q.integer(3)), q.text(4), q.optional_text(5),
                       q.optional_text(6), q.optional_text(7), q.text(8)});
      }
      return out;
    });
  }

  Expected<void> add_command(const NewCommand& c, std::int64_t now_ms, const Actor& by) override {
    return transaction([&](Connection& db) -> Expected<void> {
      CIVICBOX_TRY(auto known, db.run("SELECT 1 FROM devices WHERE device_id = ?1", {c.device_id}));
      if (known.empty()) {
        return make_error(ErrorCode::not_found,
                          "no box called " + c.device_id + " has ever connected");
      }
      auto added = db.run(
          "INSERT INTO commands(id, device_id, kind, compartment, reason, issued_by, created_at, "
          "expires_at) VALUES (?1, ?2, 'open', ?3, ?4, ?5, ?6, ?7)",
          {c.id, c.device_id, std::int64_t{c.compartment}, c.reason, by.name, now_ms,
           c.expires_at_ms});
      if (!added && added.error().code == ErrorCode::conflict) {
        return make_error(ErrorCode::conflict, "command id already used: " + c.id);
      }
      CIVICBOX_CHECK(added);
      return audit(db, by, now_ms, "box.open", c.device_id,
                   {{"command", c.id}, {"compartment", c.compartment}, {"reason", c.reason}});
    });
  }

  Expected<std::vector<CommandRecord>> list_commands(const DeviceId& device) override {
    return all(std::string("SELECT ") + kCommandColumns +
                   " FROM commands WHERE device_id = ?1 ORDER BY created_at DESC, id LIMIT 100",
               device.str(), command_from);
  }

  Expected<void> add_clerk(const std::string& badge, const std::string& name,
                           const std::string& pin_hash, std::int64_t now_ms,
                           const Actor& by) override {
    return transaction([&](Connection& db) -> Expected<void> {
      CIVICBOX_TRY(auto added,
                   db.run("INSERT INTO clerks(badge, name, pin_hash, active, updated_at) "
                          "VALUES (?1, ?2, ?3, 1, ?4) ON CONFLICT(badge) DO UPDATE SET "
                          "name = ?2, pin_hash = ?3, active = 1, updated_at = ?4 "
                          "WHERE clerks.active = 0",
                          {badge, name, pin_hash, now_ms}));
      if (added.changes == 0) {
        return make_error(ErrorCode::conflict, "badge " + badge + " is already a clerk's");
      }
      CIVICBOX_CHECK(bump_staff_version(db));
      return audit(db, by, now_ms, "clerk.add", badge, {{"name", name}});
    });
  }

  Expected<void> set_clerk_pin(const std::string& badge, const std::string& pin_hash,
                               std::int64_t now_ms, const Actor& by) override {
    return change_clerk(badge, now_ms, by, "clerk.pin_reset",
                        "UPDATE clerks SET pin_hash = ?2, updated_at = ?3 "
                        "WHERE badge = ?1 AND active = 1",
                        pin_hash);
  }

  Expected<void> remove_clerk(const std::string& badge, std::int64_t now_ms,
                              const Actor& by) override {
    return change_clerk(badge, now_ms, by, "clerk.remove",
                        "UPDATE clerks SET active = 0, pin_hash = ?2, updated_at = ?3 "
                        "WHERE badge = ?1 AND active = 1",
                        std::string());
  }

  Expected<std::vector<ClerkRecord>> list_clerks() override {
    return read([&](Connection& db) -> Expected<std::vector<ClerkRecord>> {
      CIVICBOX_TRY(auto rows, db.run("SELECT badge, name, updated_at FROM clerks WHERE active = 1 "
                                     "ORDER BY badge"));
      std::vector<ClerkRecord> out;
      for (const Row& q : rows) out.push_back({q.text(0), q.text(1), true, q.integer(2)});
      return out;
    });
  }

  Expected<void> add_api_token(const std::string& token_sha256_hex, const std::string& name,
                               const std::string& role, std::int64_t now_ms,
                               const Actor& by) override {
    return transaction([&](Connection& db) -> Expected<void> {
      auto added = db.run(
          "INSERT INTO api_tokens(token_sha256, name, role, created_at) "
          "VALUES (?1, ?2, ?3, ?4)",
          {token_sha256_hex, name, role, now_ms});
      if (!added && added.error().code == ErrorCode::conflict) {
        return make_error(ErrorCode::conflict, "an API token called " + name + " exists");
      }
      CIVICBOX_CHECK(added);
      return audit(db, by, now_ms, "api_token.create", name, {{"role", role}});
    });
  }

  Expected<std::optional<ApiTokenRecord>> find_api_token(
      const std::string& token_sha256_hex) override {
    return one(std::string("SELECT ") + kApiTokenColumns +
                   " FROM api_tokens WHERE token_sha256 = ?1 AND revoked_at IS NULL",
               token_sha256_hex, api_token_from);
  }

  Expected<std::vector<ApiTokenRecord>> list_api_tokens() override {
    return all(std::string("SELECT ") + kApiTokenColumns +
                   " FROM api_tokens WHERE ?1 IS NULL ORDER BY name",
               sql::Param(std::optional<std::string>{}), api_token_from);
  }

  Expected<void> revoke_api_token(const std::string& name, std::int64_t now_ms,
                                  const Actor& by) override {
    return transaction([&](Connection& db) -> Expected<void> {
      CIVICBOX_TRY(auto done, db.run("UPDATE api_tokens SET revoked_at = ?2 WHERE name = ?1 AND "
                                     "revoked_at IS NULL",
                                     {name, now_ms}));
      if (done.changes == 0) {
        return make_error(ErrorCode::not_found, "no API token called " + name + " in use");
      }
      return audit(db, by, now_ms, "api_token.revoke", name, Json::object());
    });
  }

  Expected<std::vector<AuditRecord>> list_audit(const AuditFilter& f) override {
    return read([&](Connection& db) -> Expected<std::vector<AuditRecord>> {
      CIVICBOX_TRY(auto rows,
                   db.run("SELECT id, at, actor, role, action, target, detail FROM audit WHERE "
                          "(?1 IS NULL OR actor = ?1) AND (?2 IS NULL OR target = ?2) AND "
                          "(?3 IS NULL OR at >= ?3) AND (?4 IS NULL OR at < ?4) "
                          "ORDER BY id DESC LIMIT ?5",
                          {f.actor, f.target, f.from_ms, f.before_ms, std::int64_t{f.limit}}));
      std::vector<AuditRecord> out;
      for (const Row& q : rows) {
        out.push_back(
            {q.integer(0), q.integer(1), q.text(2), q.text(3), q.text(4), q.text(5), q.text(6)});
      }
      return out;
    });
  }

  Expected<Statistics> statistics(std::int64_t now_ms, int days, int waiting_after_days) override {
    return read([&](Connection& db) -> Expected<Statistics> {
      return figures(db, now_ms, days, waiting_after_days);
    });
  }

  Expected<void> add_enrolment_token(const NewEnrolmentToken& t, std::int64_t now_ms,
                                     const Actor& by) override {
    return transaction([&](Connection& db) -> Expected<void> {
      CIVICBOX_CHECK(
          db.run("INSERT INTO enrolment_tokens(token_sha256, device_id, site, cabinet, created_at, "
                 "expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                 {t.token_sha256_hex, t.device_id, t.site, t.cabinet, now_ms, t.expires_at_ms}));
      // The token's hash is not in the trail: the trail is readable by auditors.
      return audit(db, by, now_ms, "enrolment_token.create", t.device_id,
                   {{"site", t.site}, {"cabinet", t.cabinet}, {"expires_at_ms", t.expires_at_ms}});
    });
  }

  Expected<std::optional<EnrolmentTokenRecord>> find_enrolment_token(
      const std::string& token_sha256_hex) override {
    return one(
        std::string("SELECT ") + kTokenColumns + " FROM enrolment_tokens WHERE token_sha256 = ?1",
        token_sha256_hex, token_from);
  }

  Expected<std::vector<EnrolmentTokenRecord>> list_enrolment_tokens(
      const std::optional<std::string>& device) override {
    return all(std::string("SELECT ") + kTokenColumns +
                   " FROM enrolment_tokens WHERE (?1 IS NULL OR device_id = ?1) "
                   "ORDER BY created_at DESC, rowid DESC LIMIT 1000",
               device, token_from);
  }

  Expected<void> complete_enrolment(const std::string& token_sha256_hex,
                                    const CertificateRecord& certificate,
                                    std::int64_t now_ms) override {
    return transaction([&](Connection& db) -> Expected<void> {
      CIVICBOX_CHECK(lock_device(db, certificate.device_id));
      CIVICBOX_TRY(auto used, db.run("UPDATE enrolment_tokens SET used_at = ?2, key_sha256 = ?3, "
                                     "serial = ?4 WHERE token_sha256 = ?1 AND used_at IS NULL "
                                     "AND expires_at > ?2 AND device_id = ?5",
                                     {token_sha256_hex, now_ms, certificate.key_sha256_hex,
                                      certificate.serial_hex, certificate.device_id}));
      if (used.changes != 1) {
        return make_error(ErrorCode::conflict, "the enrolment token was used or expired meanwhile");
      }
      CIVICBOX_CHECK(insert_certificate(db, certificate));
      CIVICBOX_CHECK(
          db.run("UPDATE device_revocations SET lifted_at = ?2 "
                 "WHERE device_id = ?1 AND lifted_at IS NULL",
                 {certificate.device_id, now_ms}));
      return {};
    });
  }

  Expected<void> record_certificate(const CertificateRecord& certificate) override {
    return transaction([&](Connection& db) -> Expected<void> {
      // A renewal racing a revocation: whichever comes second sees the other. A box revoked
      // meanwhile gets no new certificate (only an enrolment lifts a revocation).
      CIVICBOX_CHECK(lock_device(db, certificate.device_id));
      CIVICBOX_TRY(auto revoked, db.run("SELECT 1 FROM device_revocations WHERE device_id = ?1 "
                                        "AND lifted_at IS NULL",
                                        {certificate.device_id}));
      if (!revoked.empty()) {
        return make_error(ErrorCode::revoked,
                          "box " + certificate.device_id + " was revoked: no renewal");
      }
      return insert_certificate(db, certificate);
    });
  }

  Expected<std::optional<CertificateRecord>> find_certificate(
      const std::string& serial_hex) override {
    return one(
        std::string("SELECT ") + kCertificateColumns + " FROM certificates WHERE serial = ?1",
        serial_hex, certificate_from);
  }

  Expected<std::vector<CertificateRecord>> list_certificates(
      const std::optional<std::string>& device) override {
    return all(std::string("SELECT ") + kCertificateColumns +
                   " FROM certificates WHERE (?1 IS NULL OR device_id = ?1) "
                   "ORDER BY issued_at DESC, rowid DESC LIMIT 1000",
               device, certificate_from);
  }

  Expected<int> revoke_device(const DeviceId& device, const std::string& reason,
                              std::int64_t now_ms, const Actor& by) override {
    return transaction([&](Connection& db) -> Expected<int> {
      CIVICBOX_CHECK(lock_device(db, device.str()));
      CIVICBOX_TRY(auto revoked,
                   db.run("UPDATE certificates SET revoked_at = ?2, revoked_reason = ?3 "
                          "WHERE device_id = ?1 AND revoked_at IS NULL",
                          {device.str(), now_ms, reason}));
      CIVICBOX_CHECK(db.run(
          "INSERT INTO device_revocations(device_id, revoked_at, reason) VALUES (?1, ?2, ?3) "
          "ON CONFLICT(device_id) DO UPDATE SET revoked_at = CASE WHEN "
          "device_revocations.revoked_at > ?2 THEN device_revocations.revoked_at ELSE ?2 END, "
          "reason = ?3, lifted_at = NULL",
          {device.str(), now_ms, reason}));
      CIVICBOX_CHECK(bump_revocation_version(db));
      CIVICBOX_CHECK(audit(db, by, now_ms, "box.revoke", device.str(),
                           {{"reason", reason}, {"certificates", revoked.changes}}));
      return static_cast<int>(revoked.changes);
    });
  }

  Expected<std::int64_t> revocation_version() override {
    return read([&](Connection& db) { return version(db); });
  }

  Expected<RevocationList> revocations() override {
    // One transaction, so the version and the lists agree.
    return transaction([&](Connection& db) -> Expected<RevocationList> {
      if (db.dialect() == sql::Dialect::postgres) {
        // One snapshot for every statement (READ COMMITTED would take one each).
        CIVICBOX_CHECK(db.run("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"));
      }
      RevocationList list;
      CIVICBOX_TRY(list.version, version(db));
      CIVICBOX_TRY(auto serials, db.run("SELECT serial, revoked_reason FROM certificates "
                                        "WHERE revoked_at IS NOT NULL"));
      for (const Row& q : serials) {
        list.revoked_serials.emplace(q.text(0), q.optional_text(1).value_or(""));
      }
      CIVICBOX_TRY(auto boxes,
                   db.run("SELECT device_id, revoked_at, reason FROM device_revocations"));
      for (const Row& q : boxes) list.boxes[q.text(0)] = {q.integer(1), q.text(2), {}};
      // A revocation revokes every certificate the box had: the ones left are newer.
      CIVICBOX_TRY(auto since, db.run("SELECT c.device_id, c.serial FROM certificates c JOIN "
                                      "device_revocations r ON r.device_id = c.device_id "
                                      "WHERE c.revoked_at IS NULL"));
      for (const Row& q : since) list.boxes[q.text(0)].issued_since.insert(q.text(1));
      return list;
    });
  }

  Expected<void> add_self_test(const SelfTestRecord& r) override {
    return transaction([&](Connection& db) -> Expected<void> {
      CIVICBOX_CHECK(
          db.run("INSERT INTO self_tests(device_id, received_at, started_at, "
                 "finished_at, reason, passed, report) VALUES (?1, ?2, ?3, ?4, ?5, "
                 "?6, ?7)",
                 {r.device_id, r.received_at_ms, r.started_ms, r.finished_ms, r.reason,
                  static_cast<std::int64_t>(r.passed ? 1 : 0), r.report_json}));
      return {};
    });
  }

  Expected<std::vector<SelfTestRecord>> list_self_tests(const DeviceId& device,
                                                        int limit) override {
    return read([&](Connection& db) -> Expected<std::vector<SelfTestRecord>> {
      CIVICBOX_TRY(auto rows, db.run("SELECT device_id, received_at, started_at, finished_at, "
                                     "reason, passed, report FROM self_tests WHERE device_id = "
                                     "?1 ORDER BY id DESC LIMIT ?2",
                                     {device.str(), static_cast<std::int64_t>(limit)}));
      std::vector<SelfTestRecord> out;
      for (const Row& q : rows) {
        out.push_back({q.text(0), q.integer(1), q.integer(2), q.integer(3), q.text(4),
                       q.integer(5) != 0, q.text(6)});
      }
      return out;
    });
  }

  // Runs the migrations this database has not run yet, each in its own transaction.
  Expected<void> migrate() {
    CIVICBOX_TRY(auto lease, pool_->acquire());
    Connection& db = *lease;
    const bool postgres = db.dialect() == sql::Dialect::postgres;
    // Instances starting together take turns (the lock ends with the session if one dies).
    if (postgres) CIVICBOX_CHECK(db.run("SELECT pg_advisory_lock(7406215)"));
    auto done = [&]() -> Expected<void> {
      CIVICBOX_CHECK(
          db.script("CREATE TABLE IF NOT EXISTS schema_migrations(version BIGINT PRIMARY KEY, "
                    "applied_at BIGINT NOT NULL)"));
      const std::span<const Migration> all = postgres
                                                 ? std::span<const Migration>(kPostgresMigrations)
                                                 : std::span<const Migration>(kSqliteMigrations);
      for (const Migration& m : all) {
        CIVICBOX_TRY(auto applied, db.run("SELECT 1 FROM schema_migrations WHERE version = ?1",
                                          {static_cast<std::int64_t>(m.version)}));
        if (!applied.empty()) continue;
        CIVICBOX_CHECK(db.begin());
        auto step = [&]() -> Expected<void> {
          CIVICBOX_CHECK(db.script(m.sql));
          CIVICBOX_CHECK(
              db.run("INSERT INTO schema_migrations(version, applied_at) VALUES (?1, ?2)",
                     {static_cast<std::int64_t>(m.version),
                      static_cast<std::int64_t>(std::time(nullptr)) * 1000}));
          return db.commit();
        }();
        if (!step) {
          db.rollback();
          return step.error().context("migration " + std::to_string(m.version));
        }
      }
      return {};
    }();
    if (postgres) (void)db.run("SELECT pg_advisory_unlock(7406215)");
    return done;
  }

 private:
  // In a transaction, run again when the database says it is worth it (sql::in_transaction).
  template <class Body>
  auto transaction(Body&& body) -> decltype(body(std::declval<Connection&>())) {
    return sql::in_transaction(*pool_, std::forward<Body>(body));
  }

  // Runs `body` on a leased connection, outside any transaction (one consistent statement each).
  // The first row `sql` returns, read by `from`; nullopt when there is none.
  template <class T>
  Expected<std::optional<T>> one(const std::string& sql, const sql::Param& param,
                                 T (*from)(const Row&)) {
    return read([&](Connection& db) -> Expected<std::optional<T>> {
      CIVICBOX_TRY(auto rows, db.run(sql, {param}));
      if (rows.empty()) return std::optional<T>{};
      return std::optional<T>{from(rows[0])};
    });
  }

  // Every row `sql` returns, read by `from`.
  template <class T>
  Expected<std::vector<T>> all(const std::string& sql, const sql::Param& param,
                               T (*from)(const Row&)) {
    return read([&](Connection& db) -> Expected<std::vector<T>> {
      CIVICBOX_TRY(auto rows, db.run(sql, {param}));
      std::vector<T> out;
      for (const Row& q : rows) out.push_back(from(q));
      return out;
    });
  }

  // Again on a fresh connection when the one leased had broken.
  template <class Body>
  auto read(Body&& body) -> decltype(body(std::declval<Connection&>())) {
    using Result = decltype(body(std::declval<Connection&>()));
    for (int attempt = 1;; ++attempt) {
      auto lease = pool_->acquire();
      if (!lease) return Result(lease.error());
      Result result = body(**lease);
      if (result || !(*lease)->retryable() || attempt >= sql::kTransactionAttempts) return result;
    }
  }

  // Orders the transactions that change one box's certificates (an enrolment, a renewal, a
  // revocation) on PostgreSQL, until the transaction ends; SQLite has one writer anyway.
  Expected<void> lock_device(Connection& db, const std::string& device_id) {
    if (db.dialect() != sql::Dialect::postgres) return {};
    CIVICBOX_CHECK(db.run("SELECT pg_advisory_xact_lock(7406216, hashtext(?1))", {device_id}));
    return {};
  }

  // Registers a device on first contact and locks its row until the transaction ends (the
  // upsert locks it even when it changes nothing); last_seen is refreshed at most once a minute,
  // so a pull with nothing new writes nothing (and costs no fsync on SQLite).
  Expected<std::uint64_t> touch_device(Connection& db, const DeviceId& device,
                                       std::int64_t now_ms) {
    CIVICBOX_CHECK(
        db.run("INSERT INTO devices(device_id, applied_through, first_seen, last_seen) "
               "VALUES (?1, 0, ?2, ?2) ON CONFLICT(device_id) DO UPDATE SET "
               "last_seen = ?2 WHERE devices.last_seen < ?2 - 60000",
               {device.str(), now_ms}));
    const char* select = db.dialect() == sql::Dialect::postgres
                             ? "SELECT applied_through FROM devices WHERE device_id = ?1 FOR UPDATE"
                             : "SELECT applied_through FROM devices WHERE device_id = ?1";
    CIVICBOX_TRY(auto rows, db.run(select, {device.str()}));
    if (rows.empty()) return make_error(ErrorCode::internal, "device row vanished");
    return static_cast<std::uint64_t>(rows[0].integer(0));
  }

  Expected<void> check_same_event(Connection& db, const DeviceId& device,
                                  const wire::Event& event) {
    CIVICBOX_TRY(auto rows, db.run("SELECT event_id FROM events WHERE device_id = ?1 AND seq = ?2",
                                   {device.str(), static_cast<std::int64_t>(event.seq)}));
    if (!rows.empty() && rows[0].text(0) != event.id.str()) {
      return make_error(ErrorCode::conflict,
                        "sequence " + std::to_string(event.seq) +
                            " was already applied with another event id; the box's journal "
                            "may have been reset (re-provision it)");
    }
    return {};
  }

  Expected<void> store_event(Connection& db, const DeviceId& device, const wire::Event& event,
                             std::int64_t now_ms, const std::string& outcome) {
    CIVICBOX_CHECK(
        db.run("INSERT INTO events(device_id, seq, event_id, type, at, body, received_at, outcome) "
               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
               {device.str(), static_cast<std::int64_t>(event.seq), event.id.str(),
                wire::event_type(event.body), event.at_ms, wire::to_json(event), now_ms, outcome}));
    return {};
  }

  // Returns the outcome recorded with the event: "applied" or why it changed nothing. An event
  // is a fact that happened at the box; it is always stored, even when it cannot be applied.
  // A filing's registration number goes to `registered`.
  Expected<std::string> apply_one(Connection& db, const DeviceId& device, const wire::Event& event,
                                  std::int64_t now_ms, std::optional<std::string>& registered) {
    if (const auto* filed = std::get_if<wire::SubmissionFiled>(&event.body)) {
      return file_submission(db, device, *filed, event.at_ms, now_ms, registered);
    }
    if (const auto* loaded = std::get_if<wire::ParcelLoaded>(&event.body)) {
      CIVICBOX_TRY(std::string outcome, move_parcel(db, device, loaded->parcel_id, "issued",
                                                    "loaded", loaded->compartment));
      if (outcome == "applied") {
        CIVICBOX_CHECK(webhooks::release_parcel_ready(db, loaded->parcel_id, device.str(),
                                                      loaded->compartment, event.at_ms, now_ms));
        return outcome;
      }
      // Cancelled before the box heard of it, and loaded meanwhile: it stays cancelled, but it
      // is in a compartment now, for a clerk to take out and the back office to mark returned.
      CIVICBOX_TRY(std::string late, move_parcel(db, device, loaded->parcel_id, "cancelled",
                                                 "cancelled", loaded->compartment));
      return late == "applied" ? std::string("applied: loaded after it was cancelled") : outcome;
    }
    if (const auto* collected = std::get_if<wire::ParcelCollected>(&event.body)) {
      CIVICBOX_TRY(std::string outcome, move_parcel(db, device, collected->parcel_id, "loaded",
                                                    "collected", collected->compartment));
      if (outcome == "applied") return outcome;
      // Collected before the box heard of a cancel: the citizen has it, whatever was decided.
      CIVICBOX_TRY(std::string late, move_parcel(db, device, collected->parcel_id, "cancelled",
                                                 "collected", collected->compartment));
      return late == "applied" ? std::string("applied: collected after it was cancelled") : outcome;
    }
    if (const auto* opened = std::get_if<wire::DoorOpened>(&event.body)) {
      CIVICBOX_CHECK(db.run(
          "INSERT INTO door_openings(device_id, seq, at, compartment, opened_by, badge, command, "
          "ref, why) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
          {device.str(), static_cast<std::int64_t>(event.seq), event.at_ms,
           std::int64_t{opened->compartment}, opened->by, opened->badge, opened->command,
           opened->ref, opened->why}));
      return std::string("applied");
    }
    if (const auto* done = std::get_if<wire::CommandDone>(&event.body)) {
      CIVICBOX_TRY(auto marked,
                   db.run("UPDATE commands SET outcome = ?1, detail = ?2, done_at = ?3 WHERE "
                          "id = ?4 AND device_id = ?5 AND done_at IS NULL",
                          {done->outcome, done->detail, now_ms, done->command, device.str()}));
      if (marked.changes == 0) {
        return std::string("rejected: no command ") + done->command + " waiting for this box";
      }
      return std::string("applied");
    }
    return std::string("recorded");
  }

  Expected<std::string> file_submission(Connection& db, const DeviceId& device,
                                        const wire::SubmissionFiled& s, std::int64_t filed_at_ms,
                                        std::int64_t now_ms,
                                        std::optional<std::string>& registered) {
    CIVICBOX_TRY(auto owner, db.run("SELECT device_id FROM submissions WHERE tracking_code = ?1",
                                    {s.tracking_code.str()}));
    if (!owner.empty()) {
      return std::string("rejected: tracking code already used by ") + owner[0].text(0);
    }
    const int year = registry_year(now_ms);
    CIVICBOX_TRY(auto counter,
                 db.run("INSERT INTO registry_counters(institution, year, last_number) "
                        "VALUES (?1, ?2, 1) ON CONFLICT(institution, year) DO UPDATE SET "
                        "last_number = registry_counters.last_number + 1 RETURNING last_number",
                        {institution_, static_cast<std::int64_t>(year)}));
    if (counter.empty())
      return make_error(ErrorCode::internal, "registry counter returned nothing");
    const std::int64_t number = counter[0].integer(0);
    const std::string registration = format_registration_number(year, number);
    CIVICBOX_CHECK(db.run(
        "INSERT INTO submissions(tracking_code, device_id, kind, compartment, "
        "provisional_number, contact, interrupted, institution, year, number, "
        "registration_number, state, filed_at, language) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'registered', ?12, ?13)",
        {s.tracking_code.str(), device.str(), s.kind, static_cast<std::int64_t>(s.compartment),
         s.provisional_number, s.contact, static_cast<std::int64_t>(s.interrupted ? 1 : 0),
         institution_, static_cast<std::int64_t>(year), number, registration, filed_at_ms,
         s.language.value_or("")}));
    // Received at the box, registered here: two steps in one statement, in that order.
    CIVICBOX_CHECK(
        db.run("INSERT INTO submission_history(tracking_code, state, at) "
               "VALUES (?1, ?2, ?3), (?1, ?4, ?5)",
               {s.tracking_code.str(), to_string(SubmissionState::received), filed_at_ms,
                to_string(SubmissionState::registered), now_ms}));
    CIVICBOX_CHECK(webhooks::enqueue(
        db, webhook_routes_, webhooks::kRegistered,
        webhooks::registered_payload(s, registration, device.str(), filed_at_ms), now_ms));
    registered = registration;
    return std::string("applied");
  }

  Expected<std::string> move_parcel(Connection& db, const DeviceId& device,
                                    const std::string& parcel_id, const char* from, const char* to,
                                    int compartment) {
    CIVICBOX_TRY(std::int64_t change, next_change(db));
    CIVICBOX_TRY(auto moved, db.run("UPDATE parcels SET state = ?1, compartment = ?2, "
                                    "change_seq = ?3 WHERE parcel_id = ?4 AND device_id = ?5 AND "
                                    "state = ?6",
                                    {to, static_cast<std::int64_t>(compartment), change, parcel_id,
                                     device.str(), from}));
    if (moved.changes == 0) {
      return std::string("rejected: parcel ") + parcel_id + " is not " + from + " at this box";
    }
    return std::string("applied");
  }

  Expected<std::optional<std::string>> registration_of(Connection& db, const TrackingCode& code,
                                                       const DeviceId& device) {
    CIVICBOX_TRY(auto rows, db.run("SELECT registration_number FROM submissions WHERE "
                                   "tracking_code = ?1 AND device_id = ?2",
                                   {code.str(), device.str()}));
    if (rows.empty()) return std::optional<std::string>{};
    return std::optional<std::string>{rows[0].text(0)};
  }

  // Inside a transaction. A certificate recorded for a box that was ever revoked changes what
  // the device listener accepts (revocation.hpp): the version moves.
  Expected<void> insert_certificate(Connection& db, const CertificateRecord& c) {
    CIVICBOX_CHECK(db.run(std::string("INSERT INTO certificates(") + kCertificateColumns +
                              ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL, NULL)",
                          {c.serial_hex, c.device_id, c.kind, c.not_before_ms, c.not_after_ms,
                           c.issued_at_ms, c.pem, c.key_sha256_hex}));
    CIVICBOX_TRY(auto revoked,
                 db.run("SELECT 1 FROM device_revocations WHERE device_id = ?1", {c.device_id}));
    if (!revoked.empty()) CIVICBOX_CHECK(bump_revocation_version(db));
    return {};
  }

  Expected<void> bump_revocation_version(Connection& db) {
    CIVICBOX_CHECK(db.run("UPDATE revocation_counter SET value = value + 1 WHERE id = 1"));
    return {};
  }

  Expected<std::int64_t> version(Connection& db) {
    CIVICBOX_TRY(auto rows, db.run("SELECT value FROM revocation_counter WHERE id = 1"));
    if (rows.empty()) return make_error(ErrorCode::internal, "revocation counter missing");
    return rows[0].integer(0);
  }

  Expected<std::int64_t> next_change(Connection& db) {
    CIVICBOX_TRY(auto rows, db.run("UPDATE change_counter SET value = value + 1 WHERE id = 1 "
                                   "RETURNING value"));
    if (rows.empty()) return make_error(ErrorCode::internal, "change counter missing");
    return rows[0].integer(0);
  }

  Expected<void> add_history(Connection& db, const std::string& code, SubmissionState state,
                             std::int64_t at_ms) {
    CIVICBOX_CHECK(
        db.run("INSERT INTO submission_history(tracking_code, state, at) "
               "VALUES (?1, ?2, ?3)",
               {code, to_string(state), at_ms}));
    return {};
  }

  Expected<std::optional<SubmissionRecord>> find(Connection& db, const std::string& code) {
    CIVICBOX_TRY(auto rows, db.run("SELECT tracking_code, device_id, kind, compartment, "
                                   "provisional_number, contact, registration_number, state, "
                                   "filed_at, language, reference FROM submissions "
                                   "WHERE tracking_code = ?1",
                                   {code}));
    if (rows.empty()) return std::optional<SubmissionRecord>{};
    const Row& q = rows[0];
    SubmissionRecord r;
    r.tracking_code = q.text(0);
    r.device_id = q.text(1);
    r.kind = q.text(2);
    r.compartment = static_cast<int>(q.integer(3));
    r.provisional_number = q.text(4);
    r.contact = q.optional_text(5);
    r.registration_number = q.text(6);
    CIVICBOX_TRY(r.state, parse_submission_state(q.text(7)));
    r.filed_at_ms = q.integer(8);
    r.language = q.text(9);
    r.reference = q.text(10);
    CIVICBOX_TRY(auto history, db.run("SELECT state, at FROM submission_history WHERE "
                                      "tracking_code = ?1 ORDER BY rowid",
                                      {code}));
    for (const Row& h : history) {
      CIVICBOX_TRY(auto state, parse_submission_state(h.text(0)));
      r.history.push_back({state, h.integer(1)});
    }
    return std::optional<SubmissionRecord>{std::move(r)};
  }

  // Inside the transaction that makes the change it records.
  Expected<void> audit(Connection& db, const Actor& by, std::int64_t now_ms,
                       const std::string& action, const std::string& target, Json detail) {
    CIVICBOX_CHECK(
        db.run("INSERT INTO audit(at, actor, role, action, target, detail) "
               "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
               {now_ms, by.name, by.role, action, target, json::dump(detail)}));
    return {};
  }

  Expected<void> bump_staff_version(Connection& db) {
    CIVICBOX_CHECK(db.run("UPDATE staff_counter SET value = value + 1 WHERE id = 1"));
    return {};
  }

  // An update of one active clerk (?1 badge, ?2 value, ?3 now), audited; boxes hear of it at
  // their next pull.
  Expected<void> change_clerk(const std::string& badge, std::int64_t now_ms, const Actor& by,
                              const char* action, const char* update, const std::string& value) {
    return transaction([&](Connection& db) -> Expected<void> {
      CIVICBOX_TRY(auto done, db.run(update, {badge, value, now_ms}));
      if (done.changes == 0)
        return make_error(ErrorCode::not_found, "no clerk with badge " + badge);
      CIVICBOX_CHECK(bump_staff_version(db));
      return audit(db, by, now_ms, action, badge, Json::object());
    });
  }

  // Boxes with their last report and their latest alarms; one box or all.
  Expected<std::vector<BoxRecord>> boxes(Connection& db, const std::optional<std::string>& only) {
    CIVICBOX_TRY(auto rows,
                 db.run("SELECT d.device_id, d.first_seen, d.last_seen, d.applied_through, "
                        "s.received_at, s.status, (SELECT COUNT(*) FROM device_revocations r "
                        "WHERE r.device_id = d.device_id AND r.lifted_at IS NULL) "
                        "FROM devices d LEFT JOIN box_status s ON s.device_id = d.device_id "
                        "WHERE (?1 IS NULL OR d.device_id = ?1) ORDER BY d.device_id LIMIT ?2",
                        {only, static_cast<std::int64_t>(wire::kMaxListItems)}));
    std::vector<BoxRecord> out;
    for (const Row& q : rows) {
      BoxRecord b;
      b.device_id = q.text(0);
      b.first_seen_ms = q.integer(1);
      b.last_seen_ms = q.integer(2);
      b.applied_through = static_cast<std::uint64_t>(q.integer(3));
      b.revoked = q.integer(6) != 0;
      if (auto status_json = q.optional_text(5)) {
        // Stored by record_box_status from a parsed report: unreadable only if damaged.
        CIVICBOX_TRY(auto status, wire::parse_box_status(*status_json));
        b.status = BoxStatusRecord{q.optional_integer(4).value_or(0), std::move(status)};
      }
      CIVICBOX_TRY(auto alarms, db.run("SELECT body FROM events WHERE device_id = ?1 AND "
                                       "type = 'alarm' ORDER BY seq DESC LIMIT 10",
                                       {b.device_id}));
      for (const Row& a : alarms) {
        CIVICBOX_TRY(auto event, wire::parse_event(a.text(0)));
        if (const auto* alarm = std::get_if<wire::Alarm>(&event.body)) {
          b.alarms.push_back({event.at_ms, alarm->what, alarm->detail, alarm->compartment});
        }
      }
      out.push_back(std::move(b));
    }
    return out;
  }

  Expected<Statistics> figures(Connection& db, std::int64_t now_ms, int days,
                               int waiting_after_days) {
    constexpr std::int64_t kDay = 24 * 3600 * 1000;
    Statistics st;
    std::map<std::string, DayCount> by_date;
    // Calendar days back from today, counted on the calendar (noon, then mktime): a day of
    // 23 or 25 hours is neither skipped nor counted twice.
    const std::time_t now_s = static_cast<std::time_t>(now_ms / 1000);
    std::tm today{};
    localtime_r(&now_s, &today);
    for (int d = days - 1; d >= 0; --d) {
      std::tm day = today;
      day.tm_mday -= d;
      day.tm_hour = 12;
      day.tm_min = day.tm_sec = 0;
      day.tm_isdst = -1;
      std::string date = local_date(static_cast<std::int64_t>(std::mktime(&day)) * 1000);
      by_date.emplace(date, DayCount{date, 0, 0});
    }
    // From the oldest day's midnight.
    std::tm first = today;
    first.tm_mday -= days - 1;
    first.tm_hour = first.tm_min = first.tm_sec = 0;
    first.tm_isdst = -1;
    const std::int64_t since = static_cast<std::int64_t>(std::mktime(&first)) * 1000;
    CIVICBOX_TRY(auto filed,
                 db.run("SELECT filed_at FROM submissions WHERE filed_at >= ?1", {since}));
    for (const Row& q : filed) {
      if (auto it = by_date.find(local_date(q.integer(0))); it != by_date.end()) ++it->second.filed;
    }
    CIVICBOX_TRY(auto collected, db.run("SELECT at FROM events WHERE type = 'parcel.collected' "
                                        "AND outcome LIKE 'applied%' AND at >= ?1",
                                        {since}));
    for (const Row& q : collected) {
      if (auto it = by_date.find(local_date(q.integer(0))); it != by_date.end()) {
        ++it->second.collected;
      }
    }
    for (auto& [date, count] : by_date) st.days.push_back(count);

    CIVICBOX_TRY(auto resolved,
                 db.run("SELECT s.kind, s.filed_at, h.at FROM submission_history h JOIN "
                        "submissions s ON s.tracking_code = h.tracking_code WHERE h.state IN "
                        "('resolved', 'rejected') AND h.at >= ?1",
                        {since}));
    std::map<std::string, std::vector<double>> hours;
    for (const Row& q : resolved) {
      hours[q.text(0)].push_back(static_cast<double>(q.integer(2) - q.integer(1)) / 3.6e6);
    }
    for (auto& [kind, values] : hours) {
      std::sort(values.begin(), values.end());
      st.resolution.push_back({kind, static_cast<int>(values.size()), percentile(values, 0.5),
                               percentile(values, 0.9)});
    }
    CIVICBOX_TRY(auto waiting,
                 db.run("SELECT tracking_code FROM submissions WHERE state NOT IN ('resolved', "
                        "'rejected') AND filed_at < ?1 ORDER BY filed_at LIMIT 100",
                        {now_ms - std::int64_t{waiting_after_days} * kDay}));
    for (const Row& q : waiting) {
      CIVICBOX_TRY(auto record, find(db, q.text(0)));
      if (record) st.waiting.push_back(std::move(*record));
    }
    return st;
  }

  std::unique_ptr<sql::Pool> pool_;
  std::string institution_;
  webhooks::Routes webhook_routes_;  // who is told of what, in the transaction of the change
};

Expected<std::unique_ptr<Storage>> open_storage(std::unique_ptr<sql::Pool> pool,
                                                const StorageOptions& options) {
  auto storage =
      std::make_unique<SqlStorage>(std::move(pool), options.institution_id, options.webhook_routes);
  auto migrated = storage->migrate();
  if (!migrated) return migrated.error().context("creating the controller's tables");
  return std::unique_ptr<Storage>(std::move(storage));
}

}  // namespace

Expected<std::unique_ptr<Storage>> open_sqlite_storage(const std::filesystem::path& data_dir,
                                                       const StorageOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) return make_error(ErrorCode::io, "creating " + data_dir.string() + ": " + ec.message());
  auto pool = sql::open_sqlite(data_dir / "controller.db", options.durable);
  if (!pool) return pool.error().context("opening the controller's database");
  return open_storage(std::move(*pool), options);
}

Expected<std::unique_ptr<Storage>> open_postgres_storage(const std::string& conninfo,
                                                         const StorageOptions& options,
                                                         int connections) {
  auto pool = sql::open_postgres(conninfo, connections);
  if (!pool) return pool.error().context("opening the controller's PostgreSQL database");
  return open_storage(std::move(*pool), options);
}

Expected<std::unique_ptr<Storage>> open_configured_storage(const Config& config) {
  StorageOptions options{config.institution_id, true};
  options.webhook_routes = webhooks::routes_of(config);
  if (!config.postgres.empty()) {
    return open_postgres_storage(config.postgres, options, config.postgres_connections);
  }
  auto storage = open_sqlite_storage(config.data_dir, options);
  if (!storage)
    return storage.error().context("opening the database in " + config.data_dir.string());
  return storage;
}

}  // namespace civicbox::controller
