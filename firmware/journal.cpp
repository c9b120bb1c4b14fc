#include "firmware/journal.hpp"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "common/ids.hpp"
#include "common/json_strict.hpp"

namespace civicbox::firmware {

using nlohmann::json;

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  at_ms INTEGER NOT NULL,
  type TEXT NOT NULL,
  json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sync_state (
  one INTEGER PRIMARY KEY CHECK (one = 1),
  acked_through INTEGER NOT NULL,
  pull_cursor INTEGER NOT NULL,
  box_config TEXT
);
INSERT OR IGNORE INTO sync_state (one, acked_through, pull_cursor) VALUES (1, 0, 0);
CREATE TABLE IF NOT EXISTS intents (
  id TEXT PRIMARY KEY,
  flow TEXT NOT NULL,
  compartment INTEGER NOT NULL,
  subject TEXT NOT NULL,
  stage TEXT NOT NULL,
  payload TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  note TEXT
);
CREATE TABLE IF NOT EXISTS assignments (
  parcel_id TEXT PRIMARY KEY,
  salt TEXT NOT NULL,
  iterations INTEGER NOT NULL,
  hash TEXT NOT NULL,
  expires_at_ms INTEGER NOT NULL,
  active INTEGER NOT NULL,
  compartment INTEGER,
  collected INTEGER NOT NULL DEFAULT 0,
  collected_at_ms INTEGER
);
CREATE TABLE IF NOT EXISTS submissions (
  tracking_code TEXT PRIMARY KEY,
  provisional_number TEXT NOT NULL,
  registration_number TEXT,
  kind TEXT NOT NULL,
  compartment INTEGER NOT NULL,
  emptied INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS intents_by_stage ON intents (stage);
CREATE TABLE IF NOT EXISTS counters (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS controller_staff (
  one INTEGER PRIMARY KEY CHECK (one = 1),
  version INTEGER NOT NULL,
  clerks TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS self_test_reports (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  started_ms INTEGER NOT NULL,
  json TEXT NOT NULL
);
)sql";

std::string intent_payload(const Intent& i) {
  json j{{"kind", i.kind},
         {"provisional_number", i.provisional_number},
         {"provisional_counter", i.provisional_counter},
         {"tracking_codes", i.tracking_codes}};
  if (i.contact) j["contact"] = *i.contact;
  if (i.language) j["language"] = *i.language;
  if (i.badge) j["badge"] = *i.badge;
  return civicbox::json::dump(j);
}

Expected<Intent> read_intent(const sqlite::Statement& row) {
  Intent i;
  i.id = row.text(0);
  CIVICBOX_TRY(i.flow, parse_flow(row.text(1)));
  i.compartment = static_cast<int>(row.integer(2));
  i.subject = row.text(3);
  CIVICBOX_TRY(i.stage, parse_intent_stage(row.text(4)));
  i.created_ms = row.integer(6);
  auto payload = json::parse(row.text(5), nullptr, false);
  if (payload.is_discarded() || !payload.is_object()) {
    return make_error(ErrorCode::parse, "intent " + i.id + " has an unreadable payload");
  }
  try {
    i.kind = payload.value("kind", "");
    i.provisional_number = payload.value("provisional_number", "");
    i.provisional_counter = payload.value("provisional_counter", std::int64_t{0});
    if (payload.contains("contact")) i.contact = payload["contact"].get<std::string>();
    if (payload.contains("language")) i.language = payload["language"].get<std::string>();
    if (payload.contains("badge")) i.badge = payload["badge"].get<std::string>();
    if (payload.contains("tracking_codes")) {
      i.tracking_codes = payload["tracking_codes"].get<std::vector<std::string>>();
    }
  } catch (const json::exception& e) {
    return make_error(ErrorCode::parse, "intent " + i.id + ": " + e.what());
  }
  return i;
}

// At most `limit` bytes of `text` that an alarm can carry: cut at a character boundary, and not
// at all if the text is not UTF-8 (a corrupted row).
std::string printable(std::string_view text, std::size_t limit) {
  if (!valid_utf8(text)) return "(unprintable)";
  if (text.size() <= limit) return std::string(text);
  std::size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return std::string(text.substr(0, end)) + "...";
}

constexpr const char* kIntentColumns =
    "SELECT id, flow, compartment, subject, stage, payload, created_ms FROM intents ";

}  // namespace

Expected<std::unique_ptr<Journal>> Journal::open(const std::filesystem::path& file) {
  auto db = sqlite::Database::open(file);
  if (!db) return db.error().context("opening the journal");
  std::unique_ptr<Journal> journal(new Journal(std::move(*db)));
  auto migrated = journal->migrate();
  if (!migrated) return migrated.error().context("creating the journal's tables");
  return journal;
}

Expected<void> Journal::migrate() {
  CIVICBOX_CHECK(db_.exec(kSchema));
  // Journals from before collections were timed: add the column (their collected rows have no
  // time and are pruned as before).
  CIVICBOX_TRY(auto column, db_.prepare("SELECT COUNT(*) FROM pragma_table_info('assignments') "
                                        "WHERE name = 'collected_at_ms'"));
  CIVICBOX_TRY(bool row, column.step());
  if (row && column.integer(0) == 0) {
    CIVICBOX_CHECK(db_.exec("ALTER TABLE assignments ADD COLUMN collected_at_ms INTEGER"));
  }
  return {};
}

Expected<std::int64_t> Journal::counter_locked(std::string_view name) {
  CIVICBOX_TRY(auto stmt, db_.prepare("SELECT value FROM counters WHERE name = ?1"));
  stmt.bind(1, name);
  CIVICBOX_TRY(bool row, stmt.step());
  return row ? stmt.integer(0) : std::int64_t{0};
}

Expected<void> Journal::set_counter_locked(std::string_view name, std::int64_t value) {
  CIVICBOX_TRY(auto stmt, db_.prepare("INSERT INTO counters (name, value) VALUES (?1, ?2) "
                                      "ON CONFLICT(name) DO UPDATE SET value = excluded.value"));
  stmt.bind(1, name).bind(2, value);
  return stmt.run();
}

Expected<void> Journal::apply_event_locked(const wire::EventBody& body, std::int64_t at_ms) {
  if (const auto* s = std::get_if<wire::SubmissionFiled>(&body)) {
    CIVICBOX_TRY(
        auto stmt,
        db_.prepare("INSERT OR IGNORE INTO submissions (tracking_code, provisional_number, "
                    "kind, compartment) VALUES (?1, ?2, ?3, ?4)"));
    stmt.bind(1, s->tracking_code.str())
        .bind(2, s->provisional_number)
        .bind(3, s->kind)
        .bind(4, std::int64_t{s->compartment});
    return stmt.run();
  }
  if (const auto* p = std::get_if<wire::ParcelLoaded>(&body)) {
    CIVICBOX_TRY(auto stmt,
                 db_.prepare("UPDATE assignments SET compartment = ?2 WHERE parcel_id = ?1"));
    stmt.bind(1, p->parcel_id).bind(2, std::int64_t{p->compartment});
    return stmt.run();
  }
  if (const auto* p = std::get_if<wire::ParcelCollected>(&body)) {
    CIVICBOX_TRY(auto stmt, db_.prepare("UPDATE assignments SET collected = 1, "
                                        "collected_at_ms = ?2 WHERE parcel_id = ?1"));
    stmt.bind(1, p->parcel_id).bind(2, at_ms);
    return stmt.run();
  }
  if (const auto* d = std::get_if<wire::DropoffEmptied>(&body)) {
    CIVICBOX_TRY(auto stmt,
                 db_.prepare("UPDATE submissions SET emptied = 1 WHERE tracking_code = ?1"));
    for (const auto& code : d->tracking_codes) {
      stmt.reset();
      stmt.bind(1, code);
      CIVICBOX_CHECK(stmt.run());
    }
  }
  return {};
}

Expected<std::vector<std::uint64_t>> Journal::append(
    const std::vector<wire::EventBody>& events, std::int64_t at_ms, Random& random,
    const std::optional<std::string>& finishes_intent) {
  std::lock_guard lock(mutex_);
  CIVICBOX_TRY(auto tx, sqlite::Transaction::begin(db_));
  CIVICBOX_TRY(auto seqs, append_locked(events, at_ms, random));
  if (finishes_intent) {
    CIVICBOX_TRY(auto done, db_.prepare("UPDATE intents SET stage = 'done' WHERE id = ?1"));
    done.bind(1, *finishes_intent);
    CIVICBOX_CHECK(done.run());
  }
  CIVICBOX_CHECK(tx.commit());
  return seqs;
}

Expected<std::vector<std::uint64_t>> Journal::append_locked(
    const std::vector<wire::EventBody>& events, std::int64_t at_ms, Random& random) {
  CIVICBOX_TRY(auto last, db_.prepare("SELECT COALESCE(MAX(seq), 0) FROM events"));
  CIVICBOX_TRY(bool has_row, last.step());
  std::uint64_t seq = has_row ? static_cast<std::uint64_t>(last.integer(0)) : 0;
  CIVICBOX_TRY(auto insert, db_.prepare("INSERT INTO events (seq, id, at_ms, type, json) "
                                        "VALUES (?1, ?2, ?3, ?4, ?5)"));
  std::vector<std::uint64_t> seqs;
  for (const auto& body : events) {
    wire::Event e{++seq, EventId::generate(at_ms, random), at_ms, body};
    // An event the controller's parser would refuse would stop the outbox for good: read it
    // back as the controller will before it is committed.
    std::string text = wire::to_json(e);
    if (auto back = wire::parse_event(text); !back) {
      return make_error(ErrorCode::invalid_argument,
                        "refusing to journal a " + std::string(wire::event_type(body)) +
                            " event that would not read back: " + back.error().message);
    }
    insert.reset();
    insert.bind(1, static_cast<std::int64_t>(e.seq))
        .bind(2, e.id.str())
        .bind(3, at_ms)
        .bind(4, wire::event_type(body))
        .bind(5, text);
    CIVICBOX_CHECK(insert.run());
    CIVICBOX_CHECK(apply_event_locked(body, at_ms));
    seqs.push_back(e.seq);
  }
  return seqs;
}

Expected<std::uint64_t> Journal::append(const wire::EventBody& event, std::int64_t at_ms,
                                        Random& random) {
  CIVICBOX_TRY(auto seqs, append(std::vector<wire::EventBody>{event}, at_ms, random));
  return seqs.front();
}

Expected<void> Journal::record_intent(const Intent& i) {
  std::lock_guard lock(mutex_);
  CIVICBOX_TRY(auto tx, sqlite::Transaction::begin(db_));
  CIVICBOX_TRY(auto stmt, db_.prepare("INSERT INTO intents (id, flow, compartment, subject, stage, "
                                      "payload, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  stmt.bind(1, i.id)
      .bind(2, to_string(i.flow))
      .bind(3, std::int64_t{i.compartment})
      .bind(4, i.subject)
      .bind(5, to_string(IntentStage::unlock_requested))
      .bind(6, intent_payload(i))
      .bind(7, i.created_ms);
  CIVICBOX_CHECK(stmt.run());
  if (i.flow == Flow::filing) {
    CIVICBOX_TRY(auto counter, counter_locked("provisional"));
    if (i.provisional_counter > counter) {
      CIVICBOX_CHECK(set_counter_locked("provisional", i.provisional_counter));
    }
  }
  return tx.commit();
}

Expected<void> Journal::mark_door_opened(std::string_view intent_id) {
  std::lock_guard lock(mutex_);
  CIVICBOX_TRY(auto stmt, db_.prepare("UPDATE intents SET stage = 'door_opened' "
                                      "WHERE id = ?1 AND stage = 'unlock_requested'"));
  stmt.bind(1, intent_id);
  return stmt.run();
}

Expected<void> Journal::cancel_intent(std::string_view intent_id, std::string_view why) {
  std::lock_guard lock(mutex_);
  CIVICBOX_TRY(auto stmt, db_.prepare("UPDATE intents SET stage = 'cancelled', note = ?2 "
                                      "WHERE id = ?1 AND stage <> 'done'"));
  stmt.bind(1, intent_id).bind(2, why);
  return stmt.run();
}

Expected<std::vector<Intent>> Journal::unfinished_intents() {
  std::lock_guard lock(mutex_);
  return unfinished_intents_locked();
}

Expected<std::vector<Intent>> Journal::unfinished_intents_locked() {
  CIVICBOX_TRY(auto stmt, db_.prepare(std::string(kIntentColumns) +
                                      "WHERE stage IN ('unlock_requested', 'door_opened') "
                                      "ORDER BY created_ms, rowid"));
  std::vector<Intent> out;
  for (;;) {
    CIVICBOX_TRY(bool row, stmt.step());
    if (!row) break;
    CIVICBOX_TRY(auto i, read_intent(stmt));
    out.push_back(std::move(i));
  }
  return out;
}

Expected<std::vector<UnreadableIntent>> Journal::unreadable_intents() {
  std::lock_guard lock(mutex_);
  CIVICBOX_TRY(auto stmt, db_.prepare(std::string(kIntentColumns) +
                                      "WHERE stage IN ('unlock_requested', 'door_opened') "
                                      "ORDER BY created_ms, rowid"));
  std::vector<UnreadableIntent> out;
  for (;;) {
    CIVICBOX_TRY(bool row, stmt.step());
    if (!row) break;
    auto read = read_intent(stmt);
    if (read) continue;
    std::optional<int> compartment;
    if (auto c = stmt.optional_integer(2); c && *c >= 1 && *c <= wire::kMaxCompartment) {
      compartment = static_cast<int>(*c);
    }
    out.push_back(UnreadableIntent{stmt.text(0), compartment, read.error().message});
  }
  return out;
}

Expected<void> Journal::quarantine_intent(std::string_view intent_id,
                                          std::optional<int> compartment, std::string_view why,
                                          std::int64_t at_ms, Random& random) {
  std::lock_guard lock(mutex_);
  CIVICBOX_TRY(auto tx, sqlite::Transaction::begin(db_));
  CIVICBOX_TRY(auto stmt, db_.prepare("UPDATE intents SET stage = 'quarantined', note = ?2 "
                                      "WHERE id = ?1 AND stage IN ('unlock_requested', "
                                      "'door_opened')"));
  stmt.bind(1, intent_id).bind(2, why);
  CIVICBOX_CHECK(stmt.run());
  std::string detail = "intent " + printable(intent_id, 100) +
                       " could not be read or finished at recovery and was quarantined (the row "
                       "is kept";
  detail += compartment ? "; check compartment " + std::to_string(*compartment) + "): " : "): ";
  detail += printable(why, 500);
  CIVICBOX_CHECK(
      append_locked({wire::Alarm{"journal_row_unreadable", detail, compartment}}, at_ms, random));
  return tx.commit();
}

Expected<std::optional<Intent>> Journal::intent(std::string_view intent_id) {
  std::lock_guard lock(mutex_);
  CIVICBOX_TRY(auto stmt, db_.prepare(std::string(kIntentColumns) + "WHERE id = ?1"));
  stmt.bind(1, intent_id);
  CIVICBOX_TRY(bool row, stmt.step());
  if (!row) return std::optional<Intent>{};
  CIVICBOX_TRY(auto i, read_intent(stmt));
  return std::optional<Intent>(std::move(i));
}

Expected<std::vector<wire::Event>> Journal::events_after(std::uint64_t seq, std::size_t limit) {
  std::lock_guard lock(mutex_);
  CIVICBOX_TRY(auto stmt,
               db_.prepare("SELECT json FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2"));
  stmt.bind(1, static_cast<std::int64_t>(seq)).bind(2, static_cast<std::int64_t>(limit));
  std::vector<wire::Event> out;
  for (;;) {
    CIVICBOX_TRY(bool row, stmt.step());
    if (!row) break;
    auto e = wire::parse_event(stmt.text(0));
    if (!e)
      return e.error().context("reading the journal's event after seq " + std::to_string(seq));
    out.push_back(std::move(*e));
  }
  return out;
}

Expected<Journal::CommandRecord> Journal::remote_command(std::string_view command_id) {
  std::lock_guard lock(mutex_);
  CIVICBOX_TRY(auto stmt,
               db_.prepare("SELECT type FROM events WHERE type IN ('door.opened', 'command.done') "
                           "AND json_extract(json, '$.data.command') = ?1"));
  stmt.bind(1, command_id);
  CommandRecord record;
  for (;;) {
    CIVICBOX_TRY(bool row, stmt.step());
    if (!row) break;
    if (stmt.text(0) == "door.opened") record.door_opened = true;
    if (stmt.text(0) == "command.done") record.done = true;
  }
  return record;
}

Expected<std::vector<std::pair<std::string, int>>> Journal::interrupted_commands() {
  std::lock_guard lock(mutex_);
  CIVICBOX_TRY(auto stmt, db_.prepare("SELECT json_extract(json, '$.data.command'), "
                                      "json_extract(json, '$.data.compartment') FROM events "
                                      "WHERE type = 'door.opened' "
                                      "AND json_extract(json, '$.data.command') IS NOT NULL "
                                      "AND json_extract(json, '$.data.command') NOT IN "
                                      "(SELECT json_extract(json, '$.data.command') FROM events "
                                      "WHERE type = 'command.done') ORDER BY seq"));
  std::vector<std::pair<std::string, int>> out;
  for (;;) {
    CIVICBOX_TRY(bool row, stmt.step());
    if (!row) break;
    out.emplace_back(stmt.text(0), static_cast<int>(stmt.integer(1)));
  }
  return out;
}

Expected<std::vector<wire::Event>> Journal::pending(std::size_t limit) {
  CIVICBOX_TRY(auto state, sync_state());
  return events_after(state.acked_through, limit);
}

Expected<SyncState> Journal::sync_state_locked() {
  SyncState s;
  CIVICBOX_TRY(auto stmt, db_.prepare("SELECT (SELECT COALESCE(MAX(seq), 0) FROM events), "
                                      "acked_through, pull_cursor FROM sync_state WHERE one = 1"));
  CIVICBOX_TRY(bool row, stmt.step());
  if (!row) return make_error(ErrorCode::internal, "the journal has no sync state");
  s.last_seq = static_cast<std::uint64_t>(stmt.integer(0));
  s.acked_through = static_cast<std::uint64_t>(stmt.integer(1));
  s.pull_cursor = static_cast<std::uint64_t>(stmt.integer(2));
  return s;
}

Expected<SyncState> Journal::sync_state() {
  std::lock_guard lock(mutex_);
  return sync_state_locked();
}

Expected<void> Journal::acknowledge(std::uint64_t applied_through,
                                    const std::vector<wire::Registration>& registrations,
                                    std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  CIVICBOX_TRY(auto tx, sqlite::Transaction::begin(db_));
  CIVICBOX_TRY(auto state, sync_state_locked());
  std::uint64_t acked = std::min(applied_through, state.last_seq);
  CIVICBOX_TRY(auto stmt, db_.prepare("UPDATE sync_state SET acked_through = ?1 WHERE one = 1"));
  stmt.bind(1, static_cast<std::int64_t>(acked));
  CIVICBOX_CHECK(stmt.run());
  CIVICBOX_TRY(auto reg, db_.prepare("UPDATE submissions SET registration_number = ?2 "
                                     "WHERE tracking_code = ?1"));
  for (const auto& r : registrations) {
    reg.reset();
    reg.bind(1, r.tracking_code.str()).bind(2, r.registration_number);
    CIVICBOX_CHECK(reg.run());
  }
  // Assignments that are over are forgotten once the controller holds every event about them,
  // so that the table does not grow with every parcel the box ever held: withdrawn ones not in a
  // compartment at once; collected ones once older than kUsedCodeMemoryMs or beyond the
  // kUsedCodeMemoryParcels most recent (until then their hash tells a citizen who types the code
  // again that the document was already collected).
  CIVICBOX_TRY(
      auto prune,
      db_.prepare("DELETE FROM assignments WHERE ((collected = 1 AND (collected_at_ms IS NULL OR "
                  "collected_at_ms <= ?2 OR parcel_id NOT IN (SELECT parcel_id FROM assignments "
                  "WHERE collected = 1 ORDER BY collected_at_ms DESC, rowid DESC LIMIT ?3))) OR "
                  "(collected = 0 AND active = 0 AND compartment IS NULL)) AND parcel_id NOT IN "
                  "(SELECT subject FROM intents WHERE stage IN ('unlock_requested', "
                  "'door_opened')) AND NOT EXISTS (SELECT 1 FROM events WHERE seq > ?1 AND type "
                  "IN ('parcel.collected', 'parcel.loaded') AND json_extract(json, "
                  "'$.data.parcel_id') = assignments.parcel_id)"));
  prune.bind(1, static_cast<std::int64_t>(acked))
      .bind(2, now_ms - kUsedCodeMemoryMs)
      .bind(3, static_cast<std::int64_t>(kUsedCodeMemoryParcels));
  CIVICBOX_CHECK(prune.run());
  return tx.commit();
}

Expected<void> Journal::apply_pull(const wire::PullResponse& pull) {
  std::lock_guard lock(mutex_);
  CIVICBOX_TRY(auto tx, sqlite::Transaction::begin(db_));
  CIVICBOX_TRY(auto upsert,
               db_.prepare("INSERT INTO assignments (parcel_id, salt, iterations, hash, "
                           "expires_at_ms, active) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
                           "ON CONFLICT(parcel_id) DO UPDATE SET salt = excluded.salt, "
                           "iterations = excluded.iterations, hash = excluded.hash, "
                           "expires_at_ms = excluded.expires_at_ms, active = excluded.active"));
  for (const auto& a : pull.assignments) {
    if (a.iterations > kMaxPickupHashIterations) {
      // Every typed code would run this many PBKDF2 rounds: a kiosk that hangs for everyone.
      spdlog::warn("ignoring the assignment of parcel {}: {} hash iterations (at most {})",
                   a.parcel_id, a.iterations, kMaxPickupHashIterations);
      continue;
    }
    upsert.reset();
    upsert.bind(1, a.parcel_id)
        .bind(2, a.salt_hex)
        .bind(3, std::int64_t{a.iterations})
        .bind(4, a.hash_hex)
        .bind(5, a.expires_at_ms)
        .bind(6, std::int64_t{a.active ? 1 : 0});
    CIVICBOX_CHECK(upsert.run());
  }
  json config{{"institution", pull.config.institution},
              {"document_kinds", pull.config.document_kinds},
              {"track_url", pull.config.track_url}};
  CIVICBOX_TRY(auto state, db_.prepare("UPDATE sync_state SET pull_cursor = ?1, box_config = ?2 "
                                       "WHERE one = 1"));
  state.bind(1, static_cast<std::int64_t>(pull.cursor)).bind(2, civicbox::json::dump(config));
  CIVICBOX_CHECK(state.run());
  // The whole list, every pull: the latest one replaces what was kept.
  json clerks = json::array();
  for (const auto& k : pull.staff.clerks) {
    clerks.push_back({{"badge", k.badge}, {"name", k.name}, {"pin_hash", k.pin_hash}});
  }
  CIVICBOX_TRY(auto staff, db_.prepare("INSERT INTO controller_staff (one, version, clerks) "
                                       "VALUES (1, ?1, ?2) ON CONFLICT(one) DO UPDATE SET "
                                       "version = excluded.version, clerks = excluded.clerks"));
  staff.bind(1, static_cast<std::int64_t>(pull.staff.version))
      .bind(2, civicbox::json::dump(clerks));
  CIVICBOX_CHECK(staff.run());
  return tx.commit();
}

Expected<wire::StaffList> Journal::controller_staff() {
  std::lock_guard lock(mutex_);
  CIVICBOX_TRY(auto stmt,
               db_.prepare("SELECT version, clerks FROM controller_staff WHERE one = 1"));
  CIVICBOX_TRY(bool row, stmt.step());
  wire::StaffList list;
  if (!row) return list;
  list.version = static_cast<std::uint64_t>(stmt.integer(0));
  auto clerks = json::parse(stmt.text(1), nullptr, false);
  if (!clerks.is_array()) {
    return make_error(ErrorCode::parse,
                      "the journal's list of the controller's clerks is unreadable");
  }
  try {
    for (const auto& k : clerks) {
      list.clerks.push_back(wire::StaffClerk{k.at("badge").get<std::string>(),
                                             k.at("name").get<std::string>(),
                                             k.at("pin_hash").get<std::string>()});
    }
  } catch (const json::exception& e) {
    return make_error(ErrorCode::parse,
                      std::string("the journal's list of the controller's clerks: ") + e.what());
  }
  return list;
}

Expected<BoxState> Journal::box_state() {
  std::lock_guard lock(mutex_);
  BoxState s;
  s.config = default_box_config();
  {
    CIVICBOX_TRY(auto stmt, db_.prepare("SELECT box_config FROM sync_state WHERE one = 1"));
    CIVICBOX_TRY(bool row, stmt.step());
    if (row && !stmt.is_null(0)) {
      auto j = json::parse(stmt.text(0), nullptr, false);
      try {
        if (j.is_object()) {
          s.config.institution = j.at("institution").get<std::string>();
          s.config.document_kinds = j.at("document_kinds").get<std::vector<std::string>>();
          s.config.track_url = j.at("track_url").get<std::string>();
        }
      } catch (const json::exception& e) {
        return make_error(ErrorCode::parse,
                          std::string("the stored box configuration: ") + e.what());
      }
    }
  }
  {
    CIVICBOX_TRY(auto stmt, db_.prepare("SELECT parcel_id, salt, iterations, hash, expires_at_ms, "
                                        "active, compartment, collected, collected_at_ms "
                                        "FROM assignments ORDER BY parcel_id"));
    for (;;) {
      CIVICBOX_TRY(bool row, stmt.step());
      if (!row) break;
      Parcel p;
      p.parcel_id = stmt.text(0);
      p.hash = PickupHash{stmt.text(1), static_cast<std::uint32_t>(stmt.integer(2)), stmt.text(3)};
      p.expires_at_ms = stmt.integer(4);
      p.active = stmt.integer(5) != 0;
      if (auto c = stmt.optional_integer(6)) p.compartment = static_cast<int>(*c);
      p.collected = stmt.integer(7) != 0;
      p.collected_at_ms = stmt.optional_integer(8);
      s.parcels.push_back(std::move(p));
    }
  }
  {
    CIVICBOX_TRY(auto stmt, db_.prepare("SELECT tracking_code, provisional_number, "
                                        "registration_number, compartment FROM submissions "
                                        "WHERE emptied = 0 ORDER BY rowid"));
    for (;;) {
      CIVICBOX_TRY(bool row, stmt.step());
      if (!row) break;
      s.submissions.push_back(Submission{stmt.text(0), stmt.text(1), stmt.optional_text(2),
                                         static_cast<int>(stmt.integer(3))});
    }
  }
  CIVICBOX_TRY(s.unfinished, unfinished_intents_locked());
  CIVICBOX_TRY(s.provisional_counter, counter_locked("provisional"));
  CIVICBOX_TRY(auto failed, counter_locked("keypad_failed"));
  CIVICBOX_TRY(s.keypad.locked_until_ms, counter_locked("keypad_locked_until_ms"));
  s.keypad.failed_in_row = static_cast<int>(failed);
  return s;
}

Expected<void> Journal::save_keypad(const Keypad& keypad) {
  std::lock_guard lock(mutex_);
  CIVICBOX_TRY(auto tx, sqlite::Transaction::begin(db_));
  CIVICBOX_CHECK(set_counter_locked("keypad_failed", keypad.failed_in_row));
  CIVICBOX_CHECK(set_counter_locked("keypad_locked_until_ms", keypad.locked_until_ms));
  return tx.commit();
}

Expected<std::optional<std::string>> Journal::registration_number(std::string_view tracking_code) {
  std::lock_guard lock(mutex_);
  CIVICBOX_TRY(auto stmt, db_.prepare("SELECT registration_number FROM submissions "
                                      "WHERE tracking_code = ?1"));
  stmt.bind(1, tracking_code);
  CIVICBOX_TRY(bool row, stmt.step());
  if (!row) return std::optional<std::string>{};
  return stmt.optional_text(0);
}

Expected<std::size_t> Journal::active_assignments() {
  std::lock_guard lock(mutex_);
  CIVICBOX_TRY(auto stmt, db_.prepare("SELECT COUNT(*) FROM assignments WHERE active = 1"));
  CIVICBOX_TRY(bool row, stmt.step());
  return row ? static_cast<std::size_t>(stmt.integer(0)) : std::size_t{0};
}

Expected<std::int64_t> Journal::time_floor() {
  std::lock_guard lock(mutex_);
  CIVICBOX_TRY(auto stmt, db_.prepare("SELECT value FROM counters WHERE name = 'time_floor_ms'"));
  CIVICBOX_TRY(bool row, stmt.step());
  if (row) return stmt.integer(0);
  // A journal from before the floor was kept: its latest event is the best known.
  CIVICBOX_TRY(auto events, db_.prepare("SELECT COALESCE(MAX(at_ms), 0) FROM events"));
  CIVICBOX_TRY(bool has, events.step());
  return has ? events.integer(0) : std::int64_t{0};
}

Expected<void> Journal::raise_time_floor(std::int64_t system_ms) {
  std::lock_guard lock(mutex_);
  CIVICBOX_TRY(auto stmt, db_.prepare("INSERT INTO counters (name, value) VALUES "
                                      "('time_floor_ms', ?1) ON CONFLICT(name) DO UPDATE SET "
                                      "value = MAX(value, excluded.value)"));
  stmt.bind(1, system_ms);
  return stmt.run();
}

Expected<void> Journal::check_writable(std::int64_t at_ms) {
  std::lock_guard lock(mutex_);
  CIVICBOX_TRY(auto tx, sqlite::Transaction::begin(db_));
  CIVICBOX_CHECK(set_counter_locked("self_test_checked_ms", at_ms));
  return tx.commit();
}

Expected<std::int64_t> Journal::queue_self_test_report(const wire::SelfTestReport& report) {
  std::string text = wire::to_json(report);
  if (auto back = wire::parse_self_test_report(text); !back) {
    return make_error(
        ErrorCode::invalid_argument,
        "refusing to keep a self-test report that would not read back: " + back.error().message);
  }
  std::lock_guard lock(mutex_);
  CIVICBOX_TRY(auto tx, sqlite::Transaction::begin(db_));
  CIVICBOX_TRY(auto insert,
               db_.prepare("INSERT INTO self_test_reports (started_ms, json) VALUES (?1, ?2)"));
  insert.bind(1, report.started_ms).bind(2, text);
  CIVICBOX_CHECK(insert.run());
  CIVICBOX_TRY(auto id, db_.prepare("SELECT MAX(id), COUNT(*) FROM self_test_reports"));
  CIVICBOX_TRY(bool row, id.step());
  if (!row) return make_error(ErrorCode::internal, "the self-test report was not kept");
  const std::int64_t kept = id.integer(0);
  if (id.integer(1) > static_cast<std::int64_t>(kMaxQueuedSelfTestReports)) {
    spdlog::warn("more than {} self-test reports wait for the controller; dropping the oldest",
                 kMaxQueuedSelfTestReports);
    CIVICBOX_TRY(auto prune, db_.prepare("DELETE FROM self_test_reports WHERE id NOT IN (SELECT "
                                         "id FROM self_test_reports ORDER BY id DESC LIMIT ?1)"));
    prune.bind(1, static_cast<std::int64_t>(kMaxQueuedSelfTestReports));
    CIVICBOX_CHECK(prune.run());
  }
  CIVICBOX_CHECK(tx.commit());
  return kept;
}

Expected<std::vector<QueuedSelfTestReport>> Journal::queued_self_test_reports(std::size_t limit) {
  std::lock_guard lock(mutex_);
  CIVICBOX_TRY(auto stmt,
               db_.prepare("SELECT id, json FROM self_test_reports ORDER BY id LIMIT ?1"));
  stmt.bind(1, static_cast<std::int64_t>(limit));
  std::vector<QueuedSelfTestReport> out;
  std::vector<std::int64_t> unreadable;
  for (;;) {
    CIVICBOX_TRY(bool row, stmt.step());
    if (!row) break;
    auto report = wire::parse_self_test_report(stmt.text(1));
    if (!report) {
      spdlog::error("dropping self-test report {} from the outbox: it no longer reads back: {}",
                    stmt.integer(0), report.error().message);
      unreadable.push_back(stmt.integer(0));
      continue;
    }
    out.push_back(QueuedSelfTestReport{stmt.integer(0), std::move(*report)});
  }
  if (!unreadable.empty()) {
    CIVICBOX_TRY(auto drop, db_.prepare("DELETE FROM self_test_reports WHERE id = ?1"));
    for (auto id : unreadable) {
      drop.reset();
      drop.bind(1, id);
      CIVICBOX_CHECK(drop.run());
    }
  }
  return out;
}

Expected<bool> Journal::self_test_report_queued(std::int64_t id) {
  std::lock_guard lock(mutex_);
  CIVICBOX_TRY(auto stmt, db_.prepare("SELECT 1 FROM self_test_reports WHERE id = ?1"));
  stmt.bind(1, id);
  return stmt.step();
}

Expected<void> Journal::forget_self_test_report(std::int64_t id) {
  std::lock_guard lock(mutex_);
  CIVICBOX_TRY(auto stmt, db_.prepare("DELETE FROM self_test_reports WHERE id = ?1"));
  stmt.bind(1, id);
  return stmt.run();
}

}  // namespace civicbox::firmware
