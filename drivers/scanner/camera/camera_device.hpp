// A USB camera through V4L2 (OpenCV VideoCapture, CAP_V4L2). Asks for MJPEG at 1280×720:
// uncompressed 720p does not fit USB 2.0 at 30 fps. The driver queues frames while we decode, so
// next_frame() grabs past queued frames to the newest one: the kiosk must react to what is in
// front of the camera now, not half a second ago.
#pragma once

#include <memory>
#include <string>

#include "drivers/scanner/camera/frame_source.hpp"

namespace cv {
class VideoCapture;
}

namespace civicbox::drivers::camera {

struct CameraDeviceSettings {
  int width = 1280;
  int height = 720;
  bool mjpeg = true;
  double frames_per_second = 30;
};

class CameraDevice final : public FrameSource {
 public:
  // `device`: "/dev/video0" or an index "0".
  explicit CameraDevice(std::string device, CameraDeviceSettings settings = {});
  ~CameraDevice() override;

  [[nodiscard]] std::string name() const override { return device_; }
  Expected<void> open() override;
  // `wait` is not used: V4L2 blocks until the next frame (≤ one frame interval when streaming).
  Expected<std::optional<Frame>> next_frame(std::chrono::milliseconds wait) override;
  void close() override;

 private:
  std::string device_;
  CameraDeviceSettings settings_;
  std::unique_ptr<cv::VideoCapture> capture_;
};

}  // namespace civicbox::drivers::camera
