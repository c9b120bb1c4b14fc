// What a box checks about a certificate before it lets it be its identity: that it is for the
// box's own key, names the box, and chains to the fleet CA the box already trusts. Every answer
// of the controller (enrolment, renewal) and every identity read back from disk goes through
// here. Validity dates are not judged: a box's clock may be wrong at first boot, and TLS checks
// them on every connection anyway.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "common/identity_wire.hpp"

namespace civicbox::provisioning {

// What the box reads out of a certificate (the first one of a PEM text).
struct CertificateFacts {
  std::string common_name;  // subject CN, empty when the subject has none
  std::string serial_hex;   // lowercase hex without leading zeros
  std::int64_t not_before_ms = 0;
  std::int64_t not_after_ms = 0;
  bool is_ca = false;
};

Expected<CertificateFacts> read_certificate_facts(std::string_view cert_pem);

// The DER SubjectPublicKeyInfo of a CSR's or a certificate's key: equal bytes, equal keys.
Expected<std::string> csr_public_key(std::string_view csr_pem);
Expected<std::string> certificate_public_key(std::string_view cert_pem);

// The CN a CSR asks for, empty when its subject names none (make_unnamed_csr).
Expected<std::string> csr_requested_name(std::string_view csr_pem);

// Whether the private key in `key_file` belongs to the certificate (or to the CSR):
// ErrorCode::crypto otherwise, ErrorCode::not_found / io when the file cannot be read. The key
// is read here and nowhere else, and its text is wiped from memory after use.
Expected<void> check_key_file_matches(const std::filesystem::path& key_file,
                                      std::string_view cert_pem);
Expected<void> check_key_file_matches_csr(const std::filesystem::path& key_file,
                                          std::string_view csr_pem);

// The first certificate of `cert_pem` (the rest, if any, are intermediates) verifies against
// the CA certificates in `ca_pem`. ErrorCode::crypto naming the reason otherwise.
Expected<void> check_chains_to(std::string_view cert_pem, std::string_view ca_pem);

// Every certificate of the CA chain the controller sent is one the box trusts (`trusted_pem`,
// the fleet CA it was given) or is signed through them. Returns what the box keeps as its ca.crt:
// the chain, followed by the trusted certificates it did not include (so the fleet root is
// always there for verifying the controller).
Expected<std::string> check_ca_chain_is_trusted(std::string_view chain_pem,
                                                std::string_view trusted_pem);

// All checks of a certificate the controller issued for `csr_pem`:
//   - its public key is the CSR's (the box's) key,
//   - its CN is `device_id` and it is a client certificate (not a CA, clientAuth if it says),
//   - it chains to the CA chain sent with it, and that chain is trusted (see above),
//   - the serial and validity the controller stated are the certificate's own.
// Returns the ca.crt text to keep (check_ca_chain_is_trusted). Errors: ErrorCode::crypto with a
// message saying which check failed.
Expected<std::string> check_issued_certificate(const wire::CertificateIssued& issued,
                                               std::string_view csr_pem, std::string_view device_id,
                                               std::string_view trusted_pem);

}  // namespace civicbox::provisioning
