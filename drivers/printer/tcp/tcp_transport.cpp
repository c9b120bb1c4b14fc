#include "drivers/printer/tcp/tcp_transport.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace civicbox::drivers {

namespace {

using Clock = std::chrono::steady_clock;

int poll_ms(Clock::duration left) {
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return static_cast<int>(ms < 0 ? 0 : ms);
}

// Connects one address without blocking longer than `timeout`. Returns the socket or -errno.
int connect_one(const addrinfo& a, std::chrono::milliseconds timeout) {
  const int fd = ::socket(a.ai_family, a.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a.ai_protocol);
  if (fd < 0) return -errno;
  if (::connect(fd, a.ai_addr, a.ai_addrlen) != 0) {
    if (errno != EINPROGRESS) {
      const int e = errno;
      ::close(fd);
      return -e;
    }
    pollfd p{fd, POLLOUT, 0};
    int r = 0;
    const auto deadline = Clock::now() + timeout;
    do {
      r = ::poll(&p, 1, poll_ms(deadline - Clock::now()));
    } while (r < 0 && errno == EINTR);
    if (r == 0) {
      ::close(fd);
      return -ETIMEDOUT;
    }
    int error = 0;
    socklen_t len = sizeof error;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
    if (r < 0 || error != 0) {
      ::close(fd);
      return -(error != 0 ? error : EIO);
    }
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

}  // namespace

TcpTransport::TcpTransport(TcpPrinterOptions options) : options_(std::move(options)) {}

TcpTransport::~TcpTransport() {
  drop();
}

std::string TcpTransport::describe() const {
  return "tcp " + options_.host + ":" + std::to_string(options_.port);
}

void TcpTransport::drop() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Error TcpTransport::broken(const std::string& what, int error) {
  drop();
  return make_error(ErrorCode::unavailable, describe() + ": " + what + ": " + std::strerror(error));
}

Expected<void> TcpTransport::connect() {
  drop();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(options_.port);
  if (const int r = ::getaddrinfo(options_.host.c_str(), port.c_str(), &hints, &found); r != 0) {
    return make_error(ErrorCode::unavailable, describe() + ": " + ::gai_strerror(r));
  }
  int last_error = EHOSTUNREACH;
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    const int fd = connect_one(*a, options_.connect_timeout);
    if (fd >= 0) {
      fd_ = fd;
      break;
    }
    last_error = -fd;
  }
  ::freeaddrinfo(found);
  if (fd_ < 0) {
    return make_error(ErrorCode::unavailable,
                      describe() + ": connecting: " + std::strerror(last_error));
  }
  return {};
}

Expected<void> TcpTransport::ensure_link() {
  if (fd_ >= 0) {
    // A closed or reset link shows as readable with nothing (or an error) to read.
    pollfd p{fd_, POLLIN | POLLRDHUP, 0};
    if (::poll(&p, 1, 0) > 0) {
      std::uint8_t b = 0;
      const ssize_t n = ::recv(fd_, &b, 1, MSG_PEEK | MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) ||
          (p.revents & (POLLERR | POLLHUP | POLLRDHUP)) != 0) {
        drop();
      }
    }
  }
  if (fd_ < 0) return connect();
  return {};
}

Expected<void> TcpTransport::write(std::span<const std::uint8_t> bytes) {
  CIVICBOX_CHECK(ensure_link());
  std::size_t sent = 0;
  const auto deadline = Clock::now() + options_.send_timeout;
  while (sent < bytes.size()) {
    const ssize_t n =
        ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) return broken("sending", errno);
    const auto now = Clock::now();
    if (now >= deadline) {
      drop();  // the rest of a half-sent command must never prefix the next one
      return make_error(ErrorCode::unavailable,
                        describe() + " took " + std::to_string(sent) + " of " +
                            std::to_string(bytes.size()) + " bytes in " +
                            std::to_string(options_.send_timeout.count()) + " ms");
    }
    pollfd p{fd_, POLLOUT, 0};
    ::poll(&p, 1, poll_ms(deadline - now));
  }
  return {};
}

Expected<std::vector<std::uint8_t>> TcpTransport::read(std::size_t max,
                                                       std::chrono::milliseconds wait) {
  CIVICBOX_CHECK(ensure_link());
  std::vector<std::uint8_t> out;
  if (max == 0) return out;
  const auto deadline = Clock::now() + wait;
  for (;;) {
    std::array<std::uint8_t, 256> buf{};
    const ssize_t n = ::recv(fd_, buf.data(), std::min(max - out.size(), buf.size()), MSG_DONTWAIT);
    if (n > 0) {
      out.insert(out.end(), buf.begin(), buf.begin() + n);
      if (out.size() >= max) return out;
      continue;
    }
    if (!out.empty()) return out;
    if (n == 0) return broken("reading", ECONNRESET);
    if (errno != EAGAIN && errno != EINTR) return broken("reading", errno);
    const auto now = Clock::now();
    if (now >= deadline) return out;
    pollfd p{fd_, POLLIN, 0};
    ::poll(&p, 1, poll_ms(deadline - now));
  }
}

void TcpTransport::discard_input() {
  if (fd_ < 0) return;
  std::array<std::uint8_t, 256> buf{};
  for (int i = 0; i < 64; ++i) {
    if (::recv(fd_, buf.data(), buf.size(), MSG_DONTWAIT) <= 0) break;
  }
}

}  // namespace civicbox::drivers
