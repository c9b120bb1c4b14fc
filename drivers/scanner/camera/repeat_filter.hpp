// A code held in front of the camera is read on every frame, thirty times a second, but the
// kiosk must hear about it once. RepeatFilter lets a text through the first time it is seen and
// again only after it has been out of view for `quiet_gap` (the citizen took the phone away and
// showed it again). Pure: the time of each sighting is passed in (the frame's capture time).
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <unordered_map>

namespace civicbox::drivers::camera {

class RepeatFilter {
 public:
  using Clock = std::chrono::steady_clock;

  explicit RepeatFilter(std::chrono::milliseconds quiet_gap) : quiet_gap_(quiet_gap) {}

  // Records that `text` was read in a frame taken at `at`; true if the kiosk should hear of it.
  // A sighting older than the latest one for the same text (frames out of order) is never new.
  bool sighted(std::string_view text, Clock::time_point at);

  // Texts remembered as still in view (for tests: memory stays bounded).
  [[nodiscard]] std::size_t remembered() const { return last_seen_.size(); }

 private:
  void forget_older_than(Clock::time_point cutoff);

  std::chrono::milliseconds quiet_gap_;
  std::unordered_map<std::string, Clock::time_point> last_seen_;
};

}  // namespace civicbox::drivers::camera
