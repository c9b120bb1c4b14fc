// The facts the controller decides on, read from a box's certificate or CSR with OpenSSL (the
// library the HTTPS server already speaks): who it names, its serial and validity, and a
// fingerprint of its public key. The same fingerprint is taken of a CSR and of a certificate,
// so "the same key" is one string comparison.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.hpp"

struct x509_st;  // OpenSSL's X509

namespace civicbox::controller {

struct CertificateFacts {
  std::string common_name;
  std::string serial_hex;  // lowercase hex of the serial number's octets, as recorded
  std::int64_t not_before_ms = 0;
  std::int64_t not_after_ms = 0;
  std::string key_sha256_hex;  // SHA-256 of the DER SubjectPublicKeyInfo
};

struct CsrFacts {
  std::string common_name;  // empty when the subject names no CN
  std::string key_sha256_hex;
  // No attribute at all in the subject. Valid PKCS#10, but mbedTLS 2.28 (which signs) cannot
  // read such a CSR: enrolment refuses it as bad_csr, asking for a CN.
  bool empty_subject = false;
};

// Errors: parse when the text holds no PEM certificate OpenSSL can read.
Expected<CertificateFacts> read_certificate(std::string_view pem);
// The same for a certificate OpenSSL holds already (the client certificate of a TLS session).
Expected<CertificateFacts> read_certificate(x509_st* certificate);

// Reads a PEM CSR and checks what a box's CSR must be. Errors:
//   parse             not a PEM CSR, a subject with more than one CN, or a signature that does
//                     not verify with the CSR's own key (the enrolment word bad_csr)
//   invalid_argument  a key that is not ECDSA P-256: RSA of any size, P-384, secp256k1, ...
//                     (the word weak_key)
Expected<CsrFacts> read_csr(std::string_view pem);

}  // namespace civicbox::controller
