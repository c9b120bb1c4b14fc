#include "common/ids.hpp"

#include <cstdio>

namespace civicbox {

Expected<DeviceId> DeviceId::parse(std::string_view text) {
  if (text.size() < 3 || text.size() > 63) {
    return make_error(ErrorCode::parse, "a device id has 3 to 63 characters");
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && i > 0);
    if (!ok) {
      return make_error(ErrorCode::parse, "a device id uses only a-z, 0-9 and '-' (not first): '" +
                                              std::string(text) + "'");
    }
  }
  return DeviceId(std::string(text));
}

EventId EventId::generate(std::int64_t unix_ms, Random& random) {
  EventId id;
  random.fill(id.bytes_);
  auto ms = static_cast<std::uint64_t>(unix_ms);
  for (int i = 0; i < 6; ++i) id.bytes_[i] = static_cast<std::uint8_t>(ms >> (40 - 8 * i));
  id.bytes_[6] = static_cast<std::uint8_t>(0x70 | (id.bytes_[6] & 0x0F));  // version 7
  id.bytes_[8] = static_cast<std::uint8_t>(0x80 | (id.bytes_[8] & 0x3F));  // variant 10
  return id;
}

std::int64_t EventId::unix_ms() const {
  std::uint64_t ms = 0;
  for (int i = 0; i < 6; ++i) ms = (ms << 8) | bytes_[i];
  return static_cast<std::int64_t>(ms);
}

std::string EventId::str() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < bytes_.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[bytes_[i] >> 4]);
    out.push_back(kHex[bytes_[i] & 0x0F]);
  }
  return out;
}

Expected<EventId> EventId::parse(std::string_view text) {
  auto fail = [&] {
    return make_error(ErrorCode::parse,
                      "an event id is a UUID like 0190a0b4-1c2d-7e3f-8a9b-"
                      "0c1d2e3f4a5b (lowercase hex)");
  };
  if (text.size() != 36) return fail();
  EventId id;
  std::size_t byte = 0;
  for (std::size_t i = 0; i < text.size();) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return fail();
      ++i;
      continue;
    }
    auto nibble = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      return -1;
    };
    int hi = nibble(text[i]);
    int lo = nibble(text[i + 1]);
    if (hi < 0 || lo < 0) return fail();
    id.bytes_[byte++] = static_cast<std::uint8_t>((hi << 4) | lo);
    i += 2;
  }
  return id;
}

}  // namespace civicbox
