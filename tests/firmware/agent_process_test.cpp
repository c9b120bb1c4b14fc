// The real civicbox-agent binary in script mode, offline (the controller's URL points at a closed
// loopback port), and killed with SIGKILL in the middle of a filing.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <stop_token>
#include <thread>
#include <vector>

#include "common/pickup_hash.hpp"
#include "common/sqlite.hpp"
#include "firmware/journal.hpp"
#include "firmware/staff.hpp"
#include "hardware/sim/cabinet/sim_cabinet.hpp"
#include "tests/support/ports.hpp"
#include "tests/support/seeded_random.hpp"
#include "tests/support/temp_dir.hpp"

namespace civicbox::firmware {
namespace {

using namespace std::chrono_literals;

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream s(text);
  for (std::string line; std::getline(s, line);) out.push_back(line);
  return out;
}

int closed_port() {
  return testing::unused_loopback_port();
}

class AgentProcess : public ::testing::Test {
 protected:
  AgentProcess() {
    // The agent runs its real lock-board driver against this simulated cabinet's pty.
    // Two Kerong boards: compartments 1 and 5 on board 0, 2 and 6 on board 1.
    auto profile = sim::simple_profile({1, 2}, {5, 6});
    for (auto& c : profile.compartments) c.board = c.number % 2 == 0 ? 1 : 0;
    auto cabinet = sim::SimCabinet::start(profile, {dir_.path() / "cabinet", 50ms, false, {}, {}});
    if (!cabinet) throw std::runtime_error(cabinet.error().describe());
    cabinet_ = std::move(*cabinet);
    config_ = dir_.path() / "agent.toml";
    std::ofstream(config_) << "[box]\nid = \"box-0001\"\ndata_dir = \"data\"\n"
                           << "[controller]\nurl = \"https://127.0.0.1:" << closed_port()
                           << "\"\nca = \"pki/ca.crt\"\ncert = \"pki/box.crt\"\n"
                           << "key = \"pki/box.key\"\ntimeout_ms = 1000\n"
                           << "[sync]\ninterval_s = 1\n"
                           << "[cabinet]\nprofile = \"" << cabinet_->profile_path().string()
                           << "\"\nsweep_ms = 100\nopen_wait_s = 1\n"
                           << "[self_test]\nopen_wait_s = 2\nclose_wait_s = 5\nscan_wait_s = 15\n";
    // The agent checks at start that its TLS files can be read (they are never used offline).
    std::filesystem::create_directories(dir_.path() / "pki");
    for (const char* f : {"ca.crt", "box.crt", "box.key"}) {
      std::ofstream(dir_.path() / "pki" / f) << "not used offline\n";
    }
  }

  // Starts the agent on a script; stdout and stderr go to files in the test's folder.
  pid_t spawn(const std::string& script, bool hold_doors, bool headless = false) {
    ++runs_;
    EXPECT_EQ(cabinet_->command(hold_doors ? "hold all on" : "hold all off"), "ok");
    auto script_file = dir_.path() / ("script" + std::to_string(runs_) + ".txt");
    std::ofstream(script_file) << script;
    out_ = dir_.path() / ("stdout" + std::to_string(runs_));
    err_ = dir_.path() / ("stderr" + std::to_string(runs_));
    pid_t pid = ::fork();
    if (pid == 0) {
      int out = ::open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int err = ::open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int in = ::open("/dev/null", O_RDONLY);
      ::dup2(in, 0);
      ::dup2(out, 1);
      ::dup2(err, 2);
      ::unsetenv("CIVICBOX_LOG");
      std::vector<std::string> args{CIVICBOX_AGENT_BIN, "--config", config_.string()};
      if (!headless) {
        args.insert(args.end(), {"--script", script_file.string(), "--log-level", "info"});
      }
      args.insert(args.end(), extra_args_.begin(), extra_args_.end());
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(CIVICBOX_AGENT_BIN, argv.data());
      ::_exit(127);
    }
    return pid;
  }

  // Waits for the agent to exit (killing it after a minute); returns its exit status.
  int wait(pid_t pid) {
    auto deadline = std::chrono::steady_clock::now() + 60s;
    int status = 0;
    while (::waitpid(pid, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        ADD_FAILURE() << "the agent did not finish its script in a minute";
        return -1;
      }
      std::this_thread::sleep_for(10ms);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::vector<std::string> run(const std::string& script) {
    int code = wait(spawn(script, false));
    EXPECT_EQ(code, 0) << read_file(err_);
    return lines_of(read_file(out_));
  }

  // The last receipt the simulated printer printed: its text lines, then "qr: <content>".
  std::string last_receipt() {
    auto receipts = cabinet_->printer()->receipts();
    if (receipts.empty()) return "(no receipt)";
    std::string text;
    for (const auto& line : receipts.back().text_lines) text += line + "\n";
    for (const auto& qr : receipts.back().qr_codes) text += "qr: " + qr + "\n";
    return text;
  }

  // A technician who holds the self-test's receipt up to the scanner as soon as it is printed
  // (its QR read off the simulator's paper).
  std::jthread technician() {
    return std::jthread([this](std::stop_token stop) {
      const auto before = cabinet_->printer()->receipt_count();
      while (!stop.stop_requested()) {
        auto receipts = cabinet_->printer()->receipts();
        if (receipts.size() > before && !receipts.back().qr_codes.empty() &&
            receipts.back().qr_codes.front().rfind("CBX-TEST:", 0) == 0) {
          EXPECT_EQ(cabinet_->command("scan " + receipts.back().qr_codes.front()), "ok");
          return;
        }
        std::this_thread::sleep_for(20ms);
      }
    });
  }

  // The alarms in the journal, as "what: detail".
  std::vector<std::string> alarms() {
    std::vector<std::string> out;
    auto events = journal()->events_after(0, 1000);
    EXPECT_TRUE(events.has_value());
    if (!events) return out;
    for (const auto& e : *events) {
      if (const auto* a = std::get_if<wire::Alarm>(&e.body))
        out.push_back(a->what + ": " + a->detail);
    }
    return out;
  }

  // Waits (headless agent running) until an alarm containing `needle` is in the journal.
  bool wait_alarm(const std::string& needle) {
    for (auto until = std::chrono::steady_clock::now() + 20s;
         std::chrono::steady_clock::now() < until;) {
      for (const auto& a : alarms()) {
        if (a.find(needle) != std::string::npos) return true;
      }
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  std::unique_ptr<Journal> journal() {
    return std::move(*Journal::open(dir_.path() / "data" / "journal.db"));
  }

  testing::TempDir dir_;
  std::unique_ptr<sim::SimCabinet> cabinet_;
  std::filesystem::path config_;
  std::filesystem::path out_;
  std::filesystem::path err_;
  int runs_ = 0;
  std::vector<std::string> extra_args_;  // after the usual ones (--ui offscreen ...)
};

TEST_F(AgentProcess, AnOfflineBoxFilesWithAProvisionalNumberAndPrintsTheReceipt) {
  auto lines = run("# a citizen files a request\n\nfile request contact=ana@example.org\nstatus\n");
  ASSERT_EQ(lines.size(), 2u) << read_file(err_);
  std::smatch m;
  std::regex filed(
      "filed tracking=([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}) registration=- "
      "provisional=P-box-0001-000001 compartment=1 receipt=printed");
  ASSERT_TRUE(std::regex_match(lines[0], m, filed)) << lines[0];
  // What the (simulated) ESC/POS printer got, read back from its paper.
  std::string receipt = last_receipt();
  EXPECT_NE(receipt.find("P-box-0001-000001"), std::string::npos) << receipt;
  EXPECT_NE(receipt.find(m[1].str()), std::string::npos) << receipt;
  // Never synced: no tracking page known yet, the QR holds the code itself.
  std::string canonical = m[1].str();
  std::erase(canonical, '-');
  EXPECT_NE(receipt.find("qr: " + canonical), std::string::npos) << receipt;
  EXPECT_TRUE(
      // The filing and the door.opened journaled before its unlock.
      std::regex_match(lines[1], std::regex("status device=box-0001 pending=2 applied_through=0 "
                                            "assignments=0 free_dropoff=1 free_pickup=2 faulty=- "
                                            "revoked=no")))
      << lines[1];
  EXPECT_NE(read_file(err_).find("door 1 opened"), std::string::npos);
}

TEST_F(AgentProcess, OneUnreadableJournalRowDoesNotStopTheBoxFromStarting) {
  ASSERT_EQ(run("status\n").size(), 1u);
  {
    auto j = journal();
    Intent i;
    i.id = "intent-garbled";
    i.flow = Flow::pickup;
    i.compartment = 5;
    i.subject = "parcel-1";
    i.created_ms = 1'790'000'000'000;
    ASSERT_TRUE(j->record_intent(i));
  }
  {
    auto db = sqlite::Database::open(dir_.path() / "data" / "journal.db");
    ASSERT_TRUE(db.has_value());
    ASSERT_TRUE(db->exec("UPDATE intents SET payload = 'garbled' WHERE id = 'intent-garbled'"));
  }
  auto lines = run("status\n");
  ASSERT_EQ(lines.size(), 1u) << read_file(err_);
  EXPECT_EQ(lines[0].rfind("status device=box-0001 ", 0), 0u) << lines[0];
  bool alarmed = false;
  auto events = journal()->events_after(0, 100);
  ASSERT_TRUE(events.has_value());
  for (const auto& e : *events) {
    if (const auto* a = std::get_if<wire::Alarm>(&e.body)) {
      alarmed |= a->what == "journal_row_unreadable" &&
                 a->detail.find("intent-garbled") != std::string::npos;
    }
  }
  EXPECT_TRUE(alarmed);
}

TEST_F(AgentProcess, ScriptActionsAnswerOneLineEach) {
  testing::SeededRandom random(9);
  auto code = PickupCode::generate(random);
  auto soon = PickupCode::generate(random);
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  {
    std::filesystem::create_directories(dir_.path() / "data");
    auto j = journal();
    wire::PullResponse pull;
    auto h = hash_pickup_code(code, random, 100);
    auto h2 = hash_pickup_code(soon, random, 100);
    pull.assignments = {
        wire::Assignment{"parcel-1", h.salt_hex, h.iterations, h.hash_hex, now + 86'400'000, true},
        wire::Assignment{"parcel-2", h2.salt_hex, h2.iterations, h2.hash_hex, now + 3'600'000,
                         true}};
    pull.config = wire::BoxConfig{"Town hall", {"request"}, "https://track.example/t/"};
    ASSERT_TRUE(j->apply_pull(pull));
  }
  auto lines =
      run("load parcel-1\nload parcel-1\nload parcel-9\nload parcel-2\n"
          "collect " +
          PickupCode::generate(random).str() +
          "\n"
          "collect " +
          code.display() + "\ncollect " + code.str() +
          "\n"
          "clock +7200\ncollect " +
          soon.str() +
          "\n"
          "file request\nfile request\nfile request\nempty\nempty\n"
          "sync\nfrobnicate\nstatus\n");
  std::vector<std::string> expected{
      "loaded parcel=parcel-1 compartment=5",
      "refused reason=already_loaded message=\"Parcel 'parcel-1' is already in the box.\"",
      "refused reason=unknown_parcel message=\"Parcel 'parcel-9' is not assigned to this box.\"",
      "loaded parcel=parcel-2 compartment=6",
      "refused reason=wrong_code tries_left=9 message=\"This code is not valid at this box.\"",
      "collected parcel=parcel-1 compartment=5",
      // A code used here recently is told so (and still counts as a failed try).
      "refused reason=used tries_left=9 message=\"This document has already been collected.\"",
      "clock offset_s=7200",
      "refused reason=expired tries_left=8 message=\"This code has expired. Please contact the "
      "town hall to get a new one.\"",
      "",
      "",
      "refused reason=no_free_compartment message=\"All drop-off compartments are full. Please "
      "come back later or file at the counter.\"",
      "emptied compartments=1,2 submissions=2",
      "emptied compartments=- submissions=0",
      "",
      "error message=\"unknown action 'frobnicate'; actions are file, collect, scan, load, empty, "
      "sync, clock, status, self-test, renew\"",
      // 7 outcomes, and a door.opened for each of the 7 doors opened (2 loads, 1 pickup, 2 filings,
      // 2 compartments emptied).
      "status device=box-0001 pending=14 applied_through=0 assignments=2 free_dropoff=2 "
      "free_pickup=1 faulty=- revoked=no",
  };
  ASSERT_EQ(lines.size(), expected.size()) << read_file(out_) << read_file(err_);
  for (std::size_t i = 0; i < expected.size(); ++i) {
    if (expected[i].empty()) continue;
    EXPECT_EQ(lines[i], expected[i]) << "line " << i + 1;
  }
  EXPECT_TRUE(std::regex_match(lines[9], std::regex("filed .* provisional=P-box-0001-000001 "
                                                    "compartment=1 receipt=.*")));
  EXPECT_TRUE(std::regex_match(lines[10], std::regex("filed .* compartment=2 receipt=.*")));
  EXPECT_TRUE(std::regex_match(lines[14], std::regex("sync_failed pending=14 message=\".*\"")))
      << lines[14];
  auto receipt = last_receipt();
  EXPECT_NE(receipt.find("qr: https://track.example/t/"), std::string::npos) << receipt;
}

TEST_F(AgentProcess, AFilingKilledWithTheDoorOpenIsRecordedOnceAsInterrupted) {
  pid_t pid = spawn("file request\n", true);
  auto deadline = std::chrono::steady_clock::now() + 30s;
  std::smatch m;
  std::string log;
  while (!std::regex_search(log = read_file(err_), m, std::regex("door ([0-9]+) opened"))) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << log;
    std::this_thread::sleep_for(5ms);
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_TRUE(cabinet_->door_open(std::stoi(m[1].str()))) << "the person still holds the door";

  // Restarted without the hold: the person closes the door, the agent finishes the filing.
  auto lines = run("status\n");
  ASSERT_EQ(lines.size(), 1u) << read_file(err_);
  auto events = journal()->events_after(0, 100);
  ASSERT_TRUE(events.has_value());
  int filed = 0;
  int alarms = 0;
  for (const auto& e : *events) {
    if (const auto* s = std::get_if<wire::SubmissionFiled>(&e.body)) {
      ++filed;
      EXPECT_TRUE(s->interrupted);
      EXPECT_EQ(s->compartment, std::stoi(m[1].str()));
      EXPECT_EQ(s->provisional_number, "P-box-0001-000001");
    }
    if (const auto* a = std::get_if<wire::Alarm>(&e.body)) {
      alarms += a->what == "flow_interrupted" ? 1 : 0;
    }
  }
  EXPECT_EQ(filed, 1);
  EXPECT_EQ(alarms, 1);
  EXPECT_NE(lines[0].find("free_dropoff=1"), std::string::npos) << lines[0];
  // A third start finds nothing more to do.
  run("status\n");
  EXPECT_EQ(journal()->events_after(0, 100)->size(), events->size());
}

int count_containing(const std::vector<std::string>& lines, const std::string& needle) {
  return static_cast<int>(std::count_if(lines.begin(), lines.end(), [&](const std::string& l) {
    return l.find(needle) != std::string::npos;
  }));
}

TEST_F(AgentProcess, AtStartEveryLockIsReadAndNothingIsUnlocked) {
  auto lines = run("status\n");
  ASSERT_EQ(lines.size(), 1u) << read_file(err_);
  EXPECT_NE(lines[0].find("faulty=-"), std::string::npos) << lines[0];
  for (int c : {1, 2, 5, 6}) EXPECT_EQ(cabinet_->unlocks_received(c), 0) << c;
  EXPECT_EQ(cabinet_->command("state"), "ok 1=closed 2=closed 5=closed 6=closed");
}

TEST_F(AgentProcess, ABoardThatStopsAnsweringTakesItsCompartmentsOutOfServiceWithOneAlarm) {
  ASSERT_EQ(cabinet_->command("board 2 silent"), "ok");  // board 1: compartments 2 and 6
  auto lines = run("status\nfile request\nfile request\n");
  ASSERT_EQ(lines.size(), 3u) << read_file(err_);
  EXPECT_NE(lines[0].find("free_dropoff=1 free_pickup=1 faulty=2,6"), std::string::npos)
      << lines[0];
  EXPECT_NE(lines[1].find("compartment=1"), std::string::npos) << lines[1];
  EXPECT_EQ(lines[2].rfind("refused reason=no_free_compartment", 0), 0u) << lines[2];
  EXPECT_EQ(cabinet_->unlocks_received(2), 0) << "a faulty compartment is never offered";
  auto all = alarms();
  ASSERT_EQ(count_containing(all, "board_fault"), 1) << ::testing::PrintToString(all);
  EXPECT_EQ(count_containing(all, "board 1 on "), 1);
  EXPECT_EQ(count_containing(all, "compartments 2, 6 out of service"), 1);
}

TEST_F(AgentProcess, ADoorOpenedWithNoUnlockIsTamperAndOutOfServiceUntilShut) {
  ASSERT_EQ(cabinet_->command("open 5"), "ok");
  auto lines = run("status\n");
  ASSERT_EQ(lines.size(), 1u) << read_file(err_);
  EXPECT_NE(lines[0].find("faulty=5"), std::string::npos) << lines[0];
  EXPECT_EQ(count_containing(alarms(), "door_open_at_start: compartment 5"), 1);

  pid_t pid = spawn("", false, true);
  for (auto until = std::chrono::steady_clock::now() + 20s;
       read_file(err_).find("door_open_at_start") == std::string::npos;) {
    ASSERT_LT(std::chrono::steady_clock::now(), until) << read_file(err_);
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_EQ(cabinet_->command("close 5"), "ok");
  EXPECT_TRUE(wait_alarm("tamper_ended: compartment 5")) << read_file(err_);
  ASSERT_EQ(cabinet_->command("open 6"), "ok");  // someone forces door 6
  EXPECT_TRUE(wait_alarm("tamper: compartment 6 opened with no unlock sent")) << read_file(err_);
  ::kill(pid, SIGTERM);
  EXPECT_EQ(wait(pid), 0) << read_file(err_);
  for (int c : {1, 2, 5, 6}) EXPECT_EQ(cabinet_->unlocks_received(c), 0) << c;
}

TEST_F(AgentProcess, AJammedLockIsToldToTheCitizenAndTheNextFilingUsesAnotherCompartment) {
  ASSERT_EQ(cabinet_->command("jam 1 on"), "ok");
  auto lines = run("file request\nfile request\nstatus\n");
  ASSERT_EQ(lines.size(), 3u) << read_file(err_);
  EXPECT_EQ(lines[0].rfind("refused reason=door_not_opened", 0), 0u) << lines[0];
  EXPECT_NE(lines[1].find("compartment=2"), std::string::npos) << lines[1];
  EXPECT_EQ(cabinet_->unlocks_received(1), 1) << "an unlock is never retried blindly";
  EXPECT_NE(lines[2].find("free_dropoff=0"), std::string::npos) << lines[2];
  EXPECT_GE(count_containing(alarms(), "compartment 1"), 1) << ::testing::PrintToString(alarms());
}

TEST_F(AgentProcess, APrinterOutOfPaperIsKnownBeforeTheFilingAndTheControllerIsTold) {
  ASSERT_EQ(cabinet_->command("paper out"), "ok");
  auto lines = run("file request\n");
  ASSERT_EQ(lines.size(), 1u) << read_file(err_);
  EXPECT_NE(lines[0].find("compartment=1 receipt=- no_receipt=\"out of paper\""), std::string::npos)
      << lines[0];
  EXPECT_EQ(cabinet_->printer()->receipt_count(), 0u);
  EXPECT_EQ(count_containing(alarms(), "printer_paper_out"), 1)
      << ::testing::PrintToString(alarms());
  EXPECT_NE(read_file(err_).find("write down the tracking code"), std::string::npos);

  ASSERT_EQ(cabinet_->command("paper ok"), "ok");
  lines = run("file request\n");
  ASSERT_EQ(lines.size(), 1u) << read_file(err_);
  EXPECT_NE(lines[0].find("receipt=printed"), std::string::npos) << lines[0];
  EXPECT_EQ(cabinet_->printer()->receipt_count(), 1u);
}

TEST_F(AgentProcess, WhatTheScannerReadsIsParsedStrictlyAndNeverOpensADoorByItself) {
  // The person shows a receipt's tracking link, then something else, to the serial scanner.
  std::jthread person([this] {
    std::this_thread::sleep_for(500ms);
    EXPECT_EQ(cabinet_->command("scan https://track.example/track/7K3M-Q9XR-2D4P"), "ok");
    std::this_thread::sleep_for(500ms);
    EXPECT_EQ(cabinet_->command("scan hello"), "ok");
  });
  auto lines = run("scan 20\nscan 20\nscan 1\n");
  ASSERT_EQ(lines.size(), 3u) << read_file(err_);
  EXPECT_EQ(lines[0].rfind("refused reason=mistyped", 0), 0u) << lines[0];
  EXPECT_NE(lines[0].find("not a civicbox pickup code"), std::string::npos) << lines[0];
  EXPECT_EQ(lines[1].rfind("refused reason=mistyped", 0), 0u) << lines[1];
  EXPECT_EQ(lines[2], "scanned nothing");
  for (int c : {1, 2, 5, 6}) EXPECT_EQ(cabinet_->unlocks_received(c), 0) << c;
}

TEST_F(AgentProcess, TheOneShotSelfTestPrintsTheReportAndExitsZeroWhenEveryCheckPassed) {
  extra_args_ = {"--self-test", "provisioning"};
  auto person = technician();
  EXPECT_EQ(wait(spawn("", false, true)), 0) << read_file(out_) << read_file(err_);
  const std::string out = read_file(out_);
  EXPECT_EQ(out.rfind("self-test (provisioning): passed, 8 checks, 0 failed\n", 0), 0u) << out;
  for (const char* line :
       {"  ✓ lock_board: ", "  ✓ journal: ", "  ✓ compartment 1: opened and closed",
        "  ✓ compartment 6: opened and closed",
        "  ✓ printer: ", "  ✓ scanner: read the test receipt's QR code back",
        "report: kept in the journal; sent when the controller can be reached"}) {
    EXPECT_NE(out.find(line), std::string::npos) << line << "\n" << out;
  }
  for (int c : {1, 2, 5, 6}) EXPECT_EQ(cabinet_->unlocks_received(c), 1) << c;
  // The report waits for the controller in the journal, and a restarted agent still has it.
  auto queued = journal()->queued_self_test_reports(10);
  ASSERT_TRUE(queued);
  ASSERT_EQ(queued->size(), 1u);
  EXPECT_EQ((*queued)[0].report.reason, "provisioning");
  EXPECT_TRUE((*queued)[0].report.passed());
}

TEST_F(AgentProcess, TheOneShotSelfTestExitsThreeAndNamesTheDoorWhenALockIsJammed) {
  ASSERT_EQ(cabinet_->command("jam 2 on"), "ok");
  extra_args_ = {"--self-test", "on_demand"};
  auto person = technician();
  EXPECT_EQ(wait(spawn("", false, true)), 3) << read_file(out_) << read_file(err_);
  const std::string out = read_file(out_);
  EXPECT_NE(out.find("FAILED, 8 checks, 1 failed"), std::string::npos) << out;
  EXPECT_NE(out.find("  ✗ compartment 2: unlocked, but the sensor did not report the door open"),
            std::string::npos)
      << out;
}

TEST_F(AgentProcess, AScriptRunsTheSelfTestAndAnswersOneLine) {
  auto person = technician();
  auto lines = run("self-test provisioning\nself-test sometimes\n");
  ASSERT_EQ(lines.size(), 2u) << read_file(err_);
  EXPECT_EQ(lines[0], "self_test passed=yes checks=8 failed=- report=queued") << read_file(err_);
  EXPECT_EQ(lines[1], "error message=\"usage: self-test [provisioning|on_demand]\"");
  EXPECT_NE(read_file(err_).find("self-test: ok   compartment 5: opened and closed"),
            std::string::npos);
}

TEST_F(AgentProcess, HeadlessRunsUntilSigtermAndStopsCleanly) {
  pid_t pid = spawn("", false, true);
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (read_file(err_).find("starting") == std::string::npos) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << read_file(err_);
    std::this_thread::sleep_for(10ms);
  }
  std::this_thread::sleep_for(200ms);
  int status = 0;
  EXPECT_EQ(::waitpid(pid, &status, WNOHANG), 0) << "the agent stopped on its own";
  ::kill(pid, SIGTERM);
  EXPECT_EQ(wait(pid), 0) << read_file(err_);
  EXPECT_NE(read_file(err_).find("stopping on signal"), std::string::npos);
}

}  // namespace
}  // namespace civicbox::firmware

namespace civicbox::firmware {
namespace {

// The touchscreen, offscreen, driven by taps from a script: the flows reach the right screens
// and every screen shown is written as a PNG.
class AgentTouchscreen : public AgentProcess {
 protected:
  AgentTouchscreen() {
    shots_ = dir_.path() / "shots";
    extra_args_ = {"--ui", "offscreen", "--screenshots", shots_.string()};
  }
  // The screens written, in order, by name ("0003-file_contact.png" -> "file_contact").
  std::vector<std::string> screens() {
    std::vector<std::string> files;
    for (const auto& e : std::filesystem::directory_iterator(shots_)) {
      files.push_back(e.path().filename().string());
    }
    std::sort(files.begin(), files.end());
    std::vector<std::string> names;
    for (auto& f : files) names.push_back(f.substr(5, f.size() - 9));
    return names;
  }
  std::filesystem::path shots_;
};

bool starts(const std::string& line, const std::string& prefix) {
  return line.rfind(prefix, 0) == 0;
}

TEST_F(AgentTouchscreen, ACitizenFilesByTouchAndSeesTheReceiptScreen) {
  std::string script =
      "view\ntap file\ntap kind:request\ntap key:a\ntap key:@\ntap next\n"
      "tap key:erase\ntap key:erase\n";
  for (char digit : std::string("0722123456")) script += std::string("tap key:") + digit + "\n";
  script += "tap next\ntap agree\ntap ok\n";
  auto lines = run(script);
  ASSERT_EQ(lines.size(), 21u) << read_file(err_);
  EXPECT_TRUE(starts(lines[0], "screen=home ")) << lines[0];
  EXPECT_TRUE(starts(lines[1], "screen=file_kind ")) << lines[1];
  EXPECT_TRUE(starts(lines[2], "screen=file_contact ")) << lines[2];
  // "a@" is neither a phone nor an e-mail address: said, and nothing starts.
  EXPECT_NE(lines[5].find("body=contact.invalid"), std::string::npos) << lines[5];
  EXPECT_TRUE(starts(lines[18], "screen=file_consent ")) << lines[18];
  EXPECT_TRUE(std::regex_search(
      lines[19],
      std::regex("^screen=receipt .*tracking_code=[0-9A-Z-]{14} number=P-box-0001-\\d{6}")))
      << lines[19] << "\n"
      << read_file(err_);
  EXPECT_TRUE(starts(lines[20], "screen=home ")) << lines[20];
  // The receipt was printed, and the person saw the door's number on the way.
  EXPECT_NE(last_receipt(), "(no receipt)");
  auto shown = screens();
  EXPECT_NE(std::find(shown.begin(), shown.end(), "door_open"), shown.end());
  EXPECT_EQ(shown.front(), "home");
  EXPECT_EQ(shown.back(), "home");
  // The contact went into the journal with the filing.
  bool with_contact = false;
  auto events = journal()->events_after(0, 100);
  ASSERT_TRUE(events.has_value());
  for (const auto& e : *events) {
    if (const auto* f = std::get_if<wire::SubmissionFiled>(&e.body)) {
      with_contact = f->contact == std::optional<std::string>("0722123456");
    }
  }
  EXPECT_TRUE(with_contact);
}

TEST_F(AgentTouchscreen, ATechnicianRunsTheSelfTestOnTheScreenAndSeesItPass) {
  testing::SeededRandom random(4);
  std::ofstream(config_, std::ios::app)
      << "[[staff]]\nbadge = \"TECH-0001\"\nname = \"Ion Pop\"\nrole = \"technician\"\n"
      << "pin_hash = \"" << hash_pin("2468", random, 1000) << "\"\n";
  auto person = technician();
  auto lines =
      run("tap lang:en\nshow CBX-BADGE:TECH-0001\ntap key:2\ntap key:4\ntap key:6\ntap key:8\n"
          "tap login\ntap self_test\n");
  ASSERT_EQ(lines.size(), 8u) << read_file(err_);
  EXPECT_TRUE(starts(lines[6], "screen=technician ")) << lines[6];
  EXPECT_TRUE(starts(lines[7], "screen=technician title=technician.title body=self_test.passed"))
      << lines[7] << "\n"
      << read_file(err_);
  for (int c : {1, 2, 5, 6}) EXPECT_EQ(cabinet_->unlocks_received(c), 1) << c;
  // The technician saw it under way (a screen a step) before the result.
  auto shown = screens();
  EXPECT_GE(std::count(shown.begin(), shown.end(), "technician"), 5)
      << ::testing::PrintToString(shown);
  EXPECT_EQ(std::count(shown.begin(), shown.end(), "door_open"), 0)
      << "the self-test's doors are shown on the technician screen";
  EXPECT_EQ(journal()->queued_self_test_reports(10)->size(), 1u);
}

TEST_F(AgentTouchscreen, AWrongTypedPickupCodeSaysHowManyTriesAreLeft) {
  std::string script = "tap lang:en\ntap collect\ntap type_code\n";
  for (char c : std::string("4F7KQ29XW")) script += std::string("tap key:") + c + "\n";
  script += "tap open\n";
  auto lines = run(script);
  ASSERT_EQ(lines.size(), 13u) << read_file(err_);
  EXPECT_TRUE(starts(lines[2], "screen=collect_keypad ")) << lines[2];
  EXPECT_TRUE(starts(lines.back(), "screen=notice ")) << lines.back();
  EXPECT_TRUE(lines.back().find("tries=") != std::string::npos ||
              lines.back().find("body=refused.mistyped") != std::string::npos)
      << lines.back();
}

}  // namespace
}  // namespace civicbox::firmware
