#include "firmware/touchscreen.hpp"

#include <SDL.h>
#include <spdlog/spdlog.h>

#include <fmt/format.h>
#include <ctime>
#include <stop_token>

#include "firmware/setup.hpp"
#include "ui/catalog.hpp"
#include "ui/layout.hpp"
#include "ui/sdl/renderer.hpp"
#include "ui/sdl/sound.hpp"

namespace civicbox::firmware {
namespace {

std::optional<std::string> non_empty(const std::string& text) {
  if (text.empty()) return std::nullopt;
  return text;
}

std::string local_hhmm(std::int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[8];
  std::strftime(buf, sizeof buf, "%H:%M", &tm);
  return buf;
}

ui::Row device_row(const char* key, std::string value, std::optional<bool> ok) {
  return ui::Row{ui::Text{key, ""}, ui::Text{"", std::move(value)}, ok};
}

// While a self-test runs, what the scan loop reads goes to the self-test (it waits for the test
// receipt's QR), not to the session: the scanner keeps one reader, and its scans one listener at a
// time.
class ScanRelay final : public drivers::Scanner {
 public:
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    scans_.clear();
  }
  void close() {
    std::lock_guard lock(mutex_);
    open_ = false;
    scans_.clear();
  }
  // Takes the text when a self-test listens; false leaves it to the session.
  bool offer(const std::string& text) {
    {
      std::lock_guard lock(mutex_);
      if (!open_) return false;
      scans_.push_back(text);
    }
    arrived_.notify_all();
    return true;
  }
  Expected<std::optional<std::string>> next_scan(std::chrono::milliseconds wait) override {
    std::unique_lock lock(mutex_);
    arrived_.wait_for(lock, wait, [&] { return !scans_.empty(); });
    if (scans_.empty()) return std::optional<std::string>{};
    std::string text = std::move(scans_.front());
    scans_.pop_front();
    return std::optional<std::string>(std::move(text));
  }

 private:
  std::mutex mutex_;
  std::condition_variable arrived_;
  bool open_ = false;
  std::deque<std::string> scans_;
};

// How long "enrolled as box ..." stays on the setup screen before the agent takes over.
constexpr auto kEnrolledShownFor = std::chrono::milliseconds(1500);

// Whether the screen waits for something other than a touch (settle() waits for it to end).
bool busy(const Session& session) {
  return session.flow_running();
}
bool busy(const SetupSession& setup) {
  return setup.enrolling();
}

// Screens that change by themselves need redrawing although the view did not change.
bool animated(const ui::View& view) {
  return view.screen == ui::ScreenId::collect_scan;
}

}  // namespace

BoxFacts box_facts(const AgentStatus& status, const AgentConfig& config, bool scanner_ok) {
  BoxFacts f;
  f.box_id = status.device;
  f.document_kinds = status.document_kinds;
  f.free_dropoff = status.free_dropoff;
  f.free_pickup = status.free_pickup;
  f.faulty = status.faulty;
  f.compartments = static_cast<int>(config.dropoff.size() + config.pickup.size());
  f.has_printer = config.cabinet.printer.has_value();
  f.has_scanner = config.cabinet.scanner.has_value();
  f.scanner_ok = f.has_scanner && scanner_ok;
  f.track_url = status.track_url;
  f.controller_clerks = status.controller_clerks;
  f.controller_online = status.online;
  f.revoked = status.revoked;
  f.can_enrol = !config.enrol_url.empty() && !config.identity_dir.empty();
  f.controller = config.controller_url;
  f.last_sync = status.last_sync_ms ? local_hhmm(*status.last_sync_ms) : "—";
  using drivers::PrinterStatus;
  if (status.printer) {
    switch (*status.printer) {
      case PrinterStatus::paper_out:
        f.printer_problem = "out of paper";
        break;
      case PrinterStatus::cover_open:
        f.printer_problem = "cover open";
        break;
      case PrinterStatus::offline:
        f.printer_problem = "offline";
        break;
      default:
        break;
    }
  }
  const int compartments = f.compartments;
  f.devices.push_back(
      device_row("technician.doors",
                 std::to_string(compartments - static_cast<int>(status.faulty.size())) + "/" +
                     std::to_string(compartments),
                 status.faulty.empty()));
  if (f.has_printer) {
    f.devices.push_back(device_row("technician.printer",
                                   status.printer ? std::string(to_string(*status.printer)) : "?",
                                   !f.printer_problem.has_value()));
  }
  if (config.cabinet.scanner) {
    f.devices.push_back(
        device_row("technician.camera", config.cabinet.scanner->device, f.scanner_ok));
  }
  // The box's identity, the controller and the last sync are added by the session.
  return f;
}

std::string describe_view(const ui::View& view) {
  std::string out = std::string("screen=") + ui::to_string(view.screen);
  if (!view.title_key.empty()) out += " title=" + view.title_key;
  if (!view.body_key.empty()) out += " body=" + view.body_key;
  for (const char* arg :
       {"tracking_code", "number", "registration", "compartment", "tries", "parcel", "count"}) {
    if (auto it = view.args.find(arg); it != view.args.end())
      out += " " + std::string(arg) + "=" + it->second;
  }
  if (view.idle_countdown_s) out += " idle=" + std::to_string(*view.idle_countdown_s);
  return out;
}

struct Touchscreen::Impl {
  TouchscreenOptions options;
  std::unique_ptr<ui::Renderer> renderer;
  std::unique_ptr<ui::SoundPlayer> sound;
  ui::Catalogs catalogs;

  mutable std::mutex mutex;  // guards the members below
  std::condition_variable changed;
  std::deque<SessionInput> inbox;
  std::uint64_t posted = 0;
  std::uint64_t handled = 0;
  bool stopping = false;
  bool started = false;  // run() has made the session: view is its, not a default
  bool flow_running = false;
  ui::View view;

  // The flow worker's queue.
  std::mutex work_mutex;
  std::condition_variable work_wake;
  std::deque<Command> work;
  bool facts_due = false;  // refresh the box's facts when no flow is queued
  bool work_stopping = false;

  // The self-test under way: how to stop it, and where its scans go.
  std::mutex self_test_mutex;
  std::optional<std::stop_source> self_test_stop;
  ScanRelay scans_for_self_test;

  int shots = 0;
  ui::Frame frame;
  std::optional<ui::View> drawn;
  // A widget is drawn pressed: shown so for a moment, then laid out afresh (a touch the session
  // ignores must not leave a button looking held down).
  bool pressed = false;
  std::chrono::steady_clock::time_point pressed_until;

  void post(SessionInput input) {
    if (const auto* scanned = std::get_if<ScannedText>(&input);
        scanned != nullptr && scans_for_self_test.offer(scanned->text)) {
      {
        std::lock_guard lock(mutex);  // handled, by the self-test: settle() need not wait for it
        ++posted;
        ++handled;
      }
      changed.notify_all();
      return;
    }
    {
      std::lock_guard lock(mutex);
      inbox.push_back(std::move(input));
      ++posted;
    }
    changed.notify_all();
    if (options.window) {
      SDL_Event wake{};
      wake.type = SDL_USEREVENT;
      SDL_PushEvent(&wake);
    }
  }

  void queue_work(Command command) {
    {
      std::lock_guard lock(work_mutex);
      work.push_back(std::move(command));
    }
    work_wake.notify_all();
  }

  // The worker: carries out the commands queued (`execute`, which may take minutes) and refreshes
  // the facts when nothing is queued.
  void worker(const std::function<void(Command&)>& execute, const std::function<void()>& refresh) {
    for (;;) {
      Command command;
      {
        std::unique_lock lock(work_mutex);
        work_wake.wait(lock, [&] { return work_stopping || !work.empty() || facts_due; });
        if (work_stopping) return;
        if (work.empty()) {
          facts_due = false;
          lock.unlock();
          refresh();
          continue;
        }
        command = std::move(work.front());
        work.pop_front();
      }
      execute(command);
    }
  }

  // A served box's commands: the flows and the self-test, each followed by fresh facts.
  void execute(Agent& agent, const AgentConfig& config, const std::function<bool()>& scanner_ok,
               Command& command) {
    FlowResult result;
    if (auto* f = std::get_if<StartFiling>(&command)) {
      result = agent.file(f->kind, f->contact, non_empty(f->language));
    } else if (auto* c = std::get_if<StartCollect>(&command)) {
      result = agent.collect(c->code);
    } else if (auto* l = std::get_if<StartLoad>(&command)) {
      result = agent.load(l->parcel_id, non_empty(l->badge));
    } else if (auto* m = std::get_if<StartEmpty>(&command)) {
      result = agent.empty(non_empty(m->badge));
    } else if (auto* t = std::get_if<StartSelfTest>(&command)) {
      post(SelfTestFinished{self_test(agent, t->reason, non_empty(t->badge), scanner_ok)});
      refresh(agent, config, scanner_ok);
      return;
    } else if (auto* e = std::get_if<StartEnrol>(&command)) {
      // Enrolled again under the box's own id; the agent switches to it at once.
      EnrolFinished finished = enrol_from_screen(config, e->token, agent.now_ms());
      if (finished.ok) {
        if (auto switched = agent.renew_certificate(false); !switched) {
          spdlog::warn("taking the new identity: {}", switched.error().describe());
        }
      }
      post(std::move(finished));
      refresh(agent, config, scanner_ok);
      return;
    } else {
      return;
    }
    post(FlowFinished{std::move(result)});
    refresh(agent, config, scanner_ok);
  }

  // The technician's self-test, on the worker: its progress posted to the session, the test QR
  // read from what the scan loop passes on, cancelled by CancelSelfTest.
  SelfTestResult self_test(Agent& agent, const std::string& reason,
                           const std::optional<std::string>& badge,
                           const std::function<bool()>& scanner_ok) {
    std::stop_source stop;
    {
      std::lock_guard lock(self_test_mutex);
      self_test_stop = stop;
    }
    scans_for_self_test.open();
    SelfTestRun run;
    run.reason = reason;
    run.badge = badge;
    run.stop = stop.get_token();
    run.scanner = scanner_ok() ? &scans_for_self_test : nullptr;
    run.progress = [this](const SelfTestProgress& progress) { post(SelfTestUnderWay{progress}); };
    SelfTestResult result = agent.self_test(run);
    scans_for_self_test.close();
    {
      std::lock_guard lock(self_test_mutex);
      self_test_stop.reset();
    }
    return result;
  }

  void refresh(Agent& agent, const AgentConfig& config, const std::function<bool()>& scanner_ok) {
    auto status = agent.status();
    if (!status) {
      spdlog::warn("touchscreen: reading the box's status: {}", status.error().describe());
      return;
    }
    post(FactsChanged{box_facts(*status, config, scanner_ok())});
  }

  template <class Model>
  void loop(Model& model, const std::function<std::int64_t()>& now_ms,
            const std::function<bool()>& done);
  void start_worker(std::function<void(Command&)> execute, std::function<void()> refresh);
  void stop_worker();
  void show_first(const ui::View& first);
  std::thread worker_thread;

  void carry_out(const std::vector<Command>& commands) {
    for (const auto& command : commands) {
      if (const auto* s = std::get_if<PlaySound>(&command)) {
        if (sound) sound->play(s->cue);
        continue;
      }
      if (std::holds_alternative<CancelSelfTest>(command)) {
        std::lock_guard lock(self_test_mutex);
        if (self_test_stop) self_test_stop->request_stop();
        continue;
      }
      queue_work(command);
    }
  }

  void draw(bool force, int phase) {
    ui::View current;
    {
      std::lock_guard lock(mutex);
      current = view;
    }
    const bool new_view = !drawn || *drawn != current;
    const bool release = pressed && std::chrono::steady_clock::now() >= pressed_until;
    if (!new_view && !force && !release) return;
    pressed = false;
    frame = ui::layout(current,
                       ui::LayoutContext{catalogs, renderer->measure(), renderer->size(), phase});
    if (auto drawn_ok = renderer->draw(frame); !drawn_ok) {
      spdlog::error("touchscreen: drawing: {}", drawn_ok.error().describe());
    }
    if (new_view && !options.screenshots.empty()) {
      const auto file = options.screenshots /
                        fmt::format("{:04d}-{}.png", ++shots, ui::to_string(current.screen));
      if (auto saved = renderer->save_png(file); !saved) {
        spdlog::warn("touchscreen: screenshot {}: {}", file.string(), saved.error().describe());
      }
    }
    drawn = current;
  }

  // A touch: the widget under it shows pressed at once (visible feedback before anything else
  // happens), then the Session hears of it.
  void touch(int x, int y) {
    const std::string action = ui::action_at(frame, x, y);
    if (action.empty()) return;
    for (auto& w : frame.widgets) {
      if (w.action == action && w.box.contains(x, y) && w.role != ui::WidgetRole::panel) {
        const auto& theme =
            drawn && drawn->high_contrast ? ui::high_contrast_theme() : ui::normal_theme();
        w.ink = theme.selected;
      }
    }
    (void)renderer->draw(frame);
    pressed = true;
    pressed_until = std::chrono::steady_clock::now() + std::chrono::milliseconds(150);
    post(Touched{action});
  }

  void handle_sdl_events(int wait_ms) {
    SDL_Event event;
    if (!SDL_WaitEventTimeout(&event, wait_ms)) return;
    do {
      switch (event.type) {
        case SDL_QUIT: {
          std::lock_guard lock(mutex);
          stopping = true;
          break;
        }
        case SDL_FINGERDOWN: {
          auto [x, y] = renderer->from_touch(event.tfinger.x, event.tfinger.y);
          touch(x, y);
          break;
        }
        case SDL_MOUSEBUTTONDOWN:
          if (event.button.which == SDL_TOUCH_MOUSEID) break;  // the finger event had it
          if (event.button.button == SDL_BUTTON_LEFT) {
            auto [x, y] = renderer->from_window(event.button.x, event.button.y);
            touch(x, y);
          }
          break;
        default:
          break;
      }
    } while (SDL_PollEvent(&event));
  }
};

Touchscreen::Touchscreen(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Touchscreen::~Touchscreen() = default;

Expected<std::unique_ptr<Touchscreen>> Touchscreen::open(TouchscreenOptions options) {
  auto impl = std::make_unique<Impl>();
  CIVICBOX_TRY(impl->catalogs, ui::Catalogs::load(options.lang_dir));
  if (options.window) {
    ui::WindowOptions w;
    w.title = "civicbox";
    w.fullscreen = options.fullscreen;
    w.scale = options.window_scale;
    CIVICBOX_TRY(impl->renderer, ui::Renderer::window(options.size, options.fonts_dir, w));
  } else {
    CIVICBOX_TRY(impl->renderer, ui::Renderer::offscreen(options.size, options.fonts_dir));
  }
  if (options.sound) {
    auto sound = ui::SoundPlayer::open();
    if (sound) {
      impl->sound = std::move(*sound);
    } else {
      spdlog::warn("touchscreen: no sound ({}); success and failure are shown only",
                   sound.error().describe());
    }
  }
  if (!options.screenshots.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(options.screenshots, ec);
    if (ec) {
      return make_error(ErrorCode::io, "creating the screenshot folder " +
                                           options.screenshots.string() + ": " + ec.message());
    }
  }
  impl->options = std::move(options);
  return std::unique_ptr<Touchscreen>(new Touchscreen(std::move(impl)));
}

void Touchscreen::show(std::string_view message) {
  spdlog::info("screen: {}", message);
}

void Touchscreen::door_unlocked(int compartment) {
  impl_->post(DoorUnlocked{compartment});
}

void Touchscreen::post(SessionInput input) {
  impl_->post(std::move(input));
}

void Touchscreen::stop() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->changed.notify_all();
  if (impl_->options.window) {
    SDL_Event quit{};
    quit.type = SDL_QUIT;
    SDL_PushEvent(&quit);
  }
}

ui::View Touchscreen::view() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->view;
}

ui::View Touchscreen::settle(std::optional<SessionInput> input, std::chrono::milliseconds limit) {
  std::uint64_t target = 0;
  {
    std::lock_guard lock(impl_->mutex);
    target = impl_->posted + (input ? 1 : 0);
  }
  if (input) impl_->post(std::move(*input));
  std::unique_lock lock(impl_->mutex);
  impl_->changed.wait_for(lock, limit, [&] {
    return impl_->stopping || (impl_->started && impl_->handled >= target &&
                               impl_->handled == impl_->posted && !impl_->flow_running);
  });
  return impl_->view;
}

// The UI loop shared by run() and run_setup(): SDL events (or the inbox offscreen), a Tick a
// second, the facts asked for every 2 s, each input handled and drawn before the next. Returns on
// stop() or when `done()`.
template <class Model>
void Touchscreen::Impl::loop(Model& model, const std::function<std::int64_t()>& now_ms,
                             const std::function<bool()>& done) {
  auto next_tick = std::chrono::steady_clock::now();
  auto next_facts = next_tick + std::chrono::seconds(1);
  const auto start = std::chrono::steady_clock::now();
  draw(true, 0);
  while (!done()) {
    const auto now = std::chrono::steady_clock::now();
    const int phase = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(now - start).count() % 1000);
    if (options.window) {
      handle_sdl_events(50);
    } else {
      std::unique_lock lock(mutex);
      changed.wait_for(lock, std::chrono::milliseconds(50),
                       [&] { return stopping || !inbox.empty(); });
    }
    std::deque<SessionInput> inputs;
    {
      std::lock_guard lock(mutex);
      if (stopping) break;
      inputs.swap(inbox);
    }
    if (now >= next_tick) {
      inputs.push_back(Tick{});
      next_tick = now + std::chrono::seconds(1);
    }
    if (now >= next_facts) {
      {
        std::lock_guard lock(work_mutex);
        facts_due = true;
      }
      work_wake.notify_all();
      next_facts = now + std::chrono::seconds(2);
    }
    // Each input's screen is drawn before the next input is handled: a door open for a moment
    // is still shown (and in the screenshots), not skipped for what came after it.
    for (auto& input : inputs) {
      const bool counted = !std::holds_alternative<Tick>(input);
      carry_out(model.handle(input, now_ms()));
      {
        std::lock_guard lock(mutex);
        view = model.view();
        flow_running = busy(model);
      }
      draw(false, phase);
      if (counted) {
        std::lock_guard lock(mutex);
        ++handled;
      }
    }
    changed.notify_all();
    draw(animated(model.view()), phase);
  }
}

void Touchscreen::Impl::start_worker(std::function<void(Command&)> execute,
                                     std::function<void()> refresh) {
  {
    std::lock_guard lock(work_mutex);
    work_stopping = false;
    facts_due = false;
    work.clear();
  }
  worker_thread = std::thread([this, execute = std::move(execute), refresh = std::move(refresh)] {
    worker(execute, refresh);
  });
}

void Touchscreen::Impl::stop_worker() {
  {
    // A self-test under way stops after the door it is at: the box is going down.
    std::lock_guard lock(self_test_mutex);
    if (self_test_stop) self_test_stop->request_stop();
  }
  {
    std::lock_guard lock(work_mutex);
    work_stopping = true;
  }
  work_wake.notify_all();
  if (worker_thread.joinable()) worker_thread.join();
}

void Touchscreen::Impl::show_first(const ui::View& first) {
  {
    std::lock_guard lock(mutex);
    view = first;
    started = true;
  }
  changed.notify_all();
}

void Touchscreen::run(Agent& agent, const AgentConfig& config,
                      const std::function<bool()>& scanner_ok, std::optional<SessionInput> first) {
  Impl& s = *impl_;
  auto status = agent.status();
  BoxFacts facts = status ? box_facts(*status, config, scanner_ok()) : BoxFacts{};
  Session session(session_settings(config, status ? status->track_url : std::string{}), facts,
                  agent.now_ms());
  std::vector<Command> first_commands;
  {
    // What the setup screen was told (its devices' facts) is not for this session; a stop asked
    // for meanwhile starts nothing.
    std::lock_guard lock(s.mutex);
    const auto before = s.inbox.size();
    std::erase_if(s.inbox, [](const SessionInput& in) {
      return std::holds_alternative<FactsChanged>(in) || std::holds_alternative<EnrolFinished>(in);
    });
    s.handled += before - s.inbox.size();
    if (s.stopping) first.reset();
  }
  if (first) first_commands = session.handle(*first, agent.now_ms());
  s.show_first(session.view());
  s.start_worker([&](Command& command) { s.execute(agent, config, scanner_ok, command); },
                 [&] { s.refresh(agent, config, scanner_ok); });
  s.carry_out(first_commands);
  {
    std::lock_guard lock(s.mutex);
    s.flow_running = session.flow_running();
  }
  s.loop(
      session, [&] { return agent.now_ms(); }, [] { return false; });
  s.stop_worker();
}

std::optional<std::string> Touchscreen::run_setup(
    const AgentConfig& config, const std::function<EnrolFinished(const std::string& token)>& enrol,
    const std::function<bool()>& scanner_ok, const std::function<bool()>& enrolled_elsewhere) {
  Impl& s = *impl_;
  auto facts_now = [&] {
    BoxFacts f;
    f.has_scanner = config.cabinet.scanner.has_value();
    f.scanner_ok = f.has_scanner && scanner_ok();
    f.has_printer = config.cabinet.printer.has_value();
    f.devices = setup_rows(config, f.scanner_ok);
    f.controller = config.enrol_url;
    return f;
  };
  SetupSession setup(config.default_language, facts_now());
  std::atomic<bool> elsewhere{false};
  s.show_first(setup.view());
  s.start_worker(
      [&](Command& command) {
        if (auto* e = std::get_if<StartEnrol>(&command)) s.post(enrol(e->token));
      },
      [&] {
        if (!elsewhere && enrolled_elsewhere()) elsewhere = true;
        s.post(FactsChanged{facts_now()});
      });
  auto wall_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  // Once enrolled, "enrolled as box ..." stays on the screen for a moment before the agent
  // starts and the self-test takes over.
  std::optional<std::chrono::steady_clock::time_point> enrolled_at;
  s.loop(setup, wall_ms, [&] {
    if (elsewhere && !setup.enrolling()) return true;
    if (!setup.enrolled()) return false;
    if (!enrolled_at) enrolled_at = std::chrono::steady_clock::now();
    return std::chrono::steady_clock::now() - *enrolled_at >= kEnrolledShownFor;
  });
  s.stop_worker();
  if (!setup.enrolled() && !elsewhere) return std::nullopt;
  return setup.view().language;
}

}  // namespace civicbox::firmware
