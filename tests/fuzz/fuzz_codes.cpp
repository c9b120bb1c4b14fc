// Fuzz target: what a person types or a scanner reads (tracking and pickup codes) and the ids
// that come over the wire (device ids, event ids).
#include <cstddef>
#include <cstdint>

#include "common/codes.hpp"
#include "common/ids.hpp"
#include "tests/fuzz/round_trip.hpp"

namespace {

template <typename Code>
void check_code(std::string_view input) {
  using civicbox::fuzz::require;
  auto code = Code::parse(input);
  if (!code) return;
  const std::string& canonical = code->str();
  require(canonical.size() == Code::kLength, "canonical length", canonical);
  auto again = Code::parse(canonical);
  require(again && *again == *code, "canonical form does not parse back", canonical);
  auto shown = Code::parse(code->display());
  require(shown && *shown == *code, "display form does not parse back", code->display());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace civicbox;
  auto input = fuzz::as_text(data, size);

  check_code<TrackingCode>(input);
  check_code<PickupCode>(input);

  if (auto device = DeviceId::parse(input)) {
    fuzz::require(device->str() == input, "device id is not kept as given", input);
    auto again = DeviceId::parse(device->str());
    fuzz::require(again && *again == *device, "device id does not parse back", input);
  }

  if (auto event = EventId::parse(input)) {
    // Only the canonical form is accepted, so printing gives back the very input.
    fuzz::require(event->str() == input, "event id text differs", input);
    auto again = EventId::parse(event->str());
    fuzz::require(again && *again == *event, "event id does not parse back", input);
  }
  return 0;
}
