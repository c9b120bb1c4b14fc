#include "drivers/scanner/camera/reopen_backoff.hpp"

#include <algorithm>

namespace civicbox::drivers::camera {

std::chrono::milliseconds ReopenBackoff::next(double unit_draw) {
  const double draw = std::clamp(unit_draw, 0.0, 1.0);
  auto bound = first_;
  for (int i = 0; i < failures_ && bound < longest_; ++i) bound *= 2;
  bound = std::min(bound, longest_);
  if (failures_ < 64) ++failures_;
  const auto half = bound / 2;
  return half + std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(
                    draw * static_cast<double>((bound - half).count())));
}

}  // namespace civicbox::drivers::camera
