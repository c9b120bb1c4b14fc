// What the agent tells systemd (sd_notify): that it is ready, what it is doing, that it is
// stopping, and, when the unit has WatchdogSec=, that it is still alive.
//
// The watchdog is only as good as what it checks. A thread sends WATCHDOG=1 every half
// WATCHDOG_USEC, but only while every liveness check passes (the sweep ran lately, the flow
// thread came back, the sync thread is alive). The first check that fails is logged once and
// pinging stops for good: systemd then kills and restarts the agent (Restart=on-failure), which
// recovers interrupted flows from the journal. A half-dead agent is never pinged back to life.
//
// Without NOTIFY_SOCKET (a terminal, the tests, the simulator) everything here is a no-op.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace civicbox::firmware {

class ServiceNotifier {
 public:
  using Clock = std::chrono::steady_clock;

  // Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID once, now (they are left in place).
  ServiceNotifier();
  // Stops the watchdog thread. Does not send STOPPING=1: call stopping() for that.
  ~ServiceNotifier();
  ServiceNotifier(const ServiceNotifier&) = delete;
  ServiceNotifier& operator=(const ServiceNotifier&) = delete;

  // Whether systemd is listening (NOTIFY_SOCKET is set).
  [[nodiscard]] bool enabled() const { return enabled_; }
  // The unit's WatchdogSec= as passed to this process; nullopt when there is no watchdog (or it
  // is meant for another process: WATCHDOG_PID).
  [[nodiscard]] std::optional<std::chrono::microseconds> watchdog_interval() const {
    return watchdog_;
  }

  // "READY=1\nSTATUS=<status>": start-up is over (recovery done, devices open).
  void ready(std::string_view status);
  // "STATUS=<text>": one line for `systemctl status`.
  void status(std::string_view text);
  // "STOPPING=1": the agent is shutting down on purpose.
  void stopping();

  // A liveness check: `alive` returns false when the part it watches is stuck. It is called on
  // the watchdog thread every half interval; it must be quick and thread-safe. `name` is what
  // the log says failed ("sync thread").
  void add_check(std::string name, std::function<bool()> alive);
  // A check on something that must happen every so often: fails once `last_run()` is older than
  // `limit` ("cabinet sweep has not run for 12 s"). Before it first runs (a default time_point)
  // the time counts from when the check was added.
  void add_recency_check(std::string name, std::function<Clock::time_point()> last_run,
                         std::chrono::milliseconds limit);

  // Starts the pinging thread; a no-op without a watchdog. Start it early: systemd counts
  // WatchdogSec= from the start, before READY=1, and checks may be added later.
  void start_watchdog();
  // Stops the thread (before the parts the checks look at are torn down). Idempotent.
  void stop_watchdog();
  // Whether a check has failed and pinging has stopped.
  [[nodiscard]] bool watchdog_tripped() const;

 private:
  // nullopt when alive, else what is wrong, in a technician's words.
  using Verdict = std::function<std::optional<std::string>()>;
  struct Check {
    std::string name;
    Verdict verdict;
  };

  void send(const std::string& state) const;
  void watchdog_loop();
  // The first failing check's description, or nullopt when all pass.
  std::optional<std::string> first_failure();

  bool enabled_ = false;
  std::optional<std::chrono::microseconds> watchdog_;

  mutable std::mutex mutex_;  // guards everything below
  std::condition_variable wake_;
  std::vector<Check> checks_;
  bool stop_ = false;
  bool tripped_ = false;
  std::thread thread_;
};

}  // namespace civicbox::firmware
