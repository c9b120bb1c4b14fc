// Slows down guessing: each source address has a bucket of `burst` failures, refilled at
// `per_minute`; a failure takes one, and an address whose bucket is empty is refused (429)
// until it has refilled one, without its request being looked at. Successes cost nothing, so a
// technician who mistypes a token a few times and then enrols is never held up.
//
// With the defaults (burst 10, 5 a minute) a stranger gets 10 guesses at once, then one every
// 12 s: 7,200 a day against tokens of 256 bits. IPv6 addresses count per /64 (what one
// customer usually gets). Memory is bounded: at most `max_addresses` are tracked; when full,
// addresses whose bucket is full again are dropped first, then the longest quiet.
//
// Pure: time comes in as Unix milliseconds. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace civicbox::controller {

struct ThrottleLimits {
  double per_minute = 5;
  double burst = 10;
  std::size_t max_addresses = 10'000;
};

class FailureThrottle {
 public:
  explicit FailureThrottle(ThrottleLimits limits) : limits_(limits) {}

  // Seconds to wait before `address` may try again (for Retry-After), or nullopt when it may
  // try now.
  std::optional<int> wait_seconds(std::string_view address, std::int64_t now_ms);
  // One failed attempt from `address`.
  void failed(std::string_view address, std::int64_t now_ms);
  [[nodiscard]] std::size_t tracked() const;

  // The key an address counts under: the address itself, or its /64 for IPv6.
  static std::string key_of(std::string_view address);

 private:
  struct Bucket {
    double tokens = 0;
    std::int64_t updated_ms = 0;
  };
  void refill(Bucket& bucket, std::int64_t now_ms) const;
  void make_room(std::int64_t now_ms);

  ThrottleLimits limits_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace civicbox::controller
