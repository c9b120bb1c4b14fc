// Tracking and pickup codes: what a person types from a printed code means what they saw, and a
// typo is reported as a typo, never matched to someone else's code.
#include "common/codes.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "tests/support/seeded_random.hpp"

namespace civicbox {
namespace {

using testing::SeededRandom;

constexpr int kCodesPerProperty = 300;

template <typename Code>
std::vector<Code> some_codes(std::uint64_t seed, int count = kCodesPerProperty) {
  SeededRandom random(seed);
  std::vector<Code> codes;
  for (int i = 0; i < count; ++i) codes.push_back(Code::generate(random));
  return codes;
}

// A valid code whose payload is `payload` (alphabet characters only).
template <typename Code>
Code code_with_payload(const std::string& payload) {
  auto parsed = Code::parse(payload + crockford::check_character(payload));
  EXPECT_TRUE(parsed) << payload;
  return *parsed;
}

template <typename Code>
class common_codes : public ::testing::Test {};

using CodeTypes = ::testing::Types<TrackingCode, PickupCode>;
TYPED_TEST_SUITE(common_codes, CodeTypes);

TYPED_TEST(common_codes, GeneratedCodesParseBackToThemselves) {
  for (const auto& code : some_codes<TypeParam>(1)) {
    ASSERT_EQ(code.str().size(), TypeParam::kLength);
    auto parsed = TypeParam::parse(code.str());
    ASSERT_TRUE(parsed) << code.str() << ": " << parsed.error().describe();
    EXPECT_EQ(*parsed, code);
  }
}

TYPED_TEST(common_codes, GeneratedCodesUseOnlyTheAlphabet) {
  for (const auto& code : some_codes<TypeParam>(2)) {
    for (char c : code.str()) {
      EXPECT_NE(crockford::kAlphabet.find(c), std::string_view::npos) << code.str();
    }
  }
}

TYPED_TEST(common_codes, EverySingleWrongCharacterIsReportedAsATypo) {
  int checked = 0;
  for (const auto& code : some_codes<TypeParam>(3)) {
    for (std::size_t pos = 0; pos < TypeParam::kLength; ++pos) {
      for (char symbol : crockford::kAlphabet) {
        if (symbol == code.str()[pos]) continue;
        std::string typo = code.str();
        typo[pos] = symbol;
        auto parsed = TypeParam::parse(typo);
        ASSERT_FALSE(parsed) << code.str() << " -> " << typo << " was accepted";
        ASSERT_EQ(parsed.error().code, ErrorCode::bad_check) << typo;
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, kCodesPerProperty * static_cast<int>(TypeParam::kLength) * 31);
}

TYPED_TEST(common_codes, EverySwapOfNeighbouringCharactersIsReportedAsATypo) {
  int checked = 0;
  for (const auto& code : some_codes<TypeParam>(4)) {
    for (std::size_t pos = 0; pos + 1 < TypeParam::kLength; ++pos) {
      std::string swapped = code.str();
      if (swapped[pos] == swapped[pos + 1]) continue;
      std::swap(swapped[pos], swapped[pos + 1]);
      auto parsed = TypeParam::parse(swapped);
      ASSERT_FALSE(parsed) << code.str() << " -> " << swapped << " was accepted";
      ASSERT_EQ(parsed.error().code, ErrorCode::bad_check) << swapped;
      ++checked;
    }
  }
  EXPECT_GT(checked, kCodesPerProperty * static_cast<int>(TypeParam::kLength - 1) * 9 / 10);
}

TYPED_TEST(common_codes, EverySwapIsCaughtForEveryPairOfSymbols) {
  // Exhaustive over the last two payload characters and the check character, whatever precedes.
  SeededRandom random(5);
  auto prefix_code = TypeParam::generate(random);
  std::string prefix = prefix_code.str().substr(0, TypeParam::kPayloadLength - 2);
  for (char a : crockford::kAlphabet) {
    for (char b : crockford::kAlphabet) {
      std::string payload = prefix + a + b;
      std::string valid = payload + crockford::check_character(payload);
      for (std::size_t pos = TypeParam::kLength - 3; pos + 1 < TypeParam::kLength; ++pos) {
        std::string swapped = valid;
        if (swapped[pos] == swapped[pos + 1]) continue;
        std::swap(swapped[pos], swapped[pos + 1]);
        auto parsed = TypeParam::parse(swapped);
        ASSERT_FALSE(parsed) << valid << " -> " << swapped;
        ASSERT_EQ(parsed.error().code, ErrorCode::bad_check);
      }
    }
  }
}

TYPED_TEST(common_codes, LowercaseSpacesHyphensAndLookAlikesMeanTheSameCode) {
  // A payload with every look-alike: 0 may be typed O/o, 1 may be typed I/i/L/l.
  std::string payload = std::string("01") + std::string(TypeParam::kPayloadLength - 2, 'A');
  payload[TypeParam::kPayloadLength - 1] = '1';
  payload[TypeParam::kPayloadLength - 2] = '0';
  auto code = code_with_payload<TypeParam>(payload);

  std::string lower = code.str();
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });

  std::string look_alikes = code.str();
  look_alikes[0] = 'O';
  look_alikes[1] = 'I';
  look_alikes[TypeParam::kPayloadLength - 2] = 'o';
  look_alikes[TypeParam::kPayloadLength - 1] = 'l';

  std::string spaced;
  for (char c : code.str()) {
    spaced += c;
    spaced += ' ';
  }

  for (const std::string& typed :
       {lower, look_alikes, spaced, code.display(), " " + code.str() + " ", "-" + lower + "-",
        code.str().substr(0, 1) + "L" + code.str().substr(2)}) {
    auto parsed = TypeParam::parse(typed);
    ASSERT_TRUE(parsed) << "'" << typed << "': " << parsed.error().describe();
    EXPECT_EQ(parsed->str(), code.str()) << typed;
  }
}

TYPED_TEST(common_codes, RandomCodesTypedSloppilyMeanTheSameCode) {
  for (const auto& code : some_codes<TypeParam>(6)) {
    std::string typed;
    for (char c : code.str()) {
      if (c == '0')
        typed += 'o';
      else if (c == '1')
        typed += 'i';
      else
        typed += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      typed += '-';
    }
    auto parsed = TypeParam::parse(typed);
    ASSERT_TRUE(parsed) << typed;
    EXPECT_EQ(*parsed, code);
  }
}

TYPED_TEST(common_codes, DisplayParsesBackToTheSameCode) {
  for (const auto& code : some_codes<TypeParam>(7, 50)) {
    auto parsed = TypeParam::parse(code.display());
    ASSERT_TRUE(parsed) << code.display();
    EXPECT_EQ(*parsed, code);
  }
}

TYPED_TEST(common_codes, WrongLengthIsAParseError) {
  auto code = some_codes<TypeParam>(8, 1).front();
  const std::string& s = code.str();
  for (const std::string& typed :
       {std::string(), s.substr(0, s.size() - 1), s + "0", s + s, std::string(1, s[0]),
        std::string(4 * TypeParam::kLength + 1, ' ') + s, std::string(10000, '0')}) {
    auto parsed = TypeParam::parse(typed);
    ASSERT_FALSE(parsed) << typed;
    EXPECT_EQ(parsed.error().code, ErrorCode::parse) << typed;
  }
}

TYPED_TEST(common_codes, CharactersOutsideTheAlphabetAreAParseError) {
  auto code = some_codes<TypeParam>(9, 1).front();
  // U is deliberately not a Crockford letter; the others are not letters or digits at all.
  for (char foreign : {'U', 'u', '*', '_', '.', '/', '\0', '\n', '\x7f', '\xc3', '\xff'}) {
    for (std::size_t pos = 0; pos < TypeParam::kLength; ++pos) {
      std::string typed = code.str();
      typed[pos] = foreign;
      auto parsed = TypeParam::parse(typed);
      ASSERT_FALSE(parsed) << "foreign char " << int(foreign) << " at " << pos;
      EXPECT_EQ(parsed.error().code, ErrorCode::parse);
    }
  }
}

TEST(common_codes_display, TrackingCodeIsThreeGroupsOfFour) {
  auto code = code_with_payload<TrackingCode>("7K3MQ9XR2D4");
  EXPECT_EQ(code.str().size(), 12u);
  EXPECT_EQ(code.display(), code.str().substr(0, 4) + "-" + code.str().substr(4, 4) + "-" +
                                code.str().substr(8, 4));
  EXPECT_EQ(code.display().substr(0, 14), "7K3M-Q9XR-2D4" + code.str().substr(11));
}

TEST(common_codes_display, PickupCodeIsThreeGroupsOfThree) {
  auto code = code_with_payload<PickupCode>("7K3MQ9XR");
  EXPECT_EQ(code.str().size(), 9u);
  EXPECT_EQ(code.display(), "7K3-MQ9-XR" + code.str().substr(8));
}

TEST(common_codes_display, ATrackingCodeIsNotAPickupCode) {
  SeededRandom random(10);
  auto tracking = TrackingCode::generate(random);
  auto pickup = PickupCode::generate(random);
  EXPECT_FALSE(PickupCode::parse(tracking.str()));
  EXPECT_FALSE(TrackingCode::parse(pickup.str()));
}

TEST(common_codes_display, GenerationDependsOnlyOnTheRandomSource) {
  SeededRandom a(11);
  SeededRandom b(11);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(TrackingCode::generate(a), TrackingCode::generate(b));
}

}  // namespace
}  // namespace civicbox
