// A receipt printed over TCP to the simulated printer, then read back from the PNG it rendered:
// the QR a citizen scans must take them to exactly their tracking page, on both paper widths,
// with the printer's own QR and with the raster fallback. The receipts are left in the test's
// working folder (receipts/) for a person to look at.
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <tuple>

#include "drivers/printer/escpos/receipt_layout.hpp"
#include "tests/drivers/printer/escpos/printer_fixture.hpp"

namespace civicbox::testing {
namespace {

using escpos::TextMode;

constexpr const char* kRomanianTownHall =
    "Primăria Orașului Târgu Neamț — Registratura, înregistrări";

std::filesystem::path keep(const sim::PrintedReceipt& printed, const std::string& name) {
  const auto to = std::filesystem::path("receipts") / name;
  std::filesystem::create_directories(to.parent_path());
  std::filesystem::copy_file(printed.png, to, std::filesystem::copy_options::overwrite_existing);
  return to;
}

class ReceiptQr : public PrinterOverTcp,
                  public ::testing::WithParamInterface<std::tuple<int, bool>> {};

TEST_P(ReceiptQr, TheQrOnThePrintedReceiptScansToExactlyTheTrackingUrl) {
  const auto [dots, native_qr] = GetParam();
  const std::string name =
      "receipt-ro-" + std::string(dots == 384 ? "58mm" : "80mm") + (native_qr ? "" : "-raster-qr");
  start_printer(dots, "out/" + name);
  auto printer = connect(settings_for(dots, native_qr));
  ASSERT_TRUE(printer);

  const auto receipt = sample_receipt("ro", kRomanianTownHall);
  auto printed = printer->print(receipt);
  ASSERT_TRUE(printed) << printed.error().describe();

  const auto receipts = sim_->receipts();
  ASSERT_EQ(receipts.size(), 1u);
  EXPECT_EQ(receipts[0].qr_codes.size(), native_qr ? 1u : 0u);
  EXPECT_EQ(sim_->bad_commands(), 0u) << ::testing::PrintToString(sim_->log());
  const auto png = keep(receipts[0], name + ".png");
  const auto image = read_png(png);
  EXPECT_EQ(image.width, dots + 2 * sim::Paper::kMargin);
  EXPECT_EQ(scan_qr(image), receipt.track_url);
}

INSTANTIATE_TEST_SUITE_P(PaperAndQr, ReceiptQr,
                         ::testing::Combine(::testing::Values(384, 576), ::testing::Bool()),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param) == 384 ? "58mm" : "80mm") +
                                  (std::get<1>(info.param) ? "NativeQr" : "RasterQr");
                         });

// The self-test's receipt, as it leaves a real printer: its QR must read back to exactly the
// one-time code the box waits for, whatever the paper and QR mode.
class TestReceiptQr : public PrinterOverTcp,
                      public ::testing::WithParamInterface<std::tuple<int, bool>> {};

TEST_P(TestReceiptQr, TheSelfTestsReceiptCarriesItsCodeInAQrTheCameraReads) {
  const auto [dots, native_qr] = GetParam();
  const std::string name =
      "self-test-" + std::string(dots == 384 ? "58mm" : "80mm") + (native_qr ? "" : "-raster-qr");
  start_printer(dots, "out/" + name);
  auto printer = connect(settings_for(dots, native_qr));
  ASSERT_TRUE(printer);
  const drivers::TestReceipt receipt{"box-0001", 1'790'000'000'000, "CBX-TEST:30VSG1W2DTK2ZKMG"};
  auto printed = printer->print_test(receipt);
  ASSERT_TRUE(printed) << printed.error().describe();
  const auto receipts = sim_->receipts();
  ASSERT_EQ(receipts.size(), 1u);
  EXPECT_EQ(sim_->bad_commands(), 0u) << ::testing::PrintToString(sim_->log());
  EXPECT_EQ(scan_qr(read_png(keep(receipts[0], name + ".png"))), receipt.code);
  // Without a code there is nothing to read back: refused before a byte is sent.
  auto empty = printer->print_test(drivers::TestReceipt{"box-0001", 0, ""});
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(sim_->receipts().size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(PaperAndQr, TestReceiptQr,
                         ::testing::Combine(::testing::Values(384, 576), ::testing::Bool()),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param) == 384 ? "58mm" : "80mm") +
                                  (std::get<1>(info.param) ? "NativeQr" : "RasterQr");
                         });

struct Language {
  const char* code;
  const char* town_hall;
};

void PrintTo(const Language& language, std::ostream* os) {
  *os << language.code;
}

class ReceiptLanguage : public PrinterOverTcp, public ::testing::WithParamInterface<Language> {};

TEST_P(ReceiptLanguage, AReceiptInEachLanguageIsPrintedAndScans) {
  const Language lang = GetParam();
  start_printer(576, std::string("out/lang-") + lang.code);
  auto printer = connect(settings_for(576, true));
  ASSERT_TRUE(printer);
  auto receipt = sample_receipt(lang.code, lang.town_hall);
  receipt.registration_number.reset();  // offline: the provisional number, labelled so
  auto printed = printer->print(receipt);
  ASSERT_TRUE(printed) << printed.error().describe();
  const auto receipts = sim_->receipts();
  ASSERT_EQ(receipts.size(), 1u);
  const auto png = keep(receipts[0], std::string("receipt-") + lang.code + "-80mm-provisional.png");
  EXPECT_EQ(scan_qr(read_png(png)), receipt.track_url);
}

INSTANTIATE_TEST_SUITE_P(
    Languages, ReceiptLanguage,
    ::testing::Values(Language{"ro", kRomanianTownHall},
                      Language{"hu", "Győr Megyei Jogú Város Polgármesteri Hivatala"},
                      Language{"en", "Brighton & Hove City Council"},
                      Language{"ca", "Ajuntament de Sant Cugat del Vallès"},
                      Language{"es", "Ayuntamiento de Logroño"},
                      Language{"pt", "Câmara Municipal de Évora"}),
    [](const auto& info) { return std::string(info.param.code); });

class CodePageReceipt : public PrinterOverTcp {
 protected:
  void SetUp() override {
    ::setenv("TZ", "Europe/Bucharest", 1);
    ::tzset();
  }
};

TEST_F(CodePageReceipt, RomanianInCodePageModePrintsCedillasAndTheTownHallsLocalTime) {
  start_printer(576, "out/code-page-ro");
  auto printer = connect(settings_for(576, true, TextMode::code_page));
  ASSERT_TRUE(printer);
  auto printed = printer->print(sample_receipt("ro", kRomanianTownHall));
  ASSERT_TRUE(printed) << printed.error().describe();
  const auto receipts = sim_->receipts();
  ASSERT_EQ(receipts.size(), 1u);
  const auto& lines = receipts[0].text_lines;
  ASSERT_GE(lines.size(), 4u);
  // The only letters no code page has become their cedilla look-alikes; the rest is exact.
  EXPECT_EQ(lines[0], "Primăria Oraşului Târgu Neamţ — Registratura,");
  EXPECT_EQ(lines[1], "înregistrări");
  // 12:05 UTC is 14:05 in Bucharest in March.
  EXPECT_NE(std::find(lines.begin(), lines.end(), "Data şi ora: 12.03.2026 14:05"), lines.end())
      << ::testing::PrintToString(lines);
  EXPECT_NE(std::find(lines.begin(), lines.end(), "7K3M-Q9XR-2D4P"), lines.end());
  EXPECT_NE(std::find(lines.begin(), lines.end(), "2026/000123"), lines.end());
  EXPECT_EQ(sim_->bad_commands(), 0u) << ::testing::PrintToString(sim_->log());
  EXPECT_EQ(scan_qr(read_png(keep(receipts[0], "receipt-ro-80mm-code-page.png"))),
            sample_receipt("ro", "").track_url);
}

TEST_F(CodePageReceipt, AnOfflineReceiptSaysItsNumberIsProvisional) {
  start_printer(384, "out/code-page-es");
  auto printer = connect(settings_for(384, false, TextMode::code_page));
  ASSERT_TRUE(printer);
  auto receipt = sample_receipt("es", "Ayuntamiento de Logroño");
  receipt.registration_number.reset();
  auto printed = printer->print(receipt);
  ASSERT_TRUE(printed) << printed.error().describe();
  const auto receipts = sim_->receipts();
  ASSERT_EQ(receipts.size(), 1u);
  const auto& lines = receipts[0].text_lines;
  EXPECT_EQ(lines.at(0), "Ayuntamiento de Logroño");
  EXPECT_NE(std::find(lines.begin(), lines.end(), "Número PROVISIONAL:"), lines.end())
      << ::testing::PrintToString(lines);
  EXPECT_NE(std::find(lines.begin(), lines.end(), "P-box-0001-000007"), lines.end());
  EXPECT_EQ(std::find(lines.begin(), lines.end(), "2026/000123"), lines.end());
  EXPECT_EQ(scan_qr(read_png(keep(receipts[0], "receipt-es-58mm-code-page-raster-qr.png"))),
            receipt.track_url);
}

TEST(ReceiptLayout, ALongTownHallNameWrapsInsteadOfRunningOffThePaper) {
  auto fonts = escpos::TextRenderer::open(CIVICBOX_FONTS_DIR);
  ASSERT_TRUE(fonts) << fonts.error().describe();
  const std::string name(
      "Primăria Comunei Sfântu Gheorghe din Județul Tulcea, Biroul de Registratură și Arhivă");
  escpos::TextStyle style{30, true, false};
  auto lines = (*fonts)->wrap(name, style, 384);
  ASSERT_TRUE(lines);
  EXPECT_GE(lines->size(), 2u);
  for (const auto& line : *lines) EXPECT_LE(*(*fonts)->measure(line, style), 384) << line;
}

TEST(ReceiptLayout, RasterModeNeedsNoCodePageAndCodePageModeNeedsNoFonts) {
  const auto r = sample_receipt("ro", kRomanianTownHall);
  auto no_fonts =
      escpos::lay_out_receipt(r, {escpos::PaperWidth::mm80, true, TextMode::raster}, nullptr);
  EXPECT_EQ(no_fonts.error().code, ErrorCode::invalid_argument);
  auto code_page =
      escpos::lay_out_receipt(r, {escpos::PaperWidth::mm80, true, TextMode::code_page}, nullptr);
  ASSERT_TRUE(code_page) << code_page.error().describe();
  const auto& b = *code_page;
  ASSERT_GE(b.size(), 7u);
  EXPECT_EQ(escpos::Bytes(b.begin(), b.begin() + 7),
            (escpos::Bytes{0x1B, 0x40, 0x1C, 0x2E, 0x1B, 0x74, 45}));  // init, no Kanji, WPC1250
  EXPECT_EQ(escpos::Bytes(b.end() - 3, b.end()), escpos::cut(escpos::Cut::partial));
}

}  // namespace
}  // namespace civicbox::testing
