// Randomness is passed in (never taken from a global), so that pure logic is testable exactly.
#pragma once

#include <cstdint>
#include <span>

namespace civicbox {

class Random {
 public:
  virtual ~Random() = default;
  virtual void fill(std::span<std::uint8_t> out) = 0;
  std::uint64_t next_u64();
};

// The kernel's CSPRNG (getrandom(2)). Use this for codes, salts and ids.
class SystemRandom final : public Random {
 public:
  void fill(std::span<std::uint8_t> out) override;
};

}  // namespace civicbox
