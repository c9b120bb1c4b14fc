// A box's identity starts here: an ECDSA P-256 private key made on the box, and a certificate
// signing request (PKCS#10) that proves possession of it. The CA (ca.hpp) turns the CSR into a
// certificate; the private key never has to leave the machine that made it.
#pragma once

#include <string>
#include <string_view>

#include "common/error.hpp"

namespace civicbox::provisioning {

// A fresh ECDSA P-256 private key, PEM ("-----BEGIN EC PRIVATE KEY-----").
Expected<std::string> generate_private_key();

// A PEM CSR for `common_name`, signed with `private_key_pem` (SHA-256).
Expected<std::string> make_csr(std::string_view private_key_pem, std::string_view common_name);

// A PEM CSR that names no device (subject "O=civicbox", no CN), for an enrolment where the box
// does not know its id yet: the controller takes the device id from the token. (A CSR with an
// empty subject would be simpler, but mbedTLS 2.28 cannot parse one back.)
inline constexpr std::string_view kUnnamedCsrSubject = "O=civicbox";
Expected<std::string> make_unnamed_csr(std::string_view private_key_pem);

}  // namespace civicbox::provisioning
