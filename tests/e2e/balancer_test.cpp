// The README's several-instances set-up, run for real: docs/haproxy.example.cfg (its addresses
// moved to 127.0.0.1 ports) in front of two civicbox-controller instances on one PostgreSQL.
// The boxes know only the balancer's address; mutual TLS passes through it to whichever instance
// takes the connection, both instances serve boxes, and when one stops the boxes carry on
// through the other with nothing lost or numbered twice.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/e2e/fleet.hpp"
#include "tests/support/postgres_server.hpp"

namespace civicbox::e2e {
namespace {

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

class e2e_balancer : public E2eTest {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists("/usr/sbin/haproxy")) {
      GTEST_SKIP() << "haproxy is not installed (scripts/install-deps installs it)";
    }
    conninfo_ = postgres_.new_database("civicbox");
  }

  std::unique_ptr<ControllerProcess> instance(const std::string& name) {
    ControllerOptions o{dir_.path() / name, &pki(), 0, 7, conninfo_};
    return std::make_unique<ControllerProcess>(std::move(o));
  }

  // Starts HAProxy on the example configuration, its listeners and servers moved to loopback.
  void start_balancer(const ControllerProcess& a, const ControllerProcess& b) {
    std::stringstream example;
    example << std::ifstream(std::filesystem::path(CIVICBOX_SOURCE_DIR) /
                             "docs/haproxy.example.cfg")
                   .rdbuf();
    std::string cfg = example.str();
    for (const char* expected : {"bind :8443", "bind :8444", "10.0.0.11:8443 port 8444",
                                 "10.0.0.12:8443 port 8444", "verifyhost civicbox.town.ro"}) {
      ASSERT_NE(cfg.find(expected), std::string::npos)
          << "the example changed (" << expected << "): adapt the test";
    }
    device_port_ = free_port();
    const int public_port = free_port();
    cfg = replace_all(cfg, "bind :8443", "bind 127.0.0.1:" + std::to_string(device_port_));
    cfg = replace_all(cfg, "bind :8444", "bind 127.0.0.1:" + std::to_string(public_port));
    cfg = replace_all(cfg, "10.0.0.11:8443 port 8444",
                      "127.0.0.1:" + std::to_string(a.device_port()) + " port " +
                          std::to_string(a.public_port()));
    cfg = replace_all(cfg, "10.0.0.12:8443 port 8444",
                      "127.0.0.1:" + std::to_string(b.device_port()) + " port " +
                          std::to_string(b.public_port()));
    cfg = replace_all(cfg, "10.0.0.11:8444", "127.0.0.1:" + std::to_string(a.public_port()));
    cfg = replace_all(cfg, "10.0.0.12:8444", "127.0.0.1:" + std::to_string(b.public_port()));
    // The suite's fleet CA and the development certificate's name, for the readiness checks.
    cfg = replace_all(cfg, "/etc/civicbox/fleet-ca.crt", pki().ca().string());
    cfg = replace_all(cfg, "verifyhost civicbox.town.ro", "verifyhost localhost");
    const auto file = dir_.path() / "haproxy.cfg";
    std::ofstream(file) << cfg;
    testing::ProcessOptions p;
    p.argv = {"/usr/sbin/haproxy", "-f", file.string(), "-db"};
    balancer_ = std::make_unique<testing::Process>(std::move(p));
    // Listening once a connection to its device port is taken.
    for (int i = 0; i < 100; ++i) {
      if (auto ended = balancer_->wait(std::chrono::milliseconds(0))) {
        FAIL() << "haproxy exited: " << balancer_->stderr_text();
      }
      if (port_open(device_port_)) return;
      std::this_thread::sleep_for(50ms);
    }
    FAIL() << "haproxy did not listen: " << balancer_->stderr_text();
  }

  // `boxes` boxes at once, each filing `filings` documents and syncing, through the balancer.
  void file_through_balancer(int boxes, int filings) {
    std::vector<std::filesystem::path> configs;
    for (int i = 0; i < boxes; ++i) {
      auto options =
          box("box-" + std::to_string(i), "https://127.0.0.1:" + std::to_string(device_port_));
      options.dropoff = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
      options.pickup = {11, 12};
      configs.push_back(write_agent_config(options));
    }
    std::vector<std::thread> threads;
    for (const auto& config : configs) {
      threads.emplace_back([&config, filings] {
        AgentSession agent(config);
        for (int f = 0; f < filings; ++f) {
          auto filed = agent.act("file request");
          EXPECT_EQ(filed.rfind("filed ", 0), 0u) << filed;
        }
        std::string synced;
        for (int attempt = 0; attempt < 5; ++attempt) {
          synced = agent.act("sync");
          if (field(synced, "pending") == "0") break;
          std::this_thread::sleep_for(500ms);
        }
        EXPECT_EQ(field(synced, "pending"), "0") << synced << agent.process().stderr_text();
        agent.finish();
      });
    }
    for (auto& t : threads) t.join();
  }

  static bool port_open(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool open = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return open;
  }

  testing::PostgresServer postgres_;
  std::string conninfo_;
  int device_port_ = 0;
  std::unique_ptr<testing::Process> balancer_;
};

TEST_F(e2e_balancer, BoxesBehindHaproxyReachBothInstancesAndCarryOnWhenOneStops) {
  auto a = instance("controller-a");
  auto b = instance("controller-b");
  start_balancer(*a, *b);
  if (HasFatalFailure()) return;

  file_through_balancer(4, 3);
  // Round robin: both instances took boxes' batches.
  EXPECT_TRUE(a->process().wait_for_stderr("applied through", 1s)) << "no batch reached instance a";
  EXPECT_TRUE(b->process().wait_for_stderr("applied through", 1s)) << "no batch reached instance b";
  expect_registry_one_to(*b, 12);

  // The readiness checks (TLS to each instance's public listener, checked against the fleet CA)
  // passed all along: no instance was ever taken out.
  std::this_thread::sleep_for(2500ms);  // two checks' worth
  EXPECT_EQ(balancer_->stderr_text().find(" is DOWN"), std::string::npos)
      << balancer_->stderr_text();

  // Instance a stops (an upgrade, a crash): the balancer takes it out, the boxes carry on.
  a->kill();
  file_through_balancer(4, 2);
  expect_registry_one_to(*b, 20);
  EXPECT_TRUE(balancer_->wait_for_stderr("controller-a is DOWN", 5s)) << balancer_->stderr_text();
  balancer_->kill();
}

}  // namespace
}  // namespace civicbox::e2e
