#include "controller/failure_throttle.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "controller/encoding.hpp"

namespace civicbox::controller {

std::string FailureThrottle::key_of(std::string_view address) {
  std::string text(address);
  std::array<std::uint8_t, 16> v6{};
  if (inet_pton(AF_INET6, text.c_str(), v6.data()) != 1) return text;
  const bool v4_mapped = std::all_of(v6.begin(), v6.begin() + 10, [](auto b) { return b == 0; }) &&
                         v6[10] == 0xff && v6[11] == 0xff;
  if (v4_mapped)
    return std::to_string(v6[12]) + "." + std::to_string(v6[13]) + "." + std::to_string(v6[14]) +
           "." + std::to_string(v6[15]);
  return hex(std::span(v6.data(), 8)) + "::/64";
}

void FailureThrottle::refill(Bucket& bucket, std::int64_t now_ms) const {
  if (now_ms > bucket.updated_ms) {
    const double minutes = static_cast<double>(now_ms - bucket.updated_ms) / 60'000.0;
    bucket.tokens = std::min(limits_.burst, bucket.tokens + minutes * limits_.per_minute);
  }
  bucket.updated_ms = std::max(bucket.updated_ms, now_ms);
}

std::optional<int> FailureThrottle::wait_seconds(std::string_view address, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(key_of(address));
  if (it == buckets_.end()) return std::nullopt;
  refill(it->second, now_ms);
  if (it->second.tokens >= 1.0) return std::nullopt;
  const double seconds = (1.0 - it->second.tokens) / limits_.per_minute * 60.0;
  return std::max(1, static_cast<int>(std::ceil(seconds)));
}

void FailureThrottle::failed(std::string_view address, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  std::string key = key_of(address);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= limits_.max_addresses) make_room(now_ms);
    it = buckets_.emplace(std::move(key), Bucket{limits_.burst, now_ms}).first;
  }
  refill(it->second, now_ms);
  it->second.tokens = std::max(0.0, it->second.tokens - 1.0);
}

// Drops every address whose bucket is full again (it would start from full anyway); if that
// frees less than a tenth, also the longest quiet ones, down to nine tenths of the limit. Run
// only when full, so its cost spreads over at least a tenth of the limit of new addresses.
void FailureThrottle::make_room(std::int64_t now_ms) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    refill(it->second, now_ms);
    it = it->second.tokens >= limits_.burst ? buckets_.erase(it) : std::next(it);
  }
  const std::size_t target = limits_.max_addresses - limits_.max_addresses / 10 - 1;
  if (buckets_.size() <= target) return;
  std::vector<std::int64_t> times;
  times.reserve(buckets_.size());
  for (const auto& [key, bucket] : buckets_) times.push_back(bucket.updated_ms);
  const std::size_t drop = buckets_.size() - target;
  std::nth_element(times.begin(), times.begin() + static_cast<std::ptrdiff_t>(drop - 1),
                   times.end());
  const std::int64_t cutoff = times[drop - 1];
  for (auto it = buckets_.begin(); it != buckets_.end() && buckets_.size() > target;) {
    it = it->second.updated_ms <= cutoff ? buckets_.erase(it) : std::next(it);
  }
}

std::size_t FailureThrottle::tracked() const {
  std::lock_guard lock(mutex_);
  return buckets_.size();
}

}  // namespace civicbox::controller
