// Fuzz target: a renewed certificate as a box reads it (wire::parse_certificate_issued).
#include <cstddef>
#include <cstdint>

#include "common/identity_wire.hpp"
#include "tests/fuzz/round_trip.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace civicbox;
  auto first = wire::parse_certificate_issued(fuzz::as_text(data, size));
  if (!first) return 0;
  std::string text = wire::to_json(*first);
  auto second = wire::parse_certificate_issued(text);
  if (!second) fuzz::fail(second.error().describe().c_str(), text);
  fuzz::require(second->certificate_pem == first->certificate_pem &&
                    second->ca_chain_pem == first->ca_chain_pem &&
                    second->serial_hex == first->serial_hex &&
                    second->not_before_ms == first->not_before_ms &&
                    second->not_after_ms == first->not_after_ms,
                "fields differ", text);
  fuzz::require(wire::to_json(*second) == text, "second serialisation differs", text);
  return 0;
}
