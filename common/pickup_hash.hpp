// The salted hash of a pickup code. The controller stores only this, and boxes receive only
// this: a box checks a typed code offline without ever holding the code itself.
// PBKDF2-HMAC-SHA256 over the canonical code, with a random 16-byte salt per parcel.
#pragma once

#include <cstdint>
#include <string>

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

}  // namespace civicbox
