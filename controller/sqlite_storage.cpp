// The embedded store: one SQLite file in WAL mode with synchronous=FULL, one connection behind
// a mutex (SQLite serialises writers anyway). Registration numbers come from a counter row per
// (institution, year) incremented in the same transaction that stores the submission, so a
// number is never skipped and never given twice.
#include <ctime>
#include <mutex>

#include "common/json_strict.hpp"
#include "common/sqlite.hpp"
#include "controller/storage.hpp"

namespace civicbox::controller {

namespace {

using sqlite::Database;
using sqlite::Statement;
using sqlite::Transaction;

constexpr const char* kSchema = R"SQL(
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
INSERT OR IGNORE INTO change_counter(id, value) VALUES (1, 0);
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
INSERT OR IGNORE INTO revocation_counter(id, value) VALUES (1, 0);
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
)SQL";

constexpr const char* kTokenColumns =
    "token_sha256, device_id, site, cabinet, created_at, expires_at, used_at, key_sha256, serial";
constexpr const char* kCertificateColumns =
    "serial, device_id, kind, not_before, not_after, issued_at, pem, key_sha256, revoked_at, "
    "revoked_reason";

EnrolmentTokenRecord token_from(const Statement& q) {
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

CertificateRecord certificate_from(const Statement& q) {
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

class SqliteStorage final : public Storage {
 public:
  SqliteStorage(Database db, std::string institution)
      : db_(std::move(db)), institution_(std::move(institution)) {}

  Expected<ApplyResult> apply_events(const DeviceId& device, const std::vector<wire::Event>& events,
                                     std::int64_t now_ms) override {
    std::lock_guard lock(mutex_);
    CIVICBOX_TRY(auto tx, Transaction::begin(db_));
    CIVICBOX_TRY(std::uint64_t applied, touch_device(device, now_ms));
    ApplyResult result;
    for (const auto& event : events) {
      if (event.seq <= applied) {
        CIVICBOX_CHECK(check_same_event(device, event));
      } else if (event.seq == applied + 1) {
        CIVICBOX_TRY(std::string outcome, apply_one(device, event, now_ms));
        CIVICBOX_CHECK(store_event(device, event, now_ms, outcome));
        applied = event.seq;
      } else {
        break;  // a gap: the device sends the missing ones first
      }
      if (const auto* filed = std::get_if<wire::SubmissionFiled>(&event.body)) {
        CIVICBOX_TRY(auto number, registration_of(filed->tracking_code, device));
        if (number) result.registrations.push_back({filed->tracking_code, *number});
      }
    }
    CIVICBOX_TRY(auto update,
                 db_.cached("UPDATE devices SET applied_through = ?1 WHERE device_id = ?2"));
    CIVICBOX_CHECK(update.bind(1, static_cast<std::int64_t>(applied)).bind(2, device.str()).run());
    CIVICBOX_CHECK(tx.commit());
    result.applied_through = applied;
    return result;
  }

  Expected<std::uint64_t> applied_through(const DeviceId& device) override {
    std::lock_guard lock(mutex_);
    CIVICBOX_TRY(auto q, db_.cached("SELECT applied_through FROM devices WHERE device_id = ?1"));
    q.bind(1, device.str());
    CIVICBOX_TRY(bool row, q.step());
    return row ? static_cast<std::uint64_t>(q.integer(0)) : 0;
  }

  Expected<bool> device_known(const DeviceId& device) override {
    std::lock_guard lock(mutex_);
    CIVICBOX_TRY(auto q, db_.cached("SELECT 1 FROM devices WHERE device_id = ?1"));
    q.bind(1, device.str());
    return q.step();
  }

  Expected<wire::PullResponse> assignments_since(const DeviceId& device, std::uint64_t cursor,
                                                 std::int64_t now_ms) override {
    std::lock_guard lock(mutex_);
    CIVICBOX_TRY(auto tx, Transaction::begin(db_));
    CIVICBOX_CHECK(touch_device(device, now_ms));  // a box that only pulls is known, too
    CIVICBOX_CHECK(tx.commit());
    wire::PullResponse response;
    response.cursor = cursor;
    CIVICBOX_TRY(
        auto q,
        db_.cached(
            "SELECT parcel_id, salt, iterations, hash, expires_at, state, change_seq FROM parcels "
            "WHERE device_id = ?1 AND change_seq > ?2 ORDER BY change_seq LIMIT ?3"));
    q.bind(1, device.str())
        .bind(2, static_cast<std::int64_t>(cursor))
        .bind(3, static_cast<std::int64_t>(wire::kMaxListItems));
    for (;;) {
      CIVICBOX_TRY(bool row, q.step());
      if (!row) break;
      std::string state = q.text(5);
      wire::Assignment a;
      a.parcel_id = q.text(0);
      a.salt_hex = q.text(1);
      a.iterations = static_cast<std::uint32_t>(q.integer(2));
      a.hash_hex = q.text(3);
      a.expires_at_ms = q.integer(4);
      // Expiry is the box's to judge (it knows "expired" from "wrong code"); only a parcel that
      // can no longer be collected at all is withdrawn.
      a.active = state == "issued" || state == "loaded";
      response.cursor = static_cast<std::uint64_t>(q.integer(6));
      response.assignments.push_back(std::move(a));
    }
    return response;
  }

  Expected<std::optional<SubmissionRecord>> find_submission(const TrackingCode& code) override {
    std::lock_guard lock(mutex_);
    return find_locked(code.str());
  }

  Expected<std::vector<SubmissionRecord>> list_submissions(
      const SubmissionFilter& filter) override {
    std::lock_guard lock(mutex_);
    CIVICBOX_TRY(
        auto q, db_.cached("SELECT tracking_code FROM submissions WHERE (?1 IS NULL OR state = ?1) "
                           "AND (?2 IS NULL OR device_id = ?2) ORDER BY year, number LIMIT ?3"));
    std::optional<std::string> state;
    if (filter.state) state = std::string(to_string(*filter.state));
    q.bind(1, state).bind(2, filter.device_id).bind(3, static_cast<std::int64_t>(filter.limit));
    std::vector<SubmissionRecord> out;
    for (;;) {
      CIVICBOX_TRY(bool row, q.step());
      if (!row) break;
      CIVICBOX_TRY(auto record, find_locked(q.text(0)));
      if (record) out.push_back(std::move(*record));
    }
    return out;
  }

  Expected<SubmissionRecord> move_submission(const TrackingCode& code, SubmissionState to,
                                             std::int64_t now_ms) override {
    std::lock_guard lock(mutex_);
    CIVICBOX_TRY(auto tx, Transaction::begin(db_));
    CIVICBOX_TRY(auto record, find_locked(code.str()));
    if (!record) return make_error(ErrorCode::not_found, "no submission with this tracking code");
    if (!back_office_may_move(record->state, to)) {
      return make_error(ErrorCode::conflict, "a submission that is " +
                                                 std::string(to_string(record->state)) +
                                                 " cannot become " + std::string(to_string(to)));
    }
    CIVICBOX_TRY(auto update,
                 db_.cached("UPDATE submissions SET state = ?1 WHERE tracking_code = ?2"));
    CIVICBOX_CHECK(update.bind(1, to_string(to)).bind(2, code.str()).run());
    CIVICBOX_CHECK(add_history(code.str(), to, now_ms));
    CIVICBOX_CHECK(tx.commit());
    record->state = to;
    record->history.push_back({to, now_ms});
    return std::move(*record);
  }

  Expected<void> add_parcel(const NewParcel& p, std::int64_t now_ms) override {
    std::lock_guard lock(mutex_);
    CIVICBOX_TRY(auto tx, Transaction::begin(db_));
    CIVICBOX_TRY(std::int64_t change, next_change());
    CIVICBOX_TRY(auto insert,
                 db_.cached("INSERT INTO parcels(parcel_id, device_id, reference, salt, "
                            "iterations, hash, expires_at, "
                            "state, compartment, created_at, change_seq) "
                            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'issued', NULL, ?8, ?9)"));
    insert.bind(1, p.parcel_id)
        .bind(2, p.device_id)
        .bind(3, p.reference)
        .bind(4, p.code_hash.salt_hex)
        .bind(5, static_cast<std::int64_t>(p.code_hash.iterations))
        .bind(6, p.code_hash.hash_hex)
        .bind(7, p.expires_at_ms)
        .bind(8, now_ms)
        .bind(9, change);
    auto done = insert.run();
    if (!done && done.error().code == ErrorCode::conflict) {
      return make_error(ErrorCode::conflict, "parcel id already used: " + p.parcel_id);
    }
    CIVICBOX_CHECK(done);
    return tx.commit();
  }

  Expected<std::vector<ParcelRecord>> list_parcels(
      const std::optional<std::string>& device) override {
    std::lock_guard lock(mutex_);
    CIVICBOX_TRY(
        auto q,
        db_.cached(
            "SELECT parcel_id, device_id, reference, state, compartment, expires_at FROM parcels "
            "WHERE (?1 IS NULL OR device_id = ?1) ORDER BY created_at LIMIT 1000"));
    q.bind(1, device);
    std::vector<ParcelRecord> out;
    for (;;) {
      CIVICBOX_TRY(bool row, q.step());
      if (!row) break;
      ParcelRecord r{q.text(0), q.text(1), q.text(2), q.text(3), std::nullopt, q.integer(5)};
      if (auto c = q.optional_integer(4)) r.compartment = static_cast<int>(*c);
      out.push_back(std::move(r));
    }
    return out;
  }

  Expected<void> add_enrolment_token(const NewEnrolmentToken& t, std::int64_t now_ms) override {
    std::lock_guard lock(mutex_);
    CIVICBOX_TRY(auto tx, Transaction::begin(db_));
    CIVICBOX_TRY(auto insert,
                 db_.cached("INSERT INTO enrolment_tokens(token_sha256, device_id, site, cabinet, "
                            "created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
    insert.bind(1, t.token_sha256_hex)
        .bind(2, t.device_id)
        .bind(3, t.site)
        .bind(4, t.cabinet)
        .bind(5, now_ms)
        .bind(6, t.expires_at_ms);
    CIVICBOX_CHECK(insert.run());
    return tx.commit();
  }

  Expected<std::optional<EnrolmentTokenRecord>> find_enrolment_token(
      const std::string& token_sha256_hex) override {
    std::lock_guard lock(mutex_);
    return find_token_locked(token_sha256_hex);
  }

  Expected<std::vector<EnrolmentTokenRecord>> list_enrolment_tokens(
      const std::optional<std::string>& device) override {
    std::lock_guard lock(mutex_);
    CIVICBOX_TRY(auto q, db_.cached(std::string("SELECT ") + kTokenColumns +
                                    " FROM enrolment_tokens WHERE (?1 IS NULL OR device_id = ?1) "
                                    "ORDER BY created_at DESC, rowid DESC LIMIT 1000"));
    q.bind(1, device);
    std::vector<EnrolmentTokenRecord> out;
    for (;;) {
      CIVICBOX_TRY(bool row, q.step());
      if (!row) break;
      out.push_back(token_from(q));
    }
    return out;
  }

  Expected<void> complete_enrolment(const std::string& token_sha256_hex,
                                    const CertificateRecord& certificate,
                                    std::int64_t now_ms) override {
    std::lock_guard lock(mutex_);
    CIVICBOX_TRY(auto tx, Transaction::begin(db_));
    CIVICBOX_TRY(auto use, db_.cached("UPDATE enrolment_tokens SET used_at = ?2, key_sha256 = ?3, "
                                      "serial = ?4 WHERE token_sha256 = ?1 AND used_at IS NULL "
                                      "AND expires_at > ?2 AND device_id = ?5"));
    CIVICBOX_CHECK(use.bind(1, token_sha256_hex)
                       .bind(2, now_ms)
                       .bind(3, certificate.key_sha256_hex)
                       .bind(4, certificate.serial_hex)
                       .bind(5, certificate.device_id)
                       .run());
    if (db_.changes() != 1) {
      return make_error(ErrorCode::conflict, "the enrolment token was used or expired meanwhile");
    }
    CIVICBOX_CHECK(insert_certificate(certificate));
    CIVICBOX_TRY(auto lift, db_.cached("UPDATE device_revocations SET lifted_at = ?2 "
                                       "WHERE device_id = ?1 AND lifted_at IS NULL"));
    CIVICBOX_CHECK(lift.bind(1, certificate.device_id).bind(2, now_ms).run());
    return tx.commit();
  }

  Expected<void> record_certificate(const CertificateRecord& certificate) override {
    std::lock_guard lock(mutex_);
    CIVICBOX_TRY(auto tx, Transaction::begin(db_));
    CIVICBOX_CHECK(insert_certificate(certificate));
    return tx.commit();
  }

  Expected<std::optional<CertificateRecord>> find_certificate(
      const std::string& serial_hex) override {
    std::lock_guard lock(mutex_);
    CIVICBOX_TRY(auto q, db_.cached(std::string("SELECT ") + kCertificateColumns +
                                    " FROM certificates WHERE serial = ?1"));
    q.bind(1, serial_hex);
    CIVICBOX_TRY(bool row, q.step());
    if (!row) return std::optional<CertificateRecord>{};
    return std::optional<CertificateRecord>{certificate_from(q)};
  }

  Expected<std::vector<CertificateRecord>> list_certificates(
      const std::optional<std::string>& device) override {
    std::lock_guard lock(mutex_);
    CIVICBOX_TRY(auto q, db_.cached(std::string("SELECT ") + kCertificateColumns +
                                    " FROM certificates WHERE (?1 IS NULL OR device_id = ?1) "
                                    "ORDER BY issued_at DESC, rowid DESC LIMIT 1000"));
    q.bind(1, device);
    std::vector<CertificateRecord> out;
    for (;;) {
      CIVICBOX_TRY(bool row, q.step());
      if (!row) break;
      out.push_back(certificate_from(q));
    }
    return out;
  }

  Expected<int> revoke_device(const DeviceId& device, const std::string& reason,
                              std::int64_t now_ms) override {
    std::lock_guard lock(mutex_);
    CIVICBOX_TRY(auto tx, Transaction::begin(db_));
    CIVICBOX_TRY(auto certificates,
                 db_.cached("UPDATE certificates SET revoked_at = ?2, revoked_reason = ?3 "
                            "WHERE device_id = ?1 AND revoked_at IS NULL"));
    CIVICBOX_CHECK(certificates.bind(1, device.str()).bind(2, now_ms).bind(3, reason).run());
    const auto revoked = static_cast<int>(db_.changes());
    CIVICBOX_TRY(auto box,
                 db_.cached("INSERT INTO device_revocations(device_id, revoked_at, reason) "
                            "VALUES (?1, ?2, ?3) ON CONFLICT(device_id) DO UPDATE SET "
                            "revoked_at = max(revoked_at, ?2), reason = ?3, lifted_at = NULL"));
    CIVICBOX_CHECK(box.bind(1, device.str()).bind(2, now_ms).bind(3, reason).run());
    CIVICBOX_CHECK(bump_revocation_version());
    CIVICBOX_CHECK(tx.commit());
    return revoked;
  }

  Expected<std::int64_t> revocation_version() override {
    std::lock_guard lock(mutex_);
    return version_locked();
  }

  Expected<RevocationList> revocations() override {
    std::lock_guard lock(mutex_);
    // One transaction, so the version and the lists agree.
    CIVICBOX_TRY(auto tx, Transaction::begin(db_));
    RevocationList list;
    CIVICBOX_TRY(list.version, version_locked());
    CIVICBOX_TRY(auto serials, db_.cached("SELECT serial, revoked_reason FROM certificates "
                                          "WHERE revoked_at IS NOT NULL"));
    for (;;) {
      CIVICBOX_TRY(bool row, serials.step());
      if (!row) break;
      list.revoked_serials.emplace(serials.text(0), serials.optional_text(1).value_or(""));
    }
    CIVICBOX_TRY(auto boxes,
                 db_.cached("SELECT device_id, revoked_at, reason FROM device_revocations"));
    for (;;) {
      CIVICBOX_TRY(bool row, boxes.step());
      if (!row) break;
      list.boxes[boxes.text(0)] = {boxes.integer(1), boxes.text(2), {}};
    }
    // A revocation revokes every certificate the box had: the ones left are newer.
    CIVICBOX_TRY(auto since, db_.cached("SELECT c.device_id, c.serial FROM certificates c JOIN "
                                        "device_revocations r ON r.device_id = c.device_id "
                                        "WHERE c.revoked_at IS NULL"));
    for (;;) {
      CIVICBOX_TRY(bool row, since.step());
      if (!row) break;
      list.boxes[since.text(0)].issued_since.insert(since.text(1));
    }
    CIVICBOX_CHECK(tx.commit());
    return list;
  }

  Expected<void> add_self_test(const SelfTestRecord& r) override {
    std::lock_guard lock(mutex_);
    CIVICBOX_TRY(auto tx, Transaction::begin(db_));
    CIVICBOX_TRY(auto insert,
                 db_.cached("INSERT INTO self_tests(device_id, received_at, started_at, "
                            "finished_at, reason, passed, report) VALUES (?1, ?2, ?3, ?4, ?5, "
                            "?6, ?7)"));
    insert.bind(1, r.device_id)
        .bind(2, r.received_at_ms)
        .bind(3, r.started_ms)
        .bind(4, r.finished_ms)
        .bind(5, r.reason)
        .bind(6, static_cast<std::int64_t>(r.passed ? 1 : 0))
        .bind(7, r.report_json);
    CIVICBOX_CHECK(insert.run());
    return tx.commit();
  }

  Expected<std::vector<SelfTestRecord>> list_self_tests(const DeviceId& device,
                                                        int limit) override {
    std::lock_guard lock(mutex_);
    CIVICBOX_TRY(auto q, db_.cached("SELECT device_id, received_at, started_at, finished_at, "
                                    "reason, passed, report FROM self_tests WHERE device_id = ?1 "
                                    "ORDER BY id DESC LIMIT ?2"));
    q.bind(1, device.str()).bind(2, static_cast<std::int64_t>(limit));
    std::vector<SelfTestRecord> out;
    for (;;) {
      CIVICBOX_TRY(bool row, q.step());
      if (!row) break;
      out.push_back({q.text(0), q.integer(1), q.integer(2), q.integer(3), q.text(4),
                     q.integer(5) != 0, q.text(6)});
    }
    return out;
  }

  Expected<void> migrate() { return db_.exec(kSchema); }

 private:
  // Registers a device on first contact; last_seen is refreshed at most once a minute, so a pull
  // with nothing new writes nothing (and costs no fsync).
  Expected<std::uint64_t> touch_device(const DeviceId& device, std::int64_t now_ms) {
    CIVICBOX_TRY(
        auto upsert,
        db_.cached(
            "INSERT INTO devices(device_id, applied_through, "
            "first_seen, last_seen) VALUES (?1, 0, ?2, ?2) "
            "ON CONFLICT(device_id) DO UPDATE SET last_seen = ?2 WHERE last_seen < ?2 - 60000"));
    CIVICBOX_CHECK(upsert.bind(1, device.str()).bind(2, now_ms).run());
    CIVICBOX_TRY(auto q, db_.cached("SELECT applied_through FROM devices WHERE device_id = ?1"));
    q.bind(1, device.str());
    CIVICBOX_TRY(bool row, q.step());
    if (!row) return make_error(ErrorCode::internal, "device row vanished");
    return static_cast<std::uint64_t>(q.integer(0));
  }

  Expected<void> check_same_event(const DeviceId& device, const wire::Event& event) {
    CIVICBOX_TRY(auto q,
                 db_.cached("SELECT event_id FROM events WHERE device_id = ?1 AND seq = ?2"));
    q.bind(1, device.str()).bind(2, static_cast<std::int64_t>(event.seq));
    CIVICBOX_TRY(bool row, q.step());
    if (row && q.text(0) != event.id.str()) {
      return make_error(ErrorCode::conflict,
                        "sequence " + std::to_string(event.seq) +
                            " was already applied with another event id; the box's journal "
                            "may have been reset (re-provision it)");
    }
    return {};
  }

  Expected<void> store_event(const DeviceId& device, const wire::Event& event, std::int64_t now_ms,
                             const std::string& outcome) {
    CIVICBOX_TRY(
        auto insert,
        db_.cached(
            "INSERT INTO events(device_id, seq, event_id, type, at, body, received_at, outcome) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
    return insert.bind(1, device.str())
        .bind(2, static_cast<std::int64_t>(event.seq))
        .bind(3, event.id.str())
        .bind(4, wire::event_type(event.body))
        .bind(5, event.at_ms)
        .bind(6, wire::to_json(event))
        .bind(7, now_ms)
        .bind(8, outcome)
        .run();
  }

  // Returns the outcome recorded with the event: "applied" or why it changed nothing. An event
  // is a fact that happened at the box; it is always stored, even when it cannot be applied.
  Expected<std::string> apply_one(const DeviceId& device, const wire::Event& event,
                                  std::int64_t now_ms) {
    if (const auto* filed = std::get_if<wire::SubmissionFiled>(&event.body)) {
      return file_submission(device, *filed, event.at_ms, now_ms);
    }
    if (const auto* loaded = std::get_if<wire::ParcelLoaded>(&event.body)) {
      return move_parcel(device, loaded->parcel_id, "issued", "loaded", loaded->compartment);
    }
    if (const auto* collected = std::get_if<wire::ParcelCollected>(&event.body)) {
      return move_parcel(device, collected->parcel_id, "loaded", "collected",
                         collected->compartment);
    }
    return std::string("recorded");
  }

  Expected<std::string> file_submission(const DeviceId& device, const wire::SubmissionFiled& s,
                                        std::int64_t filed_at_ms, std::int64_t now_ms) {
    CIVICBOX_TRY(auto owner,
                 db_.cached("SELECT device_id FROM submissions WHERE tracking_code = ?1"));
    owner.bind(1, s.tracking_code.str());
    CIVICBOX_TRY(bool taken, owner.step());
    if (taken) return std::string("rejected: tracking code already used by ") + owner.text(0);
    int year = registry_year(now_ms);
    CIVICBOX_TRY(
        auto counter,
        db_.cached(
            "INSERT INTO registry_counters(institution, year, last_number) VALUES (?1, ?2, 1) "
            "ON CONFLICT(institution, year) DO UPDATE SET last_number = last_number + 1 "
            "RETURNING last_number"));
    counter.bind(1, institution_).bind(2, static_cast<std::int64_t>(year));
    CIVICBOX_TRY(bool row, counter.step());
    if (!row) return make_error(ErrorCode::internal, "registry counter returned nothing");
    std::int64_t number = counter.integer(0);
    CIVICBOX_CHECK(counter.run());
    std::string registration = format_registration_number(year, number);
    CIVICBOX_TRY(
        auto insert,
        db_.cached("INSERT INTO submissions(tracking_code, device_id, kind, compartment, "
                   "provisional_number, "
                   "contact, interrupted, institution, year, number, registration_number, state, "
                   "filed_at) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'registered', ?12)"));
    insert.bind(1, s.tracking_code.str())
        .bind(2, device.str())
        .bind(3, s.kind)
        .bind(4, static_cast<std::int64_t>(s.compartment))
        .bind(5, s.provisional_number)
        .bind(6, s.contact)
        .bind(7, static_cast<std::int64_t>(s.interrupted ? 1 : 0))
        .bind(8, institution_)
        .bind(9, static_cast<std::int64_t>(year))
        .bind(10, number)
        .bind(11, registration)
        .bind(12, filed_at_ms);
    CIVICBOX_CHECK(insert.run());
    CIVICBOX_CHECK(add_history(s.tracking_code.str(), SubmissionState::received, filed_at_ms));
    CIVICBOX_CHECK(add_history(s.tracking_code.str(), SubmissionState::registered, now_ms));
    return std::string("applied");
  }

  Expected<std::string> move_parcel(const DeviceId& device, const std::string& parcel_id,
                                    const char* from, const char* to, int compartment) {
    CIVICBOX_TRY(std::int64_t change, next_change());
    CIVICBOX_TRY(auto update,
                 db_.cached("UPDATE parcels SET state = ?1, compartment = ?2, change_seq = ?3 "
                            "WHERE parcel_id = ?4 AND device_id = ?5 AND state = ?6"));
    CIVICBOX_CHECK(update.bind(1, to)
                       .bind(2, static_cast<std::int64_t>(compartment))
                       .bind(3, change)
                       .bind(4, parcel_id)
                       .bind(5, device.str())
                       .bind(6, from)
                       .run());
    if (db_.changes() == 0) {
      return std::string("rejected: parcel ") + parcel_id + " is not " + from + " at this box";
    }
    return std::string("applied");
  }

  Expected<std::optional<std::string>> registration_of(const TrackingCode& code,
                                                       const DeviceId& device) {
    CIVICBOX_TRY(auto q, db_.cached("SELECT registration_number FROM submissions WHERE "
                                    "tracking_code = ?1 AND device_id = ?2"));
    q.bind(1, code.str()).bind(2, device.str());
    CIVICBOX_TRY(bool row, q.step());
    if (!row) return std::optional<std::string>{};
    return std::optional<std::string>{q.text(0)};
  }

  Expected<std::optional<EnrolmentTokenRecord>> find_token_locked(const std::string& hash) {
    CIVICBOX_TRY(auto q, db_.cached(std::string("SELECT ") + kTokenColumns +
                                    " FROM enrolment_tokens WHERE token_sha256 = ?1"));
    q.bind(1, hash);
    CIVICBOX_TRY(bool row, q.step());
    if (!row) return std::optional<EnrolmentTokenRecord>{};
    return std::optional<EnrolmentTokenRecord>{token_from(q)};
  }

  // Inside a transaction. A certificate recorded for a box that was ever revoked changes what
  // the device listener accepts (revocation.hpp): the version moves.
  Expected<void> insert_certificate(const CertificateRecord& c) {
    CIVICBOX_TRY(auto insert,
                 db_.cached(std::string("INSERT INTO certificates(") + kCertificateColumns +
                            ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL, NULL)"));
    insert.bind(1, c.serial_hex)
        .bind(2, c.device_id)
        .bind(3, c.kind)
        .bind(4, c.not_before_ms)
        .bind(5, c.not_after_ms)
        .bind(6, c.issued_at_ms)
        .bind(7, c.pem)
        .bind(8, c.key_sha256_hex);
    CIVICBOX_CHECK(insert.run());
    CIVICBOX_TRY(auto revoked, db_.cached("SELECT 1 FROM device_revocations WHERE device_id = ?1"));
    revoked.bind(1, c.device_id);
    CIVICBOX_TRY(bool was_revoked, revoked.step());
    revoked.reset();
    if (was_revoked) CIVICBOX_CHECK(bump_revocation_version());
    return {};
  }

  Expected<void> bump_revocation_version() {
    CIVICBOX_TRY(auto bump,
                 db_.cached("UPDATE revocation_counter SET value = value + 1 WHERE id = 1"));
    return bump.run();
  }

  Expected<std::int64_t> version_locked() {
    CIVICBOX_TRY(auto q, db_.cached("SELECT value FROM revocation_counter WHERE id = 1"));
    CIVICBOX_TRY(bool row, q.step());
    if (!row) return make_error(ErrorCode::internal, "revocation counter missing");
    return q.integer(0);
  }

  Expected<std::int64_t> next_change() {
    CIVICBOX_TRY(
        auto q,
        db_.cached("UPDATE change_counter SET value = value + 1 WHERE id = 1 RETURNING value"));
    CIVICBOX_TRY(bool row, q.step());
    if (!row) return make_error(ErrorCode::internal, "change counter missing");
    std::int64_t value = q.integer(0);
    CIVICBOX_CHECK(q.run());
    return value;
  }

  Expected<void> add_history(const std::string& code, SubmissionState state, std::int64_t at_ms) {
    CIVICBOX_TRY(
        auto insert,
        db_.cached("INSERT INTO submission_history(tracking_code, state, at) VALUES (?1, ?2, ?3)"));
    return insert.bind(1, code).bind(2, to_string(state)).bind(3, at_ms).run();
  }

  Expected<std::optional<SubmissionRecord>> find_locked(const std::string& code) {
    CIVICBOX_TRY(
        auto q,
        db_.cached(
            "SELECT tracking_code, device_id, kind, compartment, provisional_number, contact, "
            "registration_number, state, filed_at FROM submissions WHERE tracking_code = ?1"));
    q.bind(1, code);
    CIVICBOX_TRY(bool row, q.step());
    if (!row) return std::optional<SubmissionRecord>{};
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
    CIVICBOX_TRY(
        auto h,
        db_.cached(
            "SELECT state, at FROM submission_history WHERE tracking_code = ?1 ORDER BY rowid"));
    h.bind(1, code);
    for (;;) {
      CIVICBOX_TRY(bool more, h.step());
      if (!more) break;
      CIVICBOX_TRY(auto state, parse_submission_state(h.text(0)));
      r.history.push_back({state, h.integer(1)});
    }
    return std::optional<SubmissionRecord>{std::move(r)};
  }

  std::mutex mutex_;
  Database db_;
  std::string institution_;
};

}  // namespace

Expected<std::unique_ptr<Storage>> open_sqlite_storage(const std::filesystem::path& data_dir,
                                                       const StorageOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) return make_error(ErrorCode::io, "creating " + data_dir.string() + ": " + ec.message());
  auto db = Database::open(data_dir / "controller.db", options.durable);
  if (!db) return db.error().context("opening the controller's database");
  auto storage = std::make_unique<SqliteStorage>(std::move(*db), options.institution_id);
  auto migrated = storage->migrate();
  if (!migrated) return migrated.error().context("creating the controller's tables");
  return std::unique_ptr<Storage>(std::move(storage));
}

}  // namespace civicbox::controller
