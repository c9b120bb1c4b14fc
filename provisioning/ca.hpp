// A certificate authority over PEM text: makes its own self-signed certificate and signs CSRs.
// The CA decides what goes into a certificate (role, name, validity, alternative names) from a
// CertProfile; from the CSR it takes only the public key, after checking the CSR's signature
// (proof that the requester holds the private key). The dev PKI (dev_pki.hpp) and, later,
// enrolment on the controller both sign through sign_csr().
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace civicbox::provisioning {

enum class CertRole {
  authority,  // basicConstraints CA:TRUE (pathlen 0), keyUsage keyCertSign|cRLSign
  server,     // CA:FALSE, keyUsage digitalSignature, extendedKeyUsage serverAuth
  client,     // CA:FALSE, keyUsage digitalSignature, extendedKeyUsage clientAuth
};

struct CertProfile {
  CertRole role = CertRole::client;
  // The subject CN written into the certificate. Plain text: no ',', '=', '+', quotes.
  std::string common_name;
  std::chrono::system_clock::time_point not_before;
  std::chrono::system_clock::time_point not_after;
  // subjectAltName entries; written only when at least one is given.
  std::vector<std::string> dns_names;
  std::vector<std::array<std::uint8_t, 4>> ipv4_addresses;
};

// A CA's certificate and private key, both PEM.
struct CaCredentials {
  std::string cert_pem;
  std::string key_pem;
};

// A self-signed CA certificate for `key_pem`; `profile.role` must be CertRole::authority.
Expected<std::string> self_sign_ca(std::string_view key_pem, const CertProfile& profile);

// Checks that the key belongs to the certificate and the certificate is a CA.
Expected<void> check_ca(const CaCredentials& ca);

// The CN of a PEM CSR's subject (ErrorCode::parse when the CSR is malformed or has none).
Expected<std::string> csr_common_name(std::string_view csr_pem);

// Signs a PEM CSR with the CA and returns the certificate as PEM. The CSR must be a P-256 key
// with a valid signature, and if it names a CN that CN must equal `profile.common_name`
// (ErrorCode::conflict otherwise). The serial number is 16 random bytes (top bit clear). The
// result is checked to chain to the CA before it is returned.
Expected<std::string> sign_csr(const CaCredentials& ca, std::string_view csr_pem,
                               const CertProfile& profile);

}  // namespace civicbox::provisioning
