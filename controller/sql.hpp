// The controller's two databases behind one small interface, so that its storage is written
// once (sql_storage.cpp): SQLite, the embedded default (one file, one connection), and
// PostgreSQL, for a city with several controller instances (a pool of libpq connections).
//
// SQL is written once with ?1..?N parameters and in the subset both speak (ON CONFLICT ...
// DO UPDATE, RETURNING, CASE, no SQLite-only functions); the PostgreSQL connection rewrites ?N
// as $N. Parameters carry their type (an integer is BIGINT, text is TEXT), so PostgreSQL never
// has to guess it. A result is read whole into memory: the controller's queries return at most
// a thousand rows.
//
// Transactions: begin() is BEGIN IMMEDIATE on SQLite (one writer at a time) and BEGIN on
// PostgreSQL (READ COMMITTED; the storage takes the row locks it needs with its upserts). A
// PostgreSQL transaction that lost a deadlock or a serialization check is worth running again:
// retryable() says so.
#pragma once

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "common/error.hpp"

namespace civicbox::controller::sql {

// One bound value: NULL, a 64-bit integer or text. A NULL from an optional keeps the optional's
// type, so that PostgreSQL knows it in "(?1 IS NULL OR state = ?1)".
struct Param {
  enum class Type { unknown, integer, text };
  Param(std::nullptr_t) {}  // NOLINT: implicit on purpose, like SQL's NULL
  Param(std::int64_t v) : value(v), type(Type::integer) {}
  Param(int v) : value(static_cast<std::int64_t>(v)), type(Type::integer) {}
  Param(std::string_view v) : value(std::string(v)), type(Type::text) {}
  Param(const char* v) : value(std::string(v)), type(Type::text) {}
  Param(const std::string& v) : value(v), type(Type::text) {}
  Param(const std::optional<std::string>& v) : type(Type::text) {
    if (v) value = *v;
  }
  Param(const std::optional<std::int64_t>& v) : type(Type::integer) {
    if (v) value = *v;
  }
  std::variant<std::monostate, std::int64_t, std::string> value;
  Type type = Type::unknown;
};

// One row of a result: integer() and text() of a NULL are 0 and "".
class Row {
 public:
  using Cell = std::variant<std::monostate, std::int64_t, std::string>;
  explicit Row(std::vector<Cell> cells) : cells_(std::move(cells)) {}
  [[nodiscard]] std::int64_t integer(int column) const;
  [[nodiscard]] std::string text(int column) const;
  [[nodiscard]] bool is_null(int column) const;
  [[nodiscard]] std::optional<std::string> optional_text(int column) const;
  [[nodiscard]] std::optional<std::int64_t> optional_integer(int column) const;

 private:
  std::vector<Cell> cells_;
};

struct Rows {
  std::vector<Row> rows;
  std::int64_t changes = 0;  // rows an INSERT, UPDATE or DELETE touched
  [[nodiscard]] bool empty() const { return rows.empty(); }
  [[nodiscard]] std::size_t size() const { return rows.size(); }
  [[nodiscard]] const Row& operator[](std::size_t i) const { return rows[i]; }
  [[nodiscard]] auto begin() const { return rows.begin(); }
  [[nodiscard]] auto end() const { return rows.end(); }
};

enum class Dialect { sqlite, postgres };

class Connection {
 public:
  virtual ~Connection() = default;
  [[nodiscard]] virtual Dialect dialect() const = 0;
  // One statement. Errors: conflict (a unique or primary key violated), unavailable (the server
  // went away), io (anything else), each with the database's own message.
  virtual Expected<Rows> run(std::string_view sql, std::span<const Param> params) = 0;
  Expected<Rows> run(std::string_view sql, std::initializer_list<Param> params = {}) {
    return run(sql, std::span<const Param>(params.begin(), params.size()));
  }
  // Several statements without parameters (a migration).
  virtual Expected<void> script(std::string_view sql) = 0;
  virtual Expected<void> begin() = 0;
  virtual Expected<void> commit() = 0;
  virtual void rollback() = 0;
  // The last error was a deadlock, a serialization failure or a lost connection (before the
  // commit was acknowledged): run the transaction again, from the start, on a fresh lease.
  [[nodiscard]] virtual bool retryable() const { return false; }
};

// Connections for one database, each used by one caller at a time.
class Pool {
 public:
  virtual ~Pool() = default;
  // A connection for the caller alone until the Lease goes.
  class Lease {
   public:
    Lease(Pool* pool, Connection* connection) : pool_(pool), connection_(connection) {}
    Lease(Lease&& other) noexcept
        : pool_(std::exchange(other.pool_, nullptr)), connection_(other.connection_) {}
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (pool_ != nullptr) pool_->give_back(connection_);
    }
    Connection& operator*() const { return *connection_; }
    Connection* operator->() const { return connection_; }

   private:
    Pool* pool_;
    Connection* connection_;
  };
  virtual Expected<Lease> acquire() = 0;
  [[nodiscard]] virtual Dialect dialect() const = 0;

 protected:
  virtual void give_back(Connection* connection) = 0;
};

// How often a transaction the database aborted (deadlock, serialization) is run again.
inline constexpr int kTransactionAttempts = 5;

// Runs `body` in a transaction on a leased connection; again from the start when PostgreSQL
// aborted it for a deadlock, a serialization failure or a unique key another transaction took
// meanwhile, or the connection broke before the commit (the server restarted): each of those
// rolled everything back. Whether a COMMIT that got no answer took effect is unknown: it is not
// run again (an insert run twice would say "conflict"); the caller hears unavailable and asks
// again itself, as a box does with its batch.
template <class Body>
auto in_transaction(Pool& pool, Body&& body) -> decltype(body(std::declval<Connection&>())) {
  using Result = decltype(body(std::declval<Connection&>()));
  for (int attempt = 1;; ++attempt) {
    auto lease = pool.acquire();
    if (!lease) return Result(lease.error());
    Connection& db = **lease;
    if (auto begun = db.begin(); !begun) {
      if (db.retryable() && attempt < kTransactionAttempts) continue;
      return Result(begun.error());
    }
    Result result = body(db);
    if (result) {
      auto committed = db.commit();
      if (committed) return result;
      db.rollback();
      return Result(committed.error());
    }
    const bool again = db.retryable() && attempt < kTransactionAttempts;
    db.rollback();
    if (!again) return result;
  }
}

// SQLite: the file `file`, WAL, synchronous=FULL unless !durable; one connection.
Expected<std::unique_ptr<Pool>> open_sqlite(const std::filesystem::path& file, bool durable);

// PostgreSQL: a libpq connection string ("postgresql://user@host/db", "host=/run/pg dbname=x"),
// `size` connections opened now (a server that cannot be reached is an unavailable error); a
// connection that broke is opened again when next leased.
Expected<std::unique_ptr<Pool>> open_postgres(const std::string& conninfo, int size);

// "?1 ... ?12" -> "$1 ... $12" (PostgreSQL's placeholders); text in quotes is left alone.
std::string postgres_placeholders(std::string_view sql);

}  // namespace civicbox::controller::sql
