// A thin RAII layer over SQLite for the box's journal and the controller's embedded store.
// Every database is opened the same durable way: WAL, synchronous=FULL, foreign keys on, a busy
// timeout. Errors come back as values with SQLite's own message.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace civicbox::sqlite {

class Statement {
 public:
  Statement(Statement&&) noexcept;
  Statement& operator=(Statement&&) noexcept;
  ~Statement();

  // Parameters are numbered from 1, as in SQL's ?1.
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Statement& bind(int index, const std::string& value) {
    return bind(index, std::string_view(value));
  }
  Statement& bind(int index, std::nullptr_t);
  Statement& bind(int index, const std::optional<std::string>& value);
  Statement& bind(int index, const std::optional<std::int64_t>& value);

  // true: a row is ready; false: done.
  Expected<bool> step();
  // Steps to the end (for statements without rows).
  Expected<void> run();
  void reset();

  [[nodiscard]] std::int64_t integer(int column) const;
  [[nodiscard]] std::string text(int column) const;
  [[nodiscard]] bool is_null(int column) const;
  [[nodiscard]] std::optional<std::string> optional_text(int column) const;
  [[nodiscard]] std::optional<std::int64_t> optional_integer(int column) const;
  [[nodiscard]] int column_count() const;
  // The value in `column` of this row is stored as an integer (not text, real, blob or NULL).
  [[nodiscard]] bool is_integer(int column) const;

 private:
  friend class Database;
  Statement(sqlite3_stmt* stmt, sqlite3* db, bool cached = false)
      : stmt_(stmt), db_(db), cached_(cached) {}
  void release();
  sqlite3_stmt* stmt_ = nullptr;
  sqlite3* db_ = nullptr;
  bool cached_ = false;  // owned by the Database's cache: reset, not finalized, when done
};

class Database {
 public:
  // Creates the file if missing. synchronous_full=false only for throwaway test data.
  static Expected<Database> open(const std::filesystem::path& file, bool synchronous_full = true);

  Database(Database&&) noexcept;
  Database& operator=(Database&&) noexcept;
  ~Database();

  Expected<void> exec(std::string_view sql);
  Expected<Statement> prepare(std::string_view sql);
  // A statement compiled once and kept for the life of the connection, for SQL run often. The
  // Do not hold two at once for the same SQL.
  Expected<Statement> cached(std::string_view sql);
  [[nodiscard]] std::int64_t changes() const;
  [[nodiscard]] std::int64_t last_insert_rowid() const;
  [[nodiscard]] sqlite3* handle() const { return db_; }

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  void close();
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

// BEGIN IMMEDIATE on construction, ROLLBACK on destruction unless commit() succeeded.
class Transaction {
 public:
  static Expected<Transaction> begin(Database& db);
  Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  Expected<void> commit();

 private:
  explicit Transaction(Database& db) : db_(&db) {}
  Database* db_;
};

}  // namespace civicbox::sqlite
