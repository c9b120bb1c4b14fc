// Recorded or simulated frames played as a camera: OpenCV's image-sequence reader (CAP_IMAGES)
// over files named like "frames/frame_%03d.png". For tests and for a box without a camera.
//
// Frames are stamped at `frames_per_second` in media time (frame i at open time + i / fps), so
// the repeat filter sees the same gaps however fast this machine decodes. When the sequence
// ends, next_frame() waits and returns nothing; if the first file disappears the "camera" is
// unplugged, and it can be opened again once the files are back (it plays from the start).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "drivers/scanner/camera/frame_source.hpp"

namespace cv {
class VideoCapture;
}

namespace civicbox::drivers::camera {

struct ImageSequenceSettings {
  double frames_per_second = 30;
  bool real_time = false;  // sleep between frames as a camera would (demos); tests play at once
};

// The file name of frame `index` for a printf-like pattern with one %d or %0Nd (N ≤ 9);
// nullopt if the pattern has anything else after a '%'. Pure.
std::optional<std::string> frame_file_name(const std::string& pattern, int index);

class ImageSequence final : public FrameSource {
 public:
  explicit ImageSequence(std::string pattern, ImageSequenceSettings settings = {});
  ~ImageSequence() override;

  [[nodiscard]] std::string name() const override { return pattern_; }
  Expected<void> open() override;
  Expected<std::optional<Frame>> next_frame(std::chrono::milliseconds wait) override;
  void close() override;

 private:
  [[nodiscard]] bool files_present() const;

  std::string pattern_;
  ImageSequenceSettings settings_;
  std::unique_ptr<cv::VideoCapture> capture_;
  std::chrono::steady_clock::time_point first_frame_at_{};
  std::chrono::steady_clock::time_point last_frame_at_{};
  long played_ = 0;
  bool ended_ = false;
};

}  // namespace civicbox::drivers::camera
