// Where the camera scanner's frames come from: a V4L2 camera (camera_device.hpp), an image
// sequence on disk (image_sequence.hpp) or frames pushed by code (pushed_frames.hpp). The worker
// thread in CameraScanner is the only caller; none of these is thread-safe except where said.
//
// Contract: open() before next_frame(); after an error from next_frame() the source is treated
// as unplugged: the worker calls close() and later open() again, with backoff.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "common/error.hpp"
#include "drivers/scanner/camera/opencv.hpp"

namespace civicbox::drivers::camera {

struct Frame {
  cv::Mat image;  // 8-bit, 1 (gray), 3 (BGR) or 4 (BGRA) channels
  // When the frame was taken; the repeat filter measures "out of view" in this time.
  std::chrono::steady_clock::time_point taken_at;
};

class FrameSource {
 public:
  virtual ~FrameSource() = default;

  // How a technician knows it: "/dev/video0", "/var/lib/civicbox/frames/frame_%03d.png".
  [[nodiscard]] virtual std::string name() const = 0;

  // Errors: unavailable (no such device, busy, files missing).
  virtual Expected<void> open() = 0;

  // The newest frame, or nullopt when none came within about `wait` (an image sequence that
  // has ended, nobody pushing). Errors: unavailable (the camera went away).
  virtual Expected<std::optional<Frame>> next_frame(std::chrono::milliseconds wait) = 0;

  virtual void close() = 0;

  // Wakes a next_frame() blocked in another thread (CameraScanner stopping). Thread-safe.
  virtual void interrupt() {}
};

}  // namespace civicbox::drivers::camera
