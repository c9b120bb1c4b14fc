// Fuzz target: the controller's answer to an enrolment as a box reads it
// (wire::parse_enrol_response).
#include <cstddef>
#include <cstdint>

#include "common/identity_wire.hpp"
#include "tests/fuzz/round_trip.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace civicbox;
  auto first = wire::parse_enrol_response(fuzz::as_text(data, size));
  if (!first) return 0;
  std::string text = wire::to_json(*first);
  auto second = wire::parse_enrol_response(text);
  if (!second) fuzz::fail(second.error().describe().c_str(), text);
  fuzz::require(second->certificate.serial_hex == first->certificate.serial_hex &&
                    second->certificate.not_after_ms == first->certificate.not_after_ms &&
                    second->config.device_id == first->config.device_id &&
                    second->config.languages == first->config.languages &&
                    second->config.document_kinds == first->config.document_kinds,
                "fields differ", text);
  fuzz::require(wire::to_json(*second) == text, "second serialisation differs", text);
  return 0;
}
