// The self-test in-process, with the real drivers against the simulated cabinet: the lock boards
// on a pty, the ESC/POS printer over TCP to the printer simulator (which reads the receipt's QR
// back), the serial QR scanner on a pty fed by the cabinet's `scan TEXT`. Offline: the report
// waits in the outbox. What a technician relies on: every door is tried once and only empty ones
// are opened; a fault fails its own line and says what was seen.
#include <gtest/gtest.h>

#include <chrono>
#include <stop_token>
#include <thread>

#include "common/pickup_hash.hpp"
#include "common/scanned.hpp"
#include "drivers/printer/escpos/escpos_printer.hpp"
#include "drivers/printer/tcp/tcp_transport.hpp"
#include "drivers/scanner/serial/serial_scanner.hpp"
#include "firmware/agent.hpp"
#include "hardware/sim/log_screen.hpp"
#include "tests/support/flow_events.hpp"
#include "tests/support/seeded_random.hpp"
#include "tests/support/sim_lockers.hpp"
#include "tests/support/temp_dir.hpp"

namespace civicbox::firmware {
namespace {

using namespace std::chrono_literals;

class SelfTestTest : public ::testing::Test {
 protected:
  SelfTestTest() {
    config_.box_id = "box-0001";
    config_.data_dir = dir_.path() / "data";
    config_.controller_url = "https://127.0.0.1:1";  // nothing listens: offline
    config_.timeout_ms = 300;
    // The simulated person shuts a door 20 ms after it was seen open.
    cabinet_ = testing::SimLockers::start(dir_.path() / "cabinet", {1, 2}, {5, 6}, 20ms);
    apply_cabinet_profile(config_, cabinet_.profile());

    const auto& address = cabinet_.profile().printer->address;
    const auto port = static_cast<std::uint16_t>(std::stoi(address.substr(address.rfind(':') + 1)));
    escpos::EscPosSettings settings;
    settings.text_mode = escpos::TextMode::code_page;  // what the simulator reads back as text
    auto printer = escpos::EscPosPrinter::open(
        std::make_unique<drivers::TcpTransport>(drivers::TcpPrinterOptions{"127.0.0.1", port}),
        settings);
    EXPECT_TRUE(printer) << printer.error().describe();
    printer_ = std::move(*printer);
    scanner::SerialScannerOptions so;
    so.device = cabinet_.profile().scanner->device;
    auto scanner = scanner::SerialScanner::open(so);
    EXPECT_TRUE(scanner) << scanner.error().describe();
    scanner_ = std::move(*scanner);
  }

  std::unique_ptr<Agent> open_agent() {
    auto agent = Agent::open(
        config_, Devices{*cabinet_.lockers, *printer_, screen_, scanner_.get(), true}, random_);
    EXPECT_TRUE(agent.has_value()) << agent.error().describe();
    (*agent)->door_open_wait = 1s;
    // Long enough for a loaded machine to see a door open and shut; short enough that a fault
    // costs little.
    (*agent)->self_test_times = SelfTestTimes{1500ms, 2s, 3s};
    return std::move(*agent);
  }

  // A technician who holds up the test receipt as soon as it is printed (the QR read off the
  // simulator's paper), or, with `text`, holds up that instead.
  std::jthread technician(std::optional<std::string> text = std::nullopt) {
    return std::jthread([this, text](std::stop_token stop) {
      const auto before = cabinet_.cabinet->printer()->receipt_count();
      while (!stop.stop_requested()) {
        auto receipts = cabinet_.cabinet->printer()->receipts();
        if (receipts.size() > before && !receipts.back().qr_codes.empty()) {
          cabinet_.command("scan " + text.value_or(receipts.back().qr_codes.front()));
          return;
        }
        std::this_thread::sleep_for(20ms);
      }
    });
  }

  SelfTestRun run() {
    SelfTestRun r;
    r.scanner = scanner_.get();
    return r;
  }

  static const SelfTestLine* find(const SelfTestResult& result, const std::string& part,
                                  std::optional<int> compartment = std::nullopt) {
    for (const auto& l : result.lines) {
      if (l.check.part == part && l.check.compartment == compartment) return &l;
    }
    return nullptr;
  }

  std::vector<std::string> alarms(Agent& agent) {
    std::vector<std::string> out;
    auto events = agent.journal().events_after(0, 1000);
    EXPECT_TRUE(events);
    if (!events) return out;
    for (const auto& e : *events) {
      if (const auto* a = std::get_if<wire::Alarm>(&e.body)) out.push_back(a->what);
    }
    return out;
  }

  testing::TempDir dir_;
  testing::SeededRandom random_{5};
  AgentConfig config_;
  testing::SimLockers cabinet_;
  std::unique_ptr<escpos::EscPosPrinter> printer_;
  std::unique_ptr<scanner::SerialScanner> scanner_;
  sim::LogScreen screen_;
};

TEST_F(SelfTestTest, OnAHealthyCabinetEveryPartPassesInOrderAndEachDoorIsOpenedOnce) {
  auto agent = open_agent();
  auto person = technician();
  auto result = agent->self_test(run());

  std::vector<std::string> parts;
  for (const auto& l : result.lines) {
    parts.push_back(l.check.part +
                    (l.check.compartment ? " " + std::to_string(*l.check.compartment) : ""));
    EXPECT_TRUE(l.check.ok) << l.check.part << ": " << l.check.detail;
  }
  EXPECT_EQ(parts,
            (std::vector<std::string>{"lock_board", "journal", "compartment 1", "compartment 2",
                                      "compartment 5", "compartment 6", "printer", "scanner"}));
  EXPECT_TRUE(result.passed());
  EXPECT_EQ(find(result, "compartment", 5)->check.detail, "opened and closed");
  EXPECT_EQ(find(result, "scanner")->check.detail, "read the test receipt's QR code back");
  for (int c : {1, 2, 5, 6}) EXPECT_EQ(cabinet_.cabinet->unlocks_received(c), 1) << c;
  EXPECT_EQ(cabinet_.command("state"), "ok 1=closed 2=closed 5=closed 6=closed");

  // The receipt says it is a test, for which box, with a one-time code in its QR.
  auto receipts = cabinet_.cabinet->printer()->receipts();
  ASSERT_EQ(receipts.size(), 1u);
  std::string text;
  for (const auto& line : receipts[0].text_lines) text += line + "\n";
  EXPECT_NE(text.find("civicbox self-test"), std::string::npos) << text;
  EXPECT_NE(text.find("box-0001"), std::string::npos) << text;
  ASSERT_EQ(receipts[0].qr_codes.size(), 1u);
  auto code = parse_scanned(receipts[0].qr_codes[0]);
  ASSERT_TRUE(code) << receipts[0].qr_codes[0];
  EXPECT_TRUE(std::holds_alternative<SelfTestCode>(*code));

  // Offline: the report waits in the journal, exactly as it will be sent.
  EXPECT_EQ(result.delivery, ReportDelivery::queued);
  auto queued = agent->journal().queued_self_test_reports(10);
  ASSERT_TRUE(queued);
  ASSERT_EQ(queued->size(), 1u);
  EXPECT_EQ(wire::to_json((*queued)[0].report), wire::to_json(result.report()));
  EXPECT_EQ((*queued)[0].report.reason, "on_demand");
  EXPECT_LE(result.started_ms, result.finished_ms);
}

TEST_F(SelfTestTest, EveryDoorTheTestOpensIsJournaledWithWhoOpenedItBeforeItsUnlock) {
  auto agent = open_agent();
  auto openings = [&] {
    std::vector<wire::DoorOpened> out;
    auto events = agent->journal().events_after(0, 1000);
    EXPECT_TRUE(events);
    if (!events) return out;
    for (const auto& e : *events) {
      if (const auto* d = std::get_if<wire::DoorOpened>(&e.body)) out.push_back(*d);
    }
    return out;
  };
  // Run by a technician logged in with their badge.
  auto r = run();
  r.badge = "TECH-01";
  {
    auto person = technician();
    ASSERT_TRUE(agent->self_test(r).passed());
  }
  auto by_technician = openings();
  ASSERT_EQ(by_technician.size(), 4u);
  std::vector<int> doors;
  for (const auto& d : by_technician) {
    doors.push_back(d.compartment);
    EXPECT_EQ(d.by, "technician");
    EXPECT_EQ(d.badge, "TECH-01");
    EXPECT_EQ(d.why, "self_test");
    EXPECT_FALSE(d.command.has_value());
  }
  EXPECT_EQ(doors, (std::vector<int>{1, 2, 5, 6}));

  // Run with no badge (right after enrolment, or from the command line).
  {
    auto person = technician();
    ASSERT_TRUE(agent->self_test(run()).passed());
  }
  auto all = openings();
  ASSERT_EQ(all.size(), 8u);
  for (std::size_t i = 4; i < 8; ++i) {
    EXPECT_EQ(all[i].by, "self_test");
    EXPECT_FALSE(all[i].badge.has_value());
    EXPECT_EQ(all[i].why, "self_test");
  }
}

TEST_F(SelfTestTest, AJammedLockFailsItsOwnLineAndTheOthersStillPass) {
  cabinet_.command("jam 2 on");
  auto agent = open_agent();
  auto person = technician();
  auto result = agent->self_test(run());
  const auto* jammed = find(result, "compartment", 2);
  ASSERT_NE(jammed, nullptr);
  EXPECT_FALSE(jammed->check.ok);
  EXPECT_EQ(jammed->finding, SelfTestFinding::not_opened);
  EXPECT_NE(jammed->check.detail.find("jammed lock"), std::string::npos) << jammed->check.detail;
  for (int c : {1, 5, 6}) EXPECT_TRUE(find(result, "compartment", c)->check.ok) << c;
  EXPECT_TRUE(find(result, "scanner")->check.ok);
  EXPECT_FALSE(result.passed());
  EXPECT_EQ(cabinet_.cabinet->unlocks_received(2), 1) << "an unlock is never retried blindly";
}

TEST_F(SelfTestTest, ASensorStuckShutFailsItsLine) {
  cabinet_.command("stuck 5 closed");
  auto agent = open_agent();
  auto person = technician();
  auto result = agent->self_test(run());
  const auto* stuck = find(result, "compartment", 5);
  ASSERT_NE(stuck, nullptr);
  EXPECT_FALSE(stuck->check.ok);
  EXPECT_EQ(stuck->finding, SelfTestFinding::not_opened);
  EXPECT_NE(stuck->check.detail.find("sensor stuck shut"), std::string::npos);
  EXPECT_TRUE(find(result, "compartment", 6)->check.ok);
}

TEST_F(SelfTestTest, ACompartmentHoldingADocumentOrAParcelIsSkippedAndNeverUnlocked) {
  auto agent = open_agent();
  // A citizen filed into compartment 1; a clerk loaded a parcel into compartment 5.
  ASSERT_FALSE(agent->file("request", std::nullopt).refused.has_value());
  wire::PullResponse pull;
  auto hash = hash_pickup_code(PickupCode::generate(random_), random_, 100);
  pull.assignments = {wire::Assignment{"parcel-1", hash.salt_hex, hash.iterations, hash.hash_hex,
                                       agent->now_ms() + 86'400'000, true}};
  pull.config = default_box_config();
  ASSERT_TRUE(agent->journal().apply_pull(pull));
  auto loaded = agent->load("parcel-1");
  ASSERT_FALSE(loaded.refused.has_value()) << loaded.refused->message;
  ASSERT_EQ(testing::first_of<wire::ParcelLoaded>(loaded.events).compartment, 5);
  const int unlocks_1 = cabinet_.cabinet->unlocks_received(1);
  const int unlocks_5 = cabinet_.cabinet->unlocks_received(5);

  auto person = technician();
  auto result = agent->self_test(run());
  for (int c : {1, 5}) {
    const auto* skipped = find(result, "compartment", c);
    ASSERT_NE(skipped, nullptr) << c;
    EXPECT_TRUE(skipped->check.ok) << c;
    EXPECT_EQ(skipped->finding, SelfTestFinding::holds_document);
    EXPECT_EQ(skipped->check.detail, "holds a document, not opened");
  }
  EXPECT_EQ(cabinet_.cabinet->unlocks_received(1), unlocks_1) << "a citizen's document";
  EXPECT_EQ(cabinet_.cabinet->unlocks_received(5), unlocks_5) << "a parcel";
  for (int c : {2, 6}) EXPECT_EQ(cabinet_.cabinet->unlocks_received(c), 1) << c;
  EXPECT_TRUE(result.passed());
}

TEST_F(SelfTestTest, APrinterOutOfPaperFailsThePrinterLineAndNothingIsPrinted) {
  cabinet_.command("paper out");
  auto agent = open_agent();
  auto result = agent->self_test(run());
  const auto* printer = find(result, "printer");
  ASSERT_NE(printer, nullptr);
  EXPECT_FALSE(printer->check.ok);
  EXPECT_EQ(printer->finding, SelfTestFinding::paper_out);
  EXPECT_NE(printer->check.detail.find("out of paper"), std::string::npos) << printer->check.detail;
  EXPECT_EQ(cabinet_.cabinet->printer()->receipt_count(), 0u);
  // Nothing to show the scanner: said so, at once, not after a wait.
  EXPECT_EQ(find(result, "scanner")->finding, SelfTestFinding::no_test_receipt);
  EXPECT_FALSE(result.passed());
}

TEST_F(SelfTestTest, PaperRunningLowStillPassesAndSaysSo) {
  cabinet_.command("paper low");
  auto agent = open_agent();
  auto person = technician();
  auto result = agent->self_test(run());
  const auto* printer = find(result, "printer");
  ASSERT_NE(printer, nullptr);
  EXPECT_TRUE(printer->check.ok);
  EXPECT_EQ(printer->finding, SelfTestFinding::paper_low);
  EXPECT_NE(printer->check.detail.find("running low"), std::string::npos);
}

TEST_F(SelfTestTest, TheScannerFailsWhenNothingOrAnotherCodeIsShownInTime) {
  auto agent = open_agent();
  agent->self_test_times.scan = 1s;
  auto start = std::chrono::steady_clock::now();
  auto nothing = agent->self_test(run());
  const auto* scanner = find(nothing, "scanner");
  ASSERT_NE(scanner, nullptr);
  EXPECT_FALSE(scanner->check.ok);
  EXPECT_EQ(scanner->finding, SelfTestFinding::qr_not_read);
  EXPECT_NE(scanner->check.detail.find("not read within 1 s"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 20s);

  // An old test receipt's code is not this test's.
  auto person = technician("CBX-TEST:0000000000000000");
  auto other = agent->self_test(run());
  scanner = find(other, "scanner");
  EXPECT_EQ(scanner->finding, SelfTestFinding::qr_not_read);
  EXPECT_NE(scanner->check.detail.find("another test receipt"), std::string::npos)
      << scanner->check.detail;
}

TEST_F(SelfTestTest, AMissingScannerFailsItsLineAtOnce) {
  auto agent = open_agent();
  auto r = run();
  r.scanner = nullptr;
  auto result = agent->self_test(r);
  const auto* scanner = find(result, "scanner");
  ASSERT_NE(scanner, nullptr);
  EXPECT_FALSE(scanner->check.ok);
  EXPECT_EQ(scanner->finding, SelfTestFinding::scanner_missing);
}

TEST_F(SelfTestTest, ADoorLeftOpenIsAlarmedAndOutOfServiceUntilShut) {
  cabinet_.command("hold 6 on");
  auto agent = open_agent();
  agent->self_test_times.door_close = 500ms;
  auto person = technician();
  auto result = agent->self_test(run());
  const auto* open = find(result, "compartment", 6);
  ASSERT_NE(open, nullptr);
  EXPECT_FALSE(open->check.ok);
  EXPECT_EQ(open->finding, SelfTestFinding::not_closed);
  auto raised = alarms(*agent);
  EXPECT_EQ(std::count(raised.begin(), raised.end(), "door_left_open"), 1);
  EXPECT_TRUE(agent->faulty_compartments().contains(6));
  // No tamper alarm for a door the box itself opened; back in service once shut.
  ASSERT_TRUE(agent->sweep());
  cabinet_.command("hold 6 off");
  cabinet_.command("close 6");
  ASSERT_TRUE(agent->sweep());
  raised = alarms(*agent);
  EXPECT_EQ(std::count(raised.begin(), raised.end(), "tamper"), 0);
  EXPECT_FALSE(agent->faulty_compartments().contains(6));
}

TEST_F(SelfTestTest, ABoardThatDoesNotAnswerFailsItsLinesAndNoLockIsSent) {
  cabinet_.command("board 1 silent");  // the one board of this cabinet
  auto agent = open_agent();
  auto result = agent->self_test(run());
  EXPECT_EQ(find(result, "lock_board")->finding, SelfTestFinding::no_answer);
  for (int c : {1, 2, 5, 6}) {
    EXPECT_EQ(find(result, "compartment", c)->finding, SelfTestFinding::no_answer) << c;
    EXPECT_EQ(cabinet_.cabinet->unlocks_received(c), 0) << c;
  }
}

TEST_F(SelfTestTest, CancellingStopsBeforeTheNextDoorAndSaysWhatWasNotTested) {
  auto agent = open_agent();
  std::stop_source stop;
  auto r = run();
  r.stop = stop.get_token();
  std::vector<SelfTestProgress::Step> steps;
  r.progress = [&](const SelfTestProgress& p) {
    steps.push_back(p.step);
    if (p.step == SelfTestProgress::Step::compartment && p.compartment == 2) stop.request_stop();
  };
  auto result = agent->self_test(r);
  EXPECT_TRUE(find(result, "compartment", 1)->check.ok);
  for (int c : {2, 5, 6}) {
    EXPECT_EQ(find(result, "compartment", c)->finding, SelfTestFinding::cancelled) << c;
    EXPECT_EQ(cabinet_.cabinet->unlocks_received(c), 0) << c;
  }
  EXPECT_EQ(find(result, "printer")->finding, SelfTestFinding::cancelled);
  EXPECT_EQ(find(result, "scanner")->finding, SelfTestFinding::cancelled);
  EXPECT_EQ(cabinet_.cabinet->printer()->receipt_count(), 0u);
  EXPECT_FALSE(result.passed());
  EXPECT_EQ(steps.front(), SelfTestProgress::Step::lock_board);
  EXPECT_EQ(steps.back(), SelfTestProgress::Step::sending);
}

// After an enrolment from the screen the provisioning self-test is due until one runs to its end
// (passed or failed: the technician saw the result); a cancelled one, or an on-demand one, leaves
// it due for the next start.
TEST_F(SelfTestTest, TheProvisioningSelfTestStaysDueUntilOneRanToItsEnd) {
  EXPECT_FALSE(provisioning_self_test_due(config_.data_dir));
  ASSERT_TRUE(mark_provisioning_self_test_due(config_.data_dir));
  EXPECT_TRUE(provisioning_self_test_due(config_.data_dir));
  auto agent = open_agent();

  std::stop_source stop;
  auto cancelled = run();
  cancelled.reason = "provisioning";
  cancelled.stop = stop.get_token();
  stop.request_stop();
  EXPECT_FALSE(agent->self_test(cancelled).passed());
  EXPECT_TRUE(provisioning_self_test_due(config_.data_dir)) << "cancelled: still due";

  auto on_demand = run();
  on_demand.scanner = nullptr;  // fails quickly: the scanner line
  EXPECT_FALSE(agent->self_test(on_demand).passed());
  EXPECT_TRUE(provisioning_self_test_due(config_.data_dir)) << "on demand: still due";

  auto provisioning = run();
  provisioning.reason = "provisioning";
  provisioning.scanner = nullptr;
  auto result = agent->self_test(provisioning);
  EXPECT_FALSE(result.passed());
  EXPECT_FALSE(provisioning_self_test_due(config_.data_dir))
      << "ran to its end, failed lines and all: the technician has seen it";
}

TEST(SelfTestCode, IsOneTimeAndReadsBackAsASelfTestCode) {
  testing::SeededRandom random(1);
  const auto a = make_self_test_code(random);
  const auto b = make_self_test_code(random);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.size(), std::string("CBX-TEST:").size() + 16);
  auto parsed = parse_scanned(a);
  ASSERT_TRUE(parsed) << a;
  EXPECT_EQ(format_scanned(*parsed), a);
}

TEST(CompartmentRanges, JoinRunsOfThreeOrMore) {
  EXPECT_EQ(compartment_ranges({7, 1, 2, 3, 9, 10, 16, 14, 15, 13}), "1–3, 7, 9, 10, 13–16");
  EXPECT_EQ(compartment_ranges({4}), "4");
  EXPECT_EQ(compartment_ranges({}), "");
}

}  // namespace
}  // namespace civicbox::firmware
