// A bus of lock boards of one family on a pseudo-terminal, for tests and machines without the
// cabinet. The driver opens port() as it would open /dev/ttyUSB0; the simulator reads requests
// with the same codecs, keeps each board's locks and doors, and answers on its own thread.
//
// Conventions of the simulated boards: a set lock bit (0x8A: state 0x11) means the door is open,
// unless `set_bit_open` is false (boards wired the other way round).
// A door opened by an unlock closes again `door_closes_after` after a query first reported it
// open (a person takes longer than one poll of the box; this keeps a loaded test machine from
// hiding an opening between two polls), or on close_door().
// Faults are switched at run time, per board (silent, slow, bad check, noise), per lock (jammed,
// held open by a person, sensor stuck) or for the whole bus (adapter unplugged), to test what the
// driver and the agent do when the wire, the board or a person misbehaves.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/error.hpp"
#include "drivers/lockers/serial/board_family.hpp"

namespace civicbox::sim {

struct LockBoardSimOptions {
  lockers::BoardFamily family = lockers::BoardFamily::kerong;
  std::vector<int> boards{1};                         // ids on the bus: Kerong 0..9, 0x8A 1..31
  int locks_per_board = 16;                           // Kerong 16; 0x8A 8, 16, 24 or 32
  std::chrono::milliseconds door_closes_after{1000};  // zero: open until close_door()
  std::chrono::milliseconds unlock_reply_delay{500};  // 0x8A boards answer an open this late
  // A stable name for the port, like udev's /dev/serial/by-id link: a symlink to the pty,
  // moved to the new pty on replug(). Empty: none.
  std::string link;
  bool set_bit_open = true;
};

struct BoardFaults {
  bool silent = false;                        // acts on requests but never answers (a lost reply)
  std::chrono::milliseconds answer_delay{0};  // added before every answer
  bool bad_checksum = false;                  // every answer's check byte is wrong
  std::size_t garbage_before_reply = 0;       // bytes of line noise sent ahead of every answer
};

class LockBoardSim {
 public:
  // Opens the pseudo-terminal and starts the board thread. Errors: invalid_argument (a board
  // id or lock count the family cannot have), io (no pty).
  static Expected<std::unique_ptr<LockBoardSim>> start(LockBoardSimOptions options);
  ~LockBoardSim();
  LockBoardSim(const LockBoardSim&) = delete;
  LockBoardSim& operator=(const LockBoardSim&) = delete;

  // Stops the thread; idempotent. The pty stays open until destruction.
  void stop();
  // The slave side, e.g. /dev/pts/4 (changes on replug()); link() if one was asked for.
  [[nodiscard]] std::string port() const;
  [[nodiscard]] const std::string& link() const { return options_.link; }

  // The USB adapter pulled out: the pty closes, the driver reads end of file or EIO.
  void unplug();
  // Plugged back in: a new pty (a new /dev/pts/N), the link moved to it. Errors: io.
  Expected<void> replug();

  [[nodiscard]] bool door_open(int board, int lock) const;
  void close_door(int board, int lock);
  void open_door(int board, int lock);                       // opened without an unlock (forced)
  void set_item_present(int board, int lock, bool present);  // Kerong IR sensor
  void set_jammed(int board, int lock, bool jammed);
  // A person keeps the door open (door left open): it does not close by itself until released.
  void set_held(int board, int lock, bool held);
  // The door sensor reports `reads_open` whatever the door does; nullopt: sensor works again.
  void set_sensor_stuck(int board, int lock, std::optional<bool> reads_open);
  void set_faults(int board, BoardFaults faults);

  // Unlock frames this board received for this lock, and queries of any kind.
  [[nodiscard]] int unlocks_received(int board, int lock) const;
  [[nodiscard]] int queries_received(int board) const;

 private:
  using Clock = std::chrono::steady_clock;
  using Bytes = std::vector<std::uint8_t>;
  struct Board {
    std::uint32_t open = 0;
    std::uint32_t items = 0;
    std::uint32_t jammed = 0;
    std::uint32_t held = 0;
    std::uint32_t reported_open = 0;          // doors a query has reported open since they opened
    std::uint32_t stuck = 0;                  // locks whose sensor is stuck
    std::uint32_t stuck_open = 0;             // ... and what it reads
    std::vector<Clock::time_point> close_at;  // per lock, when open
    std::vector<int> unlocks;                 // per lock
    int queries = 0;
    BoardFaults faults;
  };

  explicit LockBoardSim(LockBoardSimOptions options);
  void run();
  void take_frames(Clock::time_point now);  // mutex held
  void on_kerong(const Bytes& frame, Clock::time_point now);
  void on_xor8a(const Bytes& frame, Clock::time_point now);
  void do_unlock(Board& board, int lock, Clock::time_point now);
  [[nodiscard]] std::uint32_t sensed(const Board& board) const;  // the lock bits sent
  void seen_open(Board& board, std::uint32_t doors, Clock::time_point now) const;
  Expected<void> open_pty();  // mutex held or before the thread starts
  void answer(const Board& board, Bytes frame, Clock::time_point due);
  Board& board_at(int board, int lock);  // throws std::out_of_range on misuse
  const Board& board_at(int board, int lock) const;

  LockBoardSimOptions options_;
  int master_ = -1;
  int slave_ = -1;  // kept open so the master never sees a hang-up between driver sessions
  std::string port_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};

  mutable std::mutex mutex_;
  std::map<int, Board> boards_;
  Bytes rx_;
  Clock::time_point last_rx_{};
  std::multimap<Clock::time_point, Bytes> outbox_;
};

}  // namespace civicbox::sim
