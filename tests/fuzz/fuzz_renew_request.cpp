// Fuzz target: a renewal request as the device listener receives it (wire::parse_renew_request).
#include <cstddef>
#include <cstdint>

#include "common/identity_wire.hpp"
#include "tests/fuzz/round_trip.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace civicbox;
  auto first = wire::parse_renew_request(fuzz::as_text(data, size));
  if (!first) return 0;
  std::string text = wire::to_json(*first);
  auto second = wire::parse_renew_request(text);
  if (!second) fuzz::fail(second.error().describe().c_str(), text);
  fuzz::require(second->csr_pem == first->csr_pem, "csr differs", text);
  fuzz::require(wire::to_json(*second) == text, "second serialisation differs", text);
  return 0;
}
