// The bytes the driver sends and the status bytes it understands, against the table in
// HARDWARE.md ("ESC/POS receipt printers"): a wrong byte here is a receipt that never prints or
// a printer that looks fine with its cover open.
#include <gtest/gtest.h>

#include <string>

#include "drivers/printer/escpos/code_page.hpp"
#include "drivers/printer/escpos/commands.hpp"
#include "drivers/printer/escpos/status.hpp"

namespace civicbox::escpos {
namespace {

using drivers::PrinterStatus;

TEST(EscPosCommands, SimpleCommandsAreTheBytesInTheTable) {
  EXPECT_EQ(initialise(), (Bytes{0x1B, 0x40}));
  EXPECT_EQ(leave_kanji(), (Bytes{0x1C, 0x2E}));
  EXPECT_EQ(code_table(45), (Bytes{0x1B, 0x74, 45}));
  EXPECT_EQ(bold(true), (Bytes{0x1B, 0x45, 1}));
  EXPECT_EQ(bold(false), (Bytes{0x1B, 0x45, 0}));
  EXPECT_EQ(underline(1), (Bytes{0x1B, 0x2D, 1}));
  EXPECT_EQ(underline(0), (Bytes{0x1B, 0x2D, 0}));
  EXPECT_EQ(small_font(true), (Bytes{0x1B, 0x4D, 1}));
  EXPECT_EQ(small_font(false), (Bytes{0x1B, 0x4D, 0}));
  EXPECT_EQ(align(Align::left), (Bytes{0x1B, 0x61, 0}));
  EXPECT_EQ(align(Align::centre), (Bytes{0x1B, 0x61, 1}));
  EXPECT_EQ(align(Align::right), (Bytes{0x1B, 0x61, 2}));
  EXPECT_EQ(feed_lines(3), (Bytes{0x1B, 0x64, 3}));
  EXPECT_EQ(cut(Cut::full), (Bytes{0x1D, 0x56, 0x00}));
  EXPECT_EQ(cut(Cut::partial), (Bytes{0x1D, 0x56, 0x01}));
  EXPECT_EQ(feed_and_cut(5), (Bytes{0x1D, 0x56, 0x42, 5}));
  EXPECT_EQ(status_request(StatusQuery::printer), (Bytes{0x10, 0x04, 1}));
  EXPECT_EQ(status_request(StatusQuery::offline_cause), (Bytes{0x10, 0x04, 2}));
  EXPECT_EQ(status_request(StatusQuery::paper), (Bytes{0x10, 0x04, 4}));
}

TEST(EscPosCommands, CharacterSizePutsWidthInTheHighNibbleAndHeightInTheLow) {
  EXPECT_EQ(*character_size(1, 1), (Bytes{0x1D, 0x21, 0x00}));
  EXPECT_EQ(*character_size(2, 2), (Bytes{0x1D, 0x21, 0x11}));
  EXPECT_EQ(*character_size(3, 1), (Bytes{0x1D, 0x21, 0x20}));
  EXPECT_EQ(*character_size(8, 8), (Bytes{0x1D, 0x21, 0x77}));
  EXPECT_EQ(character_size(0, 1).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(character_size(1, 9).error().code, ErrorCode::invalid_argument);
}

TEST(EscPosCommands, RasterImageCountsWidthInBytesWithTheLeftmostDotInTheTopBit) {
  Bitmap b = Bitmap::blank(10, 2);  // 10 dots: two bytes a row
  b.set(0, 0);                      // top-left
  b.set(9, 0);                      // the tenth dot: second byte, second bit from the top
  b.set(7, 1);
  const auto bytes = raster(b);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(*bytes, (Bytes{0x1D, 0x76, 0x30, 0x00, 2, 0, 2, 0, 0x80, 0x40, 0x01, 0x00}));
  EXPECT_EQ(raster(Bitmap{}).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(raster(Bitmap::blank(8, 70000)).error().code, ErrorCode::too_large);
}

TEST(EscPosCommands, NativeQrIsModelTwoWithStoreLengthThreeMoreThanTheData) {
  EXPECT_EQ(qr_model_2(), (Bytes{0x1D, 0x28, 0x6B, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00}));
  EXPECT_EQ(*qr_module_size(6), (Bytes{0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x43, 6}));
  EXPECT_EQ(qr_error_level(QrErrorLevel::low), (Bytes{0x1D, 0x28, 0x6B, 3, 0, 0x31, 0x45, 48}));
  EXPECT_EQ(qr_error_level(QrErrorLevel::medium), (Bytes{0x1D, 0x28, 0x6B, 3, 0, 0x31, 0x45, 49}));
  EXPECT_EQ(qr_error_level(QrErrorLevel::quartile),
            (Bytes{0x1D, 0x28, 0x6B, 3, 0, 0x31, 0x45, 50}));
  EXPECT_EQ(qr_error_level(QrErrorLevel::high), (Bytes{0x1D, 0x28, 0x6B, 3, 0, 0x31, 0x45, 51}));
  EXPECT_EQ(*qr_store("AB"), (Bytes{0x1D, 0x28, 0x6B, 5, 0, 0x31, 0x50, 0x30, 'A', 'B'}));
  EXPECT_EQ(qr_print(), (Bytes{0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x51, 0x30}));

  const std::string long_url(300, 'x');  // pL + 256·pH = 303
  const auto store = qr_store(long_url);
  ASSERT_TRUE(store);
  EXPECT_EQ((*store)[3], 303 % 256);
  EXPECT_EQ((*store)[4], 303 / 256);
  EXPECT_EQ(store->size(), 8u + 300u);

  EXPECT_EQ(qr_module_size(0).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(qr_module_size(17).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(qr_store("").error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(qr_store(std::string(kMaxQrData + 1, '1')).error().code, ErrorCode::invalid_argument);
}

PrinterState parse(StatusQuery q, std::uint8_t b) {
  const std::uint8_t reply[] = {b};
  auto s = parse_status_reply(q, reply);
  EXPECT_TRUE(s) << s.error().describe();
  return s ? *s : PrinterState{};
}

TEST(EscPosStatus, AHealthyPrinterAnswers0x12ToEveryQuery) {
  EXPECT_EQ(parse(StatusQuery::printer, 0x12), PrinterState{});
  EXPECT_EQ(parse(StatusQuery::offline_cause, 0x12), PrinterState{});
  EXPECT_EQ(parse(StatusQuery::paper, 0x12), PrinterState{});
  EXPECT_EQ(summarize(PrinterState{}), PrinterStatus::ready);
}

TEST(EscPosStatus, EachBitOfTheTableMeansWhatItSays) {
  EXPECT_TRUE(parse(StatusQuery::printer, 0x12 | 0x08).offline);
  EXPECT_TRUE(parse(StatusQuery::offline_cause, 0x12 | 0x04).cover_open);
  EXPECT_TRUE(parse(StatusQuery::offline_cause, 0x12 | 0x20).paper_end_stop);
  EXPECT_TRUE(parse(StatusQuery::offline_cause, 0x12 | 0x40).error);
  EXPECT_TRUE(parse(StatusQuery::paper, 0x12 | 0x0C).roll_near_end);
  EXPECT_TRUE(parse(StatusQuery::paper, 0x12 | 0x60).roll_end);
  // Some printers set one bit of each pair only.
  EXPECT_TRUE(parse(StatusQuery::paper, 0x12 | 0x04).roll_near_end);
  EXPECT_TRUE(parse(StatusQuery::paper, 0x12 | 0x40).roll_end);
  // A bit means something only in reply to its own query.
  EXPECT_EQ(parse(StatusQuery::printer, 0x12 | 0x04), PrinterState{});  // drawer pin, n = 1
}

TEST(EscPosStatus, WhatTheKioskIsToldPutsTheWorstProblemFirst) {
  PrinterState s;
  s.roll_near_end = true;
  EXPECT_EQ(summarize(s), PrinterStatus::paper_low);
  s.offline = true;
  EXPECT_EQ(summarize(s), PrinterStatus::offline);
  s.roll_end = true;
  EXPECT_EQ(summarize(s), PrinterStatus::paper_out);
  s.cover_open = true;
  EXPECT_EQ(summarize(s), PrinterStatus::cover_open);
  PrinterState stop;
  stop.paper_end_stop = true;
  EXPECT_EQ(summarize(stop), PrinterStatus::paper_out);
}

TEST(EscPosStatus, AnythingButOneByteWithTheFixedBitsIsAParseError) {
  const std::uint8_t none[1] = {};
  EXPECT_EQ(parse_status_reply(StatusQuery::printer, std::span(none, 0)).error().code,
            ErrorCode::parse);
  const std::uint8_t two[] = {0x12, 0x12};
  EXPECT_EQ(parse_status_reply(StatusQuery::printer, two).error().code, ErrorCode::parse);
  for (std::uint8_t b : {0x00, 0xFF, 0x10, 0x02, 0x13, 0x92, 0x7F}) {
    const std::uint8_t one[] = {b};
    EXPECT_EQ(parse_status_reply(StatusQuery::offline_cause, one).error().code, ErrorCode::parse)
        << int(b);
  }
}

TEST(EscPosStatus, TheEncoderAndTheParserAgreeOnEveryState) {
  for (int bits = 0; bits < 64; ++bits) {
    PrinterState s{(bits & 1) != 0, (bits & 2) != 0,  (bits & 4) != 0,
                   (bits & 8) != 0, (bits & 16) != 0, (bits & 32) != 0};
    PrinterState back;
    for (auto q : {StatusQuery::printer, StatusQuery::offline_cause, StatusQuery::paper}) {
      back |= parse(q, status_reply_byte(q, s));
    }
    EXPECT_EQ(back, s) << bits;
  }
}

TEST(EscPosCodePages, RomanianGetsCedillasInWpc1250AndEveryOtherLetterExactly) {
  const auto bytes = encode_text("ș ț Ș Ț ă â î", CodePage::wpc1250);
  EXPECT_EQ(bytes, (Bytes{0xBA, ' ', 0xFE, ' ', 0xAA, ' ', 0xDE, ' ', 0xE3, ' ', 0xE2, ' ', 0xEE}));
  EXPECT_EQ(decode_text(bytes, CodePage::wpc1250), "ş ţ Ş Ţ ă â î");
}

TEST(EscPosCodePages, OurLanguagesRoundTripThroughTheirPages) {
  const std::pair<const char*, CodePage> cases[] = {
      {"Győr Város Polgármesteri Hivatala: ő ű Ő Ű", CodePage::wpc1250},
      {"Győr Város Polgármesteri Hivatala: ő ű Ő Ű", CodePage::cp852},
      {"Bústia, presentació, Vallès, ç, l·l", CodePage::cp858},
      {"Logroño, Buzón, ¿Qué? ¡Sí!", CodePage::cp858},
      {"Câmara Municipal de Évora, provisório, ã õ ç", CodePage::wpc1252},
      {"Euro € in CP858", CodePage::cp858},
  };
  for (const auto& [text, page] : cases) {
    EXPECT_EQ(decode_text(encode_text(text, page), page), text) << text;
  }
  EXPECT_EQ(encode_text("ő", CodePage::cp858), (Bytes{'?'}));
  EXPECT_EQ(encode_text("\xC3", CodePage::cp858), (Bytes{'?'}));  // broken UTF-8
}

}  // namespace
}  // namespace civicbox::escpos
