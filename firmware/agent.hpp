// The device agent: carries out the kiosk's actions against the journal and the devices, in
// order and journal first, and owns the syncer. One thread drives the flows (the screen's, or
// the script's); the syncer runs on its own thread and meets the flows only in the journal.
// A light door watch (its own thread, and at the start of every flow) follows the compartments
// whose intent is unfinished (a door that did not open in time, a sensor that was unsure at
// recovery): when such a door is seen open and then closed, the flow is finished as interrupted,
// as recovery would.
// A sensor sweep (its own thread, every `sweep_ms`, and once at start before any flow) reads
// every compartment and journals what CabinetHealth makes of it: a board that stopped answering
// and a door opened with no unlock put compartments out of service and raise alarms. The sweep
// never holds the flow lock, so a silent board's timeouts never delay a citizen.
// The technician's self-test (firmware/self_test.hpp) is a flow of its own: it holds the flow lock
// while it opens doors, prints and scans.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/error.hpp"
#include "common/random.hpp"
#include "drivers/lockers/lockers.hpp"
#include "drivers/printer/printer.hpp"
#include "drivers/scanner/scanner.hpp"
#include "drivers/screen/screen.hpp"
#include "firmware/cabinet_health.hpp"
#include "firmware/config.hpp"
#include "firmware/journal.hpp"
#include "firmware/kiosk.hpp"
#include "firmware/recovery.hpp"
#include "firmware/self_test.hpp"
#include "firmware/sync_client.hpp"
#include "firmware/syncer.hpp"

namespace civicbox::firmware {

struct Devices {
  drivers::Lockers& lockers;
  drivers::ReceiptPrinter& printer;
  drivers::Screen& screen;
  drivers::Scanner* scanner = nullptr;  // none: codes are typed
  bool has_printer = true;  // false: the cabinet has none; the screen shows the tracking code
};

// What one flow did: the events it recorded, or why it was refused, or what failed.
struct FlowResult {
  std::vector<wire::EventBody> events;
  std::optional<Refuse> refused;
  std::optional<std::string> receipt_for;  // tracking code whose receipt was printed
  // The town hall's registration number, when the controller gave it before the receipt.
  std::optional<std::string> registration_number;
  // Why no receipt could be printed, known before the compartment opened (paper out...).
  std::optional<std::string> no_receipt;
  std::optional<Error> error;
};

struct AgentStatus {
  std::string device;
  SyncState sync;
  std::size_t assignments = 0;
  int free_dropoff = 0;
  int free_pickup = 0;
  std::vector<int> faulty;                  // out of service after a sensor sweep
  std::vector<std::string> document_kinds;  // from the controller's configuration
  std::string track_url;
  bool online = false;   // the last sync reached the controller
  bool revoked = false;  // the controller revoked this box's certificate: out of service
  std::optional<std::int64_t> last_sync_ms;       // when a sync last succeeded (this run)
  std::optional<drivers::PrinterStatus> printer;  // as the printer check last saw it
  // The clerks the controller manages (the last list pulled), with PIN hashes that read; they
  // log in like agent.toml's [[staff]] clerks, which win on a badge clash.
  std::vector<StaffMember> controller_clerks;
};

class Agent {
 public:
  static Expected<std::unique_ptr<Agent>> open(const AgentConfig& config, Devices devices,
                                               Random& random);
  ~Agent();

  Expected<std::vector<RecoveredIntent>> recover();
  // Starts (stops) the background work: the syncer and the door watch.
  void start_sync();
  void stop_sync();
  // One pass of the door watch; returns how many unfinished flows it finished.
  Expected<int> watch_doors();
  // One sweep of every sensor; returns the alarms it journaled.
  Expected<std::vector<wire::Alarm>> sweep();
  // At start, before any flow: every lock is read (nothing is unlocked), and a board that gives
  // no answer is asked again until it is known faulty, so no flow is offered a dead compartment.
  Expected<std::vector<wire::Alarm>> sweep_at_start();
  // When the last sweep finished (the watchdog checks the sweeps keep coming).
  [[nodiscard]] std::chrono::steady_clock::time_point last_sweep() const { return last_sweep_; }
  // Compartments out of service because of what the sweeps saw.
  [[nodiscard]] std::set<int> faulty_compartments() const;
  Expected<SyncReport> sync_now();
  // Renews the certificate when it is due (config renew_at) or `force`, or finishes a renewal
  // under way: true when the box now uses a new certificate. The background thread calls it
  // every renew_check_s when the box has an enrolled identity ('box.identity').
  Expected<bool> renew_certificate(bool force);

  // Every flow journals a door.opened (who, why) before each unlock. `language`: the citizen's UI
  // language, carried by submission.filed; `badge`: the clerk's, when known.
  FlowResult file(const std::string& kind, const std::optional<std::string>& contact,
                  const std::optional<std::string>& language = std::nullopt);
  FlowResult collect(const std::string& typed_code);
  FlowResult load(const std::string& parcel_id,
                  const std::optional<std::string>& badge = std::nullopt);
  FlowResult empty(const std::optional<std::string>& badge = std::nullopt);
  // Waits up to `wait` for the scanner to read a code, then acts on it: a pickup code collects,
  // anything else is refused with a message. nullopt when nothing was scanned (or no scanner).
  std::optional<FlowResult> scan(std::chrono::milliseconds wait);
  // A scanner found after the start (one that was missing then).
  void set_scanner(drivers::Scanner* scanner) { scanner_ = scanner; }
  [[nodiscard]] drivers::Scanner* scanner() const { return scanner_.load(); }

  // The self-test (self_test.hpp, self_test.cpp): every part of the box once, the report kept in
  // the outbox and sent to the controller. Blocks for as long as the doors and the QR take.
  SelfTestResult self_test(const SelfTestRun& run);

  Expected<AgentStatus> status();
  // Remote commands from a pull, executed by the door watch (between flows, never during one).
  void queue_commands(std::vector<wire::Command> commands);
  // Executes the queued commands now (waiting for a flow to end). For each one the journal
  // does not know yet: command.done "expired" when expires_at is past on the box's clock,
  // "refused" when the compartment does not exist; else door.opened {by remote}, the unlock,
  // then command.done "opened" (or "failed" when the board refused). Returns what was journaled.
  Expected<std::vector<wire::CommandDone>> run_remote_commands();
  // A remote opening a crash cut between its door.opened and its command.done is never redone:
  // journals command.done "opened" with detail "interrupted". recover() calls it.
  Expected<int> finish_interrupted_commands();
  // The snapshot sent to the controller (POST /v1/device/status): every compartment's size, use
  // and state (fault > open > occupied > free), the paper as the printer check last saw it, the
  // faults the agent knows now. Never waits for a flow. nullopt when the journal cannot be read.
  std::optional<wire::BoxStatus> box_status();
  // The last status the controller took (this run).
  [[nodiscard]] std::optional<wire::BoxStatus> last_status_sent() const {
    return syncer_->last_status_sent();
  }
  // The agent's notion of now: the system clock, never earlier than the latest time the journal
  // saw (a box whose clock restarts in 1970), plus an offset (tests of expiry move it). The floor
  // is kept in system-clock time so that an offset lives only as long as the process.
  [[nodiscard]] std::int64_t now_ms() const;
  void advance_clock(std::chrono::seconds by) { offset_s_ += by.count(); }
  [[nodiscard]] std::int64_t clock_offset_s() const { return offset_s_; }

  Journal& journal() { return *journal_; }

  // How long a person has to pull a door after it was unlocked.
  std::chrono::milliseconds door_open_wait{std::chrono::seconds(60)};
  // What the self-test waits for (from [self_test]; tests shorten them).
  SelfTestTimes self_test_times;

 private:
  Agent(AgentConfig config, Devices devices, Random& random, std::unique_ptr<Journal> journal);
  FlowResult run(const Input& input);
  std::optional<FlowResult> refuse_when_revoked();
  FlowResult run_locked(const Input& input);  // flow_mutex_ held
  bool execute(const std::vector<Action>& actions, FlowResult& result);
  bool execute_unlock(int compartment, FlowResult& result);
  void print(const PrintReceipt& action, FlowResult& result);
  // Asks the printer how it is; journals an alarm when that changed. Returns why a receipt
  // cannot be printed now, or nullopt when it can (or cannot be known: a silent printer).
  std::optional<std::string> check_printer();
  bool wait_door(int compartment, drivers::DoorState state, std::chrono::milliseconds limit);
  // The self-test's parts (self_test.cpp); flow_mutex_ held.
  SelfTestLine test_compartment(int compartment, const SelfTestRun& run);
  SelfTestLine test_printer(const std::string& code, bool& printed);
  SelfTestLine test_scanner(const std::string& code, const SelfTestRun& run);
  Expected<int> watch_doors_locked();
  Expected<std::vector<wire::CommandDone>> run_remote_commands_locked();  // flow_mutex_ held
  Expected<wire::CommandDone> run_remote_command(const wire::Command& command);
  Expected<int> finish_interrupted_commands_locked();  // flow_mutex_ held
  void watch_loop();
  void sweep_loop();
  // Runs `pass` every `period` until stop_sync(); the background threads' loop.
  void every(std::chrono::milliseconds period, const std::function<void()>& pass);
  void printer_loop();
  void renew_loop();
  // Marks (unmarks) a compartment whose unlock a running flow sent: its door may be open.
  void unlock_in_flight(int compartment, bool in_flight);
  // Whether a sweep saw this in-flight door open since its unlock.
  bool sweep_saw_open(int compartment) const;
  [[nodiscard]] std::int64_t system_ms() const;
  void raise_time_floor();

  AgentConfig config_;
  Devices devices_;
  Random& random_;
  std::unique_ptr<Journal> journal_;
  Kiosk kiosk_;
  SyncClient client_;
  std::unique_ptr<Syncer> syncer_;
  std::atomic<std::int64_t> offset_s_{0};
  std::atomic<std::int64_t> time_floor_ms_{0};
  std::mutex flow_mutex_;  // one flow (or door-watch pass) at a time
  std::mutex watch_mutex_;
  std::condition_variable watch_wake_;
  bool watch_stopping_ = false;
  std::thread watch_thread_;
  std::thread sweep_thread_;
  std::thread printer_thread_;
  std::thread renew_thread_;
  std::atomic<drivers::Scanner*> scanner_{nullptr};

  mutable std::mutex doors_mutex_;  // guards the three below; never held across device I/O
  CabinetHealth health_;
  std::set<int> in_flight_;  // unlock sent in a running flow, door not shut yet
  // In-flight doors a sensor sweep saw open: the two readers of one sensor share what they saw
  // (a door opened and shut between the flow's own reads still opened).
  std::set<int> seen_open_in_flight_;
  std::map<int, std::uint64_t> unlocks_;  // unlocks sent per compartment since start
  // Doors a remote command unlocked: expected open (no tamper alarm) until seen shut after
  // being open, or not seen open within door_open_wait.
  struct RemoteDoor {
    bool seen_open = false;
    std::chrono::steady_clock::time_point unlocked_at;
  };
  std::map<int, RemoteDoor> remote_doors_;
  std::mutex commands_mutex_;            // guards the one below
  std::vector<wire::Command> commands_;  // received, not looked at yet
  std::mutex sweep_mutex_;               // one sweep at a time
  std::atomic<std::chrono::steady_clock::time_point> last_sweep_{};
  std::mutex printer_mutex_;                              // guards the two below
  std::optional<drivers::PrinterStatus> printer_status_;  // as last seen
  bool alarms_raised_for_printer_ = false;                // after the first, every change is news
  bool receipt_refused_ = false;  // flow_mutex_: the filing under way cannot get a receipt
};

}  // namespace civicbox::firmware
