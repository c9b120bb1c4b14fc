// Fuzz target: the cabinet profile a technician writes (hardware/cabinets/*.toml). Whatever the
// bytes, the parser answers a profile that keeps its promises or an error that says something.
#include <cstddef>
#include <cstdint>
#include <set>
#include <tuple>

#include "drivers/lockers/cabinet_profile.hpp"
#include "tests/fuzz/round_trip.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace civicbox;
  auto input = fuzz::as_text(data, size);
  auto profile = lockers::parse_cabinet_profile(input);
  if (!profile) {
    fuzz::require(!profile.error().message.empty(), "empty profile error", input);
    return 0;
  }
  fuzz::require(!profile->buses.empty() && !profile->compartments.empty(), "empty profile", input);
  std::set<int> numbers;
  std::set<std::tuple<int, int, int>> locks;
  int last = 0;
  for (const auto& c : profile->compartments) {
    fuzz::require(c.bus >= 0 && static_cast<std::size_t>(c.bus) < profile->buses.size(),
                  "compartment on a missing bus", input);
    fuzz::require(c.number > last, "compartments not ascending", input);
    last = c.number;
    fuzz::require(numbers.insert(c.number).second, "duplicate number", input);
    fuzz::require(locks.insert({c.bus, c.board, c.lock}).second, "two on one lock", input);
    fuzz::require(c.lock >= 1 && c.lock <= 32, "lock out of range", input);
  }
  // Round trip: what parses, written out, parses again to the same profile.
  const std::string written = lockers::to_toml(*profile);
  auto again = lockers::parse_cabinet_profile(written);
  fuzz::require(again.has_value(), "written profile does not parse", input);
  fuzz::require(lockers::to_toml(*again) == written, "profile round trip differs", input);
  return 0;
}
