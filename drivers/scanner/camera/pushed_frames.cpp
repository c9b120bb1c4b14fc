#include "drivers/scanner/camera/pushed_frames.hpp"

namespace civicbox::drivers::camera {

PushedFrames::PushedFrames(std::string name, std::size_t capacity)
    : name_(std::move(name)), capacity_(capacity == 0 ? 1 : capacity) {}

bool PushedFrames::push(cv::Mat image, std::chrono::steady_clock::time_point taken_at) {
  std::unique_lock lock(mutex_);
  // Frames pushed before the worker opened the source wait for it, like frames in a driver.
  changed_.wait(lock, [&] { return !plugged_in_ || stopping_ || frames_.size() < capacity_; });
  if (!plugged_in_ || stopping_) return false;
  frames_.push_back(Frame{std::move(image), taken_at});
  changed_.notify_all();
  return true;
}

void PushedFrames::set_plugged_in(bool plugged_in) {
  std::lock_guard lock(mutex_);
  plugged_in_ = plugged_in;
  if (!plugged_in) frames_.clear();
  changed_.notify_all();
}

std::size_t PushedFrames::queued() const {
  std::lock_guard lock(mutex_);
  return frames_.size();
}

Expected<void> PushedFrames::open() {
  std::lock_guard lock(mutex_);
  if (!plugged_in_) return make_error(ErrorCode::unavailable, name_ + " is unplugged");
  open_ = true;
  stopping_ = false;
  return {};
}

Expected<std::optional<Frame>> PushedFrames::next_frame(std::chrono::milliseconds wait) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, wait, [&] { return !plugged_in_ || stopping_ || !frames_.empty(); });
  if (!plugged_in_ || !open_) return make_error(ErrorCode::unavailable, name_ + " is unplugged");
  if (frames_.empty()) return std::optional<Frame>();
  Frame frame = std::move(frames_.front());
  frames_.pop_front();
  changed_.notify_all();
  return std::optional<Frame>(std::move(frame));
}

void PushedFrames::close() {
  std::lock_guard lock(mutex_);
  open_ = false;
  changed_.notify_all();
}

void PushedFrames::interrupt() {
  std::lock_guard lock(mutex_);
  stopping_ = true;
  changed_.notify_all();
}

}  // namespace civicbox::drivers::camera
