// Fuzz target: which scanned QR payloads count as ours (drivers/scanner/qr/qr_text.hpp). Besides
// "no crash", is_box_text() must agree with an independent check, both ways: a payload is ours
// exactly when it is non-empty, well-formed UTF-8 by the byte ranges of the Unicode Standard's
// table 3-7 (no overlong forms, no surrogates, nothing above U+10FFFF) and holds no control
// character (C0, DEL, C1) other than tab, line feed and carriage return. Else abort().
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "drivers/scanner/qr/qr_text.hpp"
#include "tests/fuzz/round_trip.hpp"

namespace {

struct Range {
  std::uint8_t low;
  std::uint8_t high;
};

bool within(std::uint8_t byte, Range range) {
  return byte >= range.low && byte <= range.high;
}

// The well-formed sequences from a lead byte on: table 3-7, row by row. 0 when none matches.
std::size_t well_formed_length(std::span<const std::uint8_t> bytes) {
  struct Row {
    Range lead;
    std::size_t length;
    Range second;  // the third and fourth bytes are always 80..BF
  };
  static constexpr Row kRows[] = {
      {{0x00, 0x7F}, 1, {0, 0}},       {{0xC2, 0xDF}, 2, {0x80, 0xBF}},
      {{0xE0, 0xE0}, 3, {0xA0, 0xBF}}, {{0xE1, 0xEC}, 3, {0x80, 0xBF}},
      {{0xED, 0xED}, 3, {0x80, 0x9F}}, {{0xEE, 0xEF}, 3, {0x80, 0xBF}},
      {{0xF0, 0xF0}, 4, {0x90, 0xBF}}, {{0xF1, 0xF3}, 4, {0x80, 0xBF}},
      {{0xF4, 0xF4}, 4, {0x80, 0x8F}},
  };
  for (const Row& row : kRows) {
    if (!within(bytes[0], row.lead)) continue;
    if (bytes.size() < row.length) return 0;
    if (row.length >= 2 && !within(bytes[1], row.second)) return 0;
    for (std::size_t k = 2; k < row.length; ++k) {
      if (!within(bytes[k], {0x80, 0xBF})) return 0;
    }
    return row.length;
  }
  return 0;  // 80..C1, F5..FF never lead
}

bool control(std::span<const std::uint8_t> sequence) {
  if (sequence.size() == 1) {
    const std::uint8_t b = sequence[0];
    return (b < 0x20 && b != '\t' && b != '\n' && b != '\r') || b == 0x7F;
  }
  return sequence.size() == 2 && sequence[0] == 0xC2 && sequence[1] <= 0x9F;  // U+0080..U+009F
}

bool ours(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return false;
  for (std::size_t at = 0; at < bytes.size();) {
    const std::size_t length = well_formed_length(bytes.subspan(at));
    if (length == 0 || control(bytes.subspan(at, length))) return false;
    at += length;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using civicbox::fuzz::require;
  const std::span<const std::uint8_t> bytes(data, size);
  const bool accepted = civicbox::drivers::qr::is_box_text(bytes);
  const auto text = civicbox::fuzz::as_text(data, size);
  require(accepted == civicbox::drivers::qr::is_box_text(text),
          "the bytes and the text overloads disagree", text);
  if (accepted) {
    require(ours(bytes), "accepted a payload that is not UTF-8 text without controls", text);
  } else {
    require(!ours(bytes), "refused a payload of UTF-8 text without controls", text);
  }
  return 0;
}
