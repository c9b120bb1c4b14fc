// A real PostgreSQL 15 server for a test: initdb into a temporary folder, `postgres` listening on
// a Unix socket in that folder and on 127.0.0.1 at a free port, stopped (fast shutdown) and
// removed when the object goes. Run as root (CI), the server runs as the `postgres` user, which
// Debian's postgresql package creates; PostgreSQL refuses to run as root.
//
// Each test takes a database of its own (new_database()), so tests never see each other's rows.
// `durable` keeps fsync on (benchmarks of durable commits); tests run without it.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace civicbox::testing {

struct PostgresOptions {
  bool durable = false;
  int max_connections = 100;
};

class PostgresServer {
 public:
  // Throws std::runtime_error with the server's own words when it cannot start (no PostgreSQL
  // installed: scripts/install-deps installs postgresql-15).
  explicit PostgresServer(PostgresOptions options = {});
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // CREATE DATABASE <name>; returns its libpq connection string (over the Unix socket).
  std::string new_database(const std::string& name);
  // The same database over TCP on 127.0.0.1.
  [[nodiscard]] std::string tcp_conninfo(const std::string& database) const;
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] const std::filesystem::path& socket_dir() const { return socket_dir_; }

  // The server stops at once (immediate shutdown, no checkpoint) and starts again on the same
  // data and port: what a crash looks like to its clients and its files.
  void crash_and_restart();

 private:
  void start();
  void wait_ready();
  [[nodiscard]] std::string conninfo(const std::string& database) const;

  PostgresOptions options_;
  TempDir dir_;
  std::filesystem::path data_;
  std::filesystem::path socket_dir_;
  int port_ = 0;
  std::unique_ptr<Process> server_;
};

// Where Debian keeps PostgreSQL 15's programs; empty when it is not installed.
std::filesystem::path postgres_bin_dir();

}  // namespace civicbox::testing
