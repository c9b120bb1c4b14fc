// A box checks a typed pickup code against the stored salted hash: the right code opens the
// door, any other code never does, and a damaged hash is an error, never a crash or a match.
#include "common/pickup_hash.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>

#include "tests/support/seeded_random.hpp"

namespace civicbox {
namespace {

using testing::SeededRandom;

constexpr std::uint32_t kFastIterations = 64;  // the property does not depend on the count

TEST(common_pickup_hash, TheRightCodeMatches) {
  SeededRandom random(1);
  auto code = PickupCode::generate(random);
  auto stored = hash_pickup_code(code, random);
  EXPECT_EQ(stored.iterations, kPickupHashIterations);
  EXPECT_EQ(stored.salt_hex.size(), 32u);
  EXPECT_EQ(stored.hash_hex.size(), 64u);
  auto match = pickup_code_matches(code, stored);
  ASSERT_TRUE(match) << match.error().describe();
  EXPECT_TRUE(*match);
}

TEST(common_pickup_hash, TheCodeTypedSloppilyMatches) {
  SeededRandom random(2);
  auto code = PickupCode::generate(random);
  auto stored = hash_pickup_code(code, random, kFastIterations);
  std::string typed = code.display();
  std::transform(typed.begin(), typed.end(), typed.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  auto retyped = PickupCode::parse(typed);
  ASSERT_TRUE(retyped);
  EXPECT_TRUE(*pickup_code_matches(*retyped, stored));
}

TEST(common_pickup_hash, AnotherCodeNeverMatches) {
  SeededRandom random(3);
  auto code = PickupCode::generate(random);
  auto stored = hash_pickup_code(code, random, kFastIterations);
  for (int i = 0; i < 200; ++i) {
    auto other = PickupCode::generate(random);
    if (other == code) continue;
    auto match = pickup_code_matches(other, stored);
    ASSERT_TRUE(match);
    EXPECT_FALSE(*match) << other.str();
  }
}

TEST(common_pickup_hash, TheSameCodeHashesDifferentlyWithEachSalt) {
  SeededRandom random(4);
  auto code = PickupCode::generate(random);
  auto first = hash_pickup_code(code, random, kFastIterations);
  auto second = hash_pickup_code(code, random, kFastIterations);
  EXPECT_NE(first.salt_hex, second.salt_hex);
  EXPECT_NE(first.hash_hex, second.hash_hex);
  EXPECT_TRUE(*pickup_code_matches(code, first));
  EXPECT_TRUE(*pickup_code_matches(code, second));
  // A hash is bound to its salt.
  PickupHash mixed{first.salt_hex, first.iterations, second.hash_hex};
  EXPECT_FALSE(*pickup_code_matches(code, mixed));
}

TEST(common_pickup_hash, ADifferentIterationCountDoesNotMatch) {
  SeededRandom random(5);
  auto code = PickupCode::generate(random);
  auto stored = hash_pickup_code(code, random, kFastIterations);
  stored.iterations += 1;
  EXPECT_FALSE(*pickup_code_matches(code, stored));
}

TEST(common_pickup_hash, ATamperedHashNeverMatches) {
  SeededRandom random(6);
  auto code = PickupCode::generate(random);
  auto stored = hash_pickup_code(code, random, kFastIterations);
  for (std::size_t pos = 0; pos < stored.hash_hex.size(); ++pos) {
    PickupHash tampered = stored;
    tampered.hash_hex[pos] = tampered.hash_hex[pos] == '0' ? '1' : '0';
    auto match = pickup_code_matches(code, tampered);
    ASSERT_TRUE(match) << match.error().describe();
    EXPECT_FALSE(*match) << "changed hex digit " << pos;
  }
}

TEST(common_pickup_hash, UppercaseHexIsTheSameHash) {
  SeededRandom random(7);
  auto code = PickupCode::generate(random);
  auto stored = hash_pickup_code(code, random, kFastIterations);
  for (auto* hex : {&stored.salt_hex, &stored.hash_hex}) {
    std::transform(hex->begin(), hex->end(), hex->begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  }
  EXPECT_TRUE(*pickup_code_matches(code, stored));
}

TEST(common_pickup_hash, ADamagedHashIsAnErrorNotAMatch) {
  SeededRandom random(8);
  auto code = PickupCode::generate(random);
  auto good = hash_pickup_code(code, random, kFastIterations);
  struct Damage {
    const char* what;
    PickupHash hash;
  };
  const std::string salt = good.salt_hex;
  const std::string hash = good.hash_hex;
  for (const auto& [what, damaged] : std::initializer_list<Damage>{
           {"hash not hex", {salt, good.iterations, "zz" + hash.substr(2)}},
           {"hash too short", {salt, good.iterations, hash.substr(1)}},
           {"hash too long", {salt, good.iterations, hash + "00"}},
           {"hash empty", {salt, good.iterations, ""}},
           {"hash with NUL", {salt, good.iterations, std::string(64, '\0')}},
           {"salt not hex", {"g" + salt.substr(1), good.iterations, hash}},
           {"salt too short", {salt.substr(2), good.iterations, hash}},
           {"salt with space", {" " + salt.substr(1), good.iterations, hash}},
       }) {
    auto match = pickup_code_matches(code, damaged);
    ASSERT_FALSE(match) << what;
    EXPECT_EQ(match.error().code, ErrorCode::parse) << what;
  }
}

TEST(common_pickup_hash, AbsurdIterationCountsAreRefused) {
  SeededRandom random(9);
  auto code = PickupCode::generate(random);
  auto stored = hash_pickup_code(code, random, kFastIterations);
  for (std::uint32_t iterations : {0u, 1'000'001u, 0xFFFFFFFFu}) {
    stored.iterations = iterations;
    auto match = pickup_code_matches(code, stored);
    ASSERT_FALSE(match) << iterations;
    EXPECT_EQ(match.error().code, ErrorCode::invalid_argument);
  }
}

}  // namespace
}  // namespace civicbox
