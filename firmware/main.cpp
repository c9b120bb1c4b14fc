// civicbox-agent: the device agent. Recovers interrupted flows, then syncs with the controller;
// either headless until SIGINT/SIGTERM, or driven by a script (tests, a person at a terminal).
#include <signal.h>

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <thread>

#include "common/logging.hpp"
#include "common/random.hpp"
#include "drivers/lockers/board_lockers.hpp"
#include "firmware/agent.hpp"
#include "firmware/config.hpp"
#include "firmware/devices.hpp"
#include "firmware/script.hpp"
#include "firmware/service_notify.hpp"
#include "hardware/sim/log_screen.hpp"

namespace {

constexpr const char* kScriptHelp =
    "Run the actions in FILE ('-' for standard input), one per line, and print one result line "
    "per action on stdout:\n"
    "  file <kind> [contact=<text>]   collect <code>   load <parcel_id>   empty\n"
    "  sync   clock +<seconds>   status\n"
    "Blank lines and lines starting with # are skipped.";

int run(const std::string& config_file, const std::string& script) {
  using namespace civicbox;
  auto config = firmware::load_agent_config(config_file);
  if (!config) {
    spdlog::error("{}", config.error().describe());
    return 2;
  }
  // Block the stop signals in every thread (before any starts); the main thread waits for them
  // (headless mode).
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  if (script.empty()) pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  // systemd (Type=notify): pinged from the start, since recovery and the first sweep count.
  firmware::ServiceNotifier systemd;
  systemd.start_watchdog();

  std::error_code ec;
  std::filesystem::create_directories(config->data_dir, ec);
  SystemRandom random;
  auto cabinet = lockers::BoardLockers::open(config->cabinet);
  if (!cabinet) {
    spdlog::error("opening the cabinet ({}): {}", config->cabinet_profile.string(),
                  cabinet.error().describe());
    return 1;
  }
  std::unique_ptr<drivers::ReceiptPrinter> printer;
  if (config->cabinet.printer) {
    const auto fonts = config->fonts_dir.empty() ? std::filesystem::path(CIVICBOX_DEFAULT_FONTS_DIR)
                                                 : config->fonts_dir;
    auto opened = firmware::open_printer(*config->cabinet.printer, fonts);
    if (!opened) {
      spdlog::error("opening the receipt printer: {}", opened.error().describe());
      return 1;
    }
    printer = std::move(*opened);
  } else {
    spdlog::warn(
        "the cabinet profile has no [printer]: citizens get their tracking code on the "
        "screen only");
    printer = std::make_unique<firmware::NoPrinter>();
  }
  std::unique_ptr<drivers::Scanner> scanner;
  if (config->cabinet.scanner) {
    auto opened = firmware::open_scanner(*config->cabinet.scanner);
    if (!opened) {
      // Codes can still be typed on the keypad: a broken scanner does not stop the box.
      spdlog::error("opening the QR scanner ({}): {}", config->cabinet.scanner->device,
                    opened.error().describe());
    } else {
      scanner = std::move(*opened);
    }
  }
  sim::LogScreen screen;
  auto agent = firmware::Agent::open(*config,
                                     firmware::Devices{**cabinet, *printer, screen, scanner.get(),
                                                       config->cabinet.printer.has_value()},
                                     random);
  if (!agent) {
    spdlog::error("{}", agent.error().describe());
    return 1;
  }
  spdlog::info("box {} starting; data in {}; controller {}", config->box_id,
               config->data_dir.string(), config->controller_url);

  // Only a journal that cannot be opened stops the box. A recovery that fails (a row it cannot
  // read is quarantined, so this is the disk) leaves the box running, syncing and saying so.
  auto recovered = (*agent)->recover();
  if (!recovered) {
    spdlog::error("recovery failed: {}", recovered.error().describe());
    auto alarm = (*agent)->journal().append(
        wire::Alarm{"recovery_failed", recovered.error().message.substr(0, 700), std::nullopt},
        (*agent)->now_ms(), random);
    if (!alarm) spdlog::error("recording an alarm: {}", alarm.error().describe());
  } else if (!recovered->empty()) {
    spdlog::info("recovery: {} interrupted flow(s) handled", recovered->size());
  }
  // Every lock is read once before the first flow; nothing is unlocked at start.
  if (auto swept = (*agent)->sweep_at_start(); !swept) {
    spdlog::error("sweeping the cabinet's sensors: {}", swept.error().describe());
  }

  (*agent)->start_sync();
  systemd.ready("box " + config->box_id + " serving; " +
                std::to_string((*agent)->faulty_compartments().size()) +
                " compartment(s) out of service");
  if (script.empty()) {
    // Headless: whatever the scanner reads is acted on (a pickup code opens its door).
    // A scanner missing at start is looked for again every 10 s (one alarm, not one a try);
    // an error while scanning is logged when it changes, not four times a second. No watchdog
    // check on this thread: a flow may rightly wait minutes for a person at an open door.
    std::atomic<bool> stopping{false};
    std::thread scan_loop;
    if (config->cabinet.scanner) {
      scan_loop = std::thread([&] {
        bool alarmed = false;
        std::string last_error;
        auto next_try = std::chrono::steady_clock::now();
        while (!stopping) {
          if (!scanner) {
            if (std::chrono::steady_clock::now() < next_try) {
              std::this_thread::sleep_for(std::chrono::milliseconds(250));
              continue;
            }
            next_try = std::chrono::steady_clock::now() + std::chrono::seconds(10);
            auto opened = firmware::open_scanner(*config->cabinet.scanner);
            if (!opened) {
              if (!alarmed) {
                alarmed = true;
                auto a = (*agent)->journal().append(
                    wire::Alarm{"scanner_missing", opened.error().message.substr(0, 700),
                                std::nullopt},
                    (*agent)->now_ms(), random);
                if (!a) spdlog::error("recording an alarm: {}", a.error().describe());
              }
              continue;
            }
            spdlog::info("QR scanner {} found", config->cabinet.scanner->device);
            scanner = std::move(*opened);
            (*agent)->set_scanner(scanner.get());
          }
          auto result = (*agent)->scan(std::chrono::milliseconds(250));
          if (!result) continue;
          const std::string line = firmware::describe_flow(*result);
          if (result->error) {
            if (line != last_error) spdlog::warn("scanner: {}", line);
            last_error = line;
            continue;
          }
          last_error.clear();
          spdlog::info("scan: {}", line);
        }
      });
    }
    systemd.add_recency_check(
        "cabinet sweep", [&] { return (*agent)->last_sweep(); },
        std::chrono::milliseconds(config->sweep_ms) + std::chrono::seconds(30));
    int signal = 0;
    sigwait(&stop_signals, &signal);
    spdlog::info("stopping on signal {}", signal);
    systemd.stopping();
    systemd.stop_watchdog();  // before anything the checks look at goes away
    stopping = true;
    if (scan_loop.joinable()) scan_loop.join();
  } else {
    auto receipt_path = [](const std::string&) { return std::string("printed"); };
    if (script == "-") {
      firmware::run_script(**agent, std::cin, std::cout, receipt_path);
    } else {
      std::ifstream in(script);
      if (!in) {
        spdlog::error("cannot read the script {}", script);
        (*agent)->stop_sync();
        return 2;
      }
      firmware::run_script(**agent, in, std::cout, receipt_path);
    }
  }
  (*agent)->stop_sync();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // A controller that closes the connection mid-write must give an error, not kill the agent.
  signal(SIGPIPE, SIG_IGN);
  CLI::App app{
      "civicbox-agent: the document box's device agent. It keeps the journal, runs the kiosk's "
      "flows against the cabinet's lock boards, finishes flows a crash interrupted, and syncs "
      "with the controller over mutual TLS. Logs go to stderr; script results to stdout."};
  std::string config_file;
  std::string script;
  std::string level = "info";
  app.add_option("--config", config_file, "The agent's TOML configuration file")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--script", script, kScriptHelp)->type_name("FILE|-");
  app.add_option("--log-level", level, "How much to log on stderr")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  app.footer(
      "Without --script the agent runs headless until SIGINT or SIGTERM.\n"
      "The cabinet is [cabinet] profile in the configuration: its lock boards, printer and "
      "scanner. Without hardware, civicbox-sim-cabinet simulates one from the same profile.\n"
      "Environment: CIVICBOX_LOG overrides --log-level.\n"
      "Example:\n"
      "  echo 'file request' | civicbox-agent --config agent.toml --script -");
  CLI11_PARSE(app, argc, argv);
  civicbox::setup_logging("agent", level);
  try {
    return run(config_file, script);
  } catch (const std::exception& e) {
    spdlog::critical("stopped by an unexpected error: {}", e.what());
    return 1;
  }
}
