// Which QR payloads are ours: the box only ever prints and reads text (pickup codes, badge ids,
// parcel labels), so a payload must be valid UTF-8 without control characters. Anything else (a
// binary code, a Latin-1 or Shift-JIS payload, a code with a NUL in it) is someone else's code
// held up to the camera and is dropped at the scanner, never passed to the kiosk. Pure.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace civicbox::drivers::qr {

// True if `bytes` is well-formed UTF-8 (no overlong forms, no surrogates, nothing above
// U+10FFFF) and holds no C0 control character other than tab, line feed and carriage return,
// and no DEL. An empty payload is not text.
bool is_box_text(std::span<const std::uint8_t> bytes);
inline bool is_box_text(std::string_view text) {
  return is_box_text(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

}  // namespace civicbox::drivers::qr
