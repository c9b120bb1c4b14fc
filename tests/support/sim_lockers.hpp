// The real lock-board driver (lockers::BoardLockers) over the byte-level cabinet simulator
// (sim::SimCabinet), for tests that drive a drivers::Lockers: the agent, recovery, the sync client.
//
//   auto cabinet = testing::SimLockers::start(dir / "cabinet", {1, 2}, {5, 6});
//   cabinet.command("jam 1 on");
//   Agent::open(config, Devices{*cabinet.lockers, printer, screen}, random);
//
// The simulated person shuts a door `door_closes_after` after its lock released, once a query
// has reported it open (see LockBoardSim). Doors are forced open or shut with "open C" and
// "close C"; a door whose sensor gives no clear answer is a silent board ("board C silent"),
// which costs the driver one reply timeout (300 ms for simple_profile) per read.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "drivers/lockers/board_lockers.hpp"
#include "hardware/sim/cabinet/sim_cabinet.hpp"

namespace civicbox::testing {

struct SimLockers {
  // Declared in this order so that the driver closes its ports before the simulator stops.
  std::unique_ptr<sim::SimCabinet> cabinet;
  std::unique_ptr<lockers::BoardLockers> lockers;

  // A Kerong cabinet (sim::simple_profile) simulated in `dir`, and the driver opened on it.
  // Fails the test and throws std::runtime_error when either cannot start.
  static SimLockers start(
      const std::filesystem::path& dir, const std::vector<int>& dropoff,
      const std::vector<int>& pickup,
      std::chrono::milliseconds door_closes_after = std::chrono::milliseconds(300),
      bool hold_doors = false) {
    SimLockers out;
    auto cabinet = sim::SimCabinet::start(sim::simple_profile(dropoff, pickup),
                                          {dir, door_closes_after, hold_doors, {}, {}});
    if (!cabinet) fail("starting the simulated cabinet: " + cabinet.error().describe());
    out.cabinet = std::move(*cabinet);
    auto driver = lockers::BoardLockers::open(out.cabinet->profile());
    if (!driver) fail("opening the lock boards: " + driver.error().describe());
    out.lockers = std::move(*driver);
    return out;
  }

  [[nodiscard]] const lockers::CabinetProfile& profile() const { return cabinet->profile(); }

  // The unlock frames compartment's board received, once `expected` arrived or after `wait`:
  // the driver sends an unlock without waiting for the board to take it, so a count read at
  // once may be behind. A count other than `expected` is read after the whole wait.
  [[nodiscard]] int unlocks_settled(
      int compartment, int expected,
      std::chrono::milliseconds wait = std::chrono::seconds(2)) const {
    const auto until = std::chrono::steady_clock::now() + wait;
    while (cabinet->unlocks_received(compartment) != expected &&
           std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return cabinet->unlocks_received(compartment);
  }

  // One simulator command ("jam 1 on", "open 5", "board 5 silent"); a test failure unless the
  // simulator answers "ok". Returns the answer.
  std::string command(std::string_view line) const {
    std::string answer = cabinet->command(line);
    EXPECT_TRUE(answer.starts_with("ok")) << line << ": " << answer;
    return answer;
  }

  // A person shuts door `compartment` `delay` from now, on a thread of its own. Keep the thread
  // until then; destroying it earlier cancels the closing. It must not outlive this cabinet.
  [[nodiscard]] std::jthread close_door_after(int compartment,
                                              std::chrono::milliseconds delay) const {
    return std::jthread([c = cabinet.get(), compartment, delay](std::stop_token stop) {
      std::mutex mutex;
      std::condition_variable_any wake;
      std::unique_lock lock(mutex);
      wake.wait_for(lock, stop, delay, [] { return false; });
      if (stop.stop_requested()) return;
      const std::string line = "close " + std::to_string(compartment);
      std::string answer = c->command(line);
      EXPECT_TRUE(answer.starts_with("ok")) << line << ": " << answer;
    });
  }

 private:
  [[noreturn]] static void fail(const std::string& why) {
    ADD_FAILURE() << why;
    throw std::runtime_error(why);
  }
};

}  // namespace civicbox::testing
