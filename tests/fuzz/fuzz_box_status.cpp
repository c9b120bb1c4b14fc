// Fuzz target: a box's status report as the controller receives it (POST /v1/device/status).
#include <cstddef>
#include <cstdint>

#include "common/wire.hpp"
#include "tests/fuzz/round_trip.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace civicbox;
  auto first = wire::parse_box_status(fuzz::as_text(data, size));
  if (!first) return 0;
  std::string text = wire::to_json(*first);
  auto second = wire::parse_box_status(text);
  if (!second) fuzz::fail(second.error().describe().c_str(), text);
  fuzz::require(second->at_ms == first->at_ms &&
                    second->compartments.size() == first->compartments.size() &&
                    second->faults.size() == first->faults.size(),
                "fields differ", text);
  fuzz::require(wire::to_json(*second) == text, "second serialisation differs", text);
  return 0;
}
