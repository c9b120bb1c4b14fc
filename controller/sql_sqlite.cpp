// sql::Connection on SQLite: one connection (SQLite serialises writers anyway), statements
// compiled once and kept, leased to one caller at a time behind a mutex.
#include <mutex>

#include "common/sqlite.hpp"
#include "controller/sql.hpp"

namespace civicbox::controller::sql {

std::int64_t Row::integer(int column) const {
  const Cell& c = cells_.at(static_cast<std::size_t>(column));
  if (const auto* i = std::get_if<std::int64_t>(&c)) return *i;
  if (const auto* s = std::get_if<std::string>(&c)) {
    try {
      return std::stoll(*s);
    } catch (const std::exception&) {
      return 0;
    }
  }
  return 0;
}

std::string Row::text(int column) const {
  const Cell& c = cells_.at(static_cast<std::size_t>(column));
  if (const auto* s = std::get_if<std::string>(&c)) return *s;
  if (const auto* i = std::get_if<std::int64_t>(&c)) return std::to_string(*i);
  return {};
}

bool Row::is_null(int column) const {
  return std::holds_alternative<std::monostate>(cells_.at(static_cast<std::size_t>(column)));
}

std::optional<std::string> Row::optional_text(int column) const {
  if (is_null(column)) return std::nullopt;
  return text(column);
}

std::optional<std::int64_t> Row::optional_integer(int column) const {
  if (is_null(column)) return std::nullopt;
  return integer(column);
}

namespace {

class SqliteConnection final : public Connection {
 public:
  explicit SqliteConnection(sqlite::Database db) : db_(std::move(db)) {}

  [[nodiscard]] Dialect dialect() const override { return Dialect::sqlite; }

  Expected<Rows> run(std::string_view sql, std::span<const Param> params) override {
    CIVICBOX_TRY(auto q, db_.cached(sql));
    int index = 1;
    for (const Param& p : params) {
      if (const auto* i = std::get_if<std::int64_t>(&p.value)) {
        q.bind(index, *i);
      } else if (const auto* s = std::get_if<std::string>(&p.value)) {
        q.bind(index, *s);
      } else {
        q.bind(index, nullptr);
      }
      ++index;
    }
    Rows out;
    for (;;) {
      CIVICBOX_TRY(bool row, q.step());
      if (!row) break;
      std::vector<Row::Cell> cells;
      const int n = q.column_count();
      cells.reserve(static_cast<std::size_t>(n));
      for (int c = 0; c < n; ++c) {
        if (q.is_null(c)) {
          cells.emplace_back(std::monostate{});
        } else if (q.is_integer(c)) {
          cells.emplace_back(q.integer(c));
        } else {
          cells.emplace_back(q.text(c));
        }
      }
      out.rows.emplace_back(std::move(cells));
    }
    out.changes = db_.changes();
    return out;
  }

  Expected<void> script(std::string_view sql) override { return db_.exec(sql); }
  Expected<void> begin() override { return db_.exec("BEGIN IMMEDIATE"); }
  Expected<void> commit() override { return db_.exec("COMMIT"); }
  void rollback() override { (void)db_.exec("ROLLBACK"); }

 private:
  sqlite::Database db_;
};

class SqlitePool final : public Pool {
 public:
  explicit SqlitePool(sqlite::Database db) : connection_(std::move(db)) {}
  Expected<Lease> acquire() override {
    mutex_.lock();
    return Lease(this, &connection_);
  }
  [[nodiscard]] Dialect dialect() const override { return Dialect::sqlite; }

 protected:
  void give_back(Connection* /*connection*/) override { mutex_.unlock(); }

 private:
  std::mutex mutex_;
  SqliteConnection connection_;
};

}  // namespace

Expected<std::unique_ptr<Pool>> open_sqlite(const std::filesystem::path& file, bool durable) {
  CIVICBOX_TRY(auto db, sqlite::Database::open(file, durable));
  return std::unique_ptr<Pool>(std::make_unique<SqlitePool>(std::move(db)));
}

}  // namespace civicbox::controller::sql
