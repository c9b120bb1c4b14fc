// The touchscreen: the Session's views drawn with SDL2 (a window on the box's display, or
// offscreen for tests and headless runs), touches and mouse clicks turned into the Session's
// inputs, and the Session's commands carried out: flows run on a worker thread (a flow waits
// minutes for a person at a door; the screen keeps drawing), sounds play, facts about the box are
// refreshed every second.
//
// Threads: run() owns the calling thread (SDL's rule: the thread that made the window draws on
// it). Everything else reaches the Session by post(), never by sharing it: the flow worker posts
// FlowFinished, the agent posts DoorUnlocked through drivers::Screen, the scanner loop posts
// ScannedText, a script posts Touched.
//
// Screenshots: with a folder, every distinct screen shown is written there as a PNG (numbered
// in order, named by screen), which is how a headless run shows what a citizen would have seen.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/error.hpp"
#include "drivers/screen/screen.hpp"
#include "firmware/agent.hpp"
#include "firmware/session.hpp"
#include "ui/geometry.hpp"

namespace civicbox::firmware {

struct TouchscreenOptions {
  bool window = true;  // false: offscreen (no display needed)
  ui::Size size = ui::kPortrait;
  bool fullscreen = false;    // the box: full screen on its one display
  double window_scale = 0.5;  // a desktop window showing the screen at this scale
  std::filesystem::path fonts_dir;
  std::filesystem::path lang_dir;
  std::filesystem::path screenshots;  // empty: none
  bool sound = true;
};

// What the technician screen and the session know of the box, from the agent's status.
// `scanner_ok`: the scanner opened and its last read did not fail.
BoxFacts box_facts(const AgentStatus& status, const AgentConfig& config, bool scanner_ok);

class Touchscreen final : public drivers::Screen {
 public:
  // Opens the renderer (and the sound, when asked: a box without a sound card carries on
  // silently). Errors: io (no display for a window), not_found (fonts or catalogues).
  static Expected<std::unique_ptr<Touchscreen>> open(TouchscreenOptions options);
  ~Touchscreen() override;

  // drivers::Screen, called from the flow's thread.
  void show(std::string_view message) override;
  void door_unlocked(int compartment) override;

  // The UI loop, on this thread, until stop(). `scanner_ok` says whether codes can be shown to
  // the scanner now (asked every few seconds; a dead camera is not offered to citizens); scans
  // arrive through post(). The session's settings come from the configuration
  // ([ui], [[staff]]) and the controller's box configuration (the tracking page). `first` is
  // handled before anything is drawn (SelfTestRequested after an enrolment from the screen).
  void run(Agent& agent, const AgentConfig& config, const std::function<bool()>& scanner_ok,
           std::optional<SessionInput> first = std::nullopt);
  // A box not set up yet (firmware/setup.hpp): the setup screen on this thread until the box is
  // enrolled ("enrolled as box ..." was shown; the language the technician used is returned; call
  // run() next) or stop() (nullopt). `enrol` runs on the worker with the token scanned and may
  // block for the controller.
  // `enrolled_elsewhere` is asked every 2 s (an identity written by civicbox-provision).
  std::optional<std::string> run_setup(
      const AgentConfig& config,
      const std::function<EnrolFinished(const std::string& token)>& enrol,
      const std::function<bool()>& scanner_ok, const std::function<bool()>& enrolled_elsewhere);
  void stop();
  void post(SessionInput input);

  // For scripts: posts `input`, then waits until it was handled and no flow runs (at most
  // `limit`). Returns the view then.
  ui::View settle(std::optional<SessionInput> input, std::chrono::milliseconds limit);
  [[nodiscard]] ui::View view() const;

 private:
  struct Impl;
  explicit Touchscreen(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// "screen=<id> [title=<key>] [body=<key>] [tracking=<code>] [number=..] [compartment=..]": one
// line a script prints for a view.
std::string describe_view(const ui::View& view);

}  // namespace civicbox::firmware
