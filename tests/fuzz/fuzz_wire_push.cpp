// Fuzz target: a push request as the controller receives it from a box.
#include <cstddef>
#include <cstdint>

#include "common/wire.hpp"
#include "tests/fuzz/round_trip.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace civicbox;
  auto first = wire::parse_push_request(fuzz::as_text(data, size));
  if (!first) return 0;
  std::string text = wire::to_json(*first);
  auto second = wire::parse_push_request(text);
  if (!second) fuzz::fail(second.error().describe().c_str(), text);
  fuzz::require(second->events.size() == first->events.size(), "event count", text);
  fuzz::require(wire::to_json(*second) == text, "second serialisation differs", text);
  return 0;
}
