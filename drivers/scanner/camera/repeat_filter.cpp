#include "drivers/scanner/camera/repeat_filter.hpp"

#include <iterator>

namespace civicbox::drivers::camera {

bool RepeatFilter::sighted(std::string_view text, Clock::time_point at) {
  forget_older_than(at - quiet_gap_);
  auto [it, inserted] = last_seen_.try_emplace(std::string(text), at);
  if (inserted) return true;
  const bool report = at - it->second >= quiet_gap_;
  if (at > it->second) it->second = at;
  return report;
}

void RepeatFilter::forget_older_than(Clock::time_point cutoff) {
  // Strictly older: a text last seen exactly quiet_gap ago is reported again, by either path.
  for (auto it = last_seen_.begin(); it != last_seen_.end();) {
    it = it->second < cutoff ? last_seen_.erase(it) : std::next(it);
  }
}

}  // namespace civicbox::drivers::camera
