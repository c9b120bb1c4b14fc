// Every database is opened durably (WAL, synchronous=FULL, foreign keys on), a transaction that
// is not committed leaves nothing behind, and SQL errors come back as values.
#include "common/sqlite.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace civicbox::sqlite {
namespace {

class common_sqlite : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "civicbox-sqlite-XXXXXX");
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  Database open(bool synchronous_full = true) {
    auto db = Database::open(dir_ / "test.db", synchronous_full);
    EXPECT_TRUE(db) << db.error().describe();
    return std::move(*db);
  }

  static std::string text_of(Database& db, const std::string& sql) {
    auto stmt = db.prepare(sql);
    EXPECT_TRUE(stmt) << sql;
    auto row = stmt->step();
    EXPECT_TRUE(row && *row) << sql;
    return stmt->text(0);
  }

  static std::int64_t integer_of(Database& db, const std::string& sql) {
    auto stmt = db.prepare(sql);
    EXPECT_TRUE(stmt) << sql;
    auto row = stmt->step();
    EXPECT_TRUE(row && *row) << sql;
    return stmt->integer(0);
  }

  std::filesystem::path dir_;
};

TEST_F(common_sqlite, ADatabaseIsOpenedInWalModeWithFullSync) {
  auto db = open();
  EXPECT_TRUE(std::filesystem::exists(dir_ / "test.db"));
  EXPECT_EQ(text_of(db, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(integer_of(db, "PRAGMA synchronous"), 2);  // 2 = FULL
  EXPECT_EQ(integer_of(db, "PRAGMA foreign_keys"), 1);
}

TEST_F(common_sqlite, ThrowawayDataMayTurnSyncOff) {
  auto db = open(false);
  EXPECT_EQ(integer_of(db, "PRAGMA synchronous"), 0);
}

TEST_F(common_sqlite, CommittedRowsSurviveReopening) {
  {
    auto db = open();
    ASSERT_TRUE(db.exec("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)"));
    auto tx = Transaction::begin(db);
    ASSERT_TRUE(tx);
    auto insert = db.prepare("INSERT INTO t (k, v) VALUES (?1, ?2)");
    ASSERT_TRUE(insert);
    ASSERT_TRUE(insert->bind(1, "a").bind(2, std::int64_t{42}).run());
    EXPECT_EQ(db.changes(), 1);
    ASSERT_TRUE(tx->commit());
  }
  auto db = open();
  EXPECT_EQ(integer_of(db, "SELECT v FROM t WHERE k = 'a'"), 42);
}

TEST_F(common_sqlite, AnUncommittedTransactionLeavesNothingBehind) {
  auto db = open();
  ASSERT_TRUE(db.exec("CREATE TABLE t (k TEXT PRIMARY KEY)"));
  {
    auto tx = Transaction::begin(db);
    ASSERT_TRUE(tx);
    ASSERT_TRUE(db.exec("INSERT INTO t VALUES ('a')"));
    ASSERT_TRUE(db.exec("INSERT INTO t VALUES ('b')"));
    EXPECT_EQ(integer_of(db, "SELECT count(*) FROM t"), 2);
  }  // no commit
  EXPECT_EQ(integer_of(db, "SELECT count(*) FROM t"), 0);
  // And the connection is usable again: a new transaction can start.
  auto tx = Transaction::begin(db);
  ASSERT_TRUE(tx);
  ASSERT_TRUE(tx->commit());
}

TEST_F(common_sqlite, AnUncommittedTransactionIsGoneAfterReopening) {
  {
    auto db = open();
    ASSERT_TRUE(db.exec("CREATE TABLE t (k TEXT PRIMARY KEY)"));
    auto tx = Transaction::begin(db);
    ASSERT_TRUE(tx);
    ASSERT_TRUE(db.exec("INSERT INTO t VALUES ('a')"));
  }
  auto db = open();
  EXPECT_EQ(integer_of(db, "SELECT count(*) FROM t"), 0);
}

TEST_F(common_sqlite, StatementErrorsAreValuesNotExceptions) {
  auto db = open();
  ASSERT_TRUE(db.exec("CREATE TABLE t (k TEXT PRIMARY KEY, parent TEXT REFERENCES t(k))"));

  auto bad_sql = db.prepare("SELEC 1");
  ASSERT_FALSE(bad_sql);
  EXPECT_EQ(bad_sql.error().code, ErrorCode::io);
  EXPECT_NE(bad_sql.error().message.find("syntax error"), std::string::npos)
      << bad_sql.error().message;

  auto bad_exec = db.exec("INSERT INTO nowhere VALUES (1)");
  ASSERT_FALSE(bad_exec);
  EXPECT_EQ(bad_exec.error().code, ErrorCode::io);
  EXPECT_NE(bad_exec.error().message.find("nowhere"), std::string::npos);

  ASSERT_TRUE(db.exec("INSERT INTO t (k) VALUES ('a')"));
  auto duplicate = db.prepare("INSERT INTO t (k) VALUES (?1)");
  ASSERT_TRUE(duplicate);
  auto step = duplicate->bind(1, "a").step();
  ASSERT_FALSE(step);
  // A constraint violation is a conflict with what is stored, which callers can tell apart.
  EXPECT_EQ(step.error().code, ErrorCode::conflict);
  EXPECT_NE(step.error().message.find("UNIQUE"), std::string::npos) << step.error().message;

  // Foreign keys are enforced.
  auto orphan = db.exec("INSERT INTO t (k, parent) VALUES ('b', 'missing')");
  ASSERT_FALSE(orphan);
  EXPECT_NE(orphan.error().message.find("FOREIGN KEY"), std::string::npos)
      << orphan.error().message;
}

TEST_F(common_sqlite, NullsAndOptionalsRoundTrip) {
  auto db = open();
  ASSERT_TRUE(db.exec("CREATE TABLE t (s TEXT, n INTEGER)"));
  auto insert = db.prepare("INSERT INTO t VALUES (?1, ?2)");
  ASSERT_TRUE(insert);
  ASSERT_TRUE(
      insert->bind(1, std::optional<std::string>{}).bind(2, std::optional<std::int64_t>{7}).run());
  insert->reset();
  ASSERT_TRUE(insert->bind(1, std::optional<std::string>{std::string("x\0y", 3)})
                  .bind(2, std::optional<std::int64_t>{})
                  .run());
  auto select = db.prepare("SELECT s, n FROM t ORDER BY rowid");
  ASSERT_TRUE(select);
  ASSERT_TRUE(*select->step());
  EXPECT_EQ(select->optional_text(0), std::nullopt);
  EXPECT_EQ(select->optional_integer(1), 7);
  ASSERT_TRUE(*select->step());
  EXPECT_EQ(select->optional_text(0), std::string("x\0y", 3));  // text is length-safe
  EXPECT_EQ(select->optional_integer(1), std::nullopt);
  EXPECT_FALSE(*select->step());
}

TEST_F(common_sqlite, OpeningInAMissingFolderIsAnError) {
  auto db = Database::open(dir_ / "no" / "such" / "folder" / "test.db");
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code, ErrorCode::io);
}

}  // namespace
}  // namespace civicbox::sqlite
