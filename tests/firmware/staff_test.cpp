// Staff PINs: only the PIN that was hashed opens a staff screen, the stored form is standard
// PBKDF2 a technician can make with any tool, and a damaged pin_hash is refused, not trusted.
#include "firmware/staff.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <string>
#include <vector>

#include "tests/support/seeded_random.hpp"

namespace civicbox::firmware {
namespace {

constexpr std::uint32_t kFast = 1000;  // tests need no slow hashes

TEST(StaffPin, APinIsFourToEightDigits) {
  for (const char* pin : {"1234", "00000000", "98765"}) {
    EXPECT_TRUE(check_pin_shape(pin).has_value()) << pin;
  }
  for (const char* pin : {"", "123", "123456789", "12a4", "12 34", "+1234", "１２３４"}) {
    auto shape = check_pin_shape(pin);
    ASSERT_FALSE(shape.has_value()) << pin;
    EXPECT_EQ(shape.error().code, ErrorCode::invalid_argument);
  }
}

TEST(StaffPin, OnlyTheHashedPinMatches) {
  testing::SeededRandom random(7);
  auto stored = parse_pin_hash(hash_pin("4821", random, kFast));
  ASSERT_TRUE(stored.has_value()) << stored.error().describe();
  EXPECT_EQ(stored->iterations, kFast);
  auto right = pin_matches("4821", *stored);
  ASSERT_TRUE(right.has_value());
  EXPECT_TRUE(*right);
  for (const char* wrong : {"4820", "1284", "48210", "0000"}) {
    auto match = pin_matches(wrong, *stored);
    ASSERT_TRUE(match.has_value()) << wrong;
    EXPECT_FALSE(*match) << wrong;
  }
}

TEST(StaffPin, TheSamePinHashesDifferentlyEachTime) {
  testing::SeededRandom random(8);
  EXPECT_NE(hash_pin("1234", random, kFast), hash_pin("1234", random, kFast));
}

TEST(StaffPin, TheStoredFormIsStandardPbkdf2) {
  testing::SeededRandom random(9);
  const std::string text = hash_pin("735911", random);
  auto stored = parse_pin_hash(text);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->iterations, kPinHashIterations);
  EXPECT_EQ(text.rfind("pbkdf2-sha256$100000$", 0), 0U) << text;

  std::vector<unsigned char> salt;
  for (std::size_t i = 0; i < stored->salt_hex.size(); i += 2) {
    salt.push_back(
        static_cast<unsigned char>(std::stoi(stored->salt_hex.substr(i, 2), nullptr, 16)));
  }
  unsigned char out[32];
  ASSERT_EQ(PKCS5_PBKDF2_HMAC("735911", 6, salt.data(), static_cast<int>(salt.size()),
                              static_cast<int>(stored->iterations), EVP_sha256(), sizeof out, out),
            1);
  EXPECT_EQ(to_hex(out, sizeof out), stored->hash_hex);
}

TEST(StaffPin, ADamagedPinHashIsRefused) {
  const std::string salt(32, 'a');
  const std::string hash(64, 'b');
  struct Case {
    std::string text;
    ErrorCode code;
  };
  const std::vector<Case> cases{
      {"", ErrorCode::parse},
      {"1234", ErrorCode::parse},
      {"pbkdf2-sha1$1000$" + salt + "$" + hash, ErrorCode::parse},
      {"pbkdf2-sha256$1000$" + salt, ErrorCode::parse},
      {"pbkdf2-sha256$1000$" + salt + "$" + hash + "$", ErrorCode::parse},
      {"pbkdf2-sha256$$" + salt + "$" + hash, ErrorCode::parse},
      {"pbkdf2-sha256$0$" + salt + "$" + hash, ErrorCode::parse},
      {"pbkdf2-sha256$01000$" + salt + "$" + hash, ErrorCode::parse},
      {"pbkdf2-sha256$+1000$" + salt + "$" + hash, ErrorCode::parse},
      {"pbkdf2-sha256$1e3$" + salt + "$" + hash, ErrorCode::parse},
      {"pbkdf2-sha256$99999999$" + salt + "$" + hash, ErrorCode::parse},
      {"pbkdf2-sha256$1000001$" + salt + "$" + hash, ErrorCode::invalid_argument},
      {"pbkdf2-sha256$1000$" + salt.substr(2) + "$" + hash, ErrorCode::parse},
      {"pbkdf2-sha256$1000$" + salt + "$" + hash + "00", ErrorCode::parse},
      {"pbkdf2-sha256$1000$" + std::string(32, 'A') + "$" + hash, ErrorCode::parse},
      {"pbkdf2-sha256$1000$" + salt + "$" + std::string(64, 'g'), ErrorCode::parse},
      {" pbkdf2-sha256$1000$" + salt + "$" + hash, ErrorCode::parse},
  };
  for (const auto& c : cases) {
    auto parsed = parse_pin_hash(c.text);
    ASSERT_FALSE(parsed.has_value()) << c.text;
    EXPECT_EQ(parsed.error().code, c.code) << c.text << " -> " << parsed.error().describe();
  }
  auto fine = parse_pin_hash("pbkdf2-sha256$1000000$" + salt + "$" + hash);
  ASSERT_TRUE(fine.has_value()) << fine.error().describe();
  EXPECT_EQ(fine->iterations, 1'000'000U);
}

TEST(StaffPin, SomethingThatIsNoPinIsNotCheckedAtAll) {
  testing::SeededRandom random(10);
  auto stored = parse_pin_hash(hash_pin("1234", random, kFast));
  ASSERT_TRUE(stored.has_value());
  auto match = pin_matches("12", *stored);
  ASSERT_FALSE(match.has_value());
  EXPECT_EQ(match.error().code, ErrorCode::invalid_argument);
}

TEST(StaffPin, AStoredHashThatCannotBeCheckedIsAnErrorNotAMatch) {
  PickupHash broken{"zz", 1000, std::string(64, '0')};
  auto match = pin_matches("1234", broken);
  ASSERT_FALSE(match.has_value());
  EXPECT_EQ(match.error().code, ErrorCode::parse);
}

TEST(StaffRoles, AreClerkOrTechnician) {
  EXPECT_EQ(*parse_staff_role("clerk"), StaffRole::clerk);
  EXPECT_EQ(*parse_staff_role("technician"), StaffRole::technician);
  EXPECT_EQ(to_string(StaffRole::technician), "technician");
  for (const char* other : {"", "Clerk", "admin", "tech"}) {
    EXPECT_FALSE(parse_staff_role(other).has_value()) << other;
  }
}

}  // namespace
}  // namespace civicbox::firmware
