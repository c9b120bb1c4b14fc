// The salted hash of a pickup code. The controller stores only this, and boxes receive only
// this: a box checks a typed code offline without ever holding the code itself.
// PBKDF2-HMAC-SHA256 over the canonical code, with a random 16-byte salt per parcel.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/codes.hpp"
#include "common/error.hpp"
#include "common/random.hpp"

namespace civicbox {

struct PickupHash {
  std::string salt_hex;  // 32 hex chars
  std::uint32_t iterations = 0;
  std::string hash_hex;  // 64 hex chars
};

inline constexpr std::uint32_t kPickupHashIterations = 4096;

PickupHash hash_pickup_code(const PickupCode& code, Random& random,
                            std::uint32_t iterations = kPickupHashIterations);
// Recomputes with the stored salt and iterations; constant-time comparison.
// Errors: parse (salt or hash not hex), invalid_argument (iterations 0 or over 1,000,000).
Expected<bool> pickup_code_matches(const PickupCode& code, const PickupHash& stored);

std::string to_hex(const std::uint8_t* data, std::size_t size);

// The same PBKDF2-HMAC-SHA256 over any other short secret (a staff PIN), with a random 16-byte
// salt. pickup_code_matches() is secret_matches() over the canonical code.
PickupHash hash_secret(std::string_view secret, Random& random, std::uint32_t iterations);
// Errors as pickup_code_matches().
Expected<bool> secret_matches(std::string_view secret, const PickupHash& stored);

}  // namespace civicbox
