// What the agent tells systemd, read from a Unix datagram socket standing in for systemd's
// NOTIFY_SOCKET: READY=1 at start-up, WATCHDOG=1 only while the agent's liveness checks pass,
// and nothing at all (and nothing broken) when systemd is not listening.
#include "firmware/service_notify.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/support/temp_dir.hpp"

namespace civicbox::firmware {
namespace {

using namespace std::chrono_literals;

// Sets (or unsets) the variables systemd passes, and puts back what was there.
class ScopedEnvironment {
 public:
  ScopedEnvironment() {
    for (const char* name : {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"}) {
      const char* value = std::getenv(name);
      saved_[name] = value ? std::optional<std::string>(value) : std::nullopt;
      ::unsetenv(name);
    }
  }
  ~ScopedEnvironment() {
    for (const auto& [name, value] : saved_) {
      if (value) {
        ::setenv(name.c_str(), value->c_str(), 1);
      } else {
        ::unsetenv(name.c_str());
      }
    }
  }
  ScopedEnvironment(const ScopedEnvironment&) = delete;
  ScopedEnvironment& operator=(const ScopedEnvironment&) = delete;
  void set(const char* name, const std::string& value) { ::setenv(name, value.c_str(), 1); }

 private:
  std::map<std::string, std::optional<std::string>> saved_;
};

// systemd's end of NOTIFY_SOCKET: a bound Unix datagram socket.
class NotifySocket {
 public:
  explicit NotifySocket(const std::filesystem::path& path) : path_(path.string()) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path_.size() >= sizeof(address.sun_path)) return;
    std::memcpy(address.sun_path, path_.c_str(), path_.size() + 1);
    bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  }
  ~NotifySocket() { ::close(fd_); }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  [[nodiscard]] bool bound() const { return bound_; }
  [[nodiscard]] const std::string& path() const { return path_; }

  // The next datagram, or nullopt when none arrives within `wait`.
  std::optional<std::string> receive(std::chrono::milliseconds wait) {
    pollfd ready{fd_, POLLIN, 0};
    if (::poll(&ready, 1, static_cast<int>(wait.count())) <= 0) return std::nullopt;
    char buffer[4096];
    const auto n = ::recv(fd_, buffer, sizeof(buffer), 0);
    if (n < 0) return std::nullopt;
    return std::string(buffer, static_cast<std::size_t>(n));
  }
  // Every datagram that arrives within `span`.
  std::vector<std::string> collect(std::chrono::milliseconds span) {
    std::vector<std::string> got;
    const auto until = std::chrono::steady_clock::now() + span;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      if (left <= 0ms) return got;
      if (auto datagram = receive(left)) got.push_back(*datagram);
    }
  }

 private:
  std::string path_;
  int fd_ = -1;
  bool bound_ = false;
};

long count(const std::vector<std::string>& datagrams, const std::string& what) {
  return std::count(datagrams.begin(), datagrams.end(), what);
}

// Captures what is logged while it lives.
class CapturedLog {
 public:
  CapturedLog()
      : previous_(spdlog::default_logger()),
        sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(100)) {
    auto logger = std::make_shared<spdlog::logger>("captured", sink_);
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;
  std::vector<std::string> lines() const { return sink_->last_formatted(); }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
};

class ServiceNotifierTest : public ::testing::Test {
 protected:
  // Declared in this order so that the notifier a test makes (a local) is gone before the
  // environment is restored and the socket closed.
  ScopedEnvironment environment_;
  testing::TempDir dir_;
  NotifySocket systemd_{dir_.path() / "notify"};

  void SetUp() override {
    ASSERT_TRUE(systemd_.bound()) << systemd_.path();
    environment_.set("NOTIFY_SOCKET", systemd_.path());
  }
  // WatchdogSec= as systemd passes it: every `interval`, for this process.
  void watchdog(std::chrono::microseconds interval) {
    environment_.set("WATCHDOG_USEC", std::to_string(interval.count()));
    environment_.set("WATCHDOG_PID", std::to_string(::getpid()));
  }
};

TEST_F(ServiceNotifierTest, SystemdHearsThatTheAgentIsReadyAndWhatItIsDoing) {
  ServiceNotifier notifier;
  EXPECT_TRUE(notifier.enabled());
  notifier.ready("box-0001 serving; 12 compartments");
  EXPECT_EQ(systemd_.receive(2s), "READY=1\nSTATUS=box-0001 serving; 12 compartments");
  notifier.status("controller unreachable;\nfiling offline");
  EXPECT_EQ(systemd_.receive(2s), "STATUS=controller unreachable; filing offline");
  notifier.stopping();
  EXPECT_EQ(systemd_.receive(2s), "STOPPING=1");
}

TEST_F(ServiceNotifierTest, TheWatchdogIsPingedEveryHalfIntervalWhileEveryCheckPasses) {
  watchdog(200ms);
  ServiceNotifier notifier;
  ASSERT_EQ(notifier.watchdog_interval(), std::chrono::microseconds(200ms));
  std::atomic<int> asked{0};
  notifier.add_check("sync thread", [&] {
    ++asked;
    return true;
  });
  notifier.add_recency_check(
      "cabinet sweep", [] { return ServiceNotifier::Clock::now(); }, 10s);
  notifier.start_watchdog();
  // Every 100 ms: about ten in a second; a loaded machine may lose a few, never most.
  const auto got = systemd_.collect(1000ms);
  EXPECT_GE(count(got, "WATCHDOG=1"), 5);
  EXPECT_LE(count(got, "WATCHDOG=1"), 12);
  EXPECT_EQ(count(got, "WATCHDOG=1"), static_cast<long>(got.size()));
  EXPECT_GE(asked.load(), 5);
  EXPECT_FALSE(notifier.watchdog_tripped());
}

TEST_F(ServiceNotifierTest, AStuckPartStopsThePingsAndTheLogSaysWhichOnce) {
  CapturedLog log;
  watchdog(200ms);
  ServiceNotifier notifier;
  std::atomic<bool> sync_alive{true};
  std::atomic<bool> sweep_stuck{false};
  notifier.add_check("sync thread", [&] { return sync_alive.load(); });
  notifier.add_recency_check(
      "cabinet sweep",
      [&] {
        const auto now = ServiceNotifier::Clock::now();
        return sweep_stuck ? now - 12s : now;
      },
      10s);
  notifier.start_watchdog();
  EXPECT_GE(count(systemd_.collect(500ms), "WATCHDOG=1"), 2);

  sweep_stuck = true;
  // A ping already under way may still arrive; then the status says why, and nothing more.
  std::optional<std::string> status;
  for (int i = 0; i < 5 && !status; ++i) {
    auto datagram = systemd_.receive(1s);
    ASSERT_TRUE(datagram) << "neither a ping nor a status";
    if (*datagram != "WATCHDOG=1") status = datagram;
  }
  ASSERT_TRUE(status);
  EXPECT_EQ(*status,
            "STATUS=watchdog: cabinet sweep has not run for 12 s; waiting for systemd to restart");
  sweep_stuck = false;  // too late: a half-dead agent is not pinged back to life
  EXPECT_EQ(systemd_.collect(1000ms), std::vector<std::string>{});
  EXPECT_TRUE(notifier.watchdog_tripped());

  int said = 0;
  for (const auto& line : log.lines()) {
    if (line.find("watchdog: cabinet sweep has not run for 12 s; not pinging, systemd will "
                  "restart the agent") != std::string::npos) {
      ++said;
    }
  }
  EXPECT_EQ(said, 1);
}

TEST_F(ServiceNotifierTest, AFailedBooleanCheckIsNamedInTheLog) {
  CapturedLog log;
  watchdog(100ms);
  ServiceNotifier notifier;
  notifier.add_check("sync thread", [] { return false; });
  notifier.start_watchdog();
  EXPECT_EQ(systemd_.receive(2s),
            "STATUS=watchdog: check \"sync thread\" failed; waiting for "
            "systemd to restart");
  EXPECT_EQ(systemd_.collect(500ms), std::vector<std::string>{});
  const auto lines = log.lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("check \"sync thread\" failed; not pinging"), std::string::npos);
}

TEST_F(ServiceNotifierTest, ACheckThatThrowsCountsAsFailed) {
  CapturedLog log;
  watchdog(100ms);
  ServiceNotifier notifier;
  notifier.add_check("flow thread", []() -> bool { throw std::runtime_error("boom"); });
  notifier.start_watchdog();
  EXPECT_EQ(systemd_.receive(2s),
            "STATUS=watchdog: check \"flow thread\" threw: boom; waiting for systemd to restart");
  EXPECT_TRUE(systemd_.collect(300ms).empty());
}

TEST_F(ServiceNotifierTest, SomethingThatNeverRanGetsItsLimitFromWhenItWasWatched) {
  watchdog(100ms);
  ServiceNotifier notifier;
  notifier.add_recency_check(
      "cabinet sweep", [] { return ServiceNotifier::Clock::time_point{}; }, 1s);
  notifier.start_watchdog();
  // Not "has not run since the machine booted": pinged for the first second...
  EXPECT_GE(count(systemd_.collect(700ms), "WATCHDOG=1"), 4);
  EXPECT_FALSE(notifier.watchdog_tripped());
  // ...then it is overdue.
  std::optional<std::string> status;
  for (int i = 0; i < 20 && !status; ++i) {
    auto datagram = systemd_.receive(1s);
    ASSERT_TRUE(datagram);
    if (*datagram != "WATCHDOG=1") status = datagram;
  }
  EXPECT_EQ(status,
            "STATUS=watchdog: cabinet sweep has not run for 1 s; waiting for systemd to restart");
  EXPECT_TRUE(notifier.watchdog_tripped());
}

TEST_F(ServiceNotifierTest, StoppingTheWatchdogStopsThePings) {
  watchdog(100ms);
  ServiceNotifier notifier;
  notifier.start_watchdog();
  EXPECT_GE(count(systemd_.collect(300ms), "WATCHDOG=1"), 1);
  notifier.stop_watchdog();
  EXPECT_TRUE(systemd_.collect(300ms).empty());
  notifier.stop_watchdog();  // twice is fine
}

TEST_F(ServiceNotifierTest, AWatchdogMeantForAnotherProcessIsNotPinged) {
  environment_.set("WATCHDOG_USEC", "100000");
  environment_.set("WATCHDOG_PID", std::to_string(::getpid() + 1));
  ServiceNotifier notifier;
  EXPECT_TRUE(notifier.enabled());
  EXPECT_EQ(notifier.watchdog_interval(), std::nullopt);
  notifier.start_watchdog();
  EXPECT_TRUE(systemd_.collect(300ms).empty());
}

TEST_F(ServiceNotifierTest, WithoutNotifySocketNothingIsSentAndNothingBreaks) {
  ::unsetenv("NOTIFY_SOCKET");
  watchdog(100ms);
  ServiceNotifier notifier;
  EXPECT_FALSE(notifier.enabled());
  EXPECT_EQ(notifier.watchdog_interval(), std::nullopt);
  notifier.add_check("sync thread", [] { return false; });
  notifier.start_watchdog();
  notifier.ready("serving");
  notifier.status("still serving");
  notifier.stopping();
  EXPECT_TRUE(systemd_.collect(300ms).empty());
  EXPECT_FALSE(notifier.watchdog_tripped());
  notifier.stop_watchdog();
}

}  // namespace
}  // namespace civicbox::firmware
