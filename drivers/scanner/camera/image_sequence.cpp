#include "drivers/scanner/camera/image_sequence.hpp"

#include <filesystem>
#include <opencv2/videoio.hpp>
#include <thread>

namespace civicbox::drivers::camera {

namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

std::optional<std::string> frame_file_name(const std::string& pattern, int index) {
  const auto percent = pattern.find('%');
  if (percent == std::string::npos) return std::nullopt;
  std::size_t pos = percent + 1;
  int width = 0;
  if (pos < pattern.size() && pattern[pos] == '0') {
    ++pos;
    if (pos >= pattern.size() || pattern[pos] < '1' || pattern[pos] > '9') return std::nullopt;
    width = pattern[pos] - '0';
    ++pos;
  }
  if (pos >= pattern.size() || pattern[pos] != 'd') return std::nullopt;
  if (pattern.find('%', pos) != std::string::npos) return std::nullopt;
  std::string number = std::to_string(index);
  if (static_cast<int>(number.size()) < width) {
    number.insert(0, static_cast<std::size_t>(width) - number.size(), '0');
  }
  return pattern.substr(0, percent) + number + pattern.substr(pos + 1);
}

ImageSequence::ImageSequence(std::string pattern, ImageSequenceSettings settings)
    : pattern_(std::move(pattern)), settings_(settings) {}

ImageSequence::~ImageSequence() {
  close();
}

bool ImageSequence::files_present() const {
  // OpenCV starts a sequence at index 0 or 1.
  std::error_code ec;
  for (int first : {0, 1}) {
    const auto name = frame_file_name(pattern_, first);
    if (name && std::filesystem::exists(*name, ec)) return true;
  }
  return false;
}

Expected<void> ImageSequence::open() {
  close();
  if (!frame_file_name(pattern_, 0)) {
    return make_error(ErrorCode::invalid_argument,
                      "image sequence pattern " + pattern_ + " needs one %d or %0Nd");
  }
  if (!files_present()) {
    return make_error(ErrorCode::unavailable, "no frame files match " + pattern_);
  }
  try {
    auto capture = std::make_unique<cv::VideoCapture>(pattern_, cv::CAP_IMAGES);
    if (!capture->isOpened()) {
      return make_error(ErrorCode::unavailable, "cannot play the image sequence " + pattern_);
    }
    capture_ = std::move(capture);
  } catch (const cv::Exception& e) {
    return make_error(ErrorCode::unavailable, "opening " + pattern_ + ": " + e.what());
  }
  // Media time continues after a reopen, never going back.
  const auto period = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(1.0 / settings_.frames_per_second));
  first_frame_at_ = std::max(Clock::now(), last_frame_at_ + period);
  played_ = 0;
  ended_ = false;
  return {};
}

Expected<std::optional<Frame>> ImageSequence::next_frame(std::chrono::milliseconds wait) {
  if (!capture_) return make_error(ErrorCode::unavailable, pattern_ + " is not open");
  if (!ended_) {
    Frame frame;
    frame.taken_at =
        first_frame_at_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                              static_cast<double>(played_) / settings_.frames_per_second));
    if (settings_.real_time) std::this_thread::sleep_until(frame.taken_at);
    bool read = false;
    try {
      read = capture_->read(frame.image) && !frame.image.empty();
    } catch (const cv::Exception&) {
      read = false;  // a half-written or damaged file: treated as the end, below
    }
    if (read) {
      ++played_;
      last_frame_at_ = frame.taken_at;
      return std::optional<Frame>(std::move(frame));
    }
    ended_ = true;
  }
  // Ended (or a file is missing). Gone for good if the start of the sequence has gone too.
  if (!files_present()) {
    return make_error(ErrorCode::unavailable, "the frame files of " + pattern_ + " are gone");
  }
  std::this_thread::sleep_for(wait);
  return std::optional<Frame>();
}

void ImageSequence::close() {
  if (!capture_) return;
  try {
    capture_->release();
  } catch (const cv::Exception&) {
    // Nothing to release.
  }
  capture_.reset();
}

}  // namespace civicbox::drivers::camera
