// Identifiers shared by the box and the controller.
//  - DeviceId: the box's name, also the CN of its certificate: 3..63 chars of [a-z0-9-],
//    starting with a letter or digit.
//  - EventId: a UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then randomness, so ids sort
//    by time and never collide across boxes.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "common/random.hpp"

namespace civicbox {

class DeviceId {
 public:
  static Expected<DeviceId> parse(std::string_view text);
  [[nodiscard]] const std::string& str() const { return value_; }
  friend bool operator==(const DeviceId&, const DeviceId&) = default;
  friend auto operator<=>(const DeviceId&, const DeviceId&) = default;

 private:
  explicit DeviceId(std::string value) : value_(std::move(value)) {}
  std::string value_;
};

class EventId {
 public:
  static EventId generate(std::int64_t unix_ms, Random& random);
  static Expected<EventId> parse(std::string_view text);  // canonical 8-4-4-4-12 lowercase hex
  [[nodiscard]] std::string str() const;
  [[nodiscard]] std::int64_t unix_ms() const;
  [[nodiscard]] int version() const { return bytes_[6] >> 4; }
  friend bool operator==(const EventId&, const EventId&) = default;
  friend auto operator<=>(const EventId&, const EventId&) = default;

 private:
  std::array<std::uint8_t, 16> bytes_{};
};

}  // namespace civicbox
