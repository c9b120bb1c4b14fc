#include "hardware/sim/scanner/serial_scanner_sim.hpp"

#include "hardware/sim/raw_pty.hpp"

#include <fcntl.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace civicbox::sim {

namespace {

// Line noise: each byte on its own is a control byte or not UTF-8; never CR or LF.
constexpr std::array<char, 8> kNoise{'\x00', '\x1b', '\xff', '\x07',
                                     '\xfe', '\x7f', '\x13', '\x80'};

}  // namespace

SerialScannerSim::SerialScannerSim(SerialScannerSimOptions options)
    : options_(std::move(options)) {}

Expected<std::unique_ptr<SerialScannerSim>> SerialScannerSim::start(
    SerialScannerSimOptions options) {
  std::unique_ptr<SerialScannerSim> sim(new SerialScannerSim(std::move(options)));
  {
    std::lock_guard lock(sim->mutex_);
    CIVICBOX_CHECK(sim->open_pty());
  }
  sim->thread_ = std::thread([s = sim.get()] { s->run(); });
  return sim;
}

SerialScannerSim::~SerialScannerSim() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    changed_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mutex_);
  close_pty();
}

Expected<void> SerialScannerSim::open_pty() {
  if (::openpty(&master_, &slave_, nullptr, nullptr, nullptr) != 0) {
    master_ = slave_ = -1;
    return make_error(ErrorCode::io, std::string("openpty: ") + std::strerror(errno));
  }
  auto raw = make_raw(master_);
  if (raw) raw = make_raw(slave_);
  const char* name = ::ttyname(slave_);
  if (!raw || name == nullptr) {
    close_pty();
    return raw ? make_error(ErrorCode::io, std::string("ttyname: ") + std::strerror(errno))
               : raw.error();
  }
  slave_path_ = name;
  // Writes must never block the writer thread when nobody reads the other end.
  ::fcntl(master_, F_SETFL, ::fcntl(master_, F_GETFL) | O_NONBLOCK);
  ::fcntl(master_, F_SETFD, FD_CLOEXEC);
  ::fcntl(slave_, F_SETFD, FD_CLOEXEC);
  if (!options_.link.empty()) {
    std::error_code ec;
    std::filesystem::remove(options_.link, ec);
    std::filesystem::create_symlink(slave_path_, options_.link, ec);
    if (ec) {
      close_pty();
      return make_error(ErrorCode::io, "linking " + options_.link + ": " + ec.message());
    }
  }
  return {};
}

void SerialScannerSim::close_pty() {
  if (!options_.link.empty()) {
    std::error_code ignored;
    std::filesystem::remove(options_.link, ignored);
  }
  if (master_ >= 0) ::close(master_);
  if (slave_ >= 0) ::close(slave_);
  master_ = slave_ = -1;
}

std::string SerialScannerSim::port() const {
  std::lock_guard lock(mutex_);
  return options_.link.empty() ? slave_path_ : options_.link;
}

std::string SerialScannerSim::line_end() const {
  switch (options_.line_end) {
    case ScanLineEnd::cr:
      return "\r";
    case ScanLineEnd::lf:
      return "\n";
    case ScanLineEnd::crlf:
      return "\r\n";
  }
  return "\r";
}

void SerialScannerSim::queue(Clock::time_point due, std::string bytes) {
  std::lock_guard lock(mutex_);
  if (master_ < 0) return;  // unplugged: nothing reaches the wire
  outbox_.emplace(due, std::move(bytes));
  changed_.notify_all();
}

void SerialScannerSim::scan(std::string_view code) {
  queue(Clock::now(), std::string(code) + line_end());
}

void SerialScannerSim::scan_in_pieces(std::string_view code, std::size_t pieces,
                                      std::chrono::milliseconds gap) {
  pieces = std::clamp<std::size_t>(pieces, 1, std::max<std::size_t>(code.size(), 1));
  const auto now = Clock::now();
  const std::size_t size = (code.size() + pieces - 1) / pieces;
  for (std::size_t i = 0; i < pieces; ++i) {
    std::string piece(code.substr(std::min(code.size(), i * size), size));
    if (i + 1 == pieces) piece += line_end();
    queue(now + gap * static_cast<int>(i), std::move(piece));
  }
}

void SerialScannerSim::scan_without_line_end(std::string_view code) {
  queue(Clock::now(), std::string(code));
}

void SerialScannerSim::send_garbage(std::size_t count) {
  std::string noise;
  for (std::size_t i = 0; i < count; ++i) noise.push_back(kNoise[i % kNoise.size()]);
  queue(Clock::now(), noise + line_end());
}

void SerialScannerSim::send_bytes(std::string_view bytes) {
  queue(Clock::now(), std::string(bytes));
}

bool SerialScannerSim::wait_until_sent(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  const bool done = changed_.wait_for(
      lock, timeout, [this] { return master_ < 0 || (outbox_.empty() && writing_ == 0); });
  return done && master_ >= 0;
}

void SerialScannerSim::unplug() {
  std::lock_guard lock(mutex_);
  outbox_.clear();
  close_pty();
  changed_.notify_all();
}

Expected<void> SerialScannerSim::replug() {
  std::lock_guard lock(mutex_);
  if (master_ >= 0) return {};
  CIVICBOX_CHECK(open_pty());
  changed_.notify_all();
  return {};
}

bool SerialScannerSim::plugged() const {
  std::lock_guard lock(mutex_);
  return master_ >= 0;
}

void SerialScannerSim::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (outbox_.empty()) {
      changed_.wait(lock);
      continue;
    }
    const auto due = outbox_.begin()->first;
    if (Clock::now() < due) {
      changed_.wait_until(lock, due);
      continue;
    }
    const std::string bytes = std::move(outbox_.begin()->second);
    outbox_.erase(outbox_.begin());
    ++writing_;
    std::size_t done = 0;
    // Written under the lock, so unplug() never closes the pty in the middle of a write; a
    // full pty buffer (nobody reading) is waited out with the lock released.
    while (done < bytes.size() && master_ >= 0 && !stopping_) {
      const ssize_t n = ::write(master_, bytes.data() + done, bytes.size() - done);
      if (n > 0) {
        done += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno != EAGAIN && errno != EINTR) break;
      lock.unlock();
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      lock.lock();
    }
    --writing_;
    changed_.notify_all();
  }
}

}  // namespace civicbox::sim
