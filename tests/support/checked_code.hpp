// Test codes: a payload completed with its Crockford/Damm check character, so that it parses as
// a pickup code (8 + 1) or a tracking code (11 + 1).
#pragma once

#include <string>

#include "common/codes.hpp"

namespace civicbox::testing {

inline std::string with_check(std::string payload) {
  payload.push_back(crockford::check_character(payload));
  return payload;
}

}  // namespace civicbox::testing
