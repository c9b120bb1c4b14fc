// Device ids (the box's name and certificate CN) and event ids (UUIDv7: sortable by time,
// unique across boxes).
#include "common/ids.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/support/seeded_random.hpp"

namespace civicbox {
namespace {

using testing::SeededRandom;

TEST(common_ids, DeviceIdAcceptsLowercaseLettersDigitsAndInnerHyphens) {
  for (const std::string& text :
       {std::string("box"), std::string("box-0001"), std::string("7th-floor-lobby"),
        std::string("a-b"), std::string("123"), std::string(63, 'z')}) {
    auto id = DeviceId::parse(text);
    ASSERT_TRUE(id) << text << ": " << id.error().describe();
    EXPECT_EQ(id->str(), text);
  }
}

TEST(common_ids, DeviceIdRejectsAnythingElse) {
  for (const std::string& text :
       {std::string(), std::string("ab"), std::string(64, 'z'), std::string("-box"),
        std::string("Box-1"), std::string("box_1"), std::string("box 1"), std::string("box.1"),
        std::string("box/1"), std::string("bo\0x", 4), std::string("b\xc3\xa9t"),
        std::string("box\n")}) {
    auto id = DeviceId::parse(text);
    ASSERT_FALSE(id) << text;
    EXPECT_EQ(id.error().code, ErrorCode::parse);
  }
}

TEST(common_ids, DeviceIdsCompareByName) {
  EXPECT_EQ(*DeviceId::parse("box-1"), *DeviceId::parse("box-1"));
  EXPECT_LT(*DeviceId::parse("box-1"), *DeviceId::parse("box-2"));
}

TEST(common_ids, EventIdIsVersion7WithVariant10) {
  SeededRandom random(1);
  for (int i = 0; i < 200; ++i) {
    auto id = EventId::generate(1'700'000'000'000 + i, random);
    EXPECT_EQ(id.version(), 7);
    std::string s = id.str();
    ASSERT_EQ(s.size(), 36u);
    EXPECT_EQ(s[14], '7') << s;
    // The variant is the top two bits of byte 8 (first hex digit of the fourth group): 10xx.
    EXPECT_NE(std::string("89ab").find(s[19]), std::string::npos) << s;
  }
}

TEST(common_ids, EventIdKeepsItsMilliseconds) {
  SeededRandom random(2);
  for (std::int64_t ms : {std::int64_t{0}, std::int64_t{1}, std::int64_t{1'700'000'000'123},
                          std::int64_t{253402300799999}, (std::int64_t{1} << 48) - 1}) {
    auto id = EventId::generate(ms, random);
    EXPECT_EQ(id.unix_ms(), ms);
    auto parsed = EventId::parse(id.str());
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->unix_ms(), ms);
  }
}

TEST(common_ids, EventIdParsesBackFromItsText) {
  SeededRandom random(3);
  for (int i = 0; i < 500; ++i) {
    auto id = EventId::generate(1'700'000'000'000 + 7 * i, random);
    auto parsed = EventId::parse(id.str());
    ASSERT_TRUE(parsed) << id.str();
    EXPECT_EQ(*parsed, id);
    EXPECT_EQ(parsed->str(), id.str());
  }
}

TEST(common_ids, EventIdsMadeInLaterMillisecondsSortLaterAsText) {
  SeededRandom random(4);
  std::vector<std::string> texts;
  std::vector<EventId> ids;
  for (std::int64_t ms = 1'700'000'000'000; ms < 1'700'000'000'000 + 300; ++ms) {
    ids.push_back(EventId::generate(ms, random));
    texts.push_back(ids.back().str());
  }
  EXPECT_TRUE(std::is_sorted(texts.begin(), texts.end()));
  EXPECT_TRUE(std::adjacent_find(texts.begin(), texts.end()) == texts.end());
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
}

TEST(common_ids, EventIdRejectsMalformedText) {
  const std::string good = "0190a0b4-1c2d-7e3f-8a9b-0c1d2e3f4a5b";
  ASSERT_TRUE(EventId::parse(good));
  for (const std::string& text :
       {std::string(), good.substr(1), good + "0",
        std::string("0190A0B4-1C2D-7E3F-8A9B-0C1D2E3F4A5B"),
        std::string("0190a0b41c2d7e3f8a9b0c1d2e3f4a5b"),
        std::string("{0190a0b4-1c2d-7e3f-8a9b-0c1d2e3f}"),
        std::string("0190a0b4-1c2d-7e3f-8a9b-0c1d2e3f4a5g"),
        std::string("0190a0b4_1c2d-7e3f-8a9b-0c1d2e3f4a5b"),
        std::string("0190a0b41-c2d-7e3f-8a9b-0c1d2e3f4a5b"),
        std::string("0190a0b4-1c2d-7e3f-8a9b-0c1d2e3f4a5\0", 36),
        std::string("0190a0b4-1c2d-7e3f-8a9b--c1d2e3f4a5b"), std::string(36, '-')}) {
    auto id = EventId::parse(text);
    ASSERT_FALSE(id) << text;
    EXPECT_EQ(id.error().code, ErrorCode::parse);
  }
}

}  // namespace
}  // namespace civicbox
