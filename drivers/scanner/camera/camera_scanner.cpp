#include "drivers/scanner/camera/camera_scanner.hpp"

#include <spdlog/spdlog.h>
#include <opencv2/imgproc.hpp>

#include "common/random.hpp"
#include "drivers/scanner/camera/reopen_backoff.hpp"
#include "drivers/scanner/camera/repeat_filter.hpp"

namespace civicbox::drivers::camera {

namespace {

// How long the worker blocks on the source per call; bounds how late stop() is noticed.
constexpr auto kFrameWait = std::chrono::milliseconds(100);

double unit_draw(Random& random) {
  return static_cast<double>(random.next_u64() >> 11) / static_cast<double>(1ULL << 53);
}

// The frame as 8-bit gray, sharing pixels when it already is.
std::optional<cv::Mat> gray_of(const cv::Mat& image) {
  if (image.empty() || image.depth() != CV_8U) return std::nullopt;
  try {
    cv::Mat gray;
    switch (image.channels()) {
      case 1:
        return image;
      case 3:
        cv::cvtColor(image, gray, cv::COLOR_BGR2GRAY);
        return gray;
      case 4:
        cv::cvtColor(image, gray, cv::COLOR_BGRA2GRAY);
        return gray;
      default:
        return std::nullopt;
    }
  } catch (const cv::Exception&) {
    return std::nullopt;
  }
}

}  // namespace

CameraScanner::CameraScanner(std::unique_ptr<FrameSource> source, CameraScannerSettings settings)
    : source_(std::move(source)), settings_(settings), worker_([this] { run(); }) {}

CameraScanner::~CameraScanner() {
  stop();
}

void CameraScanner::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stop_ && !worker_.joinable()) return;
    stop_ = true;
  }
  stopping_.notify_all();
  scans_changed_.notify_all();
  source_->interrupt();
  if (worker_.joinable()) worker_.join();
}

Expected<std::optional<std::string>> CameraScanner::next_scan(std::chrono::milliseconds wait) {
  std::unique_lock lock(mutex_);
  const auto went_away_before = went_away_count_;
  scans_changed_.wait_for(lock, wait, [&] {
    return !unread_.empty() || stop_ || went_away_count_ != went_away_before;
  });
  if (!unread_.empty()) {
    std::string text = std::move(unread_.front());
    unread_.pop_front();
    return std::optional<std::string>(std::move(text));
  }
  if (stop_) return make_error(ErrorCode::unavailable, "the camera scanner is stopped");
  if (gone_) return *gone_;
  return std::optional<std::string>();
}

CameraScannerCounts CameraScanner::counts() const {
  std::lock_guard lock(mutex_);
  return counts_;
}

bool CameraScanner::pause(std::chrono::milliseconds wait) {
  std::unique_lock lock(mutex_);
  return !stopping_.wait_for(lock, wait, [&] { return stop_; });
}

void CameraScanner::went_away(const Error& cause) {
  std::lock_guard lock(mutex_);
  const bool news = !gone_;
  gone_ = make_error(ErrorCode::unavailable,
                     "camera " + source_->name() + " unplugged, retrying: " + cause.message);
  if (!news) return;
  counts_.available = false;
  ++counts_.unplugged;
  ++went_away_count_;
  spdlog::warn("{}", gone_->message);
  scans_changed_.notify_all();
}

void CameraScanner::came_back() {
  std::lock_guard lock(mutex_);
  counts_.available = true;
  if (!gone_) return;
  gone_.reset();
  spdlog::info("camera {} is back", source_->name());
}

void CameraScanner::run() {
  SystemRandom random;
  ReopenBackoff backoff(settings_.reopen_first_wait, settings_.reopen_longest_wait);
  RepeatFilter repeats(settings_.report_again_after);
  bool open = false;
  auto is_stopping = [&] {
    std::lock_guard lock(mutex_);
    return stop_;
  };
  while (!is_stopping()) {
    if (!open) {
      if (auto opened = source_->open(); !opened) {
        went_away(opened.error());
        if (!pause(backoff.next(unit_draw(random)))) break;
        continue;
      }
      open = true;
    }
    auto frame = source_->next_frame(kFrameWait);
    if (!frame) {
      source_->close();
      open = false;
      went_away(frame.error());
      if (!pause(backoff.next(unit_draw(random)))) break;
      continue;
    }
    if (!*frame) continue;  // the source waited: nothing new
    // Only a frame proves the camera is back (V4L2 opens a node that then gives nothing).
    backoff.reset();
    came_back();
    const auto gray = gray_of((*frame)->image);
    if (!gray) continue;
    const qr::QrLook look = qr::look_for_qr(
        qr::GrayView{gray->data, gray->cols, gray->rows, static_cast<int>(gray->step[0])},
        settings_.decode);
    const bool report = look.read && repeats.sighted(look.read->text, (*frame)->taken_at);
    std::lock_guard lock(mutex_);
    ++counts_.frames;
    if (look.foreign) ++counts_.foreign;
    if (look.read) ++counts_.reads;
    if (report) {
      ++counts_.reported;
      if (unread_.size() >= settings_.unread_scans_kept) unread_.pop_front();
      unread_.push_back(look.read->text);
      scans_changed_.notify_all();
    }
  }
  source_->close();
  std::lock_guard lock(mutex_);
  counts_.available = false;
}

}  // namespace civicbox::drivers::camera
