// Frames handed to the scanner by code instead of a camera: the camera simulator feeding the
// scan-to-unlock benchmark, tests. Behaves like a camera that can be unplugged and plugged back.
//
// Thread-safe: one thread pushes while the scanner's worker takes. push() waits while
// `capacity` frames are queued, so every pushed frame is decoded (a real camera would drop
// them; tests want each one looked at).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>

#include "drivers/scanner/camera/frame_source.hpp"

namespace civicbox::drivers::camera {

class PushedFrames final : public FrameSource {
 public:
  explicit PushedFrames(std::string name = "pushed frames", std::size_t capacity = 4);

  // Queues a frame (its pixels are shared, not copied: do not write to it afterwards). Frames
  // pushed before the scanner opens the source wait for it. False when the frame was not
  // taken: unplugged, or the scanner is stopping.
  bool push(cv::Mat image,
            std::chrono::steady_clock::time_point taken_at = std::chrono::steady_clock::now());

  // Unplugging drops queued frames; next_frame() and open() fail until plugged back.
  void set_plugged_in(bool plugged_in);

  // Frames pushed and not yet taken by the worker.
  [[nodiscard]] std::size_t queued() const;

  [[nodiscard]] std::string name() const override { return name_; }
  Expected<void> open() override;
  Expected<std::optional<Frame>> next_frame(std::chrono::milliseconds wait) override;
  void close() override;
  void interrupt() override;

 private:
  const std::string name_;
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Frame> frames_;
  bool plugged_in_ = true;
  bool open_ = false;
  bool stopping_ = false;  // the scanner is stopping: pushes are refused until opened again
};

}  // namespace civicbox::drivers::camera
