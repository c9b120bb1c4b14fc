#include "drivers/lockers/serial/lock_board_bus.hpp"

#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/serial_port.hpp>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <span>
#include <string>
#include <thread>

#include "drivers/lockers/codec/kerong.hpp"
#include "drivers/lockers/codec/xor8a.hpp"

namespace civicbox::lockers {

namespace {

using Clock = std::chrono::steady_clock;
using Bytes = std::vector<std::uint8_t>;
using std::chrono::milliseconds;

constexpr std::size_t kMaxReply = 64;  // longer than any frame: a babbling line stops here

std::string ms_text(milliseconds ms) {
  return std::to_string(ms.count()) + " ms";
}

std::string board_text(int board) {
  return "board " + std::to_string(board);
}

constexpr std::string_view kAdapterGone = "the serial adapter is gone";

Error adapter_gone(const std::string& why) {
  return make_error(ErrorCode::unavailable, std::string(kAdapterGone) + " (" + why + ")");
}

int poll_ms(Clock::duration left) {
  auto ms = std::chrono::ceil<milliseconds>(left).count();
  return static_cast<int>(ms < 0 ? 0 : ms);
}

// Waits up to `first_byte` for a reply to start, then collects bytes until the line has been
// quiet for `silence`. An empty result means nobody answered.
Expected<Bytes> read_reply(int fd, milliseconds first_byte, milliseconds silence) {
  Bytes out;
  const auto deadline = Clock::now() + first_byte;
  auto last_byte = Clock::now();
  while (out.size() < kMaxReply) {
    const auto until = out.empty() ? deadline : last_byte + silence;
    const auto now = Clock::now();
    if (now >= until) break;
    pollfd p{fd, POLLIN, 0};
    const int r = ::poll(&p, 1, poll_ms(until - now));
    if (r < 0) {
      if (errno == EINTR) continue;
      return adapter_gone(std::strerror(errno));
    }
    if (r == 0) continue;
    if ((p.revents & POLLIN) == 0) return adapter_gone("the line hung up");
    std::array<std::uint8_t, kMaxReply> buf{};
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n == 0) return adapter_gone("end of file");
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return adapter_gone(std::strerror(errno));
    }
    out.insert(out.end(), buf.begin(), buf.begin() + n);
    last_byte = Clock::now();
  }
  return out;
}

Expected<void> write_all(int fd, std::span<const std::uint8_t> bytes, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n > 0) {
      bytes = bytes.subspan(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) return adapter_gone(std::strerror(errno));
    const auto now = Clock::now();
    if (now >= deadline) {
      return make_error(ErrorCode::unavailable,
                        "the serial port took no bytes in " + ms_text(timeout));
    }
    pollfd p{fd, POLLOUT, 0};
    ::poll(&p, 1, poll_ms(deadline - now));
  }
  return {};
}

drivers::DoorState door_of(bool bit, SetBitMeans means) {
  const bool open = means == SetBitMeans::open ? bit : !bit;
  return open ? drivers::DoorState::open : drivers::DoorState::closed;
}

}  // namespace

struct LockBoardBus::Port {
  boost::asio::io_context io;
  boost::asio::serial_port serial{io};
  LockBoardBusOptions options;
  std::string device;
  std::mutex mutex;  // one transaction at a time
  Clock::time_point quiet_since = Clock::now();
  // The adapter was unplugged (end of file, EIO, hang-up): the port is closed and opened again
  // at most once a second, on the next transaction, so a replugged adapter comes back by itself.
  bool gone = false;
  Clock::time_point next_reopen{};

  // Opens the device at the family's baud, 8N1, raw. Errors: unavailable.
  Expected<void> open_device() {
    using boost::asio::serial_port_base;
    boost::system::error_code ec;
    serial.open(device, ec);
    if (ec) return make_error(ErrorCode::unavailable, "opening " + device + ": " + ec.message());
    // On a pseudo-terminal the speed is accepted and has no effect; flow control may be refused.
    serial.set_option(serial_port_base::baud_rate(static_cast<unsigned>(baud_of(options.family))),
                      ec);
    if (!ec) serial.set_option(serial_port_base::character_size(8), ec);
    if (!ec) serial.set_option(serial_port_base::parity(serial_port_base::parity::none), ec);
    if (!ec) serial.set_option(serial_port_base::stop_bits(serial_port_base::stop_bits::one), ec);
    if (ec) {
      boost::system::error_code ignored;
      serial.close(ignored);
      return make_error(ErrorCode::unavailable, "setting " + device + " to " +
                                                    std::to_string(baud_of(options.family)) +
                                                    " 8N1: " + ec.message());
    }
    boost::system::error_code ignored;
    serial.set_option(serial_port_base::flow_control(serial_port_base::flow_control::none),
                      ignored);
    ::tcflush(fd(), TCIOFLUSH);
    return {};
  }

  // Called before each transaction: opens the port again after an unplug.
  Expected<void> ensure_open() {
    if (!gone) return {};
    const auto now = Clock::now();
    if (now < next_reopen) {
      return make_error(ErrorCode::unavailable, "the serial adapter " + device + " is unplugged");
    }
    next_reopen = now + std::chrono::seconds(1);
    if (auto opened = open_device(); !opened) {
      return opened.error().context("the serial adapter " + device + " is unplugged");
    }
    gone = false;
    return {};
  }

  // An error from the wire: an unplugged adapter closes the port until it is back.
  Error note(Error error) {
    if (error.message.starts_with(kAdapterGone)) {
      boost::system::error_code ignored;
      serial.close(ignored);
      gone = true;
      next_reopen = Clock::now() + std::chrono::seconds(1);
    }
    return error;
  }

  int fd() { return serial.native_handle(); }

  // Reads and drops whatever is still coming, then flushes the kernel's input buffer.
  void flush_input() {
    const auto give_up = Clock::now() + 4 * options.reply_timeout;
    while (Clock::now() < give_up) {
      auto rest = read_reply(fd(), options.reply_silence, options.reply_silence);
      if (!rest || rest->empty()) break;
    }
    ::tcflush(fd(), TCIFLUSH);
  }

  // Sends one request; with `want_reply`, returns the reply's bytes or `unavailable` when
  // nothing came within the reply timeout.
  Expected<Bytes> transact(std::span<const std::uint8_t> request, bool want_reply,
                           const std::string& silence_message) {
    CIVICBOX_CHECK(ensure_open());
    const auto ready = quiet_since + options.turnaround;
    if (Clock::now() < ready) std::this_thread::sleep_until(ready);
    ::tcflush(fd(), TCIFLUSH);  // a late reply to an earlier request must not answer this one
    auto sent = write_all(fd(), request, options.reply_timeout);
    quiet_since = Clock::now();
    if (!sent) return note(sent.error());
    if (!want_reply) return Bytes{};
    auto reply = read_reply(fd(), options.reply_timeout, options.reply_silence);
    quiet_since = Clock::now();
    if (!reply) return note(reply.error());
    if (reply->empty()) {
      flush_input();
      return make_error(ErrorCode::unavailable, silence_message);
    }
    return reply;
  }

  // A reply that did not parse: drop the rest of it and say what came back.
  Error bad_reply(const Error& error, int board) {
    flush_input();
    return error.context(board_text(board) + " answered with a broken frame");
  }
};

LockBoardBus::LockBoardBus(std::unique_ptr<Port> port) : port_(std::move(port)) {}
LockBoardBus::~LockBoardBus() = default;

const LockBoardBusOptions& LockBoardBus::options() const {
  return port_->options;
}

Expected<std::unique_ptr<LockBoardBus>> LockBoardBus::open(const std::string& device,
                                                           LockBoardBusOptions options) {
  auto port = std::make_unique<Port>();
  port->options = options;
  port->device = device;
  CIVICBOX_CHECK(port->open_device());
  return std::unique_ptr<LockBoardBus>(new LockBoardBus(std::move(port)));
}

Expected<BoardStatus> LockBoardBus::query(int board) {
  std::lock_guard lock(port_->mutex);
  const auto& o = port_->options;
  const std::string silent = board_text(board) + " did not answer in " + ms_text(o.reply_timeout);
  BoardStatus status;
  status.board = board;
  if (o.family == BoardFamily::kerong) {
    CIVICBOX_TRY(auto request, kerong::query_request(board));
    CIVICBOX_TRY(auto reply, port_->transact(request, true, silent));
    auto parsed = kerong::parse_status(reply);
    if (!parsed) return port_->bad_reply(parsed.error(), board);
    if (parsed->board != board) {
      return port_->bad_reply(
          make_error(ErrorCode::parse, "the reply names board " + std::to_string(parsed->board)),
          board);
    }
    for (int i = 0; i < kerong::kLocksPerBoard; ++i) {
      status.doors.push_back(door_of(((parsed->locks >> i) & 1U) != 0, o.set_lock_bit));
      status.item_present.push_back(((parsed->sensors >> i) & 1U) != 0);
    }
    return status;
  }
  CIVICBOX_TRY(auto request, xor8a::query_all_request(board));
  CIVICBOX_TRY(auto reply, port_->transact(request, true, silent));
  auto parsed = xor8a::parse_all_reply(reply);
  if (!parsed) return port_->bad_reply(parsed.error(), board);
  if (parsed->board != board) {
    return port_->bad_reply(
        make_error(ErrorCode::parse, "the reply names board " + std::to_string(parsed->board)),
        board);
  }
  for (int i = 0; i < parsed->groups * 8; ++i) {
    status.doors.push_back(door_of(((parsed->channels >> i) & 1U) != 0, o.set_lock_bit));
  }
  return status;
}

Expected<void> LockBoardBus::unlock(int board, int lock) {
  std::lock_guard guard(port_->mutex);
  const auto& o = port_->options;
  if (o.family == BoardFamily::kerong) {
    CIVICBOX_TRY(auto request, kerong::unlock_request(board, lock));
    CIVICBOX_TRY(auto none, port_->transact(request, false, {}));
    (void)none;
    return {};
  }
  CIVICBOX_TRY(auto request, xor8a::open_request(board, lock));
  const std::string lost = board_text(board) + " did not confirm unlocking lock " +
                           std::to_string(lock) + " in " + ms_text(o.reply_timeout) +
                           " (not sent again: the lock may have opened)";
  CIVICBOX_TRY(auto reply, port_->transact(request, true, lost));
  auto parsed = xor8a::parse_lock_reply(reply);
  if (!parsed) return port_->bad_reply(parsed.error(), board);
  if (parsed->board != board || parsed->lock != lock) {
    return port_->bad_reply(
        make_error(ErrorCode::parse, "the reply is about board " + std::to_string(parsed->board) +
                                         " lock " + std::to_string(parsed->lock)),
        board);
  }
  return {};
}

}  // namespace civicbox::lockers
