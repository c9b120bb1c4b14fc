#include "firmware/backoff.hpp"

#include <algorithm>

namespace civicbox::firmware {

std::chrono::milliseconds Backoff::ceiling() const {
  auto bound = base_;
  for (int i = 0; i < failures_ && bound < cap_; ++i) bound *= 2;
  return std::min(bound, cap_);
}

std::chrono::milliseconds Backoff::next(Random& random) {
  auto bound = static_cast<std::uint64_t>(ceiling().count());
  ++failures_;
  return std::chrono::milliseconds(static_cast<std::int64_t>(random.next_u64() % (bound + 1)));
}

}  // namespace civicbox::firmware
