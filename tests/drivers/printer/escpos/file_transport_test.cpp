// The device-file transport (as for /dev/usb/lp0) against the simulated printer behind a
// pseudo-terminal: status, a whole receipt, a refusal, and a device that is not there.
#include <gtest/gtest.h>

#include "drivers/printer/file/device_file_transport.hpp"
#include "hardware/sim/printer/pty_front.hpp"
#include "tests/drivers/printer/escpos/printer_fixture.hpp"

namespace civicbox::testing {
namespace {

using namespace std::chrono_literals;
using drivers::PrinterStatus;

class DeviceFilePrinter : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string out = std::string("out/device-file-") +
                            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(out);
    auto sim = sim::PrinterSim::create({384, out, CIVICBOX_FONTS_DIR});
    ASSERT_TRUE(sim) << sim.error().describe();
    sim_ = std::move(*sim);
    auto pty = sim::PrinterSimPty::start(*sim_);
    ASSERT_TRUE(pty) << pty.error().describe();
    pty_ = std::move(*pty);
    auto link = drivers::DeviceFileTransport::open(pty_->path());
    ASSERT_TRUE(link) << link.error().describe();
    escpos::EscPosSettings s;
    s.paper = escpos::PaperWidth::mm58;
    s.native_qr = false;
    s.fonts_dir = CIVICBOX_FONTS_DIR;
    s.status_timeout = 2s;
    auto printer = escpos::EscPosPrinter::open(std::move(*link), s);
    ASSERT_TRUE(printer) << printer.error().describe();
    printer_ = std::move(*printer);
  }

  std::unique_ptr<sim::PrinterSim> sim_;
  std::unique_ptr<sim::PrinterSimPty> pty_;
  std::unique_ptr<escpos::EscPosPrinter> printer_;
};

TEST_F(DeviceFilePrinter, AReceiptSentThroughTheDeviceFilePrintsAndScans) {
  auto s = printer_->status();
  ASSERT_TRUE(s) << s.error().describe();
  EXPECT_EQ(*s, PrinterStatus::ready);
  const auto receipt = sample_receipt("hu", "Győr Megyei Jogú Város Polgármesteri Hivatala");
  auto printed = printer_->print(receipt);
  ASSERT_TRUE(printed) << printed.error().describe();
  const auto receipts = sim_->receipts();
  ASSERT_EQ(receipts.size(), 1u);
  EXPECT_EQ(sim_->bad_commands(), 0u) << ::testing::PrintToString(sim_->log());
  std::filesystem::create_directories("receipts");
  std::filesystem::copy_file(receipts[0].png, "receipts/receipt-hu-58mm-raster-qr.png",
                             std::filesystem::copy_options::overwrite_existing);
  EXPECT_EQ(scan_qr(read_png("receipts/receipt-hu-58mm-raster-qr.png")), receipt.track_url);
}

TEST_F(DeviceFilePrinter, PaperOutThroughTheDeviceFileIsRefusedWithNoReceiptBytes) {
  sim::PrinterFaults f;
  f.paper_out = true;
  sim_->set_faults(f);
  const auto before = sim_->data_bytes();
  auto printed = printer_->print(sample_receipt("en", "Brighton & Hove City Council"));
  ASSERT_FALSE(printed);
  EXPECT_EQ(printed.error().code, ErrorCode::unavailable);
  EXPECT_NE(printed.error().message.find(pty_->path()), std::string::npos)
      << printed.error().message;
  EXPECT_EQ(sim_->data_bytes(), before);
}

TEST(DeviceFileTransport, ADeviceThatIsNotThereIsUnavailable) {
  auto link = drivers::DeviceFileTransport::open("/dev/usb/no-such-printer");
  ASSERT_FALSE(link);
  EXPECT_EQ(link.error().code, ErrorCode::unavailable);
  EXPECT_NE(link.error().message.find("/dev/usb/no-such-printer"), std::string::npos);
}

}  // namespace
}  // namespace civicbox::testing
