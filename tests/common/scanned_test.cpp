// What a scanned QR code means at the box: the town hall's pickup QR opens the way to a door,
// a clerk's badge and a parcel label are recognised, and everything else is refused with a
// message the kiosk can show — never mistaken for a pickup code.
#include "common/scanned.hpp"
#include "tests/support/checked_code.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace civicbox {
namespace {

// A code with a correct check character, built from its payload.
using testing::with_check;

const std::string kPickup = with_check("4F7KQ29X");       // 9 characters
const std::string kTracking = with_check("9QTTNFFPW1A");  // 12 characters
const std::string kPickupGrouped = kPickup.substr(0, 3) + "-" + kPickup.substr(3, 3) + "-" +
                                   kPickup.substr(6, 3);  // as printed in the letter

// The same code with its check character changed: what a damaged or hand-made QR gives.
std::string with_wrong_check(const std::string& code) {
  std::string bad = code;
  bad.back() = bad.back() == '0' ? '1' : '0';
  return bad;
}

ErrorCode refusal(std::string_view text) {
  auto parsed = parse_scanned(text);
  EXPECT_FALSE(parsed) << "accepted: " << text;
  return parsed ? ErrorCode::internal : parsed.error().code;
}

TEST(Scanned, TheTownHallsPickupQrGivesThePickupCodeInEveryFormItIsSentIn) {
  const auto expected = PickupCode::parse(kPickup);
  ASSERT_TRUE(expected);
  for (const std::string& text : std::vector<std::string>{
           kPickup, kPickupGrouped, "https://civicbox.example.org/p/" + kPickup,
           "https://civicbox.example.org/p/" + kPickupGrouped,
           "HTTPS://CIVICBOX.EXAMPLE.ORG/P/" + kPickup, "https://town.example:8443/p/" + kPickup}) {
    auto parsed = parse_scanned(text);
    ASSERT_TRUE(parsed) << text << ": " << parsed.error().describe();
    ASSERT_TRUE(std::holds_alternative<PickupCode>(*parsed)) << text;
    EXPECT_EQ(std::get<PickupCode>(*parsed), *expected) << text;
  }
}

TEST(Scanned, ADamagedPickupCodeIsReportedAsDamagedNotAsSomeoneElsesCode) {
  const std::string bad = with_wrong_check(kPickup);
  EXPECT_EQ(refusal(bad), ErrorCode::bad_check);
  EXPECT_EQ(refusal("https://civicbox.example.org/p/" + bad), ErrorCode::bad_check);
  EXPECT_NE(parse_scanned(bad).error().message.find("damaged"), std::string::npos);
}

TEST(Scanned, AClerkBadgeAParcelLabelAndAnEnrolmentTokenAreRecognised) {
  auto badge = parse_scanned("CBX-BADGE:CLERK-0042");
  ASSERT_TRUE(badge) << badge.error().describe();
  EXPECT_EQ(std::get<ClerkBadge>(*badge).id, "CLERK-0042");

  auto parcel = parse_scanned("CBX-PARCEL:" + kTracking);
  ASSERT_TRUE(parcel) << parcel.error().describe();
  EXPECT_EQ(std::get<ParcelLabel>(*parcel).parcel.str(), kTracking);

  const std::string token = "q3Zk_8vN-2xYt0LmPa7sWe";  // 22 characters, base64url
  auto enrol = parse_scanned("CBX-ENROL:" + token);
  ASSERT_TRUE(enrol) << enrol.error().describe();
  EXPECT_EQ(std::get<EnrolmentToken>(*enrol).token, token);
}

TEST(Scanned, ASelfTestReceiptsCodeIsRecognisedStrictly) {
  auto code = parse_scanned("CBX-TEST:7K3MQ9XR2D4PHW8C");
  ASSERT_TRUE(code) << code.error().describe();
  EXPECT_EQ(std::get<SelfTestCode>(*code).token, "7K3MQ9XR2D4PHW8C");
  EXPECT_TRUE(parse_scanned("CBX-TEST:" + std::string(8, 'A')));
  EXPECT_TRUE(parse_scanned("CBX-TEST:" + std::string(32, '7')));

  EXPECT_EQ(refusal("CBX-TEST:" + std::string(7, 'A')), ErrorCode::parse);   // too short
  EXPECT_EQ(refusal("CBX-TEST:" + std::string(33, 'A')), ErrorCode::parse);  // too long
  EXPECT_EQ(refusal("CBX-TEST:7k3mq9xr2d4phw8c"), ErrorCode::parse);         // lower case
  EXPECT_EQ(refusal("CBX-TEST:7K3M-Q9XR-2D4P"), ErrorCode::parse);           // grouped
  EXPECT_EQ(refusal("CBX-TEST:"), ErrorCode::parse);
  EXPECT_EQ(refusal("CBX-TEST: 7K3MQ9XR"), ErrorCode::parse);
  EXPECT_EQ(refusal("cbx-test:7K3MQ9XR2D4PHW8C"), ErrorCode::parse);
  EXPECT_NE(parse_scanned("CBX-TEST:ab").error().message.find("self-test code"), std::string::npos);
}

TEST(Scanned, AReceiptsTrackingCodeIsSentToTheWebsiteNotTakenForAPickupCode) {
  for (const std::string& text : std::vector<std::string>{
           kTracking, "https://civicbox.example.org/v1/track/" + kTracking,
           kTracking.substr(0, 4) + "-" + kTracking.substr(4, 4) + "-" + kTracking.substr(8)}) {
    auto parsed = parse_scanned(text);
    ASSERT_FALSE(parsed) << text;
    EXPECT_EQ(parsed.error().code, ErrorCode::wrong_type) << text;
    EXPECT_NE(parsed.error().message.find("website"), std::string::npos);
  }
}

TEST(Scanned, LinksToOtherPlacesAndForeignTextAreNotPickupCodes) {
  for (const std::string& text : std::vector<std::string>{
           std::string("https://evil.example.com/"), "https://civicbox.example.org/p/",
           "http://civicbox.example.org/p/" + kPickup,  // not https
           "https://civicbox.example.org/q/" + kPickup,
           "https://civicbox.example.org/p/" + kPickup + "?x=1",
           "https://civicbox.example.org/p/" + kPickup + "/",
           "https://user@civicbox.example.org/p/" + kPickup, "WIFI:S:townhall;T:WPA;P:secret;;",
           std::string("hello"), " " + kPickup, kPickup + " ", "4F7 KQ2 9XW", "4F7K-Q29X-W",
           std::string("CBX-HELLO:1234"), "cbx-badge:CLERK-0042"}) {
    EXPECT_EQ(refusal(text), ErrorCode::parse) << text;
  }
  EXPECT_EQ(parse_scanned("https://evil.example.com/").error().message,
            "this QR code is not a civicbox pickup code (it is a link to another website)");
}

TEST(Scanned, MalformedBadgesLabelsAndTokensAreRefusedWithWhatIsWrong) {
  EXPECT_EQ(refusal("CBX-BADGE:ABC"), ErrorCode::parse);                      // too short
  EXPECT_EQ(refusal("CBX-BADGE:" + std::string(33, 'A')), ErrorCode::parse);  // too long
  EXPECT_EQ(refusal("CBX-BADGE:clerk-0042"), ErrorCode::parse);               // lower case
  EXPECT_EQ(refusal("CBX-BADGE:CLERK_0042"), ErrorCode::parse);
  EXPECT_TRUE(parse_scanned("CBX-BADGE:" + std::string(32, 'A')));
  EXPECT_TRUE(parse_scanned("CBX-BADGE:ABCD"));

  EXPECT_EQ(refusal("CBX-PARCEL:" + with_wrong_check(kTracking)), ErrorCode::bad_check);
  EXPECT_EQ(refusal("CBX-PARCEL:" + kPickup), ErrorCode::parse);
  EXPECT_EQ(refusal("CBX-PARCEL:"), ErrorCode::parse);

  EXPECT_EQ(refusal("CBX-ENROL:" + std::string(21, 'a')), ErrorCode::parse);
  EXPECT_EQ(refusal("CBX-ENROL:" + std::string(129, 'a')), ErrorCode::parse);
  EXPECT_EQ(refusal("CBX-ENROL:" + std::string(21, 'a') + "="), ErrorCode::parse);  // padding
  EXPECT_TRUE(parse_scanned("CBX-ENROL:" + std::string(128, 'a')));
  EXPECT_NE(parse_scanned("CBX-BADGE:ab").error().message.find("clerk badge"), std::string::npos);
}

TEST(Scanned, ControlCharactersBrokenTextAndOverLongInputAreRefused) {
  EXPECT_EQ(refusal(""), ErrorCode::parse);
  EXPECT_EQ(refusal(kPickup + "\r"), ErrorCode::parse);
  EXPECT_EQ(refusal(kPickup.substr(0, 4) + '\0' + kPickup.substr(4)), ErrorCode::parse);
  EXPECT_EQ(refusal("\x1b[2J" + kPickup), ErrorCode::parse);
  EXPECT_EQ(refusal("CBX-BADGE:\xff\xfe"), ErrorCode::parse);  // not UTF-8
  EXPECT_EQ(refusal("CBX-BADGE:\xc2\x85"), ErrorCode::parse);  // C1 control (NEL)
  EXPECT_EQ(refusal("caf\xc3\xa9"), ErrorCode::parse);         // valid UTF-8, still not ours
  EXPECT_EQ(refusal(std::string(kMaxScannedLength + 1, 'A')), ErrorCode::too_large);
  EXPECT_EQ(refusal("https://" + std::string(300, 'a') + "/p/" + kPickup), ErrorCode::parse);
}

TEST(Scanned, PrintableTextIsValidUtf8WithoutControls) {
  EXPECT_TRUE(is_printable_text("CBX-BADGE:AB12"));
  EXPECT_TRUE(is_printable_text("\xc8\x99i \xc5\xb1"));  // ș i ű
  EXPECT_TRUE(is_printable_text("\xf0\x9f\x93\xa6"));    // a 4-byte sequence
  EXPECT_FALSE(is_printable_text("a\tb"));
  EXPECT_FALSE(is_printable_text("\x7f"));
  EXPECT_FALSE(is_printable_text("\xc0\xaf"));          // over-long '/'
  EXPECT_FALSE(is_printable_text("\xed\xa0\x80"));      // a surrogate
  EXPECT_FALSE(is_printable_text("\xf4\x90\x80\x80"));  // beyond U+10FFFF
  EXPECT_FALSE(is_printable_text("\xe2\x82"));          // cut short
}

TEST(Scanned, EveryScanFormatsBackToTextThatMeansTheSame) {
  for (const std::string& text :
       std::vector<std::string>{kPickupGrouped, "https://civicbox.example.org/p/" + kPickup,
                                std::string("CBX-BADGE:CLERK-0042"), "CBX-PARCEL:" + kTracking,
                                std::string("CBX-ENROL:ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
                                std::string("CBX-TEST:7K3MQ9XR2D4PHW8C")}) {
    auto parsed = parse_scanned(text);
    ASSERT_TRUE(parsed) << text;
    auto again = parse_scanned(format_scanned(*parsed));
    ASSERT_TRUE(again) << format_scanned(*parsed);
    EXPECT_EQ(*again, *parsed) << text;
  }
  EXPECT_EQ(format_scanned(*parse_scanned(kPickupGrouped)), kPickup);
}

}  // namespace
}  // namespace civicbox
