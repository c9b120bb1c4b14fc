// The event of one kind a flow recorded. A flow that opens a door records a door.opened (who and
// why) before the unlock, so the flow's outcome is not necessarily its first event.
#pragma once

#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "common/wire.hpp"

namespace civicbox::testing {

// The first event of kind T; throws (failing the test) when there is none.
template <typename T>
const T& first_of(const std::vector<wire::EventBody>& events) {
  for (const auto& e : events) {
    if (const auto* found = std::get_if<T>(&e)) return *found;
  }
  throw std::out_of_range("no event of this kind among " + std::to_string(events.size()));
}

template <typename T>
std::size_t count_of(const std::vector<wire::EventBody>& events) {
  std::size_t n = 0;
  for (const auto& e : events) n += std::holds_alternative<T>(e) ? 1 : 0;
  return n;
}

}  // namespace civicbox::testing
