// civicbox-controller: the service a fleet of boxes syncs with, and the town hall's API.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "common/logging.hpp"
#include "common/random.hpp"
#include "controller/config.hpp"
#include "controller/https_server.hpp"
#include "controller/service.hpp"
#include "controller/storage.hpp"

namespace {

using namespace civicbox;
using namespace civicbox::controller;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int fail(const std::string& what) {
  std::cerr << "civicbox-controller: " << what << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "civicbox-controller: the service a fleet of civicbox document boxes syncs with over "
      "mutual TLS, and the town hall's tracking and back-office API.\n\n"
      "Reads a TOML configuration (see docs/controller.example.toml); flags override it. Prints\n"
      "'listening device=HOST:PORT public=HOST:PORT' on stdout once both listeners are up.\n"
      "Stops cleanly on SIGINT or SIGTERM."};
  std::string config_file;
  std::string device_listen;
  std::string public_listen;
  std::string data_dir;
  int threads = 0;
  std::string log_level = "info";
  app.add_option("-c,--config", config_file, "the TOML configuration file")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--device-listen", device_listen,
                 "HOST:PORT for boxes (mutual TLS); port 0 picks a free port");
  app.add_option(
      "--public-listen", public_listen,
      "HOST:PORT for tracking and the back office (server TLS); port 0 picks a free port");
  app.add_option("--data-dir", data_dir, "where the SQLite database lives");
  app.add_option("--threads", threads, "I/O threads")->check(CLI::Range(1, 64));
  app.add_option("--log-level", log_level, "trace, debug, info, warn or error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  CLI11_PARSE(app, argc, argv);

  setup_logging("controller", log_level);

  auto loaded = load_config(config_file);
  if (!loaded) return fail(loaded.error().context("reading " + config_file).describe());
  Config config = std::move(*loaded);
  if (!device_listen.empty()) {
    auto ep = parse_endpoint(device_listen);
    if (!ep) return fail(ep.error().context("--device-listen").describe());
    config.device_listen = *ep;
  }
  if (!public_listen.empty()) {
    auto ep = parse_endpoint(public_listen);
    if (!ep) return fail(ep.error().context("--public-listen").describe());
    config.public_listen = *ep;
  }
  if (!data_dir.empty()) config.data_dir = data_dir;
  if (threads > 0) config.threads = threads;
  if (auto ok = validate(config); !ok) return fail(ok.error().describe());
  if (!config.timezone.empty()) {
    // Before any thread starts: localtime_r reads it from then on.
    ::setenv("TZ", config.timezone.c_str(), 1);
  }
  ::tzset();

  auto storage = open_sqlite_storage(config.data_dir, {config.institution_id, true});
  if (!storage) return fail(storage.error().context("opening the database").describe());

  // Block the stop signals before any thread starts, so only sigwait below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  SystemRandom random;
  Service service(**storage, config, random, now_ms);
  auto server = HttpsServer::start(config, service);
  if (!server) return fail(server.error().describe());
  const Endpoint dev = (*server)->device_endpoint();
  const Endpoint pub = (*server)->public_endpoint();
  spdlog::info("serving institution {} from {}", config.institution_id, config.data_dir.string());
  std::cout << "listening device=" << dev.host << ":" << dev.port << " public=" << pub.host << ":"
            << pub.port << std::endl;

  int signal = 0;
  sigwait(&stop_signals, &signal);
  spdlog::info("signal {} received: stopping", signal);
  (*server)->stop();
  const ServerStats stats = (*server)->stats();
  spdlog::info("stopped after {} handshakes ({} refused) and {} requests", stats.handshakes,
               stats.handshake_failures, stats.requests);
  return 0;
}
