// The end-to-end harness: the real civicbox-pki, civicbox-controller and civicbox-agent binaries
// on 127.0.0.1, over real TLS, with their SQLite files in a test's temporary folder.
//
//   DevPki            a dev PKI made by civicbox-pki (fleet CA, controller and box certificates)
//   ControllerProcess civicbox-controller with a TOML written by the test; restartable on the
//                     same device port; a back-office and tracking client for its public side
//   AgentSession      civicbox-agent in script mode on a stdin pipe: one action, one answer line
//
// Every process is a testing::Process: a test that fails or throws still SIGKILLs what it
// started.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/https_client.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace civicbox::e2e {

using namespace std::chrono_literals;
using Json = nlohmann::json;

// The value of `key=` in a script answer line ("" when absent).
std::string field(const std::string& line, const std::string& key);
// The year registration numbers are counted in now ("2026"), UTC.
std::string this_year();
// "2026/000007"
std::string registration_number(int n);
// A loopback TCP port free a moment ago (bound to port 0, then closed).
int free_port();
std::string read_text(const std::filesystem::path& file);

class DevPki {
 public:
  // civicbox-pki init DIR
  explicit DevPki(std::filesystem::path dir);
  // civicbox-pki device DIR ID [--expired]; a box's files, made once per id.
  testing::TlsFiles box(const std::string& id, bool expired = false);
  // What a client of the public listener needs: the CA only.
  [[nodiscard]] testing::TlsFiles public_client() const { return {ca(), {}, {}}; }
  [[nodiscard]] std::filesystem::path ca() const { return dir_ / "ca.crt"; }
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  std::set<std::string> issued_;
};

struct ControllerOptions {
  std::filesystem::path dir;  // controller.toml and data/ live here
  const DevPki* pki = nullptr;
  int device_port = 0;  // 0: any free port
  int hold_days = 7;
  std::string postgres;      // a libpq connection string: [storage] postgres (else SQLite)
  std::string extra_toml{};  // appended to controller.toml ([webhooks] ...)
};

inline constexpr const char* kBackofficeToken = "e2e-backoffice-token-0123456789";

class ControllerProcess {
 public:
  // Writes the configuration and starts the controller; fails the test (and throws) when it
  // does not print its listening line in time.
  explicit ControllerProcess(ControllerOptions options);

  // SIGKILL: a power cut of the server.
  void kill();
  // SIGTERM and a clean exit.
  void stop();
  // Starts again on the same device port, with the same database.
  void restart();

  [[nodiscard]] int device_port() const { return device_port_; }
  [[nodiscard]] int public_port() const { return public_port_; }
  [[nodiscard]] std::string device_url() const;
  testing::Process& process() { return *process_; }

  // The public side (server TLS): tracking and the back office (bearer token).
  testing::Reply track(const std::string& code) const;
  testing::Reply backoffice(const std::string& method, const std::string& path,
                            const std::string& body = "") const;
  // POST /v1/backoffice/parcels; the 201 body. Fails the test on another status.
  Json issue_parcel(const std::string& box, const std::string& reference,
                    std::optional<int> hold_days = std::nullopt) const;
  // GET /v1/backoffice/submissions?limit=1000 (all of them, in registration order).
  Json submissions(const std::string& query = "") const;
  Json parcels(const std::string& box) const;
  // The parcel with this id from GET /v1/backoffice/parcels?box=..., or null.
  Json parcel(const std::string& box, const std::string& parcel_id) const;

 private:
  void start();

  ControllerOptions options_;
  std::filesystem::path config_;
  int device_port_ = 0;
  int public_port_ = 0;
  std::unique_ptr<testing::Process> process_;
};

struct AgentOptions {
  std::string box_id;
  std::filesystem::path dir;  // agent.toml and data/ live here
  std::string controller_url;
  testing::TlsFiles tls;  // the box's certificate and the CA it trusts for the controller
  std::vector<int> dropoff{1, 2, 3, 4};
  std::vector<int> pickup{5, 6, 7, 8};
  int batch = 100;
  int timeout_ms = 3000;
  // An enrolled box (civicbox-provision): the id, controller URL and TLS files come from this
  // identity folder instead of the three fields above.
  std::filesystem::path identity_dir;
};

// civicbox-sim-cabinet for one box: a Kerong cabinet with the box's drop-off and pick-up
// compartments on pseudo-terminals, driven by one-line commands on its control socket.
class CabinetProcess {
 public:
  CabinetProcess(const std::filesystem::path& dir, const std::vector<int>& dropoff,
                 const std::vector<int>& pickup);
  // One command ("hold all on", "state", "jam 3 on"...); the answer line.
  std::string send(const std::string& command);
  [[nodiscard]] const std::filesystem::path& profile() const { return profile_; }
  // What the simulated printer read of its newest receipt (text lines, "qr: ..."); "" if none.
  [[nodiscard]] std::string last_receipt() const;

 private:
  std::filesystem::path dir_;
  std::filesystem::path socket_;
  std::filesystem::path profile_;
  std::unique_ptr<testing::Process> process_;
};

// The simulated cabinet of the box whose agent.toml is in `dir`; started by write_agent_config
// and stopped at the end of the test.
CabinetProcess& cabinet_of(const std::filesystem::path& dir);

// Starts the box's simulated cabinet (once per folder), writes DIR/agent.toml; returns its path.
std::filesystem::path write_agent_config(const AgentOptions& options);

class AgentSession {
 public:
  // civicbox-agent --config CONFIG --script - ; the simulated person keeps every door open
  // when hold_doors (and shuts them again otherwise).
  // `extra_args` come after the usual ones (--ui offscreen --screenshots DIR ...).
  explicit AgentSession(const std::filesystem::path& config, bool hold_doors = false,
                        std::vector<std::string> extra_args = {});

  // Sends one action and returns its answer line; fails the test and returns "" on timeout.
  std::string act(const std::string& action, std::chrono::milliseconds timeout = 20s);
  // Sends one action without waiting for its answer.
  void send(const std::string& action);
  // Waits for the stderr line "door N opened" after stderr line `from`; returns N or 0 on
  // timeout. Stores the line's index in *index when given.
  int wait_door_opened(std::chrono::milliseconds timeout, std::size_t from = 0,
                       std::size_t* index = nullptr);
  // How many stderr lines there are so far.
  std::size_t stderr_mark() const { return process_->stderr_lines().size(); }
  // Closes stdin and waits for a clean exit; the answers not read yet.
  std::vector<std::string> finish(std::chrono::milliseconds timeout = 30s);
  void kill() { process_->kill(); }
  testing::Process& process() { return *process_; }

 private:
  std::unique_ptr<testing::Process> process_;
};

// The controller's registry holds exactly `n` submissions, numbered 1..n in order, each with a
// tracking code of its own.
void expect_registry_one_to(const ControllerProcess& controller, int n);

// One dev PKI per test suite (made by civicbox-pki), a fresh folder per test.
class E2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  void TearDown() override;
  static DevPki& pki() { return *pki_; }

  // A controller with its files in this test's folder; device_port 0 picks a free port.
  std::unique_ptr<ControllerProcess> start_controller(int device_port = 0, int hold_days = 7);
  // An agent's options: its folder in this test's folder, its certificate from the suite's PKI.
  AgentOptions box(const std::string& id, const std::string& controller_url);

  testing::TempDir dir_;

 private:
  static testing::TempDir* suite_dir_;
  static DevPki* pki_;
};

}  // namespace civicbox::e2e
