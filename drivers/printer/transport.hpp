// How ESC/POS bytes reach a receipt printer: a USB bulk pipe (libusb), a device file
// (/dev/usb/lp0) or a TCP socket (port 9100). The ESC/POS printer driver writes the receipt
// and asks for status through this interface and knows nothing of the link; the printer
// simulator answers from the other side of each back end.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace civicbox::drivers {

class PrinterTransport {
 public:
  virtual ~PrinterTransport() = default;
  // Sends every byte, or fails. Errors: unavailable (unplugged, refused, timed out), io.
  // A transport that lost its link tries once to get it back on the next call.
  virtual Expected<void> write(std::span<const std::uint8_t> bytes) = 0;
  // Up to `max` bytes the printer sent back, waiting at most `wait` for the first one; empty
  // when nothing came (many clones never answer status: the caller treats that as unknown).
  // Errors: unavailable, io.
  virtual Expected<std::vector<std::uint8_t>> read(std::size_t max,
                                                   std::chrono::milliseconds wait) = 0;
  // Drops whatever the printer sent that nobody read (a late status byte).
  virtual void discard_input() = 0;
  // For log lines: "usb 0416:5011 bus 1 port 3", "tcp 127.0.0.1:9100", "/dev/usb/lp0".
  [[nodiscard]] virtual std::string describe() const = 0;
};

}  // namespace civicbox::drivers
