// One RS-485 bus of lock boards of one family, reached through a serial port (a USB adapter,
// or a pseudo-terminal in tests). One transaction at a time: request, then the reply within the
// reply timeout; a reply ends when the line has been quiet for `reply_silence`.
//
// Contract:
// - unlock() is sent exactly once and never retried here. A Kerong board does not answer an
//   unlock; a 0x8A board does, and a lost reply is an `unavailable` error: the lock may have
//   opened, so the caller watches the door with query() instead of sending it again.
// - After a timeout or a bad frame the input is drained until quiet and flushed, so a stale
//   or broken reply never answers the next request.
// - Errors carry the board ("board 2 did not answer in 1500 ms"); callers add the compartment.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "drivers/lockers/lockers.hpp"
#include "drivers/lockers/serial/board_family.hpp"

namespace civicbox::lockers {

// Public sources disagree whether a set lock bit means the lock is open or closed: a setting.
enum class SetBitMeans { open, closed };

struct LockBoardBusOptions {
  BoardFamily family = BoardFamily::kerong;
  SetBitMeans set_lock_bit = SetBitMeans::open;
  std::chrono::milliseconds reply_timeout{1500};  // until the first byte of a reply
  std::chrono::milliseconds reply_silence{25};    // quiet time that ends a reply
  std::chrono::milliseconds turnaround{5};        // quiet time between two transactions
};

// What one board says about its locks.
struct BoardStatus {
  int board = 0;
  std::vector<drivers::DoorState> doors;  // doors[lock - 1]
  std::vector<bool> item_present;         // Kerong IR sensors, [lock - 1]; empty for 0x8A
};

class LockBoardBus {
 public:
  // Opens the port at the family's baud, 8N1, raw. Errors: unavailable (no such port, busy).
  static Expected<std::unique_ptr<LockBoardBus>> open(const std::string& device,
                                                      LockBoardBusOptions options);
  ~LockBoardBus();
  LockBoardBus(const LockBoardBus&) = delete;
  LockBoardBus& operator=(const LockBoardBus&) = delete;

  // Asks one board for all its locks. Errors: invalid_argument (no such board id in the
  // family), unavailable (no answer, adapter gone), parse / bad_check (a broken reply).
  Expected<BoardStatus> query(int board);
  // Releases one lock (1-based), once. Errors as query(); for 0x8A a lost reply is unavailable.
  Expected<void> unlock(int board, int lock);

  [[nodiscard]] const LockBoardBusOptions& options() const;

 private:
  struct Port;
  explicit LockBoardBus(std::unique_ptr<Port> port);
  std::unique_ptr<Port> port_;
};

}  // namespace civicbox::lockers
