// The printer simulator on its own, fed bytes directly as the umockdev USB handler feeds it: it
// answers status as HARDWARE.md says a printer does, a command split anywhere prints the same
// receipt, and a bad command is counted and skipped rather than crashing or stopping the print.
#include <gtest/gtest.h>

#include "drivers/printer/escpos/commands.hpp"
#include "drivers/printer/escpos/receipt_layout.hpp"
#include "hardware/sim/printer/printer_sim.hpp"
#include "tests/drivers/printer/escpos/printer_fixture.hpp"

namespace civicbox::sim {
namespace {

using Bytes = std::vector<std::uint8_t>;

std::unique_ptr<PrinterSim> make_sim() {
  auto sim = PrinterSim::create({576, {}, CIVICBOX_FONTS_DIR});
  EXPECT_TRUE(sim) << sim.error().describe();
  return sim ? std::move(*sim) : nullptr;
}

Bytes ask(PrinterSim& sim, std::uint8_t n) {
  const Bytes request{0x10, 0x04, n};
  return sim.feed(request);
}

TEST(PrinterSim, AnswersStatusWithTheBytesOfTheTable) {
  auto sim = make_sim();
  ASSERT_TRUE(sim);
  EXPECT_EQ(ask(*sim, 1), Bytes{0x12});
  EXPECT_EQ(ask(*sim, 2), Bytes{0x12});
  EXPECT_EQ(ask(*sim, 4), Bytes{0x12});

  PrinterFaults f;
  f.paper_out = true;
  sim->set_faults(f);
  EXPECT_EQ(ask(*sim, 1), Bytes{0x1A});  // offline
  EXPECT_EQ(ask(*sim, 2), Bytes{0x32});  // stopped at paper end
  EXPECT_EQ(ask(*sim, 4), Bytes{0x7E});  // near end and end

  f = {};
  f.cover_open = true;
  sim->set_faults(f);
  EXPECT_EQ(ask(*sim, 2), Bytes{0x16});

  f = {};
  f.paper_near_end = true;
  sim->set_faults(f);
  EXPECT_EQ(ask(*sim, 1), Bytes{0x12});
  EXPECT_EQ(ask(*sim, 4), Bytes{0x1E});

  f = {};
  f.silent = true;
  sim->set_faults(f);
  EXPECT_TRUE(ask(*sim, 1).empty());
  f = {};
  f.unplugged = true;
  sim->set_faults(f);
  EXPECT_TRUE(ask(*sim, 1).empty());
}

TEST(PrinterSim, AReceiptSplitAtEveryBytePrintsTheSameAsInOnePiece) {
  const auto receipt = testing::sample_receipt("ro", "Primăria Municipiului Iași");
  auto bytes = escpos::lay_out_receipt(
      receipt, {escpos::PaperWidth::mm80, true, escpos::TextMode::code_page}, nullptr);
  ASSERT_TRUE(bytes) << bytes.error().describe();

  auto whole = make_sim();
  auto split = make_sim();
  ASSERT_TRUE(whole && split);
  whole->feed(*bytes);
  for (std::uint8_t b : *bytes) split->feed(std::span(&b, 1));
  const auto a = whole->receipts();
  const auto b = split->receipts();
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(a[0].text_lines, b[0].text_lines);
  EXPECT_EQ(a[0].qr_codes, b[0].qr_codes);
  EXPECT_EQ(a[0].qr_codes.at(0), receipt.track_url);
  EXPECT_TRUE(a[0].gray == b[0].gray);
  EXPECT_EQ(whole->bad_commands(), 0u);
  EXPECT_EQ(split->bad_commands(), 0u);
}

TEST(PrinterSim, UnknownAndTruncatedCommandsAreCountedAndThePrintGoesOn) {
  auto sim = make_sim();
  ASSERT_TRUE(sim);
  const Bytes stream{0x1B, 0x99,                                 // ESC with no such command
                     0x1D, 0x21, 0xFF,                           // a character size over 8
                     'O',  'K',  '\n', 0x1D, 0x56, 0x00,         // a line and a cut
                     0x1D, 0x76, 0x30, 0x00, 0x48, 0x00, 0x10};  // an image cut short
  EXPECT_TRUE(sim->feed(stream).empty());
  sim->end_of_stream();
  EXPECT_EQ(sim->bad_commands(), 3u) << ::testing::PrintToString(sim->log());
  const auto receipts = sim->receipts();
  ASSERT_EQ(receipts.size(), 1u);
  EXPECT_EQ(receipts[0].text_lines, std::vector<std::string>{"OK"});
}

TEST(PrinterSim, AReceiptSentWhileThePaperIsOutIsNotPrinted) {
  auto sim = make_sim();
  ASSERT_TRUE(sim);
  PrinterFaults f;
  f.paper_out = true;
  sim->set_faults(f);
  const Bytes stream{'h', 'i', '\n', 0x1D, 0x56, 0x01};
  sim->feed(stream);
  EXPECT_EQ(sim->receipt_count(), 0u);
  EXPECT_EQ(sim->receipts_lost(), 1u);
}

}  // namespace
}  // namespace civicbox::sim
