// The self-test a technician runs after provisioning or on demand (from the touchscreen's
// technician screen, the command line or a script): each part of the box does its job once, and
// the report says which did. In this order, one line each:
//
//   lock_board   every compartment's board answers a query (no lock moves)
//   journal      a row is written and committed
//   compartment  one at a time (locks draw amperes: never two at once), ascending: the lock is
//                released, the door sensor must report the door open (a spring, or the
//                technician, opens it) and then shut again. Never opened: a compartment holding
//                a citizen's document or a parcel ("holds a document, not opened", ok: skipped),
//                one out of service (not ok), one whose board did not answer (not ok); none at
//                all when the journal takes no writes (journal first). A door left open past
//                the limit is reported and journaled (door_left_open) like the flows do, and
//                stays out of service until it is shut.
//   printer      a short test receipt (the box, the time, a QR of a one-time CBX-TEST:<token>),
//                then its paper state
//   scanner      the scanner must read exactly that code back from the receipt, within a limit
//
// No flow starts while it runs (it holds the agent's flow lock); it stops early when asked
// (between compartments, and while it waits for a door or the QR), reporting what was not done
// as cancelled. The report is kept in the journal's outbox first, then sent to the controller
// (POST /v1/device/selftest); when the controller cannot be reached the syncer sends it later
// (firmware/syncer.hpp).
//
// A crash in the middle leaves at worst a door open that no flow owns: at the next start the
// sensor sweep sees it (door_open_at_start) and keeps the compartment out of service until it is
// shut. The compartment was empty (occupied ones are never opened), so nothing is lost.
//
// Agent::self_test() (agent.hpp) runs it; the types and the words for a terminal are here.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "common/identity_wire.hpp"
#include "common/random.hpp"
#include "drivers/scanner/scanner.hpp"

namespace civicbox::firmware {

// What a line of the report found, for the touchscreen to word in the technician's language;
// the line's `detail` is the English sentence the controller gets.
enum class SelfTestFinding {
  passed,           // did its job
  holds_document,   // compartment: holds a citizen's document or a parcel, not opened (ok)
  out_of_service,   // compartment: a board fault, a door left open or forced, an unfinished flow
  no_answer,        // a lock board did not answer (the lock_board line, or one compartment's)
  already_open,     // compartment: open before the test, so not unlocked
  not_opened,       // compartment: released, but never seen open (jammed lock, sensor stuck shut)
  not_closed,       // compartment: opened, not shut within the limit (left open, alarm raised)
  cancelled,        // not done: the technician stopped the self-test
  journal_failed,   // the journal takes no writes
  paper_low,        // printer: printed, the paper is running low (ok)
  paper_out,        // printer: out of paper
  cover_open,       // printer: its cover is open
  printer_offline,  // printer: does not answer
  print_failed,     // printer: the test receipt did not print
  qr_not_read,      // scanner: the test receipt's QR was not read in time
  scanner_missing,  // scanner: configured, but not there or not answering
  no_test_receipt,  // scanner: not tested, no test receipt was printed to show it
};
std::string_view to_string(SelfTestFinding finding);

struct SelfTestLine {
  wire::SelfTestCheck check;
  SelfTestFinding finding = SelfTestFinding::passed;
};

// Where the report went: to the controller, or into the outbox for a later sync; refused for
// good by the controller (an alarm says so), or, when the journal could not keep it, nowhere.
enum class ReportDelivery { sent, queued, refused, not_saved };
std::string_view to_string(ReportDelivery delivery);

struct SelfTestResult {
  std::int64_t started_ms = 0;
  std::int64_t finished_ms = 0;
  std::string reason = "on_demand";  // "provisioning" or "on_demand"
  std::vector<SelfTestLine> lines;   // in the order done
  ReportDelivery delivery = ReportDelivery::not_saved;

  [[nodiscard]] wire::SelfTestReport report() const;
  [[nodiscard]] bool passed() const { return report().passed(); }
};

// What the self-test does now, for the technician; `done` holds the lines so far.
struct SelfTestProgress {
  enum class Step { lock_board, journal, compartment, printer, scanner, sending };
  Step step = Step::lock_board;
  int compartment = 0;  // compartment: which, and its place among all of them
  int index = 0;        // 1-based
  int of = 0;
  std::chrono::seconds scan_wait{0};  // scanner: how long the QR is waited for
  std::vector<SelfTestLine> done = {};
};

// How long the self-test waits for a person or a device (AgentConfig [self_test]).
struct SelfTestTimes {
  std::chrono::milliseconds door_open{std::chrono::seconds(20)};
  std::chrono::milliseconds door_close{std::chrono::seconds(60)};
  std::chrono::milliseconds scan{std::chrono::seconds(60)};
};

struct SelfTestRun {
  std::string reason = "on_demand";
  // Called on the self-test's thread before each step (and each compartment).
  std::function<void(const SelfTestProgress&)> progress;
  std::stop_token stop;  // a stop request cancels what is left
  // What reads the test receipt's QR: the agent's scanner (headless) or what the touchscreen's
  // scan loop passes on. nullptr: the cabinet's scanner is missing (reported not ok).
  drivers::Scanner* scanner = nullptr;
  // The technician who started it from their badge login; none: run right after enrolment or
  // from the command line. Journaled in each door.opened (by "technician" or "self_test").
  std::optional<std::string> badge{};
};

// "CBX-TEST:" and 16 characters of Crockford base32 (80 bits): what the test receipt's QR holds.
std::string make_self_test_code(Random& random);

// "1-4, 7, 9": compartment numbers as a person reads them (ascending, runs joined).
std::string compartment_ranges(std::vector<int> compartments);

// The report for a terminal: a summary line, one line a check with ✓ or ✗, where it went.
std::string format_self_test(const SelfTestResult& result);

// The provisioning self-test is due: the box was enrolled from its screen and has not been
// through it yet (a file in the agent's data_dir, so a power cut before it does not skip it). A
// provisioning self-test that ran to its end (passed or not, not cancelled) clears it.
Expected<void> mark_provisioning_self_test_due(const std::filesystem::path& data_dir);
bool provisioning_self_test_due(const std::filesystem::path& data_dir);
void clear_provisioning_self_test_due(const std::filesystem::path& data_dir);

}  // namespace civicbox::firmware
