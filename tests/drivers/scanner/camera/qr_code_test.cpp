// The QR adapter: what is read is exactly what was encoded, and a payload that is not box text
// never comes out as text.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "drivers/scanner/qr/qr_code.hpp"
#include "drivers/scanner/qr/qr_text.hpp"

namespace civicbox::drivers::qr {
namespace {

std::span<const std::uint8_t> bytes_of(const std::vector<std::uint8_t>& v) {
  return v;
}

TEST(BoxText, AcceptsAsciiAndUtf8AndRejectsEverythingElse) {
  EXPECT_TRUE(is_box_text("CIVICBOX:PICKUP:7K3MQ9XR2D4P"));
  EXPECT_TRUE(
      is_box_text("Stra\xc3\x9f"
                  "e 12\tAbholung\r\n"));        // ß, tab, CR LF
  EXPECT_TRUE(is_box_text("\xe2\x82\xac 5"));    // €
  EXPECT_TRUE(is_box_text("\xf0\x9f\x93\xa6"));  // 📦, 4 bytes

  EXPECT_FALSE(is_box_text(""));
  EXPECT_FALSE(is_box_text(std::string_view("a\0b", 3)));  // NUL
  EXPECT_FALSE(is_box_text("\x1b[2J"));                    // an escape sequence
  EXPECT_FALSE(is_box_text("DEL\x7f"));
  EXPECT_FALSE(is_box_text("caf\xe9"));           // Latin-1 é
  EXPECT_FALSE(is_box_text("\xc3"));              // truncated sequence
  EXPECT_FALSE(is_box_text("\x80"));              // stray continuation byte
  EXPECT_FALSE(is_box_text("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(is_box_text("\xed\xa0\x80"));      // a UTF-16 surrogate
  EXPECT_FALSE(is_box_text("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(is_box_text("\xc2\x85"));          // C1 control (NEL)
  EXPECT_FALSE(is_box_text(bytes_of({0xff, 0xfe, 0x00, 0x41})));
}

GrayView view_of(const GrayImage& image) {
  return {image.pixels.data(), image.width, image.height, image.width};
}

TEST(QrCode, WhatIsMadeIsReadBackExactlyWithItsCorners) {
  for (const std::string text :
       {"CIVICBOX:PICKUP:7K3MQ9XR2D4P", "Abholfach 7 \xe2\x80\x93 M\xc3\xbcller"}) {
    auto symbol = make_qr(text, EccLevel::medium);
    ASSERT_TRUE(symbol) << symbol.error().describe();
    const GrayImage image = draw_qr(*symbol, 4, 4);
    ASSERT_EQ(image.width, (symbol->size + 8) * 4);
    const auto read = read_qr(view_of(image));
    ASSERT_TRUE(read) << text;
    EXPECT_EQ(read->text, text);
    // Top-left corner of the symbol is at the quiet zone's inner edge (16 px), give or take.
    EXPECT_NEAR(read->corners[0].x, 16, 3);
    EXPECT_NEAR(read->corners[0].y, 16, 3);
    EXPECT_NEAR(read->corners[2].x, 16 + symbol->size * 4, 5);
  }
}

TEST(QrCode, ABinaryOrLatin1PayloadIsSeenAsForeignAndNeverAsText) {
  const std::vector<std::vector<std::uint8_t>> payloads = {
      {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x01},  // binary
      {'c', 'a', 'f', 0xe9},                                      // Latin-1, no ECI
      {'o', 'p', 'e', 'n', 0x00, '7'},                            // a NUL inside
  };
  for (const auto& payload : payloads) {
    auto symbol = make_qr_from_bytes(payload);
    ASSERT_TRUE(symbol) << symbol.error().describe();
    const auto look = look_for_qr(view_of(draw_qr(*symbol, 4, 4)));
    EXPECT_TRUE(look.foreign);
    EXPECT_FALSE(look.read) << look.read->text;
  }
}

TEST(QrCode, MakingRefusesWhatCannotBeACode) {
  EXPECT_EQ(make_qr("").error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(make_qr("caf\xe9").error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(make_qr(std::string(8000, 'A'), EccLevel::high).error().code,
            ErrorCode::invalid_argument);
}

TEST(QrCode, AnEmptyOrMisdescribedImageReadsNothing) {
  const std::vector<std::uint8_t> white(100 * 100, 255);
  EXPECT_FALSE(look_for_qr({white.data(), 100, 100, 100}).read);
  EXPECT_FALSE(look_for_qr({nullptr, 100, 100, 100}).read);
  EXPECT_FALSE(look_for_qr({white.data(), 100, 100, 50}).read);  // stride shorter than a row
}

}  // namespace
}  // namespace civicbox::drivers::qr
