// The QR scanner: yields the text of each code it reads (a pickup code, a clerk's badge, a
// parcel label). What the text means is decided by the kiosk, never by the scanner.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "common/error.hpp"

namespace civicbox::drivers {

class Scanner {
 public:
  virtual ~Scanner() = default;
  // The next scanned text, or nullopt when nothing was read within `wait`.
  // Errors: unavailable (the camera or scanner is gone).
  virtual Expected<std::optional<std::string>> next_scan(std::chrono::milliseconds wait) = 0;
};

}  // namespace civicbox::drivers
