// Fuzz target: raw input_event bytes as a keyboard-wedge scanner's device would deliver them.
// Besides "no crash": every scan is printable ASCII within the length limit, and typing it back
// with our US map gives exactly that scan again.
#include <linux/input.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "drivers/scanner/wedge/keystroke_decoder.hpp"
#include "drivers/scanner/wedge/us_key_map.hpp"
#include "tests/fuzz/round_trip.hpp"

namespace {

using civicbox::fuzz::require;
using namespace civicbox::scanner;
using Clock = KeystrokeDecoder::Clock;

constexpr KeystrokeDecoderOptions kOptions{64, std::chrono::milliseconds(500)};

void check_scan(const std::string& text) {
  require(!text.empty(), "an empty scan");
  require(text.size() <= kOptions.max_length, "a scan over the limit", text);
  for (char c : text) require(c >= 0x20 && c < 0x7F, "a scan with a non-printable byte", text);
  auto events = keystrokes_for(text);
  require(events.has_value(), "a scan the US map cannot type", text);
  KeystrokeDecoder again(kOptions);
  for (const auto& e : *events) again.feed(e, Clock::time_point{});
  auto result = again.take();
  require(result && std::holds_alternative<TypedScan>(*result) &&
              std::get<TypedScan>(*result).text == text,
          "typed back, the scan reads differently", text);
  require(!again.take(), "typed back, the scan gives more than one result", text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  KeystrokeDecoder decoder(kOptions);
  auto now = Clock::time_point{} + std::chrono::hours(1);
  for (std::size_t at = 0; at + sizeof(input_event) <= size; at += sizeof(input_event)) {
    input_event e{};
    std::memcpy(&e, data + at, sizeof e);
    // The gap before each event comes from its timestamp, so timeouts are fuzzed too.
    now += std::chrono::milliseconds(static_cast<std::uint64_t>(e.input_event_usec) % 1000);
    decoder.feed(e, now);
    while (auto result = decoder.take()) {
      if (const auto* scan = std::get_if<TypedScan>(&*result)) check_scan(scan->text);
    }
  }
  decoder.expire(now + std::chrono::hours(1));
  while (auto result = decoder.take()) {
    require(std::holds_alternative<DroppedInput>(*result), "a scan out of an expiry");
  }
  return 0;
}
