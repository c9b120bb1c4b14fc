// How long the camera worker waits before trying to open a camera that is gone: doubling from
// `first` up to `longest`, each wait drawn in [half, full] of that bound so that it neither
// hammers a missing /dev/video0 nor comes back in lockstep with other retry loops. Pure: the
// random draw is passed in.
#pragma once

#include <chrono>

namespace civicbox::drivers::camera {

class ReopenBackoff {
 public:
  ReopenBackoff(std::chrono::milliseconds first, std::chrono::milliseconds longest)
      : first_(first), longest_(longest) {}

  // The wait before the next try; `unit_draw` is uniform in [0, 1]. Counts one more failure.
  std::chrono::milliseconds next(double unit_draw);
  // After the camera opened and gave a frame.
  void reset() { failures_ = 0; }
  [[nodiscard]] int failures() const { return failures_; }

 private:
  std::chrono::milliseconds first_;
  std::chrono::milliseconds longest_;
  int failures_ = 0;
};

}  // namespace civicbox::drivers::camera
