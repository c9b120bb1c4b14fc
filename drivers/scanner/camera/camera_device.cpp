#include "drivers/scanner/camera/camera_device.hpp"

#include <algorithm>
#include <opencv2/videoio.hpp>

namespace civicbox::drivers::camera {

namespace {

using Clock = std::chrono::steady_clock;

// A grab that returns faster than this took a frame that was already queued.
constexpr auto kQueuedGrab = std::chrono::milliseconds(4);
// OpenCV's V4L2 back end queues 4 buffers by default; never grab more than that per frame.
constexpr int kMostQueued = 4;

bool is_index(const std::string& device) {
  return !device.empty() &&
         std::all_of(device.begin(), device.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

CameraDevice::CameraDevice(std::string device, CameraDeviceSettings settings)
    : device_(std::move(device)), settings_(settings) {}

CameraDevice::~CameraDevice() {
  close();
}

Expected<void> CameraDevice::open() {
  close();
  try {
    auto capture = std::make_unique<cv::VideoCapture>();
    const bool opened = is_index(device_) ? capture->open(std::stoi(device_), cv::CAP_V4L2)
                                          : capture->open(device_, cv::CAP_V4L2);
    if (!opened || !capture->isOpened()) {
      return make_error(ErrorCode::unavailable, "cannot open " + device_ + " with V4L2");
    }
    // Requests, not promises: a camera that cannot do MJPEG or 720p gives what it has.
    if (settings_.mjpeg) {
      capture->set(cv::CAP_PROP_FOURCC, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'));
    }
    capture->set(cv::CAP_PROP_FRAME_WIDTH, settings_.width);
    capture->set(cv::CAP_PROP_FRAME_HEIGHT, settings_.height);
    capture->set(cv::CAP_PROP_FPS, settings_.frames_per_second);
    capture->set(cv::CAP_PROP_BUFFERSIZE, 1);
    capture_ = std::move(capture);
    return {};
  } catch (const cv::Exception& e) {
    return make_error(ErrorCode::unavailable, "opening " + device_ + ": " + e.what());
  }
}

Expected<std::optional<Frame>> CameraDevice::next_frame(std::chrono::milliseconds /*wait*/) {
  if (!capture_) return make_error(ErrorCode::unavailable, device_ + " is not open");
  try {
    // Grab (without decoding the JPEG) until a grab has to wait for the sensor: that one is new.
    if (!capture_->grab())
      return make_error(ErrorCode::unavailable, "reading " + device_ + " failed");
    for (int grabbed = 1; grabbed < kMostQueued; ++grabbed) {
      const auto started = Clock::now();
      if (!capture_->grab()) {
        return make_error(ErrorCode::unavailable, "reading " + device_ + " failed");
      }
      if (Clock::now() - started >= kQueuedGrab) break;
    }
    Frame frame{cv::Mat(), Clock::now()};
    if (!capture_->retrieve(frame.image) || frame.image.empty()) {
      return make_error(ErrorCode::unavailable, "decoding a frame from " + device_ + " failed");
    }
    return std::optional<Frame>(std::move(frame));
  } catch (const cv::Exception& e) {
    return make_error(ErrorCode::unavailable, "reading " + device_ + ": " + e.what());
  }
}

void CameraDevice::close() {
  if (!capture_) return;
  try {
    capture_->release();
  } catch (const cv::Exception&) {
    // The device is already gone; nothing left to release.
  }
  capture_.reset();
}

}  // namespace civicbox::drivers::camera
