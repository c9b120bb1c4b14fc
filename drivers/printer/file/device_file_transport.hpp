// A printer behind a device file: the kernel's usblp driver (/dev/usb/lp0), a serial port, or
// the printer simulator's pseudo-terminal in tests. Opened O_RDWR | O_NOCTTY | O_NONBLOCK;
// reads and writes wait with poll(), so neither a dead printer nor a full buffer hangs the box.
//
// Contract: when the device goes away (EIO, ENODEV, ENXIO: unplugged, the USB bus reset) the
// call fails with unavailable and the file is closed; the next call opens it again, once. A
// write that failed before sending a byte reopens at once and tries again, once.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "drivers/printer/transport.hpp"

namespace civicbox::drivers {

struct DeviceFileOptions {
  std::chrono::milliseconds write_timeout{10000};  // a receipt's raster can take seconds to print
};

class DeviceFileTransport final : public PrinterTransport {
 public:
  // Errors: unavailable (no such device, permission, busy).
  static Expected<std::unique_ptr<DeviceFileTransport>> open(std::string path,
                                                             DeviceFileOptions options = {});
  ~DeviceFileTransport() override;
  DeviceFileTransport(const DeviceFileTransport&) = delete;
  DeviceFileTransport& operator=(const DeviceFileTransport&) = delete;

  Expected<void> write(std::span<const std::uint8_t> bytes) override;
  Expected<std::vector<std::uint8_t>> read(std::size_t max,
                                           std::chrono::milliseconds wait) override;
  void discard_input() override;
  [[nodiscard]] std::string describe() const override { return path_; }

 private:
  DeviceFileTransport(std::string path, DeviceFileOptions options);
  Expected<void> reopen();
  void close_file();
  Error gone(const std::string& what, int error);  // closes the file

  std::string path_;
  DeviceFileOptions options_;
  int fd_ = -1;
};

}  // namespace civicbox::drivers
