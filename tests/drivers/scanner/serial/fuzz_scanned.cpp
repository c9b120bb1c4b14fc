// Fuzz target: the text of any scan (parse_scanned). Besides "no crash": a refusal always says
// why, and whatever parses, formatted back, parses to the same thing, whose format is stable.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/scanned.hpp"
#include "tests/fuzz/round_trip.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace civicbox;
  const auto text = fuzz::as_text(data, size);
  auto scanned = parse_scanned(text);
  if (!scanned) {
    fuzz::require(!scanned.error().message.empty(), "a refusal without a message", text);
    return 0;
  }
  const std::string formatted = format_scanned(*scanned);
  fuzz::require(formatted.size() <= kMaxScannedLength, "formatted over the limit", formatted);
  auto again = parse_scanned(formatted);
  fuzz::require(again.has_value(), "the formatted scan does not parse", formatted);
  fuzz::require(*again == *scanned, "the formatted scan means something else", formatted);
  fuzz::require(format_scanned(*again) == formatted, "formatting is not stable", formatted);
  return 0;
}
