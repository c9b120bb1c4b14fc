#include "common/sqlite.hpp"

#include <sqlite3.h>

#include <utility>

namespace civicbox::sqlite {

namespace {
// A constraint violation is a conflict with what is stored; a busy or locked database is
// unavailable for now (retrying helps); anything else is an I/O failure.
ErrorCode code_of(int rc) {
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      return ErrorCode::conflict;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return ErrorCode::unavailable;
    default:
      return ErrorCode::io;
  }
}

Error sqlite_error(sqlite3* db, std::string_view what) {
  if (db == nullptr) return make_error(ErrorCode::io, std::string(what) + ": out of memory");
  return make_error(code_of(sqlite3_extended_errcode(db)),
                    std::string(what) + ": " + sqlite3_errmsg(db));
}
}  // namespace

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)), db_(other.db_), cached_(other.cached_) {}
Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    release();
    stmt_ = std::exchange(other.stmt_, nullptr);
    db_ = other.db_;
    cached_ = other.cached_;
  }
  return *this;
}
Statement::~Statement() {
  release();
}

void Statement::release() {
  if (stmt_ == nullptr) return;
  if (cached_) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  } else {
    sqlite3_finalize(stmt_);
  }
  stmt_ = nullptr;
}

Statement& Statement::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}
Statement& Statement::bind(int index, std::string_view value) {
  sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::bind(int index, std::nullptr_t) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}
Statement& Statement::bind(int index, const std::optional<std::string>& value) {
  return value ? bind(index, std::string_view(*value)) : bind(index, nullptr);
}
Statement& Statement::bind(int index, const std::optional<std::int64_t>& value) {
  return value ? bind(index, *value) : bind(index, nullptr);
}

Expected<bool> Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return sqlite_error(db_, "sqlite step");
}

Expected<void> Statement::run() {
  for (;;) {
    CIVICBOX_TRY(bool row, step());
    if (!row) return {};
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::int64_t Statement::integer(int column) const {
  return sqlite3_column_int64(stmt_, column);
}
std::string Statement::text(int column) const {
  const auto* p = sqlite3_column_text(stmt_, column);
  if (p == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(p),
                     static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
}
bool Statement::is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}
int Statement::column_count() const {
  return sqlite3_column_count(stmt_);
}
bool Statement::is_integer(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_INTEGER;
}
std::optional<std::string> Statement::optional_text(int column) const {
  if (is_null(column)) return std::nullopt;
  return text(column);
}
std::optional<std::int64_t> Statement::optional_integer(int column) const {
  if (is_null(column)) return std::nullopt;
  return integer(column);
}

Expected<Database> Database::open(const std::filesystem::path& file, bool synchronous_full) {
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(file.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  Database db(raw);
  if (rc != SQLITE_OK) return sqlite_error(raw, "opening " + file.string());
  sqlite3_busy_timeout(raw, 5000);
  CIVICBOX_CHECK(db.exec("PRAGMA journal_mode=WAL"));
  CIVICBOX_CHECK(db.exec(synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=OFF"));
  CIVICBOX_CHECK(db.exec("PRAGMA foreign_keys=ON"));
  return db;
}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), cache_(std::move(other.cache_)) {
  other.cache_.clear();
}
Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    close();
    db_ = std::exchange(other.db_, nullptr);
    cache_ = std::move(other.cache_);
    other.cache_.clear();
  }
  return *this;
}
Database::~Database() {
  close();
}

Expected<void> Database::exec(std::string_view sql) {
  char* message = nullptr;
  std::string text(sql);
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string detail = message != nullptr ? message : "unknown";
    sqlite3_free(message);
    return make_error(code_of(sqlite3_extended_errcode(db_)), "sqlite: " + detail);
  }
  return {};
}

Expected<Statement> Database::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) !=
      SQLITE_OK) {
    return sqlite_error(db_, "preparing SQL");
  }
  return Statement(stmt, db_);
}

Expected<Statement> Database::cached(std::string_view sql) {
  std::string key(sql);
  auto it = cache_.find(key);
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_, key.c_str(), static_cast<int>(key.size()),
                           SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) {
      return sqlite_error(db_, "preparing SQL");
    }
    it = cache_.emplace(std::move(key), stmt).first;
  }
  return Statement(it->second, db_, true);
}

void Database::close() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  cache_.clear();
  sqlite3_close_v2(db_);
  db_ = nullptr;
}

std::int64_t Database::changes() const {
  return sqlite3_changes64(db_);
}
std::int64_t Database::last_insert_rowid() const {
  return sqlite3_last_insert_rowid(db_);
}

Expected<Transaction> Transaction::begin(Database& db) {
  CIVICBOX_CHECK(db.exec("BEGIN IMMEDIATE"));
  return Transaction(db);
}

Transaction::~Transaction() {
  if (db_ != nullptr) (void)db_->exec("ROLLBACK");
}

Expected<void> Transaction::commit() {
  CIVICBOX_CHECK(db_->exec("COMMIT"));
  db_ = nullptr;
  return {};
}

}  // namespace civicbox::sqlite
