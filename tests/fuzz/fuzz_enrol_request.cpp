// Fuzz target: an enrolment request as the controller's public listener receives it from
// anyone (wire::parse_enrol_request).
#include <cstddef>
#include <cstdint>

#include "common/identity_wire.hpp"
#include "tests/fuzz/round_trip.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace civicbox;
  auto first = wire::parse_enrol_request(fuzz::as_text(data, size));
  if (!first) return 0;
  std::string text = wire::to_json(*first);
  auto second = wire::parse_enrol_request(text);
  if (!second) fuzz::fail(second.error().describe().c_str(), text);
  fuzz::require(second->token == first->token && second->csr_pem == first->csr_pem &&
                    second->site == first->site,
                "fields differ", text);
  fuzz::require(wire::to_json(*second) == text, "second serialisation differs", text);
  return 0;
}
