// The box's staff: clerks and technicians, each with a badge (scanned, CBX-BADGE:<id>) and a PIN
// whose PBKDF2 hash is in the agent's configuration ([[staff]] tables). The badge alone opens
// nothing; the PIN is never stored, logged or shown.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "common/pickup_hash.hpp"
#include "common/pin_hash.hpp"
#include "common/random.hpp"

namespace civicbox::firmware {

enum class StaffRole { clerk, technician };
std::string_view to_string(StaffRole role);
Expected<StaffRole> parse_staff_role(std::string_view text);

struct StaffMember {
  std::string badge;  // the badge id as printed, 4..32 of A-Z 0-9 -
  std::string name;   // shown on the clerk menu
  StaffRole role = StaffRole::clerk;
  PickupHash pin;  // salt, iterations, hash (same PBKDF2 as pickup codes)
};

// The PIN functions live in common/pin_hash.hpp (the controller hashes clerks' PINs too).
using civicbox::check_pin_shape;
using civicbox::hash_pin;
using civicbox::kPinHashIterations;
using civicbox::parse_pin_hash;
using civicbox::pin_matches;

}  // namespace civicbox::firmware
