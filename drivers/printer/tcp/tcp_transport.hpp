// A network receipt printer on raw TCP (port 9100). One connection, opened on first use and kept;
// connect, send and receive each have their own timeout, so a printer that is off or unplugged
// costs the kiosk seconds, not a hang.
//
// Contract: a link the printer closed (power cycle, its own idle timeout) is noticed before the
// next call sends anything, and that call connects again, once. A link that breaks in the middle
// of a write fails that write (unavailable); the next call connects again.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "drivers/printer/transport.hpp"

namespace civicbox::drivers {

struct TcpPrinterOptions {
  std::string host;  // a name or an address
  std::uint16_t port = 9100;
  std::chrono::milliseconds connect_timeout{3000};
  std::chrono::milliseconds send_timeout{10000};  // for the whole of one write()
};

class TcpTransport final : public PrinterTransport {
 public:
  explicit TcpTransport(TcpPrinterOptions options);
  ~TcpTransport() override;
  TcpTransport(const TcpTransport&) = delete;
  TcpTransport& operator=(const TcpTransport&) = delete;

  // Connects now rather than on first use. Errors: unavailable (refused, timed out, no route,
  // no such host).
  Expected<void> connect();

  Expected<void> write(std::span<const std::uint8_t> bytes) override;
  Expected<std::vector<std::uint8_t>> read(std::size_t max,
                                           std::chrono::milliseconds wait) override;
  void discard_input() override;
  [[nodiscard]] std::string describe() const override;

 private:
  Expected<void> ensure_link();  // connects when there is no link or the printer closed it
  void drop();
  Error broken(const std::string& what, int error);  // drops the link

  TcpPrinterOptions options_;
  int fd_ = -1;
};

}  // namespace civicbox::drivers
