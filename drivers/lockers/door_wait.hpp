// Waiting for a door sensor to report a state, by polling: how the agent sees a door opened
// after an unlock, and closed after use, both in a flow and in recovery after a restart.
#pragma once

#include <chrono>
#include <thread>

#include "drivers/lockers/lockers.hpp"

namespace civicbox::drivers {

// True once `lockers.door(compartment)` reads `state`; false when `limit` passes first. A read
// error counts as "not yet".
inline bool wait_for_door(Lockers& lockers, int compartment, DoorState state,
                          std::chrono::milliseconds limit, std::chrono::milliseconds poll) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    auto door = lockers.door(compartment);
    if (door && *door == state) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(poll);
  }
}

}  // namespace civicbox::drivers
