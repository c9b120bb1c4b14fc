// Fuzz target: a box's self-test report as the device listener receives it
// (wire::parse_self_test_report).
#include <cstddef>
#include <cstdint>

#include "common/identity_wire.hpp"
#include "tests/fuzz/round_trip.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace civicbox;
  auto first = wire::parse_self_test_report(fuzz::as_text(data, size));
  if (!first) return 0;
  std::string text = wire::to_json(*first);
  auto second = wire::parse_self_test_report(text);
  if (!second) fuzz::fail(second.error().describe().c_str(), text);
  fuzz::require(second->started_ms == first->started_ms &&
                    second->finished_ms == first->finished_ms && second->reason == first->reason &&
                    second->checks.size() == first->checks.size() &&
                    second->passed() == first->passed(),
                "fields differ", text);
  for (std::size_t i = 0; i < first->checks.size(); ++i) {
    fuzz::require(second->checks[i].compartment == first->checks[i].compartment &&
                      second->checks[i].ok == first->checks[i].ok &&
                      second->checks[i].detail == first->checks[i].detail,
                  "a check differs", text);
  }
  fuzz::require(wire::to_json(*second) == text, "second serialisation differs", text);
  return 0;
}
