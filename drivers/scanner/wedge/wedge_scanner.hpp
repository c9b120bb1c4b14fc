// A USB keyboard-wedge QR scanner, read through evdev. The scanner presents itself as a
// keyboard and "types" each code followed by Enter; the box opens its event device and grabs it
// exclusively (EVIOCGRAB), so a scanned pickup code never lands in the kiosk's UI or on a
// console, and translates the key codes itself (KeystrokeDecoder, a US map).
//
// Contract:
// - open() fails if the device cannot be opened, or cannot be grabbed (unless the setting
//   allow_ungrabbed says so, for tests that feed events through a pipe): an ungrabbed scanner
//   would type codes into whatever has the focus.
// - next_scan() returns each scan once, as text (no Enter); drops (no Enter in time, too long,
//   a key without a character) are logged with their length, never their text.
// - When the device goes away (ENODEV, end of file, a hang-up) next_scan() says so at once
//   with `unavailable`; later calls look for the device every `reopen_interval` while they
//   wait, grab it again when it is back and go on scanning.
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

namespace civicbox::scanner {

struct WedgeScannerOptions {
  std::string device;  // /dev/input/by-id/usb-<vendor>_<model>-event-kbd
  // Tests only: go on when EVIOCGRAB fails (a pipe carrying input_event structs is no evdev).
  bool allow_ungrabbed = false;
  std::size_t max_code_length = kMaxScannedLength;
  std::chrono::milliseconds partial_timeout{500};  // a scan without Enter for this long is dropped
  std::chrono::milliseconds reopen_interval{250};  // how often a gone device is looked for
};

class WedgeScanner final : public drivers::Scanner {
 public:
  // Errors: unavailable (no such device, no permission: the service user needs the `input`
  // group), invalid_argument (not an input event device, so it cannot be grabbed), conflict
  // (another program holds the grab).
  static Expected<std::unique_ptr<WedgeScanner>> open(WedgeScannerOptions options);
  ~WedgeScanner() override;
  WedgeScanner(const WedgeScanner&) = delete;
  WedgeScanner& operator=(const WedgeScanner&) = delete;

  // Errors: unavailable (the scanner is unplugged), or open()'s errors when it came back but
  // could not be grabbed.
  Expected<std::optional<std::string>> next_scan(std::chrono::milliseconds wait) override;

  // Whether the device is held exclusively now (false when ungrabbed is allowed and failed).
  [[nodiscard]] bool grabbed() const;

 private:
  struct Device;
  explicit WedgeScanner(std::unique_ptr<Device> device);
  std::unique_ptr<Device> device_;
};

}  // namespace civicbox::scanner
