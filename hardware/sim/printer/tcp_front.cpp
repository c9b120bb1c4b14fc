#include "hardware/sim/printer/tcp_front.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace civicbox::sim {

namespace {

constexpr int kTickMs = 10;

void send_all(int fd, const std::vector<std::uint8_t>& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      return;  // the host went away; it will not read the answer
    }
    sent += static_cast<std::size_t>(n);
  }
}

}  // namespace

Expected<std::unique_ptr<PrinterSimTcp>> PrinterSimTcp::start(PrinterSim& printer,
                                                              std::uint16_t port) {
  std::unique_ptr<PrinterSimTcp> front(new PrinterSimTcp(printer));
  CIVICBOX_CHECK(front->listen_on(port));
  front->thread_ = std::thread([f = front.get()] { f->run(); });
  return front;
}

PrinterSimTcp::~PrinterSimTcp() {
  stop();
  drop_client();
  if (listener_ >= 0) ::close(listener_);
}

void PrinterSimTcp::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

Expected<void> PrinterSimTcp::listen_on(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(ErrorCode::io, std::string("socket: ") + std::strerror(errno));
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 4) != 0) {
    const int e = errno;
    ::close(fd);
    return make_error(ErrorCode::io,
                      "listening on 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(e));
  }
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  listener_ = fd;
  return {};
}

void PrinterSimTcp::drop_client() {
  if (client_ < 0) return;
  ::close(client_);
  client_ = -1;
  printer_.end_of_stream();
}

void PrinterSimTcp::run() {
  while (!stopping_) {
    if (printer_.faults().unplugged) {
      drop_client();
      if (listener_ >= 0) ::close(listener_);
      listener_ = -1;
      ::poll(nullptr, 0, kTickMs);
      continue;
    }
    if (listener_ < 0 && !listen_on(port_)) {  // plugged back in
      ::poll(nullptr, 0, kTickMs);
      continue;
    }
    pollfd p{client_ >= 0 ? client_ : listener_, POLLIN, 0};
    if (::poll(&p, 1, kTickMs) <= 0) continue;
    if (client_ < 0) {
      client_ = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      continue;
    }
    std::array<std::uint8_t, 4096> buf{};
    const ssize_t n = ::recv(client_, buf.data(), buf.size(), 0);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      drop_client();
      continue;
    }
    const auto reply = printer_.feed(std::span(buf.data(), static_cast<std::size_t>(n)));
    if (!reply.empty()) send_all(client_, reply);
  }
}

}  // namespace civicbox::sim
