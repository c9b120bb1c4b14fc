#include "firmware/service_notify.hpp"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <utility>

namespace civicbox::firmware {

ServiceNotifier::ServiceNotifier() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  enabled_ = socket != nullptr && *socket != '\0';
  if (!enabled_) return;
  std::uint64_t usec = 0;
  // > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID (if set) is this process.
  const int watchdog = sd_watchdog_enabled(0, &usec);
  if (watchdog > 0 && usec > 0) {
    watchdog_ = std::chrono::microseconds(usec);
  } else if (watchdog < 0) {
    spdlog::warn("watchdog: WATCHDOG_USEC/WATCHDOG_PID cannot be read ({}); no watchdog",
                 std::strerror(-watchdog));
  }
}

ServiceNotifier::~ServiceNotifier() {
  stop_watchdog();
}

void ServiceNotifier::send(const std::string& state) const {
  if (!enabled_) return;
  // Thread-safe: every call opens its own socket. A failure is not the box's problem: log it.
  if (const int sent = sd_notify(0, state.c_str()); sent < 0) {
    spdlog::warn("telling systemd \"{}\": {}", state.substr(0, state.find('\n')),
                 std::strerror(-sent));
  }
}

namespace {
// STATUS= is one line: a newline would start a new assignment.
std::string one_line(std::string_view text) {
  std::string line(text);
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return line;
}
}  // namespace

void ServiceNotifier::ready(std::string_view status) {
  send("READY=1\nSTATUS=" + one_line(status));
}

void ServiceNotifier::status(std::string_view text) {
  send("STATUS=" + one_line(text));
}

void ServiceNotifier::stopping() {
  send("STOPPING=1");
}

void ServiceNotifier::add_check(std::string name, std::function<bool()> alive) {
  auto verdict = [name, alive = std::move(alive)]() -> std::optional<std::string> {
    if (alive()) return std::nullopt;
    return "check \"" + name + "\" failed";
  };
  std::lock_guard lock(mutex_);
  checks_.push_back(Check{std::move(name), std::move(verdict)});
}

void ServiceNotifier::add_recency_check(std::string name,
                                        std::function<Clock::time_point()> last_run,
                                        std::chrono::milliseconds limit) {
  const auto added = Clock::now();
  auto verdict = [name, last_run = std::move(last_run), limit,
                  added]() -> std::optional<std::string> {
    const auto last = last_run();
    const auto since = last == Clock::time_point{} ? added : last;
    const auto age = Clock::now() - since;
    if (age <= limit) return std::nullopt;
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(age).count();
    return name + " has not run for " + std::to_string(seconds) + " s";
  };
  std::lock_guard lock(mutex_);
  checks_.push_back(Check{std::move(name), std::move(verdict)});
}

void ServiceNotifier::start_watchdog() {
  if (!watchdog_) return;
  std::lock_guard lock(mutex_);
  if (thread_.joinable() || tripped_) return;
  stop_ = false;
  thread_ = std::thread([this] { watchdog_loop(); });
}

void ServiceNotifier::stop_watchdog() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool ServiceNotifier::watchdog_tripped() const {
  std::lock_guard lock(mutex_);
  return tripped_;
}

std::optional<std::string> ServiceNotifier::first_failure() {
  std::vector<Check> checks;
  {
    std::lock_guard lock(mutex_);
    checks = checks_;
  }
  // Outside the lock: a check may take its own locks, or even add a check.
  for (const auto& check : checks) {
    try {
      if (auto failure = check.verdict()) return failure;
    } catch (const std::exception& e) {
      return "check \"" + check.name + "\" threw: " + e.what();
    } catch (...) {
      return "check \"" + check.name + "\" threw";
    }
  }
  return std::nullopt;
}

void ServiceNotifier::watchdog_loop() {
  const auto period = *watchdog_ / 2;
  std::unique_lock lock(mutex_);
  while (!stop_) {
    lock.unlock();
    if (auto failure = first_failure()) {
      // Tripped before it is said, so that whoever hears it finds it so; and for good.
      lock.lock();
      tripped_ = true;
      lock.unlock();
      spdlog::critical("watchdog: {}; not pinging, systemd will restart the agent", *failure);
      send("STATUS=watchdog: " + one_line(*failure) + "; waiting for systemd to restart");
      return;
    }
    send("WATCHDOG=1");
    lock.lock();
    wake_.wait_for(lock, period, [this] { return stop_; });
  }
}

}  // namespace civicbox::firmware
