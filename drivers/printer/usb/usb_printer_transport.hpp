// The receipt printer on USB, through libusb: ESC/POS bytes go out on the printer interface's
// bulk OUT endpoint and status replies (DLE EOT) come back on its bulk IN endpoint. Why libusb
// rather than /dev/usb/lp0: the device is found by its ids wherever it is plugged in, reads
// have a timeout per call, and a replug does not rename anything we hold on to.
//
// Contract:
// - Each transport has its own libusb context. Calls are serialized by a mutex, so it may be
//   used from several threads, but a long write() holds the others up. libusb events
//   (transfers, hotplug) are handled on the calling thread, inside our calls; there is no
//   thread of our own. Destroying the transport must not overlap a call.
// - Opening claims the printer interface with libusb's auto-detach: the kernel's usblp driver
//   lets go while we hold the interface and gets it back when we release it (on close or
//   when the transport is destroyed).
// - A printer that is not plugged in, or was unplugged, gives ErrorCode::unavailable with a
//   message a technician can act on ("USB printer 0416:5011 unplugged"). The next call looks
//   for it again, so after a replug the next write() re-opens it and works. Hotplug, where
//   libusb has it, only records arrivals and departures (an arrival may be reported twice;
//   recording is idempotent and nothing is opened from a callback).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "drivers/printer/transport.hpp"

namespace civicbox::drivers {

struct UsbPrinterSettings {
  // Which device: vendor and product id (both or neither). With neither, the first device that
  // has a printer-class (7) interface. A serial number picks one of several identical printers.
  std::uint16_t vendor_id = 0;
  std::uint16_t product_id = 0;
  std::string serial;
  // How long one bulk transfer may go without the printer taking a byte before write() gives
  // up: a printer out of paper or with its cover open stops taking data.
  std::chrono::milliseconds write_timeout{5000};
  // Bytes per bulk transfer; a raster image of 100 KiB goes out in several.
  std::size_t chunk_size = 16 * 1024;
  // Class and standard control requests (GET_PORT_STATUS, the serial number).
  std::chrono::milliseconds control_timeout{1000};
};

// The answer to the USB printer class request GET_PORT_STATUS (one byte).
struct UsbPortStatus {
  std::uint8_t raw = 0;
  [[nodiscard]] bool error() const { return (raw & 0x08) == 0; }  // bit 3 is "not error"
  [[nodiscard]] bool selected() const { return (raw & 0x10) != 0; }
  [[nodiscard]] bool paper_empty() const { return (raw & 0x20) != 0; }
};

class UsbPrinterTransport final : public PrinterTransport {
 public:
  // Starts libusb and, where available, hotplug, then tries once to open the printer. A
  // printer that is not there yet is not an error here (it may be plugged in later; write()
  // says unavailable until then). Errors: invalid_argument (settings), unavailable (libusb
  // cannot start).
  static Expected<std::unique_ptr<UsbPrinterTransport>> create(UsbPrinterSettings settings);
  ~UsbPrinterTransport() override;
  UsbPrinterTransport(const UsbPrinterTransport&) = delete;
  UsbPrinterTransport& operator=(const UsbPrinterTransport&) = delete;

  // Opens the printer now unless it is open. For start-up checks. Errors: not_found (no such
  // device plugged in), unavailable (busy, no permission, gone while opening).
  Expected<void> connect();
  // Whether the printer is open right now (as far as the last call knows).
  [[nodiscard]] bool connected() const;
  // GET_PORT_STATUS (bmRequestType 0xA1, bRequest 1): paper empty, selected, error. Not every
  // printer fills it in honestly; DLE EOT over write()/read() is the better status source.
  // Errors: unavailable, io.
  Expected<UsbPortStatus> port_status();

  Expected<void> write(std::span<const std::uint8_t> bytes) override;
  Expected<std::vector<std::uint8_t>> read(std::size_t max,
                                           std::chrono::milliseconds wait) override;
  void discard_input() override;
  // "usb 0416:5011 serial ABC on bus 1 port 3"; "usb 0416:5011 (not plugged in)".
  [[nodiscard]] std::string describe() const override;

 private:
  struct Impl;
  explicit UsbPrinterTransport(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace civicbox::drivers
