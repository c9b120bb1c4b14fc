// Serial QR scanners: how the byte stream is cut into scans (line ends, control bytes, over-long
// and partial lines) and what the driver does with a simulated scanner on a pseudo-terminal
// that scans, babbles, splits codes and is unplugged.
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "common/scanned.hpp"
#include "drivers/scanner/serial/scan_line_assembler.hpp"
#include "drivers/scanner/serial/serial_scanner.hpp"
#include "hardware/sim/scanner/serial_scanner_sim.hpp"
#include "tests/support/checked_code.hpp"

namespace civicbox::scanner {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

using testing::with_check;

const std::string kPickup = with_check("4F7KQ29X");

std::vector<ScanLineResult> assemble(std::string_view bytes, ScanLineOptions options = {}) {
  ScanLineAssembler lines(options);
  lines.feed(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()),
             Clock::time_point{} + 1h);
  std::vector<ScanLineResult> out;
  while (auto r = lines.take()) out.push_back(std::move(*r));
  return out;
}

std::vector<std::string> scans_of(std::string_view bytes, ScanLineOptions options = {}) {
  std::vector<std::string> out;
  for (const auto& r : assemble(bytes, options)) {
    if (const auto* l = std::get_if<ScanLine>(&r)) out.push_back(l->text);
  }
  return out;
}

ScanLineOptions ending(LineEnd end) {
  ScanLineOptions o;
  o.line_end = end;
  return o;
}

// ---- the line assembler ----

TEST(ScanLineAssembler, CrLfAndCrLfAllEndAScanWhenSetToAutomatic) {
  const std::vector<std::string> both{kPickup, "CBX-BADGE:ABCD"};
  EXPECT_EQ(scans_of(kPickup + "\rCBX-BADGE:ABCD\r"), both);
  EXPECT_EQ(scans_of(kPickup + "\nCBX-BADGE:ABCD\n"), both);
  EXPECT_EQ(scans_of(kPickup + "\r\nCBX-BADGE:ABCD\r\n"), both);
  EXPECT_EQ(assemble(kPickup + "\r\n\r\n\n\r").size(), 1u);  // empty lines give nothing
}

TEST(ScanLineAssembler, AFixedLineEndTreatsTheOtherByteAsAControlCharacter) {
  EXPECT_EQ(scans_of(kPickup + "\r", ending(LineEnd::cr)), std::vector<std::string>{kPickup});
  EXPECT_EQ(scans_of(kPickup + "\n", ending(LineEnd::lf)), std::vector<std::string>{kPickup});
  EXPECT_EQ(scans_of(kPickup + "\r\n", ending(LineEnd::crlf)), std::vector<std::string>{kPickup});
  // A two-line QR code (a vCard, say) is one dropped scan, not two scans.
  const auto results = assemble("BEGIN:VCARD\rEND:VCARD\r\n", ending(LineEnd::crlf));
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(std::get<DroppedLine>(results[0]).reason, LineDrop::unprintable);
  EXPECT_TRUE(scans_of("ABCD\n", ending(LineEnd::cr)).empty());
}

TEST(ScanLineAssembler, ControlBytesAndBrokenTextDropTheWholeLine) {
  for (const std::string& bad :
       {std::string("4F7\x1bKQ29XW\r"), std::string("4F7\0KQ\r", 7), std::string("\xff\xfe\r"),
        std::string("AB\x7f\r"), std::string("\xc2\x85\r")}) {
    const auto results = assemble(bad);
    ASSERT_EQ(results.size(), 1u) << bad;
    EXPECT_EQ(std::get<DroppedLine>(results[0]).reason, LineDrop::unprintable);
  }
  EXPECT_EQ(scans_of("\xc8\x99i\r"), std::vector<std::string>{"\xc8\x99i"});  // UTF-8 passes
}

TEST(ScanLineAssembler, AnOverLongLineIsDroppedWholeAndTheNextScanIsKept) {
  ScanLineOptions o;
  o.max_length = 16;
  const auto results = assemble(std::string(40, 'A') + "\r" + kPickup + "\r", o);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(std::get<DroppedLine>(results[0]).reason, LineDrop::too_long);
  EXPECT_EQ(std::get<DroppedLine>(results[0]).length, 40u);
  EXPECT_EQ(std::get<ScanLine>(results[1]).text, kPickup);
}

TEST(ScanLineAssembler, APartialLineExpiresAndNeverPrefixesTheNextScan) {
  ScanLineAssembler lines({LineEnd::automatic, kMaxScannedLength, 500ms});
  const auto t0 = Clock::time_point{} + 1h;
  const std::string head = "4F7K";
  lines.feed(std::span(reinterpret_cast<const std::uint8_t*>(head.data()), head.size()), t0);
  ASSERT_TRUE(lines.expires_at());
  EXPECT_EQ(*lines.expires_at(), t0 + 500ms);
  lines.expire(t0 + 499ms);
  EXPECT_FALSE(lines.take());
  const std::string full = kPickup + "\r";
  lines.feed(std::span(reinterpret_cast<const std::uint8_t*>(full.data()), full.size()),
             t0 + 501ms);
  auto first = lines.take();
  ASSERT_TRUE(first);
  EXPECT_EQ(std::get<DroppedLine>(*first).reason, LineDrop::no_line_end);
  auto second = lines.take();
  ASSERT_TRUE(second);
  EXPECT_EQ(std::get<ScanLine>(*second).text, kPickup);
}

TEST(ScanLineAssembler, ACodeArrivingInPiecesIsOneScan) {
  ScanLineAssembler lines;
  auto now = Clock::time_point{} + 1h;
  const std::string full = kPickup + "\r\n";
  for (char c : full) {
    lines.feed(std::span(reinterpret_cast<const std::uint8_t*>(&c), 1), now += 50ms);
  }
  auto only = lines.take();
  ASSERT_TRUE(only);
  EXPECT_EQ(std::get<ScanLine>(*only).text, kPickup);
  EXPECT_FALSE(lines.take());
}

// ---- the driver against the simulated scanner ----

class SerialScannerTest : public ::testing::Test {
 protected:
  void start(sim::ScanLineEnd sim_end, LineEnd driver_end, bool with_link = false) {
    sim::SerialScannerSimOptions so;
    so.line_end = sim_end;
    if (with_link) {
      dir_ = std::filesystem::temp_directory_path() /
             ("civicbox-serial-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
      std::filesystem::create_directories(dir_);
      so.link = (dir_ / "usb-Scanner-if00-port0").string();
    }
    auto s = sim::SerialScannerSim::start(so);
    ASSERT_TRUE(s) << s.error().describe();
    sim_ = std::move(*s);
    SerialScannerOptions o;
    o.device = sim_->port();
    o.baud = 115200;
    o.line_end = driver_end;
    o.partial_timeout = 200ms;
    o.reopen_interval = 20ms;
    auto d = SerialScanner::open(o);
    ASSERT_TRUE(d) << d.error().describe();
    scanner_ = std::move(*d);
  }
  void TearDown() override {
    scanner_.reset();
    sim_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // The next scan within a generous wait; "" when none came.
  std::string next(std::chrono::milliseconds wait = 5s) {
    auto scan = scanner_->next_scan(wait);
    EXPECT_TRUE(scan) << scan.error().describe();
    return scan && *scan ? **scan : std::string();
  }

  std::unique_ptr<sim::SerialScannerSim> sim_;
  std::unique_ptr<SerialScanner> scanner_;
  std::filesystem::path dir_;
};

TEST_F(SerialScannerTest, AScannedPickupCodeArrivesOnceExactly) {
  start(sim::ScanLineEnd::cr, LineEnd::automatic);
  sim_->scan(kPickup);
  EXPECT_EQ(next(), kPickup);
  auto parsed = parse_scanned(kPickup);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(next(300ms), "");  // not twice
}

TEST_F(SerialScannerTest, EveryLineEndAScannerCanBeSetToIsUnderstood) {
  const std::vector<std::pair<sim::ScanLineEnd, LineEnd>> settings{
      {sim::ScanLineEnd::cr, LineEnd::automatic},   {sim::ScanLineEnd::lf, LineEnd::automatic},
      {sim::ScanLineEnd::crlf, LineEnd::automatic}, {sim::ScanLineEnd::cr, LineEnd::cr},
      {sim::ScanLineEnd::lf, LineEnd::lf},          {sim::ScanLineEnd::crlf, LineEnd::crlf}};
  for (const auto& [sim_end, driver_end] : settings) {
    scanner_.reset();
    sim_.reset();
    start(sim_end, driver_end);
    sim_->scan("CBX-BADGE:AB12");
    sim_->scan(kPickup);
    EXPECT_EQ(next(), "CBX-BADGE:AB12") << to_string(driver_end);
    EXPECT_EQ(next(), kPickup) << to_string(driver_end);
    EXPECT_EQ(next(300ms), "") << to_string(driver_end);
  }
}

TEST_F(SerialScannerTest, ACodeSplitAcrossWritesArrivesWhole) {
  start(sim::ScanLineEnd::crlf, LineEnd::automatic);
  sim_->scan_in_pieces("https://civicbox.example.org/p/" + kPickup, 4, 30ms);
  EXPECT_EQ(next(), "https://civicbox.example.org/p/" + kPickup);
  EXPECT_EQ(next(300ms), "");
}

TEST_F(SerialScannerTest, GarbageAndPartialCodesNeverProduceAScan) {
  start(sim::ScanLineEnd::cr, LineEnd::automatic);
  sim_->send_garbage(40);
  sim_->scan_without_line_end(kPickup);
  ASSERT_TRUE(sim_->wait_until_sent(5s));
  EXPECT_EQ(next(1s), "");  // the partial code expires after 200 ms of silence
  sim_->send_bytes(std::string(600, 'A') + "\r");  // over-long
  EXPECT_EQ(next(500ms), "");
  sim_->scan(kPickup);
  EXPECT_EQ(next(), kPickup);  // nothing of what came before in front of it
}

TEST_F(SerialScannerTest, UnpluggedIsUnavailableAndAfterReplugItScansAgain) {
  start(sim::ScanLineEnd::cr, LineEnd::automatic, /*with_link=*/true);
  sim_->scan(kPickup);
  EXPECT_EQ(next(), kPickup);

  sim_->unplug();
  auto gone = scanner_->next_scan(5s);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::unavailable);
  EXPECT_NE(gone.error().message.find("scanner adapter unplugged"), std::string::npos);
  auto still_gone = scanner_->next_scan(100ms);
  ASSERT_FALSE(still_gone);
  EXPECT_EQ(still_gone.error().code, ErrorCode::unavailable);

  ASSERT_TRUE(sim_->replug());
  // What is written before the driver has reopened may be flushed as stale: scan until seen.
  std::string seen;
  for (int attempt = 0; attempt < 20 && seen.empty(); ++attempt) {
    sim_->scan(kPickup);
    auto scan = scanner_->next_scan(1s);
    ASSERT_TRUE(scan || scan.error().code == ErrorCode::unavailable);
    if (scan && *scan) seen = **scan;
  }
  EXPECT_EQ(seen, kPickup);
}

TEST(SerialScannerOpen, AWrongSpeedOrAMissingPortIsRefused) {
  SerialScannerOptions o;
  o.device = "/dev/serial/by-id/no-such-scanner";
  o.baud = 1234;
  auto wrong = SerialScanner::open(o);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ErrorCode::invalid_argument);
  o.baud = 9600;
  auto missing = SerialScanner::open(o);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::unavailable);
}

}  // namespace
}  // namespace civicbox::scanner
