// The few encodings the controller's identity work needs, over OpenSSL: SHA-256 as hex (token
// and public-key fingerprints), base64 (a PNG in JSON) and base64url without padding (tokens).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace civicbox::controller {

// Lowercase hex of the SHA-256 of `bytes`.
std::string sha256_hex(std::string_view bytes);
// Lowercase hex of `bytes`.
std::string hex(std::span<const std::uint8_t> bytes);
// RFC 4648 section 4, with '=' padding.
std::string base64(std::string_view bytes);
// RFC 4648 section 5 (A-Z a-z 0-9 - _), without padding: 32 bytes become 43 characters.
std::string base64url(std::span<const std::uint8_t> bytes);

}  // namespace civicbox::controller
