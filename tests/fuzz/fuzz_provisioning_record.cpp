// Fuzz target: box.json, what a box keeps about its identity beside its key and certificates
// (provisioning/identity_record.hpp), and on its own the config part it shares with the wire
// (wire::parse_provisioned_config).
#include <cstddef>
#include <cstdint>

#include "common/identity_wire.hpp"
#include "provisioning/identity_record.hpp"
#include "tests/fuzz/round_trip.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace civicbox;
  auto input = fuzz::as_text(data, size);

  if (auto record = provisioning::parse_identity_record(input)) {
    std::string text = provisioning::to_json(*record);
    auto again = provisioning::parse_identity_record(text);
    if (!again) fuzz::fail(again.error().describe().c_str(), text);
    fuzz::require(
        again->serial_hex == record->serial_hex && again->not_before_ms == record->not_before_ms &&
            again->not_after_ms == record->not_after_ms && again->origin == record->origin &&
            again->token_sha256 == record->token_sha256 &&
            again->config.device_id == record->config.device_id,
        "fields differ", text);
    fuzz::require(provisioning::to_json(*again) == text, "second serialisation differs", text);
  }

  if (auto config = wire::parse_provisioned_config(input)) {
    std::string text = wire::to_json(*config);
    auto again = wire::parse_provisioned_config(text);
    if (!again) fuzz::fail(again.error().describe().c_str(), text);
    fuzz::require(
        again->languages == config->languages && again->document_kinds == config->document_kinds,
        "lists differ", text);
    fuzz::require(wire::to_json(*again) == text, "second serialisation differs", text);
  }
  return 0;
}
