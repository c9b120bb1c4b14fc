#include "drivers/scanner/qr/qr_text.hpp"

namespace civicbox::drivers::qr {

namespace {

bool is_allowed_ascii(std::uint8_t byte) {
  if (byte == '\t' || byte == '\n' || byte == '\r') return true;
  return byte >= 0x20 && byte != 0x7f;
}

bool is_continuation(std::uint8_t byte) {
  return (byte & 0xc0) == 0x80;
}

}  // namespace

bool is_box_text(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return false;
  std::size_t i = 0;
  while (i < bytes.size()) {
    const std::uint8_t lead = bytes[i];
    if (lead < 0x80) {
      if (!is_allowed_ascii(lead)) return false;
      ++i;
      continue;
    }
    std::size_t length = 0;
    std::uint32_t code_point = 0;
    if ((lead & 0xe0) == 0xc0) {
      length = 2;
      code_point = lead & 0x1fu;
    } else if ((lead & 0xf0) == 0xe0) {
      length = 3;
      code_point = lead & 0x0fu;
    } else if ((lead & 0xf8) == 0xf0) {
      length = 4;
      code_point = lead & 0x07u;
    } else {
      return false;  // a stray continuation byte or 0xf8..0xff
    }
    if (bytes.size() - i < length) return false;
    for (std::size_t k = 1; k < length; ++k) {
      if (!is_continuation(bytes[i + k])) return false;
      code_point = (code_point << 6) | (bytes[i + k] & 0x3fu);
    }
    static constexpr std::uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code_point < kSmallest[length]) return false;                // overlong
    if (code_point >= 0xd800 && code_point <= 0xdfff) return false;  // surrogate
    if (code_point > 0x10ffff) return false;                         // beyond Unicode
    if (code_point >= 0x80 && code_point <= 0x9f) return false;      // C1 controls
    i += length;
  }
  return true;
}

}  // namespace civicbox::drivers::qr
