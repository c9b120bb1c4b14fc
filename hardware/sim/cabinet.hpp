// A simulated cabinet in the agent's own process: locks, door sensors and a person who closes
// each door a moment after it was unlocked. The doors' states live in data_dir/cabinet.json
// (written atomically) so that an agent killed while a door is open finds it open on restart.
//
// CIVICBOX_SIM_HOLD_DOORS=1 in the environment makes the simulated person keep every door open
// (crash tests kill the agent while a door is open). Without it, doors found open at start are
// closed after door_close (the person finishes what they were doing).
// CIVICBOX_SIM_JAMMED_DOORS=5,7 makes unlock() of those compartments release nothing visible: the
// door stays closed (a door that did not open in time).
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "common/error.hpp"
#include "drivers/lockers/lockers.hpp"

namespace civicbox::sim {

struct CabinetOptions {
  std::filesystem::path data_dir;
  std::vector<int> compartments;
  std::chrono::milliseconds door_close{300};
  bool hold_doors = false;  // see hold_doors_from_environment()
};

// true when CIVICBOX_SIM_HOLD_DOORS=1.
bool hold_doors_from_environment();
// The compartments listed in CIVICBOX_SIM_JAMMED_DOORS (comma-separated), if any.
std::vector<int> jammed_doors_from_environment();

class Cabinet final : public drivers::Lockers {
 public:
  // Errors: invalid_argument (no compartments), io / parse (cabinet.json unreadable).
  static Expected<std::unique_ptr<Cabinet>> open(CabinetOptions options);
  ~Cabinet() override;
  Cabinet(const Cabinet&) = delete;
  Cabinet& operator=(const Cabinet&) = delete;

  Expected<void> unlock(int compartment) override;
  Expected<drivers::DoorState> door(int compartment) override;
  [[nodiscard]] std::vector<int> compartments() const override;

  // What a person (or a test) does by hand: open or close a door without the lock.
  Expected<void> set_door(int compartment, drivers::DoorState state);
  // A door nobody pulls: while jammed, unlock() answers success but the door stays as it is
  // (the person walked away, or the door sticks); set_door() still moves it by hand.
  void jam(int compartment, bool jammed);

 private:
  using DoorState = drivers::DoorState;
  using Clock = std::chrono::steady_clock;
  explicit Cabinet(CabinetOptions options);
  Expected<void> load();
  Expected<void> save_locked();
  void person();

  CabinetOptions options_;
  std::filesystem::path file_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::map<int, DoorState> doors_;
  std::map<int, Clock::time_point> closes_at_;
  std::set<int> jammed_;
  bool stopping_ = false;
  std::thread person_;
};

}  // namespace civicbox::sim
