// The USB printer transport against a printer emulated in-process by umockdev: what the
// kiosk writes reaches the printer unchanged, status comes back, and pulling the cable or
// plugging it back in does what a technician expects.
#include "drivers/printer/usb/usb_printer_transport.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "tests/drivers/printer/usb/emulated_usb_printer.hpp"

namespace civicbox::drivers {
namespace {

using namespace std::chrono_literals;
using civicbox::testing::EmulatedUsbPrinter;
using civicbox::testing::UsbTestbed;
using Bytes = std::vector<std::uint8_t>;

constexpr auto kPrinterOut = EmulatedUsbPrinter::kPrinterOut;

UsbPrinterSettings printer_0416_5011() {
  UsbPrinterSettings settings;
  settings.vendor_id = 0x0416;
  settings.product_id = 0x5011;
  settings.write_timeout = 2000ms;
  return settings;
}

Bytes receipt_bytes() {
  // initialise, leave Kanji mode, CP858, bold "Town hall", feed, feed and partial cut
  Bytes bytes = {0x1B, 0x40, 0x1C, 0x2E, 0x1B, 0x74, 19, 0x1B, 0x45, 1};
  for (char c : std::string("Town hall\n")) bytes.push_back(static_cast<std::uint8_t>(c));
  bytes.insert(bytes.end(), {0x1B, 0x45, 0, 0x1B, 0x64, 3, 0x1D, 0x56, 0x42, 3});
  return bytes;
}

class UsbPrinterTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!civicbox::testing::running_under_umockdev()) {
      GTEST_SKIP() << "needs the umockdev preload library: run under umockdev-wrapper (ctest "
                      "does; an AddressSanitizer build cannot, so it skips)";
    }
    testbed_.emplace();
    printer_.emplace(*testbed_);
  }
  void TearDown() override {
    transport_.reset();  // libusb goes before the emulated device and its testbed
    printer_.reset();
    testbed_.reset();
  }

  UsbPrinterTransport& open(UsbPrinterSettings settings = printer_0416_5011()) {
    auto created = UsbPrinterTransport::create(std::move(settings));
    EXPECT_TRUE(created.has_value()) << created.error().describe();
    transport_ = std::move(*created);
    return *transport_;
  }

  std::optional<UsbTestbed> testbed_;
  std::optional<EmulatedUsbPrinter> printer_;
  std::unique_ptr<UsbPrinterTransport> transport_;
};

TEST_F(UsbPrinterTransportTest, EscPosBytesArriveUnchangedAtThePrinterBulkOutEndpoint) {
  printer_->plug_in();
  auto& printer = open();
  const Bytes bytes = receipt_bytes();

  const auto written = printer.write(bytes);

  ASSERT_TRUE(written) << written.error().describe();
  EXPECT_EQ(printer_->received(kPrinterOut), bytes);
  // Found from the descriptors: not the vendor interface's OUT endpoint 0x01.
  EXPECT_TRUE(printer_->received(EmulatedUsbPrinter::kDecoyOut).empty());
}

TEST_F(UsbPrinterTransportTest, A100KiBRasterImageArrivesWholeInSeveralTransfers) {
  printer_->plug_in();
  auto& printer = open();
  // GS v 0: 72 bytes (576 dots) per row, 1422 rows: just over 100 KiB.
  const int width = 72;
  const int rows = 1422;
  Bytes raster = {0x1D, 0x76, 0x30, 0x00, width, 0, rows & 0xff, rows >> 8};
  for (int i = 0; i < width * rows; ++i) {
    raster.push_back(static_cast<std::uint8_t>((i * 37 + i / width) & 0xff));
  }

  const auto written = printer.write(raster);

  ASSERT_TRUE(written) << written.error().describe();
  EXPECT_EQ(printer_->received(kPrinterOut), raster);
  EXPECT_GE(printer_->out_transfers(kPrinterOut), 6u);
}

TEST_F(UsbPrinterTransportTest, PartialTransfersAreContinuedUntilEveryByteArrived) {
  printer_->plug_in();
  printer_->accept_at_most(1000);
  auto& printer = open();
  Bytes bytes(10'000);
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(i % 251);

  const auto written = printer.write(bytes);

  ASSERT_TRUE(written) << written.error().describe();
  EXPECT_EQ(printer_->received(kPrinterOut), bytes);
  EXPECT_GE(printer_->out_transfers(kPrinterOut), 10u);
}

TEST_F(UsbPrinterTransportTest, DleEotIsAnsweredWithTheEmulatedStatusByteOnBulkIn) {
  printer_->plug_in();
  auto& printer = open();

  printer_->answer_status_with(0x12);  // online, healthy
  ASSERT_TRUE(printer.write(Bytes{0x10, 0x04, 0x01}));
  const auto healthy = printer.read(1, 5000ms);
  printer_->answer_status_with(0x60);  // roll end
  ASSERT_TRUE(printer.write(Bytes{0x10, 0x04, 0x04}));
  const auto roll_end = printer.read(1, 5000ms);

  ASSERT_TRUE(healthy) << healthy.error().describe();
  EXPECT_EQ(*healthy, Bytes{0x12});
  ASSERT_TRUE(roll_end) << roll_end.error().describe();
  EXPECT_EQ(*roll_end, Bytes{0x60});
}

TEST_F(UsbPrinterTransportTest, APrinterThatNeverAnswersGivesAnEmptyReadAfterTheWait) {
  printer_->plug_in();
  printer_->never_answer();
  auto& printer = open();
  ASSERT_TRUE(printer.write(Bytes{0x10, 0x04, 0x01}));

  const auto status = printer.read(1, 300ms);

  ASSERT_TRUE(status) << status.error().describe();
  EXPECT_TRUE(status->empty());
  // Still usable afterwards.
  EXPECT_TRUE(printer.write(Bytes{0x1B, 0x40}));
}

TEST_F(UsbPrinterTransportTest, DiscardInputDropsAStatusByteNobodyRead) {
  printer_->plug_in();
  auto& printer = open();
  printer_->queue_reply({0x12});

  printer.discard_input();
  const auto after = printer.read(1, 200ms);

  ASSERT_TRUE(after) << after.error().describe();
  EXPECT_TRUE(after->empty());
}

TEST_F(UsbPrinterTransportTest, WithoutThePrinterConnectSaysNotFoundAndWriteSaysUnavailable) {
  auto& printer = open();  // nothing plugged in: creating still works

  const auto connected = printer.connect();
  const auto written = printer.write(receipt_bytes());

  ASSERT_FALSE(connected);
  EXPECT_EQ(connected.error().code, ErrorCode::not_found);
  EXPECT_EQ(connected.error().message, "USB printer 0416:5011 is not plugged in");
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, ErrorCode::unavailable);
  EXPECT_EQ(written.error().message, "USB printer 0416:5011 is not plugged in");
  EXPECT_EQ(printer.describe(), "usb 0416:5011 (not plugged in)");
}

TEST_F(UsbPrinterTransportTest, ClaimingDetachesUsblpAndClosingGivesTheInterfaceBack) {
  printer_->plug_in();
  ASSERT_TRUE(printer_->driver_bound());

  auto& printer = open();
  ASSERT_TRUE(printer.connect());
  EXPECT_TRUE(printer_->claimed());
  EXPECT_FALSE(printer_->driver_bound());
  EXPECT_EQ(printer_->driver_detaches(), 1);

  transport_.reset();
  EXPECT_FALSE(printer_->claimed());
  EXPECT_TRUE(printer_->driver_bound());
  EXPECT_EQ(printer_->driver_attaches(), 1);
}

TEST_F(UsbPrinterTransportTest, UnpluggingGivesUnavailableNamingThePrinter) {
  printer_->plug_in();
  auto& printer = open();
  ASSERT_TRUE(printer.write(receipt_bytes()));

  printer_->unplug();
  const auto written = printer.write(receipt_bytes());

  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, ErrorCode::unavailable);
  EXPECT_NE(written.error().message.find("USB printer 0416:5011 unplugged"), std::string::npos)
      << written.error().message;
  EXPECT_FALSE(printer.connected());
}

TEST_F(UsbPrinterTransportTest, AnUnplugLibusbHasNotHeardOfYetAlsoGivesUnavailable) {
  printer_->plug_in();
  auto& printer = open();
  ASSERT_TRUE(printer.write(receipt_bytes()));

  printer_->cut_cable_silently();
  const auto written = printer.write(receipt_bytes());
  const auto status = printer.read(1, 200ms);

  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, ErrorCode::unavailable);
  EXPECT_NE(written.error().message.find("USB printer 0416:5011 unplugged"), std::string::npos)
      << written.error().message;
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::unavailable);
  EXPECT_NE(status.error().message.find("USB printer 0416:5011 unplugged"), std::string::npos)
      << status.error().message;
}

TEST_F(UsbPrinterTransportTest, AfterAReplugTheNextWriteReopensThePrinterAndWorks) {
  printer_->plug_in();
  auto& printer = open();
  ASSERT_TRUE(printer.write(Bytes{0x1B, 0x40}));
  printer_->unplug();
  ASSERT_FALSE(printer.write(Bytes{0x1B, 0x40}));

  printer_->plug_in();
  const Bytes receipt = receipt_bytes();
  const auto written = printer.write(receipt);

  ASSERT_TRUE(written) << written.error().describe();
  const Bytes received = printer_->received(kPrinterOut);
  ASSERT_GE(received.size(), receipt.size());
  EXPECT_EQ(Bytes(received.end() - static_cast<long>(receipt.size()), received.end()), receipt);
  EXPECT_EQ(printer_->claims(), 2);
  EXPECT_EQ(printer.describe(), "usb 0416:5011 serial ABC on bus 1 port 3");
}

TEST_F(UsbPrinterTransportTest, ASecondArrivalOfTheSameDeviceDoesNotOpenItTwice) {
  printer_->plug_in();
  auto& printer = open();
  ASSERT_TRUE(printer.connect());

  printer_->announce_again();
  ASSERT_TRUE(printer.write(Bytes{0x1B, 0x40}));
  printer_->announce_again();
  ASSERT_TRUE(printer.write(Bytes{0x1B, 0x40}));

  EXPECT_EQ(printer_->opens(), 1);
  EXPECT_EQ(printer_->claims(), 1);
  EXPECT_EQ(printer_->received(kPrinterOut), (Bytes{0x1B, 0x40, 0x1B, 0x40}));
}

TEST_F(UsbPrinterTransportTest, DescribeNamesIdsSerialBusAndPort) {
  printer_->plug_in();
  auto& printer = open();
  ASSERT_TRUE(printer.connect());

  EXPECT_EQ(printer.describe(), "usb 0416:5011 serial ABC on bus 1 port 3");
}

TEST_F(UsbPrinterTransportTest, WithoutIdsTheFirstPrinterClassDeviceIsUsed) {
  printer_->plug_in();
  auto& printer = open(UsbPrinterSettings{});  // the root hub comes first and is no printer

  ASSERT_TRUE(printer.write(receipt_bytes()));
  EXPECT_EQ(printer.describe(), "usb 0416:5011 serial ABC on bus 1 port 3");
  EXPECT_EQ(printer_->received(kPrinterOut), receipt_bytes());
}

TEST_F(UsbPrinterTransportTest, ASerialNumberPicksOnlyThatPrinter) {
  printer_->plug_in();
  UsbPrinterSettings settings = printer_0416_5011();
  settings.serial = "XYZ";
  auto& printer = open(settings);

  const auto connected = printer.connect();

  ASSERT_FALSE(connected);
  EXPECT_EQ(connected.error().code, ErrorCode::not_found);
  EXPECT_EQ(connected.error().message, "USB printer 0416:5011 serial XYZ is not plugged in");
  EXPECT_EQ(printer_->claims(), 0);
}

TEST_F(UsbPrinterTransportTest, PortStatusReportsPaperEmpty) {
  printer_->plug_in();
  printer_->set_port_status(0x38);  // not-error, selected, paper empty
  auto& printer = open();

  const auto status = printer.port_status();

  ASSERT_TRUE(status) << status.error().describe();
  EXPECT_TRUE(status->paper_empty());
  EXPECT_TRUE(status->selected());
  EXPECT_FALSE(status->error());
}

TEST_F(UsbPrinterTransportTest, APrinterThatTakesNoDataFailsTheWriteAfterItsTimeout) {
  printer_->plug_in();
  printer_->stop_taking_data();
  UsbPrinterSettings settings = printer_0416_5011();
  settings.write_timeout = 300ms;
  auto& printer = open(settings);

  const auto written = printer.write(receipt_bytes());

  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, ErrorCode::unavailable);
  EXPECT_NE(written.error().message.find("took no data for 300 ms"), std::string::npos)
      << written.error().message;
}

TEST(UsbPrinterSettingsTest, AVendorWithoutAProductIsRejected) {
  UsbPrinterSettings settings;
  settings.vendor_id = 0x0416;

  const auto created = UsbPrinterTransport::create(settings);

  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, ErrorCode::invalid_argument);
}

}  // namespace
}  // namespace civicbox::drivers
