// civicbox-agent: the device agent. Recovers interrupted flows, then syncs with the controller;
// either headless until SIGINT/SIGTERM, or driven by a script (tests, a person at a terminal), or
// once through the self-test (--self-test: the report on stdout, exit 3 when it failed).
#include <signal.h>

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <mutex>
#include <thread>

#include <pthread.h>

#include "common/logging.hpp"
#include "common/random.hpp"
#include "drivers/lockers/board_lockers.hpp"
#include "firmware/agent.hpp"
#include "firmware/config.hpp"
#include "firmware/devices.hpp"
#include "firmware/script.hpp"
#include "firmware/service_notify.hpp"
#include "firmware/setup.hpp"
#include "firmware/staff.hpp"
#include "firmware/touchscreen.hpp"
#include "hardware/sim/log_screen.hpp"

namespace {

constexpr const char* kScriptHelp =
    "Run the actions in FILE ('-' for standard input), one per line, and print one result line "
    "per action on stdout:\n"
    "  file <kind> [contact=<text>]   collect <code>   load <parcel_id>   empty\n"
    "  sync   clock +<seconds>   status   self-test [provisioning]\n"
    "With --ui: tap <action> (a touch on the widget with that action, e.g. 'tap file', "
    "'tap kind:request', 'tap key:7'), show <text> (text shown to the scanner), view; each answers "
    "the screen once it settled: screen=<id> [body=<key>] ... On a box not set up yet ([enrol]) "
    "they act on the setup screen, and the other lines wait until it is enrolled.\n"
    "Blank lines and lines starting with # are skipped.";

std::int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Exit statuses of --self-test (1 and 2 are the agent's own: could not start, bad arguments).
constexpr int kSelfTestFailed = 3;

struct UiChoice {
  std::string mode = "none";  // none, window, offscreen
  bool landscape = false;
  bool fullscreen = false;
  double scale = 0.5;
  std::string screenshots;
};

// A script line for the touchscreen: tap <action>, show <text>, view. Others are the agent's.
std::optional<std::string> touchscreen_line(civicbox::firmware::Touchscreen& screen,
                                            std::string_view line) {
  using namespace civicbox::firmware;
  const auto limit = std::chrono::seconds(120);
  if (line.rfind("tap ", 0) == 0) {
    return describe_view(screen.settle(Touched{std::string(line.substr(4))}, limit));
  }
  if (line.rfind("show ", 0) == 0) {
    return describe_view(screen.settle(ScannedText{std::string(line.substr(5))}, limit));
  }
  if (line == "view") return describe_view(screen.settle(std::nullopt, limit));
  if (line.rfind("self-test", 0) == 0) {
    // The screen's scan loop reads the scanner: the technician screen runs the self-test.
    return std::string("error ") +
           quoted_message("with --ui, log in as a technician and tap self_test");
  }
  if (line.rfind("await ", 0) == 0) {
    // await <screen>[/<body>] [seconds]: until the session shows that screen (with that body:
    // "technician/self_test.passed"), e.g. after a code shown to the camera by someone else or a
    // door closed by a person.
    std::string rest(line.substr(6));
    std::string name = rest.substr(0, rest.find(' '));
    int seconds = 30;
    if (rest.find(' ') != std::string::npos) seconds = std::atoi(rest.c_str() + rest.find(' ') + 1);
    const auto until =
        std::chrono::steady_clock::now() + std::chrono::seconds(std::max(1, seconds));
    for (;;) {
      auto view = screen.settle(std::nullopt, std::chrono::seconds(1));
      const std::string shown = civicbox::ui::to_string(view.screen);
      if (name == shown || name == shown + "/" + view.body_key ||
          std::chrono::steady_clock::now() >= until) {
        return describe_view(view);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  return std::nullopt;
}

int run(const std::string& config_file, const std::string& script, const UiChoice& ui,
        const std::string& self_test) {
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
  sigaddset(&stop_signals, SIGUSR2);  // wakes the signal waiter when the window was closed
  const bool one_shot = !script.empty() || !self_test.empty();
  if (!one_shot) pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
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
  sim::LogScreen log_screen;
  std::unique_ptr<firmware::Touchscreen> touchscreen;
  if (ui.mode != "none") {
    firmware::TouchscreenOptions options;
    options.window = ui.mode == "window";
    options.size = ui.landscape ? civicbox::ui::kLandscape : civicbox::ui::kPortrait;
    options.fullscreen = ui.fullscreen;
    options.window_scale = ui.scale;
    options.fonts_dir = config->fonts_dir.empty()
                            ? std::filesystem::path(CIVICBOX_DEFAULT_FONTS_DIR)
                            : config->fonts_dir;
    options.lang_dir =
        config->lang_dir.empty() ? std::filesystem::path(CIVICBOX_UI_LANG_DIR) : config->lang_dir;
    options.screenshots = ui.screenshots;
    options.sound = ui.mode == "window";
    auto opened = firmware::Touchscreen::open(options);
    if (!opened) {
      // Pickups by scanning still work without a screen: the box carries on headless.
      spdlog::error("the touchscreen cannot start, carrying on without it: {}",
                    opened.error().describe());
    } else {
      touchscreen = std::move(*opened);
    }
  }
  drivers::Screen& screen = touchscreen ? static_cast<drivers::Screen&>(*touchscreen)
                                        : static_cast<drivers::Screen&>(log_screen);
  if (!config->enrolled && (!touchscreen || !self_test.empty())) {
    spdlog::error(
        "this box is not set up yet ({} holds no identity): enrol it from its touchscreen "
        "(start with --ui) or with civicbox-provision --identity {} --token ...",
        config->identity_dir.string(), config->identity_dir.string());
    return 2;
  }

  // Whether codes can be shown now: the scanner opened and its last read did not fail (the
  // touchscreen offers "show your QR code" only then).
  std::atomic<bool> scanner_ok{scanner != nullptr};
  // One read of the scanner for the touchscreen's session (setup's or the served box's): what it
  // reads is posted; an error is logged when it changes, not four times a second.
  auto scan_to_screen = [&](std::string& last_error) {
    auto text = scanner->next_scan(std::chrono::milliseconds(250));
    scanner_ok = text.has_value();
    if (!text) {
      if (text.error().message != last_error) spdlog::warn("scanner: {}", text.error().describe());
      last_error = text.error().message;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
      return;
    }
    last_error.clear();
    if (*text) touchscreen->post(firmware::ScannedText{std::move(**text)});
  };
  // A scanner missing at start is looked for again every 10 s: true once it is there. A failed
  // try is passed to `missing` (the served box raises one alarm; setup only waits).
  auto find_scanner = [&](std::chrono::steady_clock::time_point& next_try,
                          const std::function<void(const Error&)>& missing) {
    if (scanner) return true;
    if (std::chrono::steady_clock::now() < next_try) {
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
      return false;
    }
    next_try = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    auto opened = firmware::open_scanner(*config->cabinet.scanner);
    if (!opened) {
      missing(opened.error());
      return false;
    }
    spdlog::info("QR scanner {} found", config->cabinet.scanner->device);
    scanner = std::move(*opened);
    scanner_ok = true;
    return true;
  };
  // The agent, once it runs: the script's lines wait for it (a box being set up has none yet).
  std::mutex serving_mutex;
  std::condition_variable serving_changed;
  firmware::Agent* serving = nullptr;
  bool no_agent = false;  // setup stopped, or the agent could not start
  auto agent_source = [&]() -> firmware::Agent* {
    std::unique_lock lock(serving_mutex);
    serving_changed.wait(lock, [&] { return serving != nullptr || no_agent; });
    return serving;
  };
  auto give_up_on_agent = [&] {
    {
      std::lock_guard lock(serving_mutex);
      no_agent = true;
    }
    serving_changed.notify_all();
  };

  auto receipt_path = [](const std::string&) { return std::string("printed"); };
  firmware::ScriptHook hook;
  if (touchscreen) {
    hook = [&](std::string_view line) { return touchscreen_line(*touchscreen, line); };
  }
  // Runs the script; false when it cannot be read.
  auto run_the_script = [&]() {
    if (script == "-") {
      firmware::run_script(agent_source, std::cin, std::cout, receipt_path, hook);
      return true;
    }
    std::ifstream in(script);
    if (!in) {
      spdlog::error("cannot read the script {}", script);
      return false;
    }
    firmware::run_script(agent_source, in, std::cout, receipt_path, hook);
    return true;
  };
  int exit_code = 0;

  // With a touchscreen, the screen owns this thread from setup on; a script or the stop signals
  // end it from another.
  std::thread ender;
  std::atomic<bool> ui_ended{false};
  std::atomic<bool> stop_signalled{false};
  if (touchscreen && script.empty() && self_test.empty()) {
    ender = std::thread([&] {
      for (;;) {
        int signal = 0;
        sigwait(&stop_signals, &signal);
        if (signal == SIGUSR2) {
          if (ui_ended) return;  // the screen ended by itself: nothing more to stop
          continue;              // a stray SIGUSR2 stops nothing
        }
        spdlog::info("stopping on signal {}", signal);
        stop_signalled = true;
        touchscreen->stop();
        return;
      }
    });
  } else if (touchscreen && !script.empty() && self_test.empty()) {
    ender = std::thread([&] {
      if (!run_the_script()) exit_code = 2;
      touchscreen->stop();
    });
  }
  // Ends the screen's helpers: the signal waiter is woken, the script's thread joined.
  auto end_ender = [&] {
    give_up_on_agent();
    if (!ender.joinable()) return;
    if (script.empty()) {
      ui_ended = true;
      pthread_kill(ender.native_handle(), SIGUSR2);
    }
    ender.join();
  };

  std::string technician_language;  // the setup screen's, for the self-test that follows
  if (!config->enrolled) {
    // Not set up: the setup screen until the technician's enrolment QR gave the box its identity.
    spdlog::info("box not set up: waiting on the touchscreen for the enrolment QR code ({})",
                 config->enrol_url);
    // Started, as far as systemd goes: waiting for a technician may take longer than the unit's
    // TimeoutStartSec, and a restart would only show the same screen again.
    systemd.ready("not set up: waiting for the enrolment QR code on the touchscreen");
    std::atomic<bool> setup_over{false};
    std::thread setup_scans;
    if (config->cabinet.scanner) {
      // A scanner missing at start is looked for every 10 s: the screen asks for its code.
      setup_scans = std::thread([&] {
        std::string last_error;
        auto next_try = std::chrono::steady_clock::now();
        while (!setup_over) {
          if (find_scanner(next_try, [](const Error&) {})) scan_to_screen(last_error);
        }
      });
    }
    const auto enrolled_in = touchscreen->run_setup(
        *config,
        [&](const std::string& token) {
          return firmware::enrol_from_screen(*config, token, wall_clock_ms());
        },
        [&] { return scanner_ok.load(); },
        // civicbox-provision run meanwhile, from a terminal: the box is set up all the same.
        [&] { return firmware::identity_in_place(*config); });
    setup_over = true;
    if (setup_scans.joinable()) setup_scans.join();
    if (!enrolled_in) {
      end_ender();
      if (script.empty() && !stop_signalled) {
        spdlog::error("the touchscreen stopped without a stop signal; exiting so the box restarts");
        return 1;
      }
      return exit_code;
    }
    // The box is enrolled: the identity now gives its id, controller and certificate.
    auto applied = firmware::apply_identity(*config);
    if (!applied || !config->enrolled) {
      spdlog::error("reading the new identity: {}",
                    applied ? std::string("still empty") : applied.error().describe());
      end_ender();
      return 1;
    }
    technician_language = *enrolled_in;
  }

  auto agent = firmware::Agent::open(*config,
                                     firmware::Devices{**cabinet, *printer, screen, scanner.get(),
                                                       config->cabinet.printer.has_value()},
                                     random);
  if (!agent) {
    spdlog::error("{}", agent.error().describe());
    if (touchscreen) touchscreen->stop();
    end_ender();
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
  if (!self_test.empty()) {
    // Once, in the foreground: the technician shows the receipt's QR to the scanner opened above.
    firmware::SelfTestRun run;
    run.reason = self_test;
    run.scanner = scanner.get();
    auto result = (*agent)->self_test(run);
    std::cout << firmware::format_self_test(result) << std::flush;
    // What the test journaled (a door left open) goes too, if the controller can be reached.
    if (auto synced = (*agent)->sync_now(); !synced) {
      spdlog::warn("syncing after the self-test: {}", synced.error().describe());
    }
    return result.passed() ? 0 : kSelfTestFailed;
  }

  (*agent)->start_sync();
  systemd.ready("box " + config->box_id + " serving; " +
                std::to_string((*agent)->faulty_compartments().size()) +
                " compartment(s) out of service");
  {
    std::lock_guard lock(serving_mutex);
    serving = agent->get();
  }
  serving_changed.notify_all();
  // What the scanner reads goes to the touchscreen's session (a badge, a label, a code), or
  // headless straight to the agent (a pickup code opens its door). A scanner missing at start is
  // looked for again every 10 s (one alarm, not one a try); an error while scanning is logged
  // when it changes, not four times a second. No watchdog check on this thread: a flow may
  // rightly wait minutes for a person at an open door.
  std::atomic<bool> stopping{false};
  std::thread scan_loop;
  const bool scan_headless = script.empty() && !touchscreen;
  if (config->cabinet.scanner && (scan_headless || touchscreen)) {
    scan_loop = std::thread([&] {
      bool alarmed = false;
      std::string last_error;
      auto next_try = std::chrono::steady_clock::now();
      while (!stopping) {
        if (!scanner) {
          const bool found = find_scanner(next_try, [&](const Error& error) {
            if (alarmed) return;
            alarmed = true;
            auto a = (*agent)->journal().append(
                wire::Alarm{"scanner_missing", error.message.substr(0, 700), std::nullopt},
                (*agent)->now_ms(), random);
            if (!a) spdlog::error("recording an alarm: {}", a.error().describe());
          });
          if (!found) continue;
          (*agent)->set_scanner(scanner.get());
        }
        if (touchscreen) {
          scan_to_screen(last_error);
          continue;
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
  if (script.empty()) {
    systemd.add_recency_check(
        "cabinet sweep", [&] { return (*agent)->last_sweep(); },
        std::chrono::milliseconds(config->sweep_ms) + std::chrono::seconds(30));
  }
  if (touchscreen) {
    // Enrolled from this screen (or enrolled and then the power went): the provisioning
    // self-test runs now, on the technician screen.
    std::optional<firmware::SessionInput> first;
    if (firmware::provisioning_self_test_due(config->data_dir)) {
      spdlog::info("the provisioning self-test is due: running it on the technician screen");
      first = firmware::SelfTestRequested{"provisioning", technician_language};
    }
    touchscreen->run(
        **agent, *config, [&] { return scanner_ok.load(); }, std::move(first));
    end_ender();
    if (script.empty() && !stop_signalled) {
      // The screen went away (its window was closed) with no one asking the box to stop: exit
      // with an error so that systemd starts the box again.
      spdlog::error("the touchscreen stopped without a stop signal; exiting so the box restarts");
      exit_code = 1;
    }
    systemd.stopping();
    systemd.stop_watchdog();
  } else if (script.empty()) {
    int signal = 0;
    sigwait(&stop_signals, &signal);
    spdlog::info("stopping on signal {}", signal);
    systemd.stopping();
    systemd.stop_watchdog();  // before anything the checks look at goes away
  } else if (!run_the_script()) {
    exit_code = 2;
  }
  stopping = true;
  if (scan_loop.joinable()) scan_loop.join();
  (*agent)->stop_sync();
  return exit_code;
}

}  // namespace

// civicbox-agent hash-pin: a staff PIN (read from standard input) as [[staff]] pin_hash wants it.
int hash_pin_command() {
  std::string pin;
  std::getline(std::cin, pin);
  if (auto shape = civicbox::firmware::check_pin_shape(pin); !shape) {
    std::cerr << shape.error().message << "\n";
    return 2;
  }
  civicbox::SystemRandom random;
  std::cout << civicbox::firmware::hash_pin(pin, random) << "\n";
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 2 && std::string_view(argv[1]) == "hash-pin") return hash_pin_command();
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
  UiChoice ui;
  app.add_option("--ui", ui.mode,
                 "The touchscreen: 'window' (the box's display, or a desktop window), "
                 "'offscreen' (drawn without a display: with --screenshots, every screen shown "
                 "becomes a PNG) or 'none' (headless)")
      ->check(CLI::IsMember({"none", "window", "offscreen"}));
  app.add_flag("--landscape", ui.landscape, "A 1920x1080 screen instead of 1080x1920");
  app.add_flag("--fullscreen", ui.fullscreen, "Full screen (the box)");
  app.add_option("--window-scale", ui.scale, "A desktop window's size against the screen's")
      ->check(CLI::Range(0.2, 1.0));
  app.add_option("--screenshots", ui.screenshots, "Write every screen shown here as a PNG");
  std::string self_test;
  app.add_option("--self-test", self_test,
                 "Run the self-test once and exit: every empty compartment is opened (a person "
                 "or the door's spring opens it, someone shuts it), a test receipt is printed and "
                 "its QR must be shown to the scanner. The report goes to stdout and to the "
                 "controller (kept for a later sync when it cannot be reached). REASON: "
                 "on_demand or provisioning. Exit status 3 when a check failed")
      ->type_name("REASON")
      ->check(CLI::IsMember({"on_demand", "provisioning"}))
      ->excludes("--script");
  app.add_option("--log-level", level, "How much to log on stderr")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  app.footer(
      "Without --script the agent runs headless until SIGINT or SIGTERM.\n"
      "The cabinet is [cabinet] profile in the configuration: its lock boards, printer and "
      "scanner. Without hardware, civicbox-sim-cabinet simulates one from the same profile.\n"
      "A staff member's PIN for [[staff]] pin_hash: echo 1234 | civicbox-agent hash-pin\n"
      "Environment: CIVICBOX_LOG overrides --log-level.\n"
      "Example:\n"
      "  echo 'file request' | civicbox-agent --config agent.toml --script -\n"
      "  civicbox-agent --config agent.toml --self-test on_demand");
  CLI11_PARSE(app, argc, argv);
  civicbox::setup_logging("agent", level);
  try {
    if (!self_test.empty() && ui.mode != "none") {
      std::cerr << "--self-test runs without the touchscreen (the technician screen has its "
                   "own)\n";
      return 2;
    }
    return run(config_file, script, ui, self_test);
  } catch (const std::exception& e) {
    spdlog::critical("stopped by an unexpected error: {}", e.what());
    return 1;
  }
}
