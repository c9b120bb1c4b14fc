#include "hardware/sim/lockboard/lock_board_sim.hpp"

#include "hardware/sim/raw_pty.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <span>
#include <stdexcept>

#include "drivers/lockers/codec/kerong.hpp"
#include "drivers/lockers/codec/xor8a.hpp"

namespace civicbox::sim {

namespace {

constexpr std::size_t kFrameSize = 5;  // every request of both families
constexpr auto kTick = std::chrono::milliseconds(10);
constexpr auto kStaleInput = std::chrono::milliseconds(100);  // a half frame this old is noise

}  // namespace

LockBoardSim::LockBoardSim(LockBoardSimOptions options) : options_(std::move(options)) {}

Expected<std::unique_ptr<LockBoardSim>> LockBoardSim::start(LockBoardSimOptions options) {
  const bool kerong = options.family == lockers::BoardFamily::kerong;
  const int lowest = kerong ? 0 : 1;
  const int highest = kerong ? lockers::kerong::kMaxBoards - 1 : lockers::xor8a::kMaxBoard;
  for (int id : options.boards) {
    if (id < lowest || id > highest) {
      return make_error(ErrorCode::invalid_argument,
                        "a " + std::string(lockers::to_string(options.family)) + " board id is " +
                            std::to_string(lowest) + " to " + std::to_string(highest) + ", not " +
                            std::to_string(id));
    }
  }
  const int n = options.locks_per_board;
  if (kerong ? n != lockers::kerong::kLocksPerBoard
             : (n < 8 || n > lockers::xor8a::kMaxChannels || n % 8 != 0)) {
    return make_error(ErrorCode::invalid_argument,
                      "locks per board: " + std::to_string(n) + " does not fit the family");
  }

  std::unique_ptr<LockBoardSim> sim(new LockBoardSim(std::move(options)));
  for (int id : sim->options_.boards) {
    Board& b = sim->boards_[id];
    b.close_at.assign(static_cast<std::size_t>(n), Clock::time_point::max());
    b.unlocks.assign(static_cast<std::size_t>(n), 0);
  }
  CIVICBOX_CHECK(sim->open_pty());
  sim->thread_ = std::thread([s = sim.get()] { s->run(); });
  return sim;
}

Expected<void> LockBoardSim::open_pty() {
  int master = -1;
  int slave = -1;
  if (::openpty(&master, &slave, nullptr, nullptr, nullptr) != 0) {
    return make_error(ErrorCode::io, std::string("openpty: ") + std::strerror(errno));
  }
  const char* name = ::ttyname(slave);
  if (name == nullptr || !make_raw(master) || !make_raw(slave)) {
    const std::string why = std::strerror(errno);
    ::close(master);
    ::close(slave);
    return make_error(ErrorCode::io, "preparing the pseudo-terminal: " + why);
  }
  // Writes must never block the board thread when nobody reads the other end.
  ::fcntl(master, F_SETFL, ::fcntl(master, F_GETFL) | O_NONBLOCK);
  if (!options_.link.empty()) {
    // Made beside the link and renamed over it, so a driver never sees the name missing.
    const std::string temporary = options_.link + ".new";
    ::unlink(temporary.c_str());
    if (::symlink(name, temporary.c_str()) != 0 ||
        ::rename(temporary.c_str(), options_.link.c_str()) != 0) {
      const std::string why = std::strerror(errno);
      ::close(master);
      ::close(slave);
      return make_error(ErrorCode::io, "linking " + options_.link + ": " + why);
    }
  }
  port_ = name;
  master_ = master;
  slave_ = slave;
  return {};
}

std::string LockBoardSim::port() const {
  std::lock_guard guard(mutex_);
  return port_;
}

void LockBoardSim::unplug() {
  std::lock_guard guard(mutex_);
  if (master_ >= 0) ::close(master_);
  if (slave_ >= 0) ::close(slave_);
  master_ = -1;
  slave_ = -1;
  rx_.clear();
  outbox_.clear();
}

Expected<void> LockBoardSim::replug() {
  std::lock_guard guard(mutex_);
  if (master_ >= 0) return {};
  return open_pty();
}

LockBoardSim::~LockBoardSim() {
  stop();
  if (master_ >= 0) ::close(master_);
  if (slave_ >= 0) ::close(slave_);
  if (!options_.link.empty()) ::unlink(options_.link.c_str());
}

void LockBoardSim::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void LockBoardSim::run() {
  while (!stopping_) {
    auto timeout = kTick;
    int master = -1;
    {
      std::lock_guard lock(mutex_);
      master = master_;
      if (!outbox_.empty()) {
        const auto left =
            std::chrono::ceil<std::chrono::milliseconds>(outbox_.begin()->first - Clock::now());
        timeout = std::max(std::chrono::milliseconds(0), std::min(timeout, left));
      }
    }
    std::array<std::uint8_t, 256> buf{};
    ssize_t got = 0;
    if (master < 0) {  // unplugged: the doors still close, nothing is heard
      std::this_thread::sleep_for(timeout);
    } else {
      pollfd p{master, POLLIN, 0};
      const int r = ::poll(&p, 1, static_cast<int>(timeout.count()));
      if (r > 0 && (p.revents & POLLIN) != 0) got = ::read(master, buf.data(), buf.size());
    }

    {
      std::lock_guard lock(mutex_);
      const auto now = Clock::now();
      if (master != master_) got = 0;  // unplugged while reading
      if (got > 0) {
        if (!rx_.empty() && now - last_rx_ > kStaleInput) rx_.clear();
        rx_.insert(rx_.end(), buf.begin(), buf.begin() + got);
        last_rx_ = now;
        take_frames(now);
      }
      for (auto& [id, b] : boards_) {
        for (std::size_t i = 0; i < b.close_at.size(); ++i) {
          const bool seen =
              ((b.reported_open >> i) & 1U) != 0 || now - b.close_at[i] > std::chrono::seconds(5);
          if (b.close_at[i] <= now && ((b.held >> i) & 1U) == 0 && seen) {
            b.open &= ~(1U << i);
            b.close_at[i] = Clock::time_point::max();
          }
        }
      }
      std::vector<Bytes> to_send;
      while (!outbox_.empty() && outbox_.begin()->first <= now) {
        to_send.push_back(std::move(outbox_.begin()->second));
        outbox_.erase(outbox_.begin());
      }
      for (const Bytes& frame : to_send) {
        if (master_ < 0) break;
        // A full line drops bytes, as a bus nobody listens to would.
        [[maybe_unused]] const ssize_t w = ::write(master_, frame.data(), frame.size());
      }
    }
  }
}

void LockBoardSim::take_frames(Clock::time_point now) {
  const bool kerong = options_.family == lockers::BoardFamily::kerong;
  while (rx_.size() >= kFrameSize) {
    const Bytes frame(rx_.begin(), rx_.begin() + kFrameSize);
    bool ok = false;
    if (kerong) {
      ok = frame[0] == lockers::kerong::kStx && lockers::kerong::parse_request(frame);
    } else {
      ok = (frame[0] == lockers::xor8a::kOpenHeader || frame[0] == lockers::xor8a::kQueryHeader) &&
           lockers::xor8a::bcc(std::span(frame).first(4)) == frame[4];
    }
    if (!ok) {  // resynchronise one byte later
      rx_.erase(rx_.begin());
      continue;
    }
    rx_.erase(rx_.begin(), rx_.begin() + kFrameSize);
    if (kerong) {
      on_kerong(frame, now);
    } else {
      on_xor8a(frame, now);
    }
  }
}

void LockBoardSim::on_kerong(const Bytes& frame, Clock::time_point now) {
  const auto request = *lockers::kerong::parse_request(frame);
  auto it = boards_.find(request.board);
  if (it == boards_.end()) return;  // no such board on this bus: nobody answers
  Board& b = it->second;
  if (request.command == lockers::kerong::kQuery) {
    ++b.queries;
    seen_open(b, b.open, now);
    const lockers::kerong::Status status{request.board, static_cast<std::uint16_t>(sensed(b)),
                                         static_cast<std::uint16_t>(b.items)};
    const auto f = lockers::kerong::status_frame(status);
    answer(b, Bytes(f.begin(), f.end()), now);
    return;
  }
  do_unlock(b, request.lock, now);  // Kerong boards do not answer an unlock
}

void LockBoardSim::on_xor8a(const Bytes& frame, Clock::time_point now) {
  auto it = boards_.find(frame[1]);
  if (it == boards_.end()) return;
  Board& b = it->second;
  const int id = frame[1];
  const int lock = frame[2];
  const int locks = options_.locks_per_board;
  const std::uint32_t doors = sensed(b);
  const auto state = [&](int l) -> std::uint8_t { return (doors >> (l - 1)) & 1U ? 0x11 : 0x00; };
  if (frame[0] == lockers::xor8a::kOpenHeader && frame[3] == lockers::xor8a::kOpen) {
    if (lock < 1 || lock > locks) return;
    do_unlock(b, lock, now);
    const auto f = lockers::xor8a::lock_reply_frame({id, lock, state(lock)}, true);
    answer(b, Bytes(f.begin(), f.end()), now + options_.unlock_reply_delay);
    return;
  }
  if (frame[0] != lockers::xor8a::kQueryHeader || frame[3] != lockers::xor8a::kQuery) return;
  ++b.queries;
  seen_open(b, lock == 0 ? b.open : (b.open & (1U << (lock - 1))), now);
  if (lock == 0) {
    answer(b, lockers::xor8a::all_reply_frame({id, doors, locks / 8}), now);
  } else if (lock <= locks) {
    const auto f = lockers::xor8a::lock_reply_frame({id, lock, state(lock)}, false);
    answer(b, Bytes(f.begin(), f.end()), now);
  }
}

void LockBoardSim::do_unlock(Board& b, int lock, Clock::time_point now) {
  const auto i = static_cast<std::size_t>(lock - 1);
  ++b.unlocks[i];
  if ((b.jammed >> i) & 1U) return;
  b.open |= 1U << i;
  b.reported_open &= ~(1U << i);
  b.close_at[i] = options_.door_closes_after.count() > 0 ? now + options_.door_closes_after
                                                         : Clock::time_point::max();
}

void LockBoardSim::seen_open(Board& b, std::uint32_t doors, Clock::time_point now) const {
  // The person starts to count from when the box could first know the door is open.
  const std::uint32_t fresh = doors & ~b.reported_open;
  for (std::size_t i = 0; i < b.close_at.size(); ++i) {
    if (((fresh >> i) & 1U) != 0 && b.close_at[i] != Clock::time_point::max()) {
      b.close_at[i] = std::max(b.close_at[i], now + options_.door_closes_after);
    }
  }
  b.reported_open |= doors;
}

std::uint32_t LockBoardSim::sensed(const Board& b) const {
  const std::uint32_t open = (b.open & ~b.stuck) | (b.stuck_open & b.stuck);
  if (options_.set_bit_open) return open;
  const int n = options_.locks_per_board;
  const std::uint32_t all = n >= 32 ? 0xFFFFFFFFU : ((1U << n) - 1U);
  return ~open & all;
}

void LockBoardSim::answer(const Board& b, Bytes frame, Clock::time_point due) {
  if (b.faults.silent) return;
  if (b.faults.bad_checksum) frame.back() ^= 0x5A;
  Bytes out;
  for (std::size_t i = 0; i < b.faults.garbage_before_reply; ++i) {
    out.push_back(static_cast<std::uint8_t>(0xF0 ^ (i * 37)));
  }
  out.insert(out.end(), frame.begin(), frame.end());
  outbox_.emplace(due + b.faults.answer_delay, std::move(out));
}

LockBoardSim::Board& LockBoardSim::board_at(int board, int lock) {
  auto it = boards_.find(board);
  if (it == boards_.end()) throw std::out_of_range("no board " + std::to_string(board));
  if (lock < 1 || lock > options_.locks_per_board) {
    throw std::out_of_range("no lock " + std::to_string(lock));
  }
  return it->second;
}

const LockBoardSim::Board& LockBoardSim::board_at(int board, int lock) const {
  return const_cast<LockBoardSim*>(this)->board_at(board, lock);
}

bool LockBoardSim::door_open(int board, int lock) const {
  std::lock_guard guard(mutex_);
  return (board_at(board, lock).open >> (lock - 1)) & 1U;
}

void LockBoardSim::close_door(int board, int lock) {
  std::lock_guard guard(mutex_);
  Board& b = board_at(board, lock);
  b.open &= ~(1U << (lock - 1));
  b.close_at[static_cast<std::size_t>(lock - 1)] = Clock::time_point::max();
}

void LockBoardSim::open_door(int board, int lock) {
  std::lock_guard guard(mutex_);
  board_at(board, lock).open |= 1U << (lock - 1);
}

void LockBoardSim::set_item_present(int board, int lock, bool present) {
  std::lock_guard guard(mutex_);
  Board& b = board_at(board, lock);
  const std::uint32_t bit = 1U << (lock - 1);
  b.items = present ? (b.items | bit) : (b.items & ~bit);
}

void LockBoardSim::set_jammed(int board, int lock, bool jammed) {
  std::lock_guard guard(mutex_);
  Board& b = board_at(board, lock);
  const std::uint32_t bit = 1U << (lock - 1);
  b.jammed = jammed ? (b.jammed | bit) : (b.jammed & ~bit);
}

void LockBoardSim::set_held(int board, int lock, bool held) {
  std::lock_guard guard(mutex_);
  Board& b = board_at(board, lock);
  const std::uint32_t bit = 1U << (lock - 1);
  const bool was_held = (b.held & bit) != 0;
  b.held = held ? (b.held | bit) : (b.held & ~bit);
  if (was_held && !held && (b.open & bit) != 0) {  // let go: it swings shut as after an unlock
    b.close_at[static_cast<std::size_t>(lock - 1)] =
        Clock::now() + std::max(options_.door_closes_after, std::chrono::milliseconds(1));
  }
}

void LockBoardSim::set_sensor_stuck(int board, int lock, std::optional<bool> reads_open) {
  std::lock_guard guard(mutex_);
  Board& b = board_at(board, lock);
  const std::uint32_t bit = 1U << (lock - 1);
  b.stuck = reads_open ? (b.stuck | bit) : (b.stuck & ~bit);
  b.stuck_open = reads_open.value_or(false) ? (b.stuck_open | bit) : (b.stuck_open & ~bit);
}

void LockBoardSim::set_faults(int board, BoardFaults faults) {
  std::lock_guard guard(mutex_);
  board_at(board, 1).faults = faults;
}

int LockBoardSim::unlocks_received(int board, int lock) const {
  std::lock_guard guard(mutex_);
  return board_at(board, lock).unlocks[static_cast<std::size_t>(lock - 1)];
}

int LockBoardSim::queries_received(int board) const {
  std::lock_guard guard(mutex_);
  return board_at(board, 1).queries;
}

}  // namespace civicbox::sim
