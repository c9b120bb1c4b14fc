// Which lock-board protocol a bus speaks. One RS-485 bus carries boards of one family only, so
// the family is chosen once per bus (driver and simulator alike); a third family is a new codec
// and a new value here.
#pragma once

#include <string_view>

namespace civicbox::lockers {

enum class BoardFamily { kerong, xor8a };

// The line speed the family's boards use (8N1).
constexpr int baud_of(BoardFamily family) {
  return family == BoardFamily::kerong ? 19200 : 9600;
}

constexpr std::string_view to_string(BoardFamily family) {
  return family == BoardFamily::kerong ? "Kerong" : "0x8A";
}

}  // namespace civicbox::lockers
