#include "drivers/scanner/serial/serial_scanner.hpp"

#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <algorithm>
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/serial_port.hpp>
#include <cerrno>
#include <cstring>
#include <thread>

namespace civicbox::scanner {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::array<unsigned, 5> kSpeeds{9600, 19200, 38400, 57600, 115200};

int poll_ms(Clock::duration left) {
  const auto ms = std::chrono::ceil<milliseconds>(left).count();
  return static_cast<int>(std::clamp<std::int64_t>(ms, 0, 60'000));
}

}  // namespace

struct SerialScanner::Port {
  SerialScannerOptions options;
  ScanLineAssembler lines;
  boost::asio::io_context io;
  std::unique_ptr<boost::asio::serial_port> serial;

  explicit Port(SerialScannerOptions o)
      : options(std::move(o)),
        lines(ScanLineOptions{options.line_end, options.max_code_length, options.partial_timeout}) {
  }

  [[nodiscard]] bool is_open() const { return serial && serial->is_open(); }
  int fd() { return serial->native_handle(); }

  void close() {
    if (serial) {
      boost::system::error_code ignored;
      serial->close(ignored);
      serial.reset();
    }
    lines.reset();
  }

  Expected<void> open() {
    using boost::asio::serial_port_base;
    const std::string& device = options.device;
    auto port = std::make_unique<boost::asio::serial_port>(io);
    boost::system::error_code ec;
    port->open(device, ec);
    if (ec) {
      std::string message = "opening the scanner port " + device + ": " + ec.message();
      if (ec == boost::system::errc::permission_denied) {
        message += " (the box's user needs the `dialout` group)";
      }
      return make_error(ErrorCode::unavailable, std::move(message));
    }
    // boost sets the line raw (no echo, no CR/LF translation); a pty accepts any speed.
    port->set_option(serial_port_base::baud_rate(options.baud), ec);
    if (!ec) port->set_option(serial_port_base::character_size(8), ec);
    if (!ec) port->set_option(serial_port_base::parity(serial_port_base::parity::none), ec);
    if (!ec) port->set_option(serial_port_base::stop_bits(serial_port_base::stop_bits::one), ec);
    if (ec) {
      return make_error(
          ErrorCode::unavailable,
          "setting " + device + " to " + std::to_string(options.baud) + " 8N1: " + ec.message());
    }
    boost::system::error_code ignored;
    port->set_option(serial_port_base::flow_control(serial_port_base::flow_control::none), ignored);
    ::tcflush(port->native_handle(), TCIFLUSH);  // what arrived before we listened is stale
    serial = std::move(port);
    return {};
  }

  Error lost(const std::string& why) {
    close();
    spdlog::warn("serial scanner {}: adapter unplugged ({})", options.device, why);
    return make_error(ErrorCode::unavailable,
                      "scanner adapter unplugged: " + options.device + " (" + why + ")");
  }

  Expected<void> read_bytes(Clock::time_point now) {
    std::array<std::uint8_t, 256> buf{};
    const ssize_t n = ::read(fd(), buf.data(), buf.size());
    if (n == 0) return lost("end of file");
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return {};
      return lost(std::strerror(errno));
    }
    lines.feed(std::span(buf.data(), static_cast<std::size_t>(n)), now);
    return {};
  }

  std::optional<std::string> take_scan() {
    while (auto result = lines.take()) {
      if (auto* line = std::get_if<ScanLine>(&*result)) return std::move(line->text);
      const auto& drop = std::get<DroppedLine>(*result);
      spdlog::warn("serial scanner {}: dropped {} received bytes: {}", options.device, drop.length,
                   to_string(drop.reason));
    }
    return std::nullopt;
  }
};

SerialScanner::SerialScanner(std::unique_ptr<Port> port) : port_(std::move(port)) {}
SerialScanner::~SerialScanner() = default;

Expected<std::unique_ptr<SerialScanner>> SerialScanner::open(SerialScannerOptions options) {
  if (options.device.empty()) {
    return make_error(ErrorCode::invalid_argument, "no scanner port is set");
  }
  if (std::find(kSpeeds.begin(), kSpeeds.end(), options.baud) == kSpeeds.end()) {
    return make_error(ErrorCode::invalid_argument,
                      "a serial scanner runs at 9600, 19200, 38400, 57600 or 115200 baud, not " +
                          std::to_string(options.baud));
  }
  auto port = std::make_unique<Port>(std::move(options));
  CIVICBOX_CHECK(port->open());
  return std::unique_ptr<SerialScanner>(new SerialScanner(std::move(port)));
}

Expected<std::optional<std::string>> SerialScanner::next_scan(milliseconds wait) {
  Port& p = *port_;
  const auto deadline = Clock::now() + wait;
  while (true) {
    if (!p.is_open()) {
      auto reopened = p.open();
      if (!reopened) {
        const auto now = Clock::now();
        if (now >= deadline) return reopened.error();
        std::this_thread::sleep_for(
            std::min<Clock::duration>(p.options.reopen_interval, deadline - now));
        continue;
      }
      spdlog::info("serial scanner {}: adapter plugged in again", p.options.device);
    }
    if (auto scan = p.take_scan()) return scan;
    const auto now = Clock::now();
    p.lines.expire(now);
    if (auto scan = p.take_scan()) return scan;
    if (now >= deadline) return std::optional<std::string>{};

    auto until = deadline;
    if (auto expiry = p.lines.expires_at()) until = std::min(until, *expiry);
    pollfd pfd{p.fd(), POLLIN, 0};
    const int r = ::poll(&pfd, 1, poll_ms(until - now));
    if (r < 0) {
      if (errno == EINTR) continue;
      return p.lost(std::strerror(errno));
    }
    if (r == 0) continue;
    if ((pfd.revents & POLLIN) == 0) return p.lost("the line hung up");
    CIVICBOX_CHECK(p.read_bytes(Clock::now()));
  }
}

}  // namespace civicbox::scanner
