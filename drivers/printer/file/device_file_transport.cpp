#include "drivers/printer/file/device_file_transport.hpp"

#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace civicbox::drivers {

namespace {

using Clock = std::chrono::steady_clock;

bool device_gone(int error) {
  return error == EIO || error == ENODEV || error == ENXIO;
}

int poll_ms(Clock::duration left) {
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return static_cast<int>(ms < 0 ? 0 : ms);
}

}  // namespace

DeviceFileTransport::DeviceFileTransport(std::string path, DeviceFileOptions options)
    : path_(std::move(path)), options_(options) {}

DeviceFileTransport::~DeviceFileTransport() {
  close_file();
}

Expected<std::unique_ptr<DeviceFileTransport>> DeviceFileTransport::open(
    std::string path, DeviceFileOptions options) {
  std::unique_ptr<DeviceFileTransport> t(new DeviceFileTransport(std::move(path), options));
  CIVICBOX_CHECK(t->reopen());
  return t;
}

void DeviceFileTransport::close_file() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Expected<void> DeviceFileTransport::reopen() {
  close_file();
  const int fd = ::open(path_.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    return make_error(ErrorCode::unavailable, "opening " + path_ + ": " + std::strerror(errno));
  }
  fd_ = fd;
  return {};
}

Error DeviceFileTransport::gone(const std::string& what, int error) {
  close_file();
  return make_error(ErrorCode::unavailable, path_ + ": " + what + ": " + std::strerror(error));
}

Expected<void> DeviceFileTransport::write(std::span<const std::uint8_t> bytes) {
  if (fd_ < 0) CIVICBOX_CHECK(reopen());
  bool retried = false;
  std::size_t sent = 0;
  const auto deadline = Clock::now() + options_.write_timeout;
  while (sent < bytes.size()) {
    const ssize_t n = ::write(fd_, bytes.data() + sent, bytes.size() - sent);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && device_gone(errno)) {
      const int error = errno;
      if (sent == 0 && !retried) {  // gone before this call sent anything: open it once more
        retried = true;
        if (reopen()) continue;
      }
      return gone("writing", error);
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      return make_error(ErrorCode::io, path_ + ": writing: " + std::strerror(errno));
    }
    const auto now = Clock::now();
    if (now >= deadline) {
      return make_error(ErrorCode::unavailable, path_ + " took " + std::to_string(sent) + " of " +
                                                    std::to_string(bytes.size()) + " bytes in " +
                                                    std::to_string(options_.write_timeout.count()) +
                                                    " ms");
    }
    pollfd p{fd_, POLLOUT, 0};
    if (::poll(&p, 1, poll_ms(deadline - now)) > 0 && (p.revents & (POLLERR | POLLHUP)) != 0 &&
        (p.revents & POLLOUT) == 0) {
      return gone("writing", EIO);
    }
  }
  return {};
}

Expected<std::vector<std::uint8_t>> DeviceFileTransport::read(std::size_t max,
                                                              std::chrono::milliseconds wait) {
  if (fd_ < 0) CIVICBOX_CHECK(reopen());
  std::vector<std::uint8_t> out;
  if (max == 0) return out;
  const auto deadline = Clock::now() + wait;
  for (;;) {
    std::array<std::uint8_t, 256> buf{};
    const ssize_t n = ::read(fd_, buf.data(), std::min(max - out.size(), buf.size()));
    if (n > 0) {
      out.insert(out.end(), buf.begin(), buf.begin() + n);
      if (out.size() >= max) return out;
      continue;  // take what else is already there, without waiting again
    }
    if (!out.empty()) return out;
    if (n < 0 && device_gone(errno)) return gone("reading", errno);
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      return make_error(ErrorCode::io, path_ + ": reading: " + std::strerror(errno));
    }
    // n == 0: usblp says "nothing from the printer"; wait as for EAGAIN, but poll may report
    // readable at once, so sleep in small steps until the deadline.
    const auto now = Clock::now();
    if (now >= deadline) return out;
    pollfd p{fd_, POLLIN, 0};
    const int r = ::poll(
        &p, 1, poll_ms(std::min<Clock::duration>(deadline - now, std::chrono::milliseconds(50))));
    if (r > 0 && (p.revents & POLLIN) != 0 && n == 0) {
      ::poll(nullptr, 0, 10);
    } else if (r > 0 && (p.revents & (POLLERR | POLLHUP | POLLNVAL)) != 0 &&
               (p.revents & POLLIN) == 0) {
      return gone("reading", EIO);
    }
  }
}

void DeviceFileTransport::discard_input() {
  if (fd_ < 0) return;
  if (::isatty(fd_)) {
    ::tcflush(fd_, TCIFLUSH);
    return;
  }
  std::array<std::uint8_t, 256> buf{};
  for (int i = 0; i < 64; ++i) {
    if (::read(fd_, buf.data(), buf.size()) <= 0) break;
  }
}

}  // namespace civicbox::drivers
