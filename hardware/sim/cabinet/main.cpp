// civicbox-sim-cabinet: a whole simulated cabinet from a cabinet profile, for scripts/run, the
// end-to-end tests and a person trying the box without hardware. `run` starts it and serves
// one-line commands on DIR/control.sock; `send` sends one and prints the answer.
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "common/logging.hpp"
#include "hardware/sim/cabinet/control_socket.hpp"
#include "hardware/sim/cabinet/sim_cabinet.hpp"

namespace {

using civicbox::sim::SimCabinet;

constexpr const char* kCommands =
    "Commands (compartment numbers C, bus numbers B):\n"
    "  state | open C | close C | hold C|all on|off | jam C on|off | stuck C open|closed|off\n"
    "  board C ok|silent|badsum|slow MS|garbage N | unplug B | replug B | unlocks C\n"
    "  scan TEXT (a QR code shown to the scanner) | scan - (the camera sees nothing again)";

// One client: each line is a command, each answer a line.
void serve_client(int fd, SimCabinet& cabinet) {
  std::string buffer;
  char chunk[512];
  for (;;) {
    const ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
    if (n <= 0) break;
    buffer.append(chunk, static_cast<std::size_t>(n));
    if (buffer.size() > 4096) break;  // nobody types that much
    for (auto end = buffer.find('\n'); end != std::string::npos; end = buffer.find('\n')) {
      const std::string line = buffer.substr(0, end);
      buffer.erase(0, end + 1);
      const std::string answer = cabinet.command(line);
      spdlog::info("{} -> {}", line, answer);
      if (!civicbox::sim::write_all(fd, answer + "\n")) return;
    }
  }
}

int run(const std::filesystem::path& profile_file, const std::filesystem::path& dir,
        int door_closes_ms, bool hold_doors) {
  auto profile = civicbox::lockers::load_cabinet_profile(profile_file);
  if (!profile) {
    spdlog::error("{}", profile.error().describe());
    return 2;
  }
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto cabinet = SimCabinet::start(
      *profile, civicbox::sim::SimCabinetOptions{
                    dir, std::chrono::milliseconds(door_closes_ms), hold_doors, {}, {}});
  if (!cabinet) {
    spdlog::error("{}", cabinet.error().describe());
    return 1;
  }
  const auto socket_path = std::filesystem::absolute(dir) / "control.sock";
  auto listening = civicbox::sim::listen_control_socket(socket_path);
  if (!listening) {
    spdlog::error("{}", listening.error().describe());
    return 1;
  }
  const int listener = *listening;
  std::atomic<bool> stopping{false};
  std::thread server([&] {
    while (!stopping) {
      pollfd p{listener, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      const int client = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      serve_client(client, **cabinet);  // one person at a time
      ::close(client);
    }
  });
  for (std::size_t i = 0; i < (*cabinet)->profile().buses.size(); ++i) {
    spdlog::info("bus {} ({}) at {} -> {}", i, profile->buses[i].device,
                 (*cabinet)->profile().buses[i].device,
                 (*cabinet)->bus(static_cast<int>(i)).port());
  }
  std::cout << "ready " << (*cabinet)->profile_path().string() << " " << socket_path.string()
            << std::endl;
  int signal = 0;
  sigwait(&stop_signals, &signal);
  stopping = true;
  server.join();
  ::close(listener);
  ::unlink(socket_path.c_str());
  return 0;
}

int send(const std::filesystem::path& dir, const std::vector<std::string>& words) {
  std::string line;
  for (const auto& w : words) line += (line.empty() ? "" : " ") + w;
  auto answer = civicbox::sim::send_control_command(dir / "control.sock", line);
  if (!answer) {
    std::cerr << answer.error().message << " (is civicbox-sim-cabinet run going?)\n";
    return 2;
  }
  std::cout << *answer << "\n";
  return answer->starts_with("ok") ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  CLI::App app{
      "civicbox-sim-cabinet: a simulated cabinet made from a cabinet profile. Its lock boards "
      "speak the real protocols on pseudo-terminals, so civicbox-agent runs its real drivers "
      "against it. Point the agent's [cabinet] profile at DIR/cabinet.toml."};
  app.require_subcommand(1);
  std::string level = "info";
  app.add_option("--log-level", level, "How much to log on stderr")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));

  auto* run_cmd = app.add_subcommand("run", "Start the cabinet; stop it with SIGINT or SIGTERM");
  std::filesystem::path profile;
  std::filesystem::path dir;
  int door_closes_ms = 300;
  bool hold_doors = false;
  run_cmd->add_option("--profile", profile, "The cabinet profile (hardware/cabinets/*.toml)")
      ->required()
      ->check(CLI::ExistingFile);
  run_cmd->add_option("--dir", dir, "Where the links, cabinet.toml and control.sock go")
      ->required();
  run_cmd
      ->add_option("--door-closes-ms", door_closes_ms,
                   "The simulated person shuts a door this long after it opened")
      ->check(CLI::Range(1, 600'000));
  run_cmd->add_flag("--hold-doors", hold_doors,
                    "Doors stay open once unlocked, until 'hold all off' (crash tests)");
  run_cmd->footer(kCommands);

  auto* send_cmd = app.add_subcommand("send", "Send one command to a running cabinet");
  std::vector<std::string> words;
  send_cmd->add_option("--dir", dir, "The --dir the cabinet runs with")->required();
  send_cmd->add_option("command", words, "The command's words")->required();
  send_cmd->footer(std::string(kCommands) +
                   "\nExample:\n  civicbox-sim-cabinet send --dir run/sim hold 5 on");
  CLI11_PARSE(app, argc, argv);
  civicbox::setup_logging("sim-cabinet", level);
  if (*send_cmd) return send(dir, words);
  return run(profile, dir, door_closes_ms, hold_doors);
}
