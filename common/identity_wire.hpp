// The wire types of a box's identity: enrolment with a one-time token, renewal of its
// certificate, and the self-test report. Strict parsing as in wire.hpp: a missing field, a wrong
// type, an unknown field or an oversized value is a typed Error. docs/openapi.yaml describes the
// same shapes for people.
//
//   POST /v1/enrol            (public listener, server TLS; the token authenticates the box)
//                             EnrolRequest -> EnrolResponse
//   POST /v1/device/renew     (device listener, mutual TLS with the current certificate)
//                             RenewRequest -> CertificateIssued
//   POST /v1/device/selftest  (device listener) SelfTestReport -> {"recorded": true}
//
// Refusals are ErrorBody {"error": word, "message": text}. The words a box acts on:
//   token_unknown, token_used, token_expired, wrong_site   (403: ask the operator for a token)
//   subject_mismatch, weak_key, bad_csr, same_key          (400/403: a bug or an attack)
//   rate_limited                                           (429: wait, Retry-After says how long)
//   revoked                                                (403 on the device listener: the box is
//                                                           out of service until re-enrolled)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace civicbox::wire {

inline constexpr std::size_t kMaxPemBytes = 16 * 1024;  // a CSR, a certificate or a CA chain
inline constexpr std::size_t kMaxTokenBytes = 128;

struct EnrolRequest {
  std::string token;  // as scanned from CBX-ENROL:<token> or typed
  std::string csr_pem;
  // The site the technician is installing at, when the box knows it: a token for another site
  // is refused (wrong_site). Absent: the token's site is taken.
  std::optional<std::string> site;
};

// What the controller tells a newly enrolled box about itself.
struct ProvisionedConfig {
  std::string device_id;       // also the CN of its certificate
  std::string site;            // where it stands, e.g. "cluj-centru"
  std::string cabinet;         // cabinet profile name, e.g. "kerong-12" (hardware/cabinets)
  std::string controller_url;  // the device listener, "https://host:port"
  std::string institution;
  std::vector<std::string> languages;  // screen languages offered, ISO 639-1
  std::string default_language;        // one of `languages`
  std::vector<std::string> document_kinds;
};

struct CertificateIssued {
  std::string certificate_pem;
  std::string ca_chain_pem;  // the fleet CA (and any intermediates), PEM
  std::string serial_hex;    // lowercase hex, as recorded by the controller
  std::int64_t not_before_ms = 0;
  std::int64_t not_after_ms = 0;
};

struct EnrolResponse {
  CertificateIssued certificate;
  ProvisionedConfig config;
};

struct RenewRequest {
  std::string csr_pem;  // a new key: renewing with the current key is refused (same_key)
};

// One line of a self-test: a compartment (its lock opened and its sensor saw the door open),
// the printer (a test receipt printed), the scanner (the test QR read back), or another part.
struct SelfTestCheck {
  std::string part;                // "compartment", "printer", "scanner", "lock_board", ...
  std::optional<int> compartment;  // for part == "compartment"
  bool ok = false;
  std::string detail;  // for a person: what was seen, or why it failed
};

struct SelfTestReport {
  std::int64_t started_ms = 0;
  std::int64_t finished_ms = 0;
  std::string reason;  // "provisioning" or "on_demand"
  std::vector<SelfTestCheck> checks;
  [[nodiscard]] bool passed() const {
    for (const auto& c : checks) {
      if (!c.ok) return false;
    }
    return !checks.empty();
  }
};

Expected<EnrolRequest> parse_enrol_request(std::string_view json);
Expected<EnrolResponse> parse_enrol_response(std::string_view json);
Expected<RenewRequest> parse_renew_request(std::string_view json);
Expected<CertificateIssued> parse_certificate_issued(std::string_view json);
Expected<SelfTestReport> parse_self_test_report(std::string_view json);
// The config part of an EnrolResponse on its own: the box keeps it in its identity folder.
Expected<ProvisionedConfig> parse_provisioned_config(std::string_view json);

std::string to_json(const EnrolRequest& value);
std::string to_json(const EnrolResponse& value);
std::string to_json(const RenewRequest& value);
std::string to_json(const CertificateIssued& value);
std::string to_json(const SelfTestReport& value);
std::string to_json(const ProvisionedConfig& value);

}  // namespace civicbox::wire
