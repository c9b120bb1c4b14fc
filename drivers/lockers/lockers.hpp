// The cabinet's locks and door sensors, as the kiosk sees them. A back end (a lock board on
// RS-485, the simulator in hardware/sim) opens a compartment's lock and reports its door.
// unlock() only releases the lock: the door is open once a person pulls it, so callers watch
// door() to learn what happened.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace civicbox::drivers {

enum class DoorState { closed, open, unknown };

std::string_view to_string(DoorState state);

// One compartment in one sweep of the cabinet.
struct CompartmentReading {
  int compartment = 0;
  DoorState door = DoorState::unknown;
  // Why its board gave no clear answer ("board 2 on /dev/ttyUSB0 did not answer in 1500 ms");
  // empty when the board answered.
  std::string fault;
};

class Lockers {
 public:
  virtual ~Lockers() = default;
  // Releases the lock of one compartment. Errors: invalid_argument (no such compartment),
  // unavailable (the board did not answer).
  virtual Expected<void> unlock(int compartment) = 0;
  // What the door sensor says now. unknown when the sensor gives no clear answer.
  virtual Expected<DoorState> door(int compartment) = 0;
  // Every compartment the cabinet has, in ascending order.
  [[nodiscard]] virtual std::vector<int> compartments() const = 0;
  // Reads every compartment once, in ascending order. A back end that can read a whole board
  // at once does so (one query per board); this default asks door() for each.
  virtual std::vector<CompartmentReading> survey() {
    std::vector<CompartmentReading> out;
    for (int c : compartments()) {
      auto state = door(c);
      out.push_back({c, state ? *state : DoorState::unknown, state ? "" : state.error().message});
    }
    return out;
  }
};

inline std::string_view to_string(DoorState state) {
  switch (state) {
    case DoorState::closed:
      return "closed";
    case DoorState::open:
      return "open";
    case DoorState::unknown:
      break;
  }
  return "unknown";
}

}  // namespace civicbox::drivers
