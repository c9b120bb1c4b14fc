// A QR scanner on a serial line (RS-232, or a USB scanner in "virtual COM port" mode): each
// scan arrives as one line of text. Bytes are cut into scans by ScanLineAssembler.
//
// Contract:
// - next_scan() returns each scan once, as text without its line end; partial lines, over-long
//   lines and lines with control or non-text bytes are dropped and logged (length and reason,
//   never the text: it may be a pickup code).
// - End of file or EIO on the port means the USB adapter was unplugged: next_scan() says so at
//   once with `unavailable`; later calls reopen the port every `reopen_interval` while they
//   wait, and go on scanning when it is back (use a /dev/serial/by-id/ path: a replugged
//   adapter may come back as another ttyUSB number).
// - One caller at a time (the kiosk's scanner thread); nothing runs between calls, so bytes
//   that arrive meanwhile wait in the kernel and a partial scan's timeout counts from its last
//   byte, not from the call.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "common/error.hpp"
#include "common/scanned.hpp"
#include "drivers/scanner/scanner.hpp"
#include "drivers/scanner/serial/scan_line_assembler.hpp"

namespace civicbox::scanner {

struct SerialScannerOptions {
  std::string device;    // /dev/serial/by-id/usb-<vendor>_<model>-if00-port0
  unsigned baud = 9600;  // as the scanner is set: 9600 (most factory settings) or 115200
  LineEnd line_end = LineEnd::automatic;
  std::size_t max_code_length = kMaxScannedLength;
  std::chrono::milliseconds partial_timeout{
      500};  // a line without its end for this long is dropped
  std::chrono::milliseconds reopen_interval{250};  // how often a gone adapter is looked for
};

class SerialScanner final : public drivers::Scanner {
 public:
  // Opens the port 8N1, raw, at `baud`. Errors: invalid_argument (a speed other than 9600,
  // 19200, 38400, 57600, 115200), unavailable (no such port, busy, no permission: the box's
  // user needs the `dialout` group).
  static Expected<std::unique_ptr<SerialScanner>> open(SerialScannerOptions options);
  ~SerialScanner() override;
  SerialScanner(const SerialScanner&) = delete;
  SerialScanner& operator=(const SerialScanner&) = delete;

  // Errors: unavailable (the scanner adapter is unplugged).
  Expected<std::optional<std::string>> next_scan(std::chrono::milliseconds wait) override;

 private:
  struct Port;
  explicit SerialScanner(std::unique_ptr<Port> port);
  std::unique_ptr<Port> port_;
};

}  // namespace civicbox::scanner
