// The box's staff: clerks and technicians, each with a badge (scanned, CBX-BADGE:<id>) and a PIN
// whose PBKDF2 hash is in the agent's configuration ([[staff]] tables). The badge alone opens
// nothing; the PIN is never stored, logged or shown.
#pragma once

#include <string>
#include <string_view>

#include "common/error.hpp"
#include "common/pickup_hash.hpp"
#include "common/random.hpp"

namespace civicbox::firmware {

enum class StaffRole { clerk, technician };
std::string_view to_string(StaffRole role);
Expected<StaffRole> parse_staff_role(std::string_view text);

struct StaffMember {
  std::string badge;  // the badge id as printed, 4..32 of A-Z 0-9 -
  std::string name;   // shown on the clerk menu
  StaffRole role = StaffRole::clerk;
  PickupHash pin;     // salt, iterations, hash (same PBKDF2 as pickup codes)
};

// A PIN is 4 to 8 digits. Errors: invalid_argument.
Expected<void> check_pin_shape(std::string_view pin);
// "pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>", what `civicbox-agent hash-pin` prints and
// [[staff]] pin_hash holds.
std::string hash_pin(std::string_view pin, Random& random);
Expected<PickupHash> parse_pin_hash(std::string_view text);
Expected<bool> pin_matches(std::string_view pin, const PickupHash& stored);

}  // namespace civicbox::firmware
