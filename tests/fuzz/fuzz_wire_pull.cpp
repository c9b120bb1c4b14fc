// Fuzz target: the controller's answers as a box receives them (sync pull and push response).
#include <cstddef>
#include <cstdint>

#include "common/wire.hpp"
#include "tests/fuzz/round_trip.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace civicbox;
  auto input = fuzz::as_text(data, size);

  if (auto pull = wire::parse_pull_response(input)) {
    std::string text = wire::to_json(*pull);
    auto again = wire::parse_pull_response(text);
    if (!again) fuzz::fail(again.error().describe().c_str(), text);
    fuzz::require(again->cursor == pull->cursor, "cursor", text);
    fuzz::require(again->assignments.size() == pull->assignments.size(), "assignments", text);
    fuzz::require(wire::to_json(*again) == text, "second serialisation differs", text);
  }

  if (auto push = wire::parse_push_response(input)) {
    std::string text = wire::to_json(*push);
    auto again = wire::parse_push_response(text);
    if (!again) fuzz::fail(again.error().describe().c_str(), text);
    fuzz::require(again->applied_through == push->applied_through, "applied_through", text);
    fuzz::require(wire::to_json(*again) == text, "second serialisation differs", text);
  }
  return 0;
}
