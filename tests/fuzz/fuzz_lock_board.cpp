// Fuzz target: bytes a lock board (or a noisy RS-485 bus) sends back, for both board families.
// A frame that parses is rebuilt by the simulator's encoder byte for byte.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "drivers/lockers/codec/kerong.hpp"
#include "drivers/lockers/codec/xor8a.hpp"
#include "tests/fuzz/round_trip.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace civicbox::lockers;
  using civicbox::fuzz::require;
  const std::span<const std::uint8_t> bytes(data, size);
  const auto text = civicbox::fuzz::as_text(data, size);
  if (auto status = kerong::parse_status(bytes)) {
    auto again = kerong::status_frame(*status);
    require(std::equal(again.begin(), again.end(), bytes.begin(), bytes.end()),
            "kerong status frame does not rebuild", text);
  }
  (void)kerong::parse_request(bytes);
  if (auto reply = xor8a::parse_lock_reply(bytes)) {
    auto again = xor8a::lock_reply_frame(*reply, bytes[0] == xor8a::kOpenHeader);
    require(std::equal(again.begin(), again.end(), bytes.begin(), bytes.end()),
            "0x8A lock reply does not rebuild", text);
  }
  if (auto all = xor8a::parse_all_reply(bytes)) {
    auto again = xor8a::all_reply_frame(*all);
    require(std::equal(again.begin(), again.end(), bytes.begin(), bytes.end()),
            "0x8A query-all reply does not rebuild", text);
  }
  return 0;
}
