#include "firmware/self_test.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <set>
#include <thread>

#include "common/atomic_file.hpp"
#include "common/codes.hpp"
#include "common/scanned.hpp"
#include "firmware/agent.hpp"

namespace civicbox::firmware {

using drivers::DoorState;
using Finding = SelfTestFinding;

namespace {

constexpr std::size_t kTestTokenLength = 16;
constexpr const char* kSelfTestDueFile = "provisioning-self-test-due";
constexpr auto kDoorPoll = std::chrono::milliseconds(20);
constexpr auto kScanSlice = std::chrono::milliseconds(250);

SelfTestLine line(std::string part, std::optional<int> compartment, Finding finding, bool ok,
                  std::string detail) {
  return SelfTestLine{wire::SelfTestCheck{std::move(part), compartment, ok, std::move(detail)},
                      finding};
}

SelfTestLine compartment_line(int compartment, Finding finding, bool ok, std::string detail) {
  return line("compartment", compartment, finding, ok, std::move(detail));
}

std::string seconds_text(std::chrono::milliseconds limit) {
  const auto s = std::max<long long>(1, (limit.count() + 999) / 1000);
  return std::to_string(s) + " s";
}

enum class Waited { reached, timed_out, cancelled };

// Polls a door until it reads `state`; `last_error` keeps why a read failed, if one did.
// `seen_elsewhere`: another reader of the sensor (the agent's sweep) saw the state meanwhile.
Waited wait_for(drivers::Lockers& lockers, int compartment, DoorState state,
                std::chrono::milliseconds limit, const std::stop_token& stop,
                std::string& last_error, const std::function<bool()>& seen_elsewhere = {}) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    auto door = lockers.door(compartment);
    if (door && *door == state) return Waited::reached;
    if (seen_elsewhere && seen_elsewhere()) return Waited::reached;
    if (!door) last_error = door.error().message;
    if (stop.stop_requested()) return Waited::cancelled;
    if (std::chrono::steady_clock::now() >= deadline) return Waited::timed_out;
    std::this_thread::sleep_for(kDoorPoll);
  }
}

}  // namespace

std::string_view to_string(SelfTestFinding finding) {
  switch (finding) {
    case Finding::passed:
      return "passed";
    case Finding::holds_document:
      return "holds_document";
    case Finding::out_of_service:
      return "out_of_service";
    case Finding::no_answer:
      return "no_answer";
    case Finding::already_open:
      return "already_open";
    case Finding::not_opened:
      return "not_opened";
    case Finding::not_closed:
      return "not_closed";
    case Finding::cancelled:
      return "cancelled";
    case Finding::journal_failed:
      return "journal_failed";
    case Finding::paper_low:
      return "paper_low";
    case Finding::paper_out:
      return "paper_out";
    case Finding::cover_open:
      return "cover_open";
    case Finding::printer_offline:
      return "printer_offline";
    case Finding::print_failed:
      return "print_failed";
    case Finding::qr_not_read:
      return "qr_not_read";
    case Finding::scanner_missing:
      return "scanner_missing";
    case Finding::no_test_receipt:
      return "no_test_receipt";
  }
  return "unknown";
}

std::string_view to_string(ReportDelivery delivery) {
  switch (delivery) {
    case ReportDelivery::sent:
      return "sent";
    case ReportDelivery::queued:
      return "queued";
    case ReportDelivery::refused:
      return "refused";
    case ReportDelivery::not_saved:
      break;
  }
  return "not_saved";
}

wire::SelfTestReport SelfTestResult::report() const {
  wire::SelfTestReport r;
  r.started_ms = started_ms;
  r.finished_ms = std::max(finished_ms, started_ms);
  r.reason = reason;
  for (const auto& l : lines) r.checks.push_back(l.check);
  return r;
}

std::string make_self_test_code(Random& random) {
  std::array<std::uint8_t, kTestTokenLength> bytes{};
  random.fill(bytes);
  std::string code(kSelfTestPrefix);
  for (auto b : bytes) code += crockford::kAlphabet[b & 31U];
  return code;
}

std::string compartment_ranges(std::vector<int> compartments) {
  std::sort(compartments.begin(), compartments.end());
  compartments.erase(std::unique(compartments.begin(), compartments.end()), compartments.end());
  std::string out;
  for (std::size_t i = 0; i < compartments.size();) {
    std::size_t j = i;
    while (j + 1 < compartments.size() && compartments[j + 1] == compartments[j] + 1) ++j;
    if (!out.empty()) out += ", ";
    out += std::to_string(compartments[i]);
    if (j > i) out += (j == i + 1 ? ", " : "–") + std::to_string(compartments[j]);
    i = j + 1;
  }
  return out;
}

std::string format_self_test(const SelfTestResult& result) {
  const auto report = result.report();
  std::size_t failed = 0;
  for (const auto& c : report.checks) failed += c.ok ? 0 : 1;
  std::string out = "self-test (" + result.reason +
                    "): " + (report.passed() ? std::string("passed") : std::string("FAILED")) +
                    ", " + std::to_string(report.checks.size()) + " checks, " +
                    std::to_string(failed) + " failed\n";
  for (const auto& c : report.checks) {
    out += c.ok ? "  ✓ " : "  ✗ ";
    out += c.part;
    if (c.compartment) out += " " + std::to_string(*c.compartment);
    out += ": " + c.detail + "\n";
  }
  switch (result.delivery) {
    case ReportDelivery::sent:
      out += "report: sent to the controller\n";
      break;
    case ReportDelivery::queued:
      out += "report: kept in the journal; sent when the controller can be reached\n";
      break;
    case ReportDelivery::refused:
      out += "report: refused by the controller (an alarm says why)\n";
      break;
    case ReportDelivery::not_saved:
      out += "report: could not be kept in the journal (see the log)\n";
      break;
  }
  return out;
}

// ---- the agent's self-test ------------------------------------------------------------------

SelfTestResult Agent::self_test(const SelfTestRun& run) {
  SelfTestResult result;
  result.reason = run.reason;
  const auto& times = self_test_times;
  auto tell = [&](SelfTestProgress progress) {
    if (!run.progress) return;
    progress.done = result.lines;
    run.progress(progress);
  };
  auto stopped = [&] { return run.stop.stop_requested(); };
  {
    std::lock_guard flow(flow_mutex_);
    result.started_ms = now_ms();
    spdlog::info("self-test ({}) starting", run.reason);

    // The boards: one query each, nothing moves.
    tell({SelfTestProgress::Step::lock_board});
    std::set<int> silent;
    std::string first_fault;
    const auto readings = devices_.lockers.survey();
    for (const auto& r : readings) {
      if (r.fault.empty()) continue;
      silent.insert(r.compartment);
      if (first_fault.empty()) first_fault = r.fault;
    }
    if (silent.empty()) {
      result.lines.push_back(
          line("lock_board", std::nullopt, Finding::passed, true,
               "the boards of all " + std::to_string(readings.size()) + " compartments answered"));
    } else {
      result.lines.push_back(line("lock_board", std::nullopt, Finding::no_answer, false,
                                  "no answer for compartment(s) " +
                                      compartment_ranges({silent.begin(), silent.end()}) + ": " +
                                      first_fault));
    }

    // The journal: a row written and committed.
    tell({SelfTestProgress::Step::journal});
    auto written = journal_->check_writable(now_ms());
    if (written) {
      result.lines.push_back(
          line("journal", std::nullopt, Finding::passed, true, "a row was written and committed"));
    } else {
      result.lines.push_back(line("journal", std::nullopt, Finding::journal_failed, false,
                                  "cannot be written: " + written.error().message));
    }

    // The compartments, one at a time. What holds a document is known from the journal; when it
    // cannot be read, or takes no writes (journal first: a door's alarm could not be kept), no
    // door is opened.
    auto state = journal_->box_state();
    std::set<int> occupied;
    std::set<int> unfinished;
    if (state) {
      for (const auto& s : state->submissions) occupied.insert(s.compartment);
      for (const auto& p : state->parcels) {
        if (p.compartment && !p.collected) occupied.insert(*p.compartment);
      }
      for (const auto& i : state->unfinished) unfinished.insert(i.compartment);
    }
    const std::set<int> faulty = faulty_compartments();
    const auto all = devices_.lockers.compartments();
    for (std::size_t i = 0; i < all.size(); ++i) {
      const int c = all[i];
      const std::string holds = occupied.contains(c) ? "; it holds a document" : "";
      if (stopped()) {
        result.lines.push_back(compartment_line(c, Finding::cancelled, false,
                                                "not tested: the self-test was cancelled"));
      } else if (!state) {
        result.lines.push_back(compartment_line(
            c, Finding::out_of_service, false,
            "not opened: the journal could not be read to know whether it holds a document (" +
                state.error().message + ")"));
      } else if (!written) {
        result.lines.push_back(compartment_line(c, Finding::out_of_service, false,
                                                "not opened: the journal takes no writes"));
      } else if (faulty.contains(c) || unfinished.contains(c)) {
        std::string why;
        if (unfinished.contains(c)) {
          why = "a flow's door is unfinished";
        } else {
          std::lock_guard lock(doors_mutex_);
          why = health_.fault_of(c);
          if (why.empty()) why = "its door was opened with no unlock and is not shut yet";
        }
        result.lines.push_back(compartment_line(
            c, Finding::out_of_service, false, "out of service (" + why + "); not opened" + holds));
      } else if (occupied.contains(c)) {
        result.lines.push_back(
            compartment_line(c, Finding::holds_document, true, "holds a document, not opened"));
      } else if (silent.contains(c)) {
        result.lines.push_back(compartment_line(c, Finding::no_answer, false,
                                                "its lock board did not answer; not opened"));
      } else {
        SelfTestProgress p{SelfTestProgress::Step::compartment};
        p.compartment = c;
        p.index = static_cast<int>(i + 1);
        p.of = static_cast<int>(all.size());
        tell(p);
        result.lines.push_back(test_compartment(c, run));
      }
    }

    // The printer, then the scanner reading the printer's QR back.
    const std::string code = make_self_test_code(random_);
    bool printed = false;
    if (devices_.has_printer) {
      if (stopped()) {
        result.lines.push_back(line("printer", std::nullopt, Finding::cancelled, false,
                                    "not tested: the self-test was cancelled"));
      } else {
        tell({SelfTestProgress::Step::printer});
        result.lines.push_back(test_printer(code, printed));
      }
    }
    if (config_.cabinet.scanner) {
      if (stopped()) {
        result.lines.push_back(line("scanner", std::nullopt, Finding::cancelled, false,
                                    "not tested: the self-test was cancelled"));
      } else if (run.scanner == nullptr) {
        result.lines.push_back(line("scanner", std::nullopt, Finding::scanner_missing, false,
                                    "the QR scanner " + config_.cabinet.scanner->device +
                                        " is missing or does not answer"));
      } else if (devices_.has_printer && !printed) {
        result.lines.push_back(line("scanner", std::nullopt, Finding::no_test_receipt, false,
                                    "not tested: no test receipt was printed to show it"));
      } else {
        SelfTestProgress p{SelfTestProgress::Step::scanner};
        p.scan_wait = std::chrono::duration_cast<std::chrono::seconds>(times.scan);
        tell(p);
        result.lines.push_back(test_scanner(code, run));
      }
    }
    result.finished_ms = std::max(now_ms(), result.started_ms);
  }

  // Kept first, then sent: a controller that cannot be reached gets it from a later sync.
  tell({SelfTestProgress::Step::sending});
  auto queued = journal_->queue_self_test_report(result.report());
  if (!queued) {
    spdlog::error("keeping the self-test report: {}", queued.error().describe());
    result.delivery = ReportDelivery::not_saved;
  } else {
    const auto budget = std::chrono::milliseconds(config_.timeout_ms);
    Syncer::ReportsDelivered delivered;
    if (auto sent = syncer_->deliver_self_test_reports(budget, delivered); !sent) {
      spdlog::warn("the self-test report waits for a later sync: {}", sent.error().describe());
    }
    auto in = [&](const std::vector<std::int64_t>& ids) {
      return std::find(ids.begin(), ids.end(), *queued) != ids.end();
    };
    auto still = journal_->self_test_report_queued(*queued);
    if (in(delivered.refused)) {
      result.delivery = ReportDelivery::refused;
    } else if (in(delivered.recorded) || (still && !*still)) {
      result.delivery = ReportDelivery::sent;  // (or by the syncer's thread meanwhile)
    } else {
      result.delivery = ReportDelivery::queued;
    }
  }
  syncer_->request();  // its alarms, if any
  for (const auto& l : result.lines) {
    spdlog::info("self-test: {} {}{}: {}", l.check.ok ? "ok  " : "FAIL", l.check.part,
                 l.check.compartment ? " " + std::to_string(*l.check.compartment) : "",
                 l.check.detail);
  }
  spdlog::info("self-test ({}) {}; report {}", run.reason, result.passed() ? "passed" : "failed",
               to_string(result.delivery));
  const bool cancelled = std::any_of(result.lines.begin(), result.lines.end(),
                                     [](const auto& l) { return l.finding == Finding::cancelled; });
  if (run.reason == "provisioning" && !cancelled) {
    clear_provisioning_self_test_due(config_.data_dir);
  }
  return result;
}

void clear_provisioning_self_test_due(const std::filesystem::path& data_dir) {
  std::error_code ec;
  std::filesystem::remove(data_dir / kSelfTestDueFile, ec);
  if (ec) spdlog::warn("clearing {}: {}", kSelfTestDueFile, ec.message());
}

Expected<void> mark_provisioning_self_test_due(const std::filesystem::path& data_dir) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  return write_file_atomically(data_dir / kSelfTestDueFile, "provisioning\n");
}

bool provisioning_self_test_due(const std::filesystem::path& data_dir) {
  std::error_code ec;
  return std::filesystem::exists(data_dir / kSelfTestDueFile, ec);
}

SelfTestLine Agent::test_compartment(int c, const SelfTestRun& run) {
  const auto& times = self_test_times;
  if (run.stop.stop_requested()) {
    return compartment_line(c, Finding::cancelled, false,
                            "not tested: the self-test was cancelled");
  }
  auto before = devices_.lockers.door(c);
  if (!before) {
    return compartment_line(
        c, Finding::no_answer, false,
        "its lock board did not answer (" + before.error().message + "); not opened");
  }
  if (*before == DoorState::unknown) {
    return compartment_line(c, Finding::no_answer, false,
                            "its door sensor gave no clear answer; not opened");
  }
  if (*before == DoorState::open) {
    return compartment_line(c, Finding::already_open, false,
                            "its door was open before the test; not unlocked");
  }
  // Until the door is seen shut again (or the test gives up on it), an open door here is ours.
  struct InFlight {
    Agent& agent;
    int compartment;
    ~InFlight() { agent.unlock_in_flight(compartment, false); }
  } in_flight{*this, c};
  // Journal first: who opened it and why is on disk before the unlock.
  wire::DoorOpened opened{
      c,          run.badge ? "technician" : "self_test", run.badge, std::nullopt, std::nullopt,
      "self_test"};
  if (auto journaled = journal_->append(opened, now_ms(), random_); !journaled) {
    return compartment_line(
        c, Finding::no_answer, false,
        "not opened: the journal could not be written (" + journaled.error().message + ")");
  }
  unlock_in_flight(c, true);
  if (auto unlocked = devices_.lockers.unlock(c); !unlocked) {
    return compartment_line(c, Finding::no_answer, false,
                            "unlocking failed: " + unlocked.error().message);
  }
  spdlog::info("self-test: compartment {} unlocked", c);
  std::string read_error;
  switch (wait_for(devices_.lockers, c, DoorState::open, times.door_open, run.stop, read_error,
                   [&] { return sweep_saw_open(c); })) {
    case Waited::reached:
      break;
    case Waited::cancelled:
      return compartment_line(c, Finding::cancelled, false,
                              "unlocked; the self-test was cancelled before the door opened");
    case Waited::timed_out:
      return compartment_line(c, Finding::not_opened, false,
                              "unlocked, but the sensor did not report the door open within " +
                                  seconds_text(times.door_open) +
                                  " (a jammed lock, or a sensor stuck shut)" +
                                  (read_error.empty() ? "" : "; the board said: " + read_error));
  }
  switch (
      wait_for(devices_.lockers, c, DoorState::closed, times.door_close, run.stop, read_error)) {
    case Waited::reached:
      spdlog::info("self-test: compartment {} opened and closed", c);
      return compartment_line(c, Finding::passed, true, "opened and closed");
    case Waited::cancelled: {
      std::lock_guard lock(doors_mutex_);
      health_.left_open(c);  // out of service until it is seen shut
      return compartment_line(c, Finding::cancelled, false,
                              "opened; the self-test was cancelled before it was shut");
    }
    case Waited::timed_out:
      break;
  }
  const std::string detail = "compartment " + std::to_string(c) +
                             " was opened by the self-test and not shut within " +
                             seconds_text(times.door_close);
  spdlog::warn("{}", detail);
  if (auto a = journal_->append(wire::Alarm{"door_left_open", detail, c}, now_ms(), random_); !a) {
    spdlog::error("{}", a.error().describe());
  }
  {
    std::lock_guard lock(doors_mutex_);
    health_.left_open(c);
  }
  return compartment_line(c, Finding::not_closed, false,
                          "opened, but not shut within " + seconds_text(times.door_close) +
                              ": left open (alarm raised; out of service until shut)");
}

SelfTestLine Agent::test_printer(const std::string& code, bool& printed) {
  printed = false;
  auto status_now = [&] {
    std::lock_guard lock(printer_mutex_);
    return printer_status_.value_or(drivers::PrinterStatus::unknown);
  };
  if (auto cannot = check_printer(); cannot) {
    const auto status = status_now();
    const Finding finding = status == drivers::PrinterStatus::paper_out ? Finding::paper_out
                            : status == drivers::PrinterStatus::cover_open
                                ? Finding::cover_open
                                : Finding::printer_offline;
    return line("printer", std::nullopt, finding, false,
                "cannot print (" + *cannot + "); no test receipt printed");
  }
  auto done = devices_.printer.print_test(drivers::TestReceipt{config_.box_id, now_ms(), code});
  const auto after = check_printer();  // a printer that ran out while printing raises its alarm
  if (!done) {
    return line("printer", std::nullopt, Finding::print_failed, false,
                "the test receipt did not print: " + done.error().message);
  }
  printed = true;
  const auto status = status_now();
  if (after) {
    const Finding finding =
        status == drivers::PrinterStatus::cover_open ? Finding::cover_open : Finding::paper_out;
    return line("printer", std::nullopt, finding, false,
                "test receipt printed, then the printer stopped: " + *after);
  }
  switch (status) {
    case drivers::PrinterStatus::paper_low:
      return line("printer", std::nullopt, Finding::paper_low, true,
                  "test receipt printed; the paper is running low");
    case drivers::PrinterStatus::unknown:
      return line("printer", std::nullopt, Finding::passed, true,
                  "test receipt printed; the printer does not report its paper");
    default:
      break;
  }
  return line("printer", std::nullopt, Finding::passed, true, "test receipt printed; paper ready");
}

SelfTestLine Agent::test_scanner(const std::string& code, const SelfTestRun& run) {
  const auto limit = self_test_times.scan;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  std::string note;  // what was seen instead, never the text (it may be a pickup code)
  for (;;) {
    if (run.stop.stop_requested()) {
      return line("scanner", std::nullopt, Finding::cancelled, false,
                  "the self-test was cancelled while waiting for the test receipt's QR code");
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    auto text = run.scanner->next_scan(std::min(left, std::chrono::milliseconds(kScanSlice)));
    if (!text) {
      // A camera reopening answers so for a moment: waited for until the deadline.
      note = "the scanner said: " + text.error().message;
      std::this_thread::sleep_for(std::min(left, std::chrono::milliseconds(200)));
      continue;
    }
    if (!*text) continue;
    if (!devices_.has_printer) {
      return line("scanner", std::nullopt, Finding::passed, true,
                  "read a code (this cabinet has no printer for a test receipt)");
    }
    auto scanned = parse_scanned(**text);
    const auto* test = scanned ? std::get_if<SelfTestCode>(&*scanned) : nullptr;
    if (test != nullptr && format_scanned(*scanned) == code) {
      return line("scanner", std::nullopt, Finding::passed, true,
                  "read the test receipt's QR code back");
    }
    note = test != nullptr ? "it read the code of another test receipt"
                           : "it read another code, not the test receipt's";
  }
  return line("scanner", std::nullopt, Finding::qr_not_read, false,
              "the test receipt's QR code was not read within " + seconds_text(limit) +
                  (note.empty() ? "" : " (" + note + ")"));
}

}  // namespace civicbox::firmware
