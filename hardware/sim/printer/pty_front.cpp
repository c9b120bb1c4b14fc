#include "hardware/sim/printer/pty_front.hpp"

#include "hardware/sim/raw_pty.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace civicbox::sim {

namespace {

constexpr int kTickMs = 10;

}  // namespace

Expected<std::unique_ptr<PrinterSimPty>> PrinterSimPty::start(PrinterSim& printer) {
  std::unique_ptr<PrinterSimPty> front(new PrinterSimPty(printer));
  if (::openpty(&front->master_, &front->slave_, nullptr, nullptr, nullptr) != 0) {
    return make_error(ErrorCode::io, std::string("openpty: ") + std::strerror(errno));
  }
  CIVICBOX_CHECK(make_raw(front->master_));
  CIVICBOX_CHECK(make_raw(front->slave_));
  const char* name = ::ttyname(front->slave_);
  if (name == nullptr) {
    return make_error(ErrorCode::io, std::string("ttyname: ") + std::strerror(errno));
  }
  front->path_ = name;
  front->thread_ = std::thread([f = front.get()] { f->run(); });
  return front;
}

PrinterSimPty::~PrinterSimPty() {
  stop();
  if (master_ >= 0) ::close(master_);
  if (slave_ >= 0) ::close(slave_);
}

void PrinterSimPty::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void PrinterSimPty::run() {
  while (!stopping_) {
    pollfd p{master_, POLLIN, 0};
    if (::poll(&p, 1, kTickMs) <= 0 || (p.revents & POLLIN) == 0) continue;
    std::array<std::uint8_t, 4096> buf{};
    const ssize_t n = ::read(master_, buf.data(), buf.size());
    if (n <= 0) continue;
    const auto reply = printer_.feed(std::span(buf.data(), static_cast<std::size_t>(n)));
    std::size_t sent = 0;
    while (sent < reply.size()) {
      const ssize_t w = ::write(master_, reply.data() + sent, reply.size() - sent);
      if (w <= 0) break;
      sent += static_cast<std::size_t>(w);
    }
  }
}

}  // namespace civicbox::sim
