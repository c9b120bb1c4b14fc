// How long to wait before the next try after a failed sync: exponential with full jitter
// (a uniform draw in [0, min(cap, base * 2^failures)]), so a fleet that lost its controller does
// not come back all in the same second. Pure: the random source is passed in.
#pragma once

#include <chrono>

#include "common/random.hpp"

namespace civicbox::firmware {

class Backoff {
 public:
  explicit Backoff(std::chrono::milliseconds base = std::chrono::milliseconds(500),
                   std::chrono::milliseconds cap = std::chrono::seconds(60))
      : base_(base), cap_(cap) {}

  // The wait before the next try; each call counts one more failure.
  std::chrono::milliseconds next(Random& random);
  // After a success.
  void reset() { failures_ = 0; }

  // The upper bound that the next call to next() draws under.
  [[nodiscard]] std::chrono::milliseconds ceiling() const;
  [[nodiscard]] int failures() const { return failures_; }

 private:
  std::chrono::milliseconds base_;
  std::chrono::milliseconds cap_;
  int failures_ = 0;
};

}  // namespace civicbox::firmware
