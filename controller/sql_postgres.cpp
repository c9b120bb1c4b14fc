// sql::Connection on PostgreSQL (libpq): a pool of connections, each leased to one caller at a
// time. Statements go with PQexecParams and typed parameters (INT8 for integers, TEXT for text),
// results are read whole. A connection that broke (the server restarted, the network) is opened
// again when it is next leased; the statement that found it broken fails as unavailable.
#include <libpq-fe.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <unordered_map>

#include "controller/sql.hpp"

namespace civicbox::controller::sql {

namespace {

constexpr Oid kInt8Oid = 20;
constexpr Oid kTextOid = 25;

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

std::string one_line(const char* message) {
  std::string text = message != nullptr ? message : "";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  for (char& c : text) {
    if (c == '\n') c = ' ';
  }
  return text;
}

class PostgresConnection final : public Connection {
 public:
  PostgresConnection(std::string conninfo, std::atomic<std::uint64_t>* lost)
      : conninfo_(std::move(conninfo)), lost_(lost) {}
  ~PostgresConnection() override {
    if (conn_ != nullptr) PQfinish(conn_);
  }
  PostgresConnection(const PostgresConnection&) = delete;
  PostgresConnection& operator=(const PostgresConnection&) = delete;

  [[nodiscard]] Dialect dialect() const override { return Dialect::postgres; }

  // A statement on a connection that broke while leased fails: its transaction is gone with
  // it, and reconnecting in the middle would run the rest outside any transaction. The caller
  // runs the whole transaction again on a fresh lease.
  Expected<void> connected() {
    if (conn_ != nullptr) return {};
    retryable_ = true;
    return make_error(ErrorCode::unavailable, "PostgreSQL: the connection was lost");
  }

  // Only when leased (never in the middle of a transaction): opens the connection when there is
  // none, it broke, or the pool saw another connection break since this one was opened (after a
  // server restart every idle socket is dead, while libpq still calls it OK).
  Expected<void> ensure_open() {
    if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK && opened_in_ == lost_->load()) {
      return {};
    }
    if (conn_ != nullptr) PQfinish(conn_);
    conn_ = PQconnectdb(conninfo_.c_str());
    if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
      std::string why = conn_ != nullptr ? one_line(PQerrorMessage(conn_)) : "out of memory";
      if (conn_ != nullptr) PQfinish(conn_);
      conn_ = nullptr;
      return make_error(ErrorCode::unavailable, "connecting to PostgreSQL: " + why);
    }
    prepared_.clear();  // a new session knows none of them
    opened_in_ = lost_->load();
    // Quiet NOTICEs (a CREATE ... IF NOT EXISTS that found the thing) stay out of the log.
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);
    return {};
  }

  Expected<Rows> run(std::string_view sql, std::span<const Param> params) override {
    CIVICBOX_CHECK(connected());
    std::vector<Oid> types;
    std::vector<std::string> texts;
    std::vector<const char*> values;
    types.reserve(params.size());
    texts.reserve(params.size());
    values.reserve(params.size());
    for (const Param& p : params) {
      if (const auto* i = std::get_if<std::int64_t>(&p.value)) {
        types.push_back(kInt8Oid);
        texts.push_back(std::to_string(*i));
      } else if (const auto* s = std::get_if<std::string>(&p.value)) {
        types.push_back(kTextOid);
        texts.push_back(*s);
      } else {
        // NULL: of its optional's type, else the server infers it from where it stands.
        types.push_back(p.type == Param::Type::integer ? kInt8Oid
                        : p.type == Param::Type::text  ? kTextOid
                                                       : 0);
        texts.emplace_back();
      }
    }
    for (std::size_t i = 0; i < params.size(); ++i) {
      values.push_back(std::holds_alternative<std::monostate>(params[i].value) ? nullptr
                                                                               : texts[i].c_str());
    }
    // Each statement is parsed and planned once per connection (named s1, s2, ...), keyed by its
    // text and its parameters' types.
    std::string key(sql);
    for (Oid t : types) key += "|" + std::to_string(t);
    auto named = prepared_.find(key);
    if (named == prepared_.end()) {
      const std::string text = postgres_placeholders(sql);
      const std::string name = "s" + std::to_string(prepared_.size() + 1);
      Result made(PQprepare(conn_, name.c_str(), text.c_str(), static_cast<int>(params.size()),
                            types.data()));
      CIVICBOX_CHECK(check(made.get(), text));
      named = prepared_.emplace(std::move(key), name).first;
    }
    Result result(PQexecPrepared(conn_, named->second.c_str(), static_cast<int>(params.size()),
                                 values.data(), nullptr, nullptr, 0));
    CIVICBOX_CHECK(check(result.get(), sql));
    Rows out;
    const int rows = PQntuples(result.get());
    const int columns = PQnfields(result.get());
    out.rows.reserve(static_cast<std::size_t>(rows));
    for (int r = 0; r < rows; ++r) {
      std::vector<Row::Cell> cells;
      cells.reserve(static_cast<std::size_t>(columns));
      for (int c = 0; c < columns; ++c) {
        if (PQgetisnull(result.get(), r, c)) {
          cells.emplace_back(std::monostate{});
        } else if (PQftype(result.get(), c) == kInt8Oid || PQftype(result.get(), c) == 23 ||
                   PQftype(result.get(), c) == 21) {
          cells.emplace_back(
              static_cast<std::int64_t>(std::strtoll(PQgetvalue(result.get(), r, c), nullptr, 10)));
        } else {
          cells.emplace_back(
              std::string(PQgetvalue(result.get(), r, c),
                          static_cast<std::size_t>(PQgetlength(result.get(), r, c))));
        }
      }
      out.rows.emplace_back(std::move(cells));
    }
    const char* changed = PQcmdTuples(result.get());
    out.changes = changed != nullptr && *changed != '\0' ? std::strtoll(changed, nullptr, 10) : 0;
    return out;
  }

  Expected<void> script(std::string_view sql) override {
    CIVICBOX_CHECK(connected());
    const std::string text(sql);
    Result result(PQexec(conn_, text.c_str()));
    return check(result.get(), "a migration");
  }

  Expected<void> begin() override {
    CIVICBOX_CHECK(connected());
    return simple("BEGIN");
  }
  Expected<void> commit() override { return simple("COMMIT"); }
  void rollback() override {
    if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK) {
      const bool again = retryable_;
      (void)simple("ROLLBACK");
      retryable_ = again;  // the rollback's own result does not decide
    }
  }
  [[nodiscard]] bool retryable() const override { return retryable_; }

 private:
  Expected<void> simple(const char* sql) {
    if (conn_ == nullptr) return make_error(ErrorCode::unavailable, "PostgreSQL: not connected");
    Result result(PQexec(conn_, sql));
    return check(result.get(), sql);
  }

  // Maps a failed result to an error: the SQLSTATE says which kind.
  Expected<void> check(PGresult* result, std::string_view what) {
    retryable_ = false;
    const ExecStatusType status = result != nullptr ? PQresultStatus(result) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return {};
    const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    const std::string sqlstate = state != nullptr ? state : "";
    const std::string message =
        one_line(result != nullptr ? PQresultErrorMessage(result) : PQerrorMessage(conn_));
    if (PQstatus(conn_) != CONNECTION_OK || sqlstate.empty() || sqlstate.rfind("08", 0) == 0 ||
        sqlstate.rfind("57P", 0) == 0) {
      // The connection is gone (the server restarted, the network): the next lease opens a new
      // one, and the transaction may run again from the start on it.
      PQfinish(conn_);
      conn_ = nullptr;
      ++*lost_;  // the others in the pool are likely dead too
      retryable_ = true;
      return make_error(ErrorCode::unavailable, "PostgreSQL: " + message);
    }
    if (sqlstate == "40001" || sqlstate == "40P01") {
      retryable_ = true;
      return make_error(ErrorCode::unavailable, "PostgreSQL: " + message);
    }
    if (sqlstate == "23505") {
      // A key another transaction took since this one looked (two boxes filing one tracking
      // code at once): running it again sees the other's row.
      retryable_ = true;
      return make_error(ErrorCode::conflict, "PostgreSQL: " + message);
    }
    std::string shown(what.substr(0, 120));
    return make_error(ErrorCode::io, "PostgreSQL: " + message + " (in: " + shown + ")");
  }

  std::string conninfo_;
  PGconn* conn_ = nullptr;
  bool retryable_ = false;
  std::unordered_map<std::string, std::string> prepared_;  // statement key -> its name
  std::atomic<std::uint64_t>* lost_;  // the pool's count of connections found broken
  std::uint64_t opened_in_ = 0;       // that count when this one was opened
};

class PostgresPool final : public Pool {
 public:
  PostgresPool(const std::string& conninfo, int size) {
    for (int i = 0; i < size; ++i) {
      connections_.push_back(std::make_unique<PostgresConnection>(conninfo, &lost_));
      idle_.push_back(connections_.back().get());
    }
  }

  Expected<void> open_all() {
    for (auto& c : connections_) CIVICBOX_CHECK(c->ensure_open());
    return {};
  }

  Expected<Lease> acquire() override {
    std::unique_lock lock(mutex_);
    returned_.wait(lock, [&] { return !idle_.empty(); });
    PostgresConnection* c = idle_.front();
    idle_.pop_front();
    lock.unlock();
    if (auto opened = c->ensure_open(); !opened) {
      give_back(c);
      return opened.error();
    }
    return Lease(this, c);
  }

  [[nodiscard]] Dialect dialect() const override { return Dialect::postgres; }

 protected:
  void give_back(Connection* connection) override {
    {
      std::lock_guard lock(mutex_);
      idle_.push_back(static_cast<PostgresConnection*>(connection));
    }
    returned_.notify_one();
  }

 private:
  std::atomic<std::uint64_t> lost_{0};
  std::vector<std::unique_ptr<PostgresConnection>> connections_;
  std::mutex mutex_;
  std::condition_variable returned_;
  std::deque<PostgresConnection*> idle_;
};

}  // namespace

std::string postgres_placeholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size());
  char quote = 0;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
      out += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      out += c;
    } else if (c == '?' && i + 1 < sql.size() && sql[i + 1] >= '0' && sql[i + 1] <= '9') {
      out += '$';
    } else {
      out += c;
    }
  }
  return out;
}

Expected<std::unique_ptr<Pool>> open_postgres(const std::string& conninfo, int size) {
  auto pool = std::make_unique<PostgresPool>(conninfo, std::max(1, size));
  CIVICBOX_CHECK(pool->open_all());
  return std::unique_ptr<Pool>(std::move(pool));
}

}  // namespace civicbox::controller::sql
