// Staff PINs: 4 to 8 digits, stored only as a PBKDF2 hash in the text form
// "pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>". The box checks a clerk's PIN against it
// ([[staff]] in agent.toml, or the clerks the controller sends); the controller makes it when the
// back office adds a clerk or resets a PIN. The PIN itself is never stored, logged or shown
// after it is given out.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "common/pickup_hash.hpp"
#include "common/random.hpp"

namespace civicbox {

// A PIN has at most 8 digits: whoever reads the configuration could try them all, so each try is
// made slower than a pickup code's (40 bits, 4096 iterations). A fraction of a second on a box.
inline constexpr std::uint32_t kPinHashIterations = 100'000;

// A PIN is 4 to 8 digits. Errors: invalid_argument.
Expected<void> check_pin_shape(std::string_view pin);
// "pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>", what `civicbox-agent hash-pin` prints and
// [[staff]] pin_hash holds. Salt and hash in lower-case hex. `pin` must pass check_pin_shape.
std::string hash_pin(std::string_view pin, Random& random,
                     std::uint32_t iterations = kPinHashIterations);
// Strict: exactly that form, lower-case hex of 16 salt and 32 hash bytes, iterations 1 to
// 1,000,000 written without a sign or leading zeros. Errors: parse (the form), invalid_argument
// (iterations out of range).
Expected<PickupHash> parse_pin_hash(std::string_view text);
// Constant-time comparison of the derived hash. Errors: invalid_argument (not a PIN's shape: no
// hashing is done), and those of parse_pin_hash for a stored hash that was not parsed by it.
Expected<bool> pin_matches(std::string_view pin, const PickupHash& stored);

}  // namespace civicbox
