// Fuzz target: one event as the agent reads it back from its journal.
#include <cstddef>
#include <cstdint>

#include "common/wire.hpp"
#include "tests/fuzz/round_trip.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace civicbox;
  auto first = wire::parse_event(fuzz::as_text(data, size));
  if (!first) return 0;
  std::string text = wire::to_json(*first);
  auto second = wire::parse_event(text);
  if (!second) fuzz::fail(second.error().describe().c_str(), text);
  fuzz::require(second->seq == first->seq && second->id == first->id &&
                    second->at_ms == first->at_ms && second->body.index() == first->body.index(),
                "fields differ", text);
  fuzz::require(wire::to_json(*second) == text, "second serialisation differs", text);
  return 0;
}
