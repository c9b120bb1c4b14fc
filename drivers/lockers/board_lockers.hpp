// The cabinet's lockers over real lock boards: a cabinet profile maps each compartment number
// to (bus, board, lock), and one LockBoardBus per [[bus]] does the talking.
//
// - unlock(n) sends exactly one unlock frame, never retried (see LockBoardBus); a lost 0x8A
//   reply is `unavailable` and the caller watches door(n).
// - door(n) queries the board. A board that does not answer, or answers garbage, is
//   DoorState::unknown, not an error: the sensor gave no clear answer.
// - Calls on one bus are serialised, so BoardLockers may be shared between threads.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "common/error.hpp"
#include "drivers/lockers/cabinet_profile.hpp"
#include "drivers/lockers/lockers.hpp"
#include "drivers/lockers/serial/lock_board_bus.hpp"

namespace civicbox::lockers {

class BoardLockers final : public drivers::Lockers {
 public:
  // Opens every bus of the profile. Errors: unavailable naming the bus and its device.
  static Expected<std::unique_ptr<BoardLockers>> open(const CabinetProfile& profile);

  // Errors: invalid_argument (no such compartment), and LockBoardBus::unlock's, with the
  // compartment in front.
  Expected<void> unlock(int compartment) override;
  // Errors: invalid_argument (no such compartment) only.
  Expected<drivers::DoorState> door(int compartment) override;
  [[nodiscard]] std::vector<int> compartments() const override;
  // One query per board; every compartment of a board that did not answer (or answered
  // garbage) is unknown, with the board's error as its fault.
  std::vector<drivers::CompartmentReading> survey() override;

  // Where a compartment sits, or nullptr.
  [[nodiscard]] const CompartmentProfile* find(int compartment) const;

 private:
  struct Bus {
    std::string device;
    std::unique_ptr<LockBoardBus> bus;
    std::mutex mutex;
  };
  BoardLockers() = default;

  std::vector<std::unique_ptr<Bus>> buses_;
  std::map<int, CompartmentProfile> compartments_;
};

}  // namespace civicbox::lockers
