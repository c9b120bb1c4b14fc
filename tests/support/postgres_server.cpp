#include "tests/support/postgres_server.hpp"

#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <thread>

#include "tests/support/ports.hpp"

namespace civicbox::testing {

namespace {

using namespace std::chrono_literals;

// The argv prefix that runs a program as `postgres` when the test runs as root.
std::vector<std::string> as_server_user() {
  if (::geteuid() != 0) return {};
  return {"/usr/bin/setpriv", "--reuid=postgres", "--regid=postgres", "--clear-groups", "--"};
}

void hand_over(const std::filesystem::path& path) {
  if (::geteuid() != 0) return;
  const passwd* pw = ::getpwnam("postgres");
  if (pw == nullptr) throw std::runtime_error("no 'postgres' user: install postgresql-15");
  if (::chown(path.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
    throw std::runtime_error("chown " + path.string() + " failed");
  }
}

void run_sql(const std::string& conninfo, const std::string& sql) {
  PGconn* c = PQconnectdb(conninfo.c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    std::string why = PQerrorMessage(c);
    PQfinish(c);
    throw std::runtime_error("connecting to the test PostgreSQL: " + why);
  }
  PGresult* r = PQexec(c, sql.c_str());
  const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
  std::string why = ok ? "" : PQresultErrorMessage(r);
  PQclear(r);
  PQfinish(c);
  if (!ok) throw std::runtime_error(sql + ": " + why);
}

}  // namespace

std::filesystem::path postgres_bin_dir() {
  const std::filesystem::path dir = "/usr/lib/postgresql/15/bin";
  return std::filesystem::exists(dir / "postgres") ? dir : std::filesystem::path();
}

PostgresServer::PostgresServer(PostgresOptions options) : options_(options) {
  const auto bin = postgres_bin_dir();
  if (bin.empty()) {
    throw std::runtime_error("PostgreSQL 15 is not installed (scripts/install-deps)");
  }
  // The server user must reach its folders through the temporary folder.
  ::chmod(dir_.path().c_str(), 0755);
  data_ = dir_.path() / "data";
  socket_dir_ = dir_.path() / "socket";
  std::filesystem::create_directories(socket_dir_);
  hand_over(dir_.path());
  hand_over(socket_dir_);
  ProcessOptions init;
  init.argv = as_server_user();
  for (const std::string& a :
       {(bin / "initdb").string(), std::string("-D"), data_.string(), std::string("-U"),
        std::string("civicbox"), std::string("--auth=trust"), std::string("-E"),
        std::string("UTF8"), std::string("--locale=C"), std::string("--no-sync")}) {
    init.argv.push_back(a);
  }
  init.cwd = dir_.path();
  Process initdb(std::move(init));
  auto done = initdb.wait(120s);
  if (!done || !done->ok()) {
    throw std::runtime_error("initdb failed: " + initdb.stderr_text());
  }
  start();
}

PostgresServer::~PostgresServer() {
  if (server_) {
    server_->signal(SIGINT);  // fast shutdown: roll back sessions, stop at once
    if (!server_->wait(30s)) server_->kill();
  }
}

void PostgresServer::start() {
  const auto bin = postgres_bin_dir();
  if (port_ == 0) port_ = unused_loopback_port();  // a restart keeps its port
  ProcessOptions p;
  p.argv = as_server_user();
  std::vector<std::string> args = {(bin / "postgres").string(),
                                   "-D",
                                   data_.string(),
                                   "-k",
                                   socket_dir_.string(),
                                   "-p",
                                   std::to_string(port_),
                                   "-c",
                                   "listen_addresses=127.0.0.1",
                                   "-c",
                                   "max_connections=" + std::to_string(options_.max_connections),
                                   "-c",
                                   "shared_buffers=64MB"};
  if (!options_.durable) {
    for (const char* c : {"fsync=off", "synchronous_commit=off", "full_page_writes=off"}) {
      args.push_back("-c");
      args.push_back(c);
    }
  }
  p.argv.insert(p.argv.end(), args.begin(), args.end());
  p.cwd = dir_.path();
  server_ = std::make_unique<Process>(std::move(p));
  wait_ready();
}

void PostgresServer::wait_ready() {
  const auto until = std::chrono::steady_clock::now() + 60s;
  const std::string info = conninfo("postgres");
  while (std::chrono::steady_clock::now() < until) {
    if (PQping(info.c_str()) == PQPING_OK) return;
    if (auto ended = server_->wait(0ms)) {
      throw std::runtime_error("postgres exited: " + server_->stderr_text());
    }
    std::this_thread::sleep_for(50ms);
  }
  throw std::runtime_error("postgres did not start in 60 s: " + server_->stderr_text());
}

std::string PostgresServer::conninfo(const std::string& database) const {
  return "host=" + socket_dir_.string() + " port=" + std::to_string(port_) +
         " user=civicbox dbname=" + database;
}

std::string PostgresServer::tcp_conninfo(const std::string& database) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " user=civicbox dbname=" + database;
}

std::string PostgresServer::new_database(const std::string& name) {
  run_sql(conninfo("postgres"), "CREATE DATABASE " + name);
  return conninfo(name);
}

void PostgresServer::crash_and_restart() {
  // Immediate shutdown: every process quits at once, nothing is checkpointed, and the next start
  // replays the WAL, as after a power cut. (SIGKILL of the postmaster alone would leave its
  // backends running and the next start refused.)
  server_->signal(SIGQUIT);
  if (!server_->wait(30s)) server_->kill();
  server_.reset();
  start();
}

}  // namespace civicbox::testing
