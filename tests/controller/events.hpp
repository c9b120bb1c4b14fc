// Building device events for controller tests.
#pragma once

#include <cstdint>
#include <string>

#include "common/codes.hpp"
#include "common/ids.hpp"
#include "common/random.hpp"
#include "common/wire.hpp"

namespace civicbox::testing {

inline DeviceId device(const std::string& id) {
  return *DeviceId::parse(id);
}

inline wire::Event filed_event(std::uint64_t seq, Random& random,
                               std::int64_t at_ms = 1'790'000'000'000) {
  wire::SubmissionFiled filed{TrackingCode::generate(random), "request",    1,
                              "P-box-" + std::to_string(seq), std::nullopt, false};
  return wire::Event{seq, EventId::generate(at_ms, random), at_ms, filed};
}

inline wire::Event body_event(std::uint64_t seq, Random& random, wire::EventBody body,
                              std::int64_t at_ms = 1'790'000'000'000) {
  return wire::Event{seq, EventId::generate(at_ms, random), at_ms, std::move(body)};
}

}  // namespace civicbox::testing
