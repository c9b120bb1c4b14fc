#include "firmware/agent.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <thread>

#include "common/scanned.hpp"
#include "drivers/lockers/door_wait.hpp"
#include "provisioning/controller_link.hpp"
#include "provisioning/identity_store.hpp"
#include "provisioning/renewal.hpp"

namespace civicbox::firmware {

using drivers::DoorState;

namespace {
SyncClientOptions client_options(const AgentConfig& c) {
  return SyncClientOptions{c.controller_url, c.ca, c.cert, c.key, c.timeout_ms};
}
}  // namespace

Agent::Agent(AgentConfig config, Devices devices, Random& random, std::unique_ptr<Journal> journal)
    : config_(std::move(config)),
      devices_(devices),
      random_(random),
      journal_(std::move(journal)),
      kiosk_(Layout{config_.box_id, config_.dropoff, config_.pickup}),
      client_(client_options(config_)) {
  syncer_ = std::make_unique<Syncer>(
      *journal_, client_,
      SyncerOptions{std::chrono::seconds(config_.interval_s),
                    static_cast<std::size_t>(config_.batch), std::chrono::milliseconds(500),
                    std::chrono::seconds(60), std::chrono::seconds(config_.status_every_s)},
      [this] { return now_ms(); }, random_);
  syncer_->set_status_source([this] { return box_status(); });
  syncer_->set_command_sink([this](std::vector<wire::Command> c) { queue_commands(std::move(c)); });
}

Agent::~Agent() {
  stop_sync();
}

Expected<std::unique_ptr<Agent>> Agent::open(const AgentConfig& config, Devices devices,
                                             Random& random) {
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) {
    return make_error(ErrorCode::io, "creating " + config.data_dir.string() + ": " + ec.message());
  }
  CIVICBOX_TRY(auto journal, Journal::open(config.data_dir / "journal.db"));
  CIVICBOX_TRY(auto floor, journal->time_floor());
  std::unique_ptr<Agent> agent(new Agent(config, devices, random, std::move(journal)));
  agent->time_floor_ms_ = floor;
  agent->scanner_ = devices.scanner;
  agent->door_open_wait = std::chrono::seconds(config.open_wait_s);
  agent->self_test_times = SelfTestTimes{std::chrono::seconds(config.self_test_open_wait_s),
                                         std::chrono::seconds(config.self_test_close_wait_s),
                                         std::chrono::seconds(config.self_test_scan_wait_s)};
  if (agent->system_ms() < floor) {
    spdlog::warn("the system clock is behind the latest time the journal saw; using that time");
  }
  agent->raise_time_floor();
  return agent;
}

std::int64_t Agent::system_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t Agent::now_ms() const {
  return std::max(system_ms(), time_floor_ms_.load()) + offset_s_.load() * 1000;
}

void Agent::raise_time_floor() {
  // Coarse on purpose: one journal write every few seconds at most, not one per flow.
  constexpr std::int64_t kStepMs = 10'000;
  std::int64_t now = system_ms();
  if (now < time_floor_ms_.load() + kStepMs) return;
  time_floor_ms_ = now;
  if (auto raised = journal_->raise_time_floor(now); !raised) {
    spdlog::error("{}", raised.error().describe());
  }
}

Expected<std::vector<RecoveredIntent>> Agent::recover() {
  std::lock_guard lock(flow_mutex_);
  CIVICBOX_TRY(auto recovered,
               firmware::recover(
                   *journal_, devices_.lockers, [this] { return now_ms(); }, random_));
  CIVICBOX_CHECK(finish_interrupted_commands_locked());
  return recovered;
}

Expected<int> Agent::finish_interrupted_commands() {
  std::lock_guard lock(flow_mutex_);
  return finish_interrupted_commands_locked();
}

Expected<int> Agent::finish_interrupted_commands_locked() {
  CIVICBOX_TRY(auto commands, journal_->interrupted_commands());
  for (const auto& [id, compartment] : commands) {
    spdlog::warn(
        "the remote opening {} of compartment {} was interrupted by a restart; it is "
        "not done again",
        id, compartment);
    CIVICBOX_CHECK(
        journal_->append(wire::CommandDone{id, "opened", "interrupted"}, now_ms(), random_));
  }
  return static_cast<int>(commands.size());
}

void Agent::queue_commands(std::vector<wire::Command> commands) {
  {
    std::lock_guard lock(commands_mutex_);
    for (auto& c : commands) commands_.push_back(std::move(c));
  }
  watch_wake_.notify_all();
}

Expected<std::vector<wire::CommandDone>> Agent::run_remote_commands() {
  std::lock_guard lock(flow_mutex_);
  return run_remote_commands_locked();
}

Expected<std::vector<wire::CommandDone>> Agent::run_remote_commands_locked() {
  std::vector<wire::Command> todo;
  {
    std::lock_guard lock(commands_mutex_);
    todo.swap(commands_);
  }
  std::vector<wire::CommandDone> done;
  for (std::size_t i = 0; i < todo.size(); ++i) {
    auto outcome = run_remote_command(todo[i]);
    if (!outcome) {
      // Journal first: the rest waits for the next pull (they are sent again until done).
      std::lock_guard lock(commands_mutex_);
      commands_.insert(commands_.begin(), todo.begin() + static_cast<std::ptrdiff_t>(i),
                       todo.end());
      return outcome.error().context("remote command " + todo[i].id);
    }
    if (!outcome->command.empty()) done.push_back(std::move(*outcome));
  }
  if (!done.empty()) syncer_->request();
  return done;
}

// An empty command id in the answer: nothing journaled (executed before, or a duplicate).
Expected<wire::CommandDone> Agent::run_remote_command(const wire::Command& command) {
  CIVICBOX_TRY(auto record, journal_->remote_command(command.id));
  if (record.done) return wire::CommandDone{};
  wire::CommandDone done{command.id, "", ""};
  const int c = command.compartment;
  if (record.door_opened) {
    // Its door.opened is journaled and its outcome is not: the unlock may have gone out.
    done.outcome = "opened";
    done.detail = "interrupted";
  } else if (command.expires_at_ms < now_ms()) {
    done.outcome = "expired";
    done.detail = "expired before the box got it";
  } else if (std::find(config_.dropoff.begin(), config_.dropoff.end(), c) ==
                 config_.dropoff.end() &&
             std::find(config_.pickup.begin(), config_.pickup.end(), c) == config_.pickup.end()) {
    done.outcome = "refused";
    done.detail = "this box has no compartment " + std::to_string(c);
  } else {
    wire::DoorOpened opened;
    opened.compartment = c;
    opened.by = "remote";
    opened.command = command.id;
    opened.why = command.reason.substr(0, wire::kMaxTextBytes);
    if (opened.why.empty()) opened.why = "remote";
    CIVICBOX_CHECK(journal_->append(opened, now_ms(), random_));
    {
      std::lock_guard lock(doors_mutex_);
      ++unlocks_[c];
      remote_doors_[c] = RemoteDoor{false, std::chrono::steady_clock::now()};
    }
    auto unlocked = devices_.lockers.unlock(c);
    if (unlocked) {
      done.outcome = "opened";
    } else {
      std::lock_guard lock(doors_mutex_);
      remote_doors_.erase(c);
      done.outcome = "failed";
      done.detail = unlocked.error().describe().substr(0, wire::kMaxTextBytes);
    }
  }
  spdlog::info("remote command {} (compartment {}, by {}): {}{}", command.id, c, command.by,
               done.outcome, done.detail.empty() ? "" : " (" + done.detail + ")");
  CIVICBOX_CHECK(journal_->append(done, now_ms(), random_));
  return done;
}

void Agent::start_sync() {
  syncer_->start();
  std::lock_guard lock(watch_mutex_);
  if (watch_thread_.joinable()) return;
  watch_stopping_ = false;
  watch_thread_ = std::thread([this] { watch_loop(); });
  sweep_thread_ = std::thread([this] { sweep_loop(); });
  printer_thread_ = std::thread([this] { printer_loop(); });
  if (!config_.identity_dir.empty()) renew_thread_ = std::thread([this] { renew_loop(); });
}

void Agent::renew_loop() {
  every(std::chrono::seconds(config_.renew_check_s), [this] {
    // Each failure is logged where it happens; the next pass tries again.
    (void)renew_certificate(false);
  });
}

Expected<bool> Agent::renew_certificate(bool force) {
  if (config_.identity_dir.empty()) {
    return make_error(ErrorCode::state, "this box has no enrolled identity ('box.identity')");
  }
  // Cheap first: most passes only read box.json and find nothing to do.
  auto current = provisioning::read_current_identity(config_.identity_dir);
  if (!current || !*current) {
    Error error = current ? make_error(ErrorCode::state, "the identity folder holds no identity")
                          : current.error();
    spdlog::error("certificate renewal: {}", error.describe());
    return error;
  }
  if (client_.cert_file() != (*current)->cert) {
    // A technician re-enrolled the box (civicbox-provision) while the agent ran.
    client_.set_tls_files((*current)->ca, (*current)->cert, (*current)->key);
    spdlog::info("now using identity generation {} (serial {})", (*current)->generation,
                 (*current)->record.serial_hex);
    syncer_->request();
  }
  const bool under_way = std::filesystem::exists(config_.identity_dir / "pending");
  if (!force && !under_way && !provisioning::renewal_due(**current, now_ms(), config_.renew_at)) {
    return false;
  }
  auto store = provisioning::IdentityStore::open(config_.identity_dir);
  if (!store) {
    // civicbox-provision may hold it (a technician re-enrolling): the next pass tries again.
    spdlog::warn("certificate renewal waits: {}", store.error().describe());
    return store.error();
  }
  for (const auto& repair : store->repairs()) spdlog::warn("identity folder repaired: {}", repair);
  provisioning::HttpsControllerLink link;
  provisioning::Refusal refusal;
  auto renewed = provisioning::renew_identity(
      *store, link, now_ms(), provisioning::RenewalOptions{config_.renew_at, force}, &refusal);
  if (!renewed) {
    // The current certificate stays in use; a renewal under way resumes with the same key.
    spdlog::warn("certificate renewal failed, the current certificate stays in use: {}",
                 renewed.error().describe());
    return renewed.error();
  }
  if (renewed->outcome != provisioning::RenewalOutcome::renewed) return false;
  const provisioning::Identity& now_in_use = renewed->identity;
  client_.set_tls_files(now_in_use.ca, now_in_use.cert, now_in_use.key);
  spdlog::info("certificate renewed: serial {} valid until {} (generation {})",
               now_in_use.record.serial_hex, now_in_use.record.not_after_ms / 1000,
               now_in_use.generation);
  return true;
}

void Agent::every(std::chrono::milliseconds period, const std::function<void()>& pass) {
  std::unique_lock lock(watch_mutex_);
  while (!watch_stopping_) {
    lock.unlock();
    pass();
    lock.lock();
    watch_wake_.wait_for(lock, period, [this] { return watch_stopping_; });
  }
}

void Agent::printer_loop() {
  // On its own thread: a printer that is slow to answer (an unreachable TCP printer, a long
  // receipt holding it) never delays a sensor sweep. Every few seconds, not every sweep.
  every(std::chrono::seconds(5), [this] { check_printer(); });
}

void Agent::stop_sync() {
  {
    std::lock_guard lock(watch_mutex_);
    watch_stopping_ = true;
  }
  watch_wake_.notify_all();
  if (watch_thread_.joinable()) watch_thread_.join();
  if (sweep_thread_.joinable()) sweep_thread_.join();
  if (printer_thread_.joinable()) printer_thread_.join();
  if (renew_thread_.joinable()) renew_thread_.join();
  if (syncer_) syncer_->stop();
}

void Agent::watch_loop() {
  // Often enough to see a door that is opened and closed again within a second or two; a pass
  // with nothing unfinished is one indexed query.
  constexpr auto kPeriod = std::chrono::milliseconds(100);
  auto next_floor = std::chrono::steady_clock::now();
  every(kPeriod, [&] {
    std::unique_lock flow(flow_mutex_, std::try_to_lock);
    if (!flow.owns_lock()) return;
    if (auto watched = watch_doors_locked(); !watched) {
      spdlog::error("watching doors: {}", watched.error().describe());
    }
    if (auto ran = run_remote_commands_locked(); !ran) {
      spdlog::error("{}", ran.error().describe());
    }
    if (std::chrono::steady_clock::now() >= next_floor) {
      raise_time_floor();
      next_floor = std::chrono::steady_clock::now() + std::chrono::minutes(1);
    }
  });
}

void Agent::sweep_loop() {
  every(std::chrono::milliseconds(config_.sweep_ms), [this] {
    if (auto swept = sweep(); !swept) {
      spdlog::error("sweeping the cabinet's sensors: {}", swept.error().describe());
    }
  });
}

void Agent::unlock_in_flight(int compartment, bool in_flight) {
  std::lock_guard lock(doors_mutex_);
  seen_open_in_flight_.erase(compartment);
  if (in_flight) {
    in_flight_.insert(compartment);
    ++unlocks_[compartment];
  } else {
    in_flight_.erase(compartment);
  }
}

bool Agent::sweep_saw_open(int compartment) const {
  std::lock_guard lock(doors_mutex_);
  return seen_open_in_flight_.contains(compartment);
}

std::set<int> Agent::faulty_compartments() const {
  std::lock_guard lock(doors_mutex_);
  return health_.out_of_service();
}

Expected<std::vector<wire::Alarm>> Agent::sweep() {
  std::lock_guard one(sweep_mutex_);
  // What may legitimately be open is taken before and after reading the sensors, so that an
  // unlock sent while the sweep ran is never mistaken for tampering.
  std::set<int> expected;
  std::map<int, std::uint64_t> unlocks_before;
  {
    std::lock_guard lock(doors_mutex_);
    expected = in_flight_;
    unlocks_before = unlocks_;
    for (const auto& [c, door] : remote_doors_) expected.insert(c);
  }
  CIVICBOX_TRY(auto unfinished, journal_->unfinished_intents());
  for (const auto& intent : unfinished) expected.insert(intent.compartment);
  auto readings = devices_.lockers.survey();
  std::vector<wire::Alarm> alarms;
  {
    std::lock_guard lock(doors_mutex_);
    expected.insert(in_flight_.begin(), in_flight_.end());
    for (const auto& [compartment, count] : unlocks_) {
      auto before = unlocks_before.find(compartment);
      if (before == unlocks_before.end() || before->second != count) expected.insert(compartment);
    }
    alarms = health_.observe(readings, expected);
    for (const auto& r : readings) {
      if (r.door == DoorState::open && in_flight_.contains(r.compartment)) {
        seen_open_in_flight_.insert(r.compartment);
      }
      // A door a remote command opened is ours until it is shut again.
      auto remote = remote_doors_.find(r.compartment);
      if (remote == remote_doors_.end()) continue;
      if (r.door == DoorState::open) {
        remote->second.seen_open = true;
      } else if (r.door == DoorState::closed &&
                 (remote->second.seen_open ||
                  std::chrono::steady_clock::now() - remote->second.unlocked_at > door_open_wait)) {
        remote_doors_.erase(remote);
      }
    }
  }
  for (auto& alarm : alarms) {
    spdlog::warn("cabinet: {}: {}", alarm.what, alarm.detail);
    if (alarm.detail.size() > 4 * wire::kMaxTextBytes) alarm.detail.resize(4 * wire::kMaxTextBytes);
    auto appended = journal_->append(alarm, now_ms(), random_);
    if (!appended) return appended.error().context("journaling a cabinet alarm");
  }
  if (!alarms.empty()) syncer_->request();
  last_sweep_ = std::chrono::steady_clock::now();
  return alarms;
}

Expected<std::vector<wire::Alarm>> Agent::sweep_at_start() {
  std::vector<wire::Alarm> all;
  for (int i = 0; i < CabinetHealthOptions{}.sweeps_before_fault; ++i) {
    CIVICBOX_TRY(auto alarms, sweep());
    all.insert(all.end(), alarms.begin(), alarms.end());
    std::lock_guard lock(doors_mutex_);
    bool unanswered = false;
    for (int c : devices_.lockers.compartments()) {
      unanswered = unanswered || health_.silent(c);
    }
    if (!unanswered) break;
  }
  return all;
}

Expected<int> Agent::watch_doors() {
  std::lock_guard lock(flow_mutex_);
  return watch_doors_locked();
}

Expected<int> Agent::watch_doors_locked() {
  CIVICBOX_TRY(auto intents, journal_->unfinished_intents());
  int finished = 0;
  for (auto& intent : intents) {
    auto door = devices_.lockers.door(intent.compartment);
    if (!door || *door == DoorState::unknown) continue;
    if (intent.stage == IntentStage::unlock_requested) {
      if (*door != DoorState::open) continue;  // still not opened (or never will be)
      spdlog::warn("compartment {} opened late for the {} {}; finishing it once it closes",
                   intent.compartment, to_string(intent.flow), intent.id);
      CIVICBOX_CHECK(journal_->mark_door_opened(intent.id));
      continue;
    }
    if (*door != DoorState::closed) continue;
    spdlog::warn("compartment {} closed after a late opening; finishing the {} {} as interrupted",
                 intent.compartment, to_string(intent.flow), intent.id);
    auto appended =
        journal_->append(interrupted_events(intent, true), now_ms(), random_, intent.id);
    if (!appended) return appended.error().context("finishing intent " + intent.id);
    ++finished;
  }
  if (finished > 0) syncer_->request();
  return finished;
}
Expected<SyncReport> Agent::sync_now() {
  return syncer_->sync_once();
}

FlowResult Agent::file(const std::string& kind, const std::optional<std::string>& contact,
                       const std::optional<std::string>& language) {
  std::lock_guard lock(flow_mutex_);
  if (auto refused = refuse_when_revoked()) return *refused;
  // Known before the compartment opens, and said so: the filing goes on without a receipt.
  auto no_receipt = check_printer();
  if (no_receipt) {
    devices_.screen.show("The receipt printer cannot print (" + *no_receipt +
                         "). You can still file your document: write down the tracking code "
                         "the screen will show you.");
  }
  receipt_refused_ = no_receipt.has_value();
  FlowResult result = run_locked(FileDocument{kind, contact, language});
  receipt_refused_ = false;
  result.no_receipt = no_receipt;
  return result;
}

std::optional<FlowResult> Agent::scan(std::chrono::milliseconds wait) {
  drivers::Scanner* scanner = scanner_.load();
  if (scanner == nullptr) return std::nullopt;
  auto text = scanner->next_scan(wait);
  if (!text) {
    FlowResult result;
    result.error = text.error().context("reading the QR scanner");
    return result;
  }
  if (!*text) return std::nullopt;
  auto scanned = parse_scanned(**text);
  if (!scanned) {
    devices_.screen.show(scanned.error().message);
    FlowResult result;
    result.refused =
        Refuse{RefuseReason::mistyped, scanned.error().message, std::nullopt, std::nullopt};
    return result;
  }
  if (const auto* code = std::get_if<PickupCode>(&*scanned)) return collect(code->str());
  FlowResult result;
  const std::string message =
      "This code is for staff: log in at the staff screen first.";  // badges, labels, tokens
  devices_.screen.show(message);
  result.refused = Refuse{RefuseReason::mistyped, message, std::nullopt, std::nullopt};
  return result;
}

std::optional<std::string> Agent::check_printer() {
  if (!devices_.has_printer) return "this box has no receipt printer";  // known, not news
  auto status = devices_.printer.status();
  const drivers::PrinterStatus now = status ? *status : drivers::PrinterStatus::offline;
  const std::string why = status ? "" : status.error().message;
  std::optional<std::string> cannot;
  switch (now) {
    case drivers::PrinterStatus::paper_out:
      cannot = "out of paper";
      break;
    case drivers::PrinterStatus::cover_open:
      cannot = "its cover is open";
      break;
    case drivers::PrinterStatus::offline:
      cannot = why.empty() ? "it is offline" : "it is offline: " + why;
      break;
    default:
      break;
  }
  // Known, not news: a printer that starts ready (or silent, like cheap clones) is no alarm;
  // after the first alarm every change is.
  bool raise = false;
  {
    std::lock_guard lock(printer_mutex_);
    const bool changed = printer_status_ != now;
    printer_status_ = now;
    const bool fine = !cannot && now != drivers::PrinterStatus::paper_low;
    raise = changed && (!fine || alarms_raised_for_printer_);
    alarms_raised_for_printer_ = alarms_raised_for_printer_ || raise;
  }
  if (raise) {
    const std::string detail =
        cannot ? "the receipt printer cannot print: " + *cannot
               : "the receipt printer is " + std::string(drivers::to_string(now));
    spdlog::warn("printer: {}", detail);
    auto appended = journal_->append(wire::Alarm{"printer_" + std::string(drivers::to_string(now)),
                                                 detail.substr(0, 700), std::nullopt},
                                     now_ms(), random_);
    if (!appended) spdlog::error("{}", appended.error().describe());
    syncer_->request();
  }
  return cannot;
}
FlowResult Agent::collect(const std::string& typed_code) {
  if (auto refused = refuse_when_revoked()) return *refused;
  return run(CollectParcel{typed_code});
}
FlowResult Agent::load(const std::string& parcel_id, const std::optional<std::string>& badge) {
  if (auto refused = refuse_when_revoked()) return *refused;
  return run(LoadParcel{parcel_id, badge});
}

// A revoked box opens no door for a citizen and takes no new parcel; a clerk may still empty
// it, so nothing a citizen handed over stays locked in.
std::optional<FlowResult> Agent::refuse_when_revoked() {
  if (!syncer_ || !syncer_->revoked()) return std::nullopt;
  FlowResult result;
  result.refused =
      Refuse{RefuseReason::out_of_service, "This box is out of service. Please call a technician.",
             std::nullopt, std::nullopt};
  devices_.screen.show(result.refused->message);
  return result;
}
FlowResult Agent::empty(const std::optional<std::string>& badge) {
  return run(EmptyDropoff{badge});
}

FlowResult Agent::run(const Input& input) {
  std::lock_guard lock(flow_mutex_);
  return run_locked(input);
}

FlowResult Agent::run_locked(const Input& input) {
  FlowResult result;
  if (auto watched = watch_doors_locked(); !watched) {
    spdlog::error("watching doors: {}", watched.error().describe());
  }
  raise_time_floor();
  auto state = journal_->box_state();
  if (!state) {
    result.error = state.error().context("reading the journal");
    return result;
  }
  state->faulty = faulty_compartments();
  kiosk_.refresh(std::move(*state));
  if (!execute(kiosk_.handle(input, now_ms(), random_), result)) kiosk_.abandon();
  if (!result.events.empty()) syncer_->request();  // send what happened without waiting
  return result;
}

bool Agent::execute(const std::vector<Action>& actions, FlowResult& result) {
  for (const auto& action : actions) {
    Expected<void> done;
    if (const auto* a = std::get_if<RecordIntent>(&action)) {
      done = journal_->record_intent(a->intent);
    } else if (const auto* a = std::get_if<Unlock>(&action)) {
      if (!execute_unlock(a->compartment, result)) return false;
    } else if (const auto* a = std::get_if<MarkDoorOpened>(&action)) {
      done = journal_->mark_door_opened(a->intent_id);
    } else if (const auto* a = std::get_if<CancelIntent>(&action)) {
      spdlog::warn("cancelling intent {}: {}", a->intent_id, a->why);
      done = journal_->cancel_intent(a->intent_id, a->why);
    } else if (const auto* a = std::get_if<RecordEvents>(&action)) {
      auto seqs = journal_->append(a->events, now_ms(), random_, a->finishes_intent);
      if (seqs) {
        result.events.insert(result.events.end(), a->events.begin(), a->events.end());
      } else {
        done = seqs.error();
      }
    } else if (const auto* a = std::get_if<SaveKeypad>(&action)) {
      done = journal_->save_keypad(a->keypad);
    } else if (const auto* a = std::get_if<PrintReceipt>(&action)) {
      print(*a, result);
    } else if (const auto* a = std::get_if<Show>(&action)) {
      devices_.screen.show(a->message);
    } else if (const auto* a = std::get_if<Refuse>(&action)) {
      devices_.screen.show(a->message);
      result.refused = *a;
    }
    if (!done) {
      // Journal first: when the journal cannot be written, nothing further happens.
      spdlog::error("{}", done.error().describe());
      result.error = done.error().context("writing the journal");
      devices_.screen.show("The box is out of order. Please ask at the counter.");
      return false;
    }
  }
  return true;
}

bool Agent::wait_door(int compartment, DoorState state, std::chrono::milliseconds limit) {
  return drivers::wait_for_door(devices_.lockers, compartment, state, limit,
                                std::chrono::milliseconds(10));
}

bool Agent::execute_unlock(int compartment, FlowResult& result) {
  // Until the door is seen shut again (or the flow gives up on it), an open door here is ours.
  struct InFlight {
    Agent& agent;
    int compartment;
    ~InFlight() { agent.unlock_in_flight(compartment, false); }
  } in_flight{*this, compartment};
  unlock_in_flight(compartment, true);
  auto unlocked = devices_.lockers.unlock(compartment);
  if (unlocked) devices_.screen.door_unlocked(compartment);
  if (!unlocked || !wait_door(compartment, DoorState::open, door_open_wait)) {
    std::string why = unlocked ? "nobody opened the door in time"
                               : "opening compartment " + std::to_string(compartment) + ": " +
                                     unlocked.error().describe();
    spdlog::warn("{}", why);
    return execute(kiosk_.handle(DoorNotOpened{compartment, why}, now_ms(), random_), result);
  }
  if (!execute(kiosk_.handle(DoorOpened{compartment}, now_ms(), random_), result)) return false;
  spdlog::info("door {} opened", compartment);  // and journaled so
  bool alarmed = false;
  while (!wait_door(compartment, DoorState::closed, std::chrono::minutes(2))) {
    if (!alarmed) {
      alarmed = true;
      auto a = journal_->append(
          wire::Alarm{"door_left_open",
                      "compartment " + std::to_string(compartment) + " has been open for 2 minutes",
                      compartment},
          now_ms(), random_);
      if (!a) spdlog::error("{}", a.error().describe());
    }
  }
  return execute(kiosk_.handle(DoorClosed{compartment}, now_ms(), random_), result);
}

void Agent::print(const PrintReceipt& action, FlowResult& result) {
  if (receipt_refused_) {
    // Already said before the door opened, and already journaled by check_printer().
    auto code = TrackingCode::parse(action.tracking_code);
    devices_.screen.show("Your tracking code: " + (code ? code->display() : action.tracking_code) +
                         ". Write it down: it is your proof of filing.");
    return;
  }
  // One bounded push so that an online box prints the registration number itself; a backlog or
  // a slow link gives a provisional receipt instead of a waiting citizen.
  auto budget = std::chrono::milliseconds(std::min(config_.timeout_ms, 2000));
  if (auto synced = syncer_->sync_for_receipt(budget); !synced) {
    spdlog::info("printing a provisional receipt: {}", synced.error().describe());
  }
  const auto& config = kiosk_.state().config;
  auto code = TrackingCode::parse(action.tracking_code);
  drivers::Receipt receipt;
  receipt.institution = config.institution;
  receipt.box_id = config_.box_id;
  receipt.at_ms = action.at_ms;
  receipt.tracking_code = action.tracking_code;
  receipt.tracking_display = code ? code->display() : action.tracking_code;
  receipt.provisional_number = action.provisional_number;
  receipt.track_url = config.track_url + action.tracking_code;
  if (auto number = journal_->registration_number(action.tracking_code); number) {
    receipt.registration_number = *number;
    result.registration_number = *number;
  }
  if (auto printed = devices_.printer.print(receipt); !printed) {
    spdlog::error("{}", printed.error().describe());
    auto a = journal_->append(
        wire::Alarm{"printer_fault", printed.error().message.substr(0, 700), std::nullopt},
        now_ms(), random_);
    if (!a) spdlog::error("{}", a.error().describe());
    devices_.screen.show("The receipt could not be printed. Write down your tracking code: " +
                         receipt.tracking_display);
    return;
  }
  result.receipt_for = action.tracking_code;
}

std::optional<wire::BoxStatus> Agent::box_status() {
  wire::BoxStatus s;
  s.at_ms = now_ms();
#ifdef CIVICBOX_VERSION
  s.version = CIVICBOX_VERSION;
#endif
  auto state = journal_->box_state();
  if (!state) {
    spdlog::error("the box's status: {}", state.error().describe());
    return std::nullopt;
  }
  std::set<int> occupied;
  for (const auto& sub : state->submissions) occupied.insert(sub.compartment);
  for (const auto& p : state->parcels) {
    if (p.compartment && !p.collected) occupied.insert(*p.compartment);
  }
  std::set<int> open;
  for (const auto& intent : state->unfinished) {
    open.insert(intent.compartment);
    s.faults.push_back(
        {"flow_unfinished", "compartment " + std::to_string(intent.compartment) + ": the " +
                                std::string(to_string(intent.flow)) + " " + intent.id +
                                " did not finish (its door was not seen opened and shut)"});
  }
  std::set<int> faulty;
  {
    std::lock_guard lock(doors_mutex_);
    open.insert(in_flight_.begin(), in_flight_.end());
    faulty = health_.out_of_service();
    for (int c : faulty) {
      const std::string fault = health_.fault_of(c);
      if (!fault.empty()) {
        s.faults.push_back({"board_fault", "compartment " + std::to_string(c) + ": " + fault});
      } else {
        s.faults.push_back({"door_open", "compartment " + std::to_string(c) +
                                             ": opened with no unlock, or left open, and not "
                                             "shut yet"});
      }
    }
  }
  auto add = [&](int number, std::string_view use) {
    wire::CompartmentStatus c;
    c.number = number;
    c.use = std::string(use);
    c.size = "M";  // the profile's size, below; a test's bare layout has none
    for (const auto& p : config_.cabinet.compartments) {
      if (p.number == number) c.size = std::string(lockers::to_string(p.size));
    }
    c.state = faulty.contains(number)     ? "fault"
              : open.contains(number)     ? "open"
              : occupied.contains(number) ? "occupied"
                                          : "free";
    s.compartments.push_back(std::move(c));
  };
  for (int c : config_.dropoff) add(c, "dropoff");
  for (int c : config_.pickup) add(c, "pickup");
  std::sort(s.compartments.begin(), s.compartments.end(),
            [](const auto& a, const auto& b) { return a.number < b.number; });

  std::optional<drivers::PrinterStatus> printer;
  {
    std::lock_guard lock(printer_mutex_);
    printer = printer_status_;
  }
  s.paper = "unknown";
  if (devices_.has_printer && printer) {
    switch (*printer) {
      case drivers::PrinterStatus::ready:
        s.paper = "ok";
        break;
      case drivers::PrinterStatus::paper_low:
        s.paper = "low";
        break;
      case drivers::PrinterStatus::paper_out:
        s.paper = "out";
        s.faults.push_back({"printer_paper_out", "the receipt printer is out of paper"});
        break;
      case drivers::PrinterStatus::cover_open:
      case drivers::PrinterStatus::offline:
        s.faults.push_back({"printer_" + std::string(drivers::to_string(*printer)),
                            "the receipt printer cannot print: it is " +
                                std::string(drivers::to_string(*printer))});
        break;
      default:
        break;
    }
  }
  if (config_.cabinet.scanner && scanner_.load() == nullptr) {
    s.faults.push_back({"scanner_missing", "the cabinet's QR scanner was not found"});
  }
  if (s.compartments.size() > wire::kMaxListItems) s.compartments.resize(wire::kMaxListItems);
  if (s.faults.size() > wire::kMaxListItems) s.faults.resize(wire::kMaxListItems);
  for (auto& f : s.faults) {
    if (f.detail.size() > 4 * wire::kMaxTextBytes) f.detail.resize(4 * wire::kMaxTextBytes);
  }
  return s;
}

Expected<AgentStatus> Agent::status() {
  std::lock_guard lock(flow_mutex_);
  AgentStatus s;
  s.device = config_.box_id;
  CIVICBOX_TRY(s.sync, journal_->sync_state());
  CIVICBOX_TRY(s.assignments, journal_->active_assignments());
  CIVICBOX_TRY(auto state, journal_->box_state());
  state.faulty = faulty_compartments();
  s.faulty.assign(state.faulty.begin(), state.faulty.end());
  kiosk_.refresh(std::move(state));
  s.free_dropoff = kiosk_.free_dropoff();
  s.free_pickup = kiosk_.free_pickup();
  s.document_kinds = kiosk_.state().config.document_kinds;
  s.track_url = kiosk_.state().config.track_url;
  if (syncer_) {
    s.online = syncer_->online();
    s.revoked = syncer_->revoked();
    s.last_sync_ms = syncer_->last_success_ms();
  }
  {
    std::lock_guard printer_lock(printer_mutex_);
    s.printer = printer_status_;
  }
  // An unreadable list costs only the controller's clerks their login, not the box its status.
  auto staff = journal_->controller_staff();
  if (!staff) spdlog::error("{}", staff.error().describe());
  for (const auto& clerk : staff ? staff->clerks : std::vector<wire::StaffClerk>{}) {
    auto pin = parse_pin_hash(clerk.pin_hash);
    if (!pin) continue;  // said at the pull; such a clerk cannot log in
    s.controller_clerks.push_back(StaffMember{clerk.badge, clerk.name, StaffRole::clerk, *pin});
  }
  return s;
}

}  // namespace civicbox::firmware
