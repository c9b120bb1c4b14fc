// What the box does when the printer is not fine: it refuses before sending a byte of the
// receipt and says why (paper out, cover open), tells "unknown" from "ready" for printers that
// never answer, and fails clearly when the printer goes away mid-receipt, then prints again once
// it is back.
#include <gtest/gtest.h>

#include "tests/drivers/printer/escpos/printer_fixture.hpp"

namespace civicbox::testing {
namespace {

using namespace std::chrono_literals;
using drivers::PrinterStatus;

class PrinterFaults : public PrinterOverTcp {
 protected:
  void SetUp() override {
    start_printer(576,
                  "out/faults-" +
                      std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    printer_ = connect(settings_for(576, true));
    ASSERT_TRUE(printer_);
  }

  void set(auto change) {
    sim::PrinterFaults f = sim_->faults();
    change(f);
    sim_->set_faults(f);
  }

  // Waits (up to a generous limit) until the printer answers status again.
  bool back_within(std::chrono::seconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      if (auto s = printer_->status(); s && *s == PrinterStatus::ready) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  drivers::Receipt receipt_ = sample_receipt("ro", "Primăria Municipiului Iași");
  std::unique_ptr<escpos::EscPosPrinter> printer_;
};

TEST_F(PrinterFaults, AHealthyPrinterIsReady) {
  auto s = printer_->status();
  ASSERT_TRUE(s) << s.error().describe();
  EXPECT_EQ(*s, PrinterStatus::ready);
}

TEST_F(PrinterFaults, PaperOutRefusesThePrintBeforeAnyReceiptByteAndSaysSo) {
  set([](auto& f) { f.paper_out = true; });
  const auto before = sim_->data_bytes();
  auto printed = printer_->print(receipt_);
  ASSERT_FALSE(printed);
  EXPECT_EQ(printed.error().code, ErrorCode::unavailable);
  EXPECT_NE(printed.error().message.find("paper has run out"), std::string::npos)
      << printed.error().message;
  EXPECT_NE(printed.error().message.find("nothing was printed"), std::string::npos);
  EXPECT_EQ(sim_->data_bytes(), before);  // only status requests reached the printer
  EXPECT_EQ(sim_->receipt_count(), 0u);
  auto s = printer_->status();
  ASSERT_TRUE(s) << s.error().describe();
  EXPECT_EQ(*s, PrinterStatus::paper_out);
}

TEST_F(PrinterFaults, AnOpenCoverRefusesThePrintBeforeAnyReceiptByteAndSaysSo) {
  set([](auto& f) { f.cover_open = true; });
  const auto before = sim_->data_bytes();
  auto printed = printer_->print(receipt_);
  ASSERT_FALSE(printed);
  EXPECT_EQ(printed.error().code, ErrorCode::unavailable);
  EXPECT_NE(printed.error().message.find("cover is open"), std::string::npos)
      << printed.error().message;
  EXPECT_EQ(sim_->data_bytes(), before);
  auto s = printer_->status();
  ASSERT_TRUE(s) << s.error().describe();
  EXPECT_EQ(*s, PrinterStatus::cover_open);

  set([](auto& f) { f.cover_open = false; });  // someone closed it
  auto again = printer_->print(receipt_);
  EXPECT_TRUE(again) << again.error().describe();
  EXPECT_EQ(sim_->receipt_count(), 1u);
}

TEST_F(PrinterFaults, PaperNearEndStillPrintsAndWarns) {
  set([](auto& f) { f.paper_near_end = true; });
  auto s = printer_->status();
  ASSERT_TRUE(s) << s.error().describe();
  EXPECT_EQ(*s, PrinterStatus::paper_low);
  auto printed = printer_->print(receipt_);
  EXPECT_TRUE(printed) << printed.error().describe();
  EXPECT_EQ(sim_->receipt_count(), 1u);
}

TEST_F(PrinterFaults, APrinterThatNeverAnswersStatusIsUnknownNotReady) {
  set([](auto& f) { f.silent = true; });
  auto s = printer_->status();
  ASSERT_TRUE(s) << s.error().describe();
  EXPECT_EQ(*s, PrinterStatus::unknown);
}

TEST_F(PrinterFaults, UnpluggedMidReceiptIsAnErrorAndPrintingWorksOnceItIsBack) {
  auto first = printer_->print(receipt_);
  ASSERT_TRUE(first) << first.error().describe();

  set([](auto& f) { f.unplug_after_bytes = 5000; });  // the cable comes out mid-receipt
  auto cut_off = printer_->print(receipt_);
  ASSERT_FALSE(cut_off);
  EXPECT_EQ(cut_off.error().code, ErrorCode::unavailable) << cut_off.error().describe();
  EXPECT_EQ(sim_->receipt_count(), 1u);

  auto gone = printer_->print(receipt_);  // still unplugged: refused at once
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::unavailable);
  auto status = printer_->status();
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::unavailable);

  set([](auto& f) { f.unplugged = false; });
  ASSERT_TRUE(back_within(10s));
  auto again = printer_->print(receipt_);
  ASSERT_TRUE(again) << again.error().describe();
  EXPECT_EQ(sim_->receipt_count(), 2u);
}

}  // namespace
}  // namespace civicbox::testing
