// box.json: what a box keeps about one generation of its identity beside the key and the
// certificates: the configuration the controller gave it at enrolment (wire::ProvisionedConfig)
// and the certificate's serial and validity, so the agent knows who it is and when to renew
// without parsing X.509. Parsed strictly, like everything read back from a file.
//
//   {"config": {...ProvisionedConfig...}, "serial": "3f0a...", "not_before_ms": ...,
//    "not_after_ms": ..., "origin": "enrolment" | "renewal", "token_sha256": "..."}
//
// `token_sha256` (enrolment only) is the SHA-256 of the enrolment token, never the token: it
// lets a repeated `civicbox-provision --token T` after a power cut say "already done" instead of
// "already enrolled".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "common/identity_wire.hpp"

namespace civicbox::provisioning {

enum class IdentityOrigin { enrolment, renewal };

std::string_view to_string(IdentityOrigin origin);

struct IdentityRecord {
  wire::ProvisionedConfig config;
  std::string serial_hex;
  std::int64_t not_before_ms = 0;
  std::int64_t not_after_ms = 0;
  IdentityOrigin origin = IdentityOrigin::enrolment;
  std::optional<std::string> token_sha256;  // 64 lowercase hex digits
};

Expected<IdentityRecord> parse_identity_record(std::string_view json);
std::string to_json(const IdentityRecord& record);

// The SHA-256 of an enrolment token, lowercase hex.
std::string token_fingerprint(std::string_view token);

}  // namespace civicbox::provisioning
