// The touchscreen in a real SDL window (SDL's dummy video driver: no display needed), driven by
// the events a touchscreen and a mouse send: SDL_FINGERDOWN with normalised coordinates and
// SDL_MOUSEBUTTONDOWN in window pixels, pushed into SDL's queue as the kernel's input would be.
// The agent runs in-process over the simulated cabinet, offline.
#include <SDL.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "firmware/agent.hpp"
#include "firmware/touchscreen.hpp"
#include "hardware/sim/receipt_file.hpp"
#include "tests/support/seeded_random.hpp"
#include "tests/support/sim_lockers.hpp"
#include "tests/support/temp_dir.hpp"
#include "ui/catalog.hpp"
#include "ui/layout.hpp"
#include "ui/sdl/ttf_measure.hpp"

namespace civicbox::firmware {
namespace {

using namespace std::chrono_literals;

class TouchEvents : public ::testing::Test {
 protected:
  TouchEvents() : printer_(dir_.path() / "receipts") {
    ::setenv("SDL_VIDEODRIVER", "dummy", 1);
    config_.box_id = "box-0001";
    config_.data_dir = dir_.path() / "data";
    config_.controller_url = "https://127.0.0.1:1";  // nothing listens: offline
    config_.timeout_ms = 300;
    cabinet_ = testing::SimLockers::start(dir_.path() / "cabinet", {1, 2}, {5, 6}, 50ms);
    apply_cabinet_profile(config_, cabinet_.profile());
  }

  // Where the widget with `action` is on the screen the touchscreen shows now (laid out here
  // with the same fonts and catalogues: layout is deterministic).
  std::pair<int, int> centre_of(const std::string& action) {
    const ui::Frame frame =
        ui::layout(screen_->view(), ui::LayoutContext{*catalogs_, *measure_, ui::kPortrait, 0});
    for (const auto& w : frame.widgets) {
      if (w.action == action) return {w.box.x + w.box.w / 2, w.box.y + w.box.h / 2};
    }
    ADD_FAILURE() << "no widget for " << action << " on " << ui::to_string(screen_->view().screen);
    return {-1, -1};
  }

  // Waits until the touchscreen shows `screen` (or 5 s).
  bool shows(ui::ScreenId screen) {
    for (auto until = std::chrono::steady_clock::now() + 5s;
         std::chrono::steady_clock::now() < until;) {
      if (screen_->view().screen == screen) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  testing::TempDir dir_;
  AgentConfig config_;
  testing::SimLockers cabinet_;
  sim::ReceiptFilePrinter printer_;
  testing::SeededRandom random_{7};
  std::unique_ptr<Touchscreen> screen_;
  std::unique_ptr<ui::Catalogs> catalogs_;
  std::unique_ptr<ui::TtfMeasure> measure_;
};

TEST_F(TouchEvents, AFingerAndAMouseClickBothReachTheRightScreens) {
  TouchscreenOptions options;
  options.window = true;
  options.window_scale = 1.0;
  options.fonts_dir = CIVICBOX_FONTS_DIR;
  options.lang_dir = CIVICBOX_UI_LANG_DIR;
  options.sound = false;
  auto screen = Touchscreen::open(options);
  ASSERT_TRUE(screen) << screen.error().describe();
  screen_ = std::move(*screen);
  auto catalogs = ui::Catalogs::load(CIVICBOX_UI_LANG_DIR);
  ASSERT_TRUE(catalogs);
  catalogs_ = std::make_unique<ui::Catalogs>(std::move(*catalogs));
  auto measure = ui::TtfMeasure::open(CIVICBOX_FONTS_DIR);
  ASSERT_TRUE(measure);
  measure_ = std::move(*measure);
  auto agent = Agent::open(config_, Devices{*cabinet_.lockers, printer_, *screen_}, random_);
  ASSERT_TRUE(agent) << agent.error().describe();

  std::vector<std::string> seen;
  std::thread person([&] {
    auto finger = [&](const std::string& action) {
      auto [x, y] = centre_of(action);
      SDL_Event e{};
      e.type = SDL_FINGERDOWN;
      e.tfinger.x = static_cast<float>(x) / ui::kPortrait.width;
      e.tfinger.y = static_cast<float>(y) / ui::kPortrait.height;
      SDL_PushEvent(&e);
    };
    auto click = [&](const std::string& action) {
      auto [x, y] = centre_of(action);
      SDL_Event e{};
      e.type = SDL_MOUSEBUTTONDOWN;
      e.button.button = SDL_BUTTON_LEFT;
      e.button.x = x;
      e.button.y = y;
      SDL_PushEvent(&e);
    };
    EXPECT_TRUE(shows(ui::ScreenId::home));
    finger("lang:pt");
    for (auto until = std::chrono::steady_clock::now() + 5s;
         screen_->view().language != "pt" && std::chrono::steady_clock::now() < until;) {
      std::this_thread::sleep_for(10ms);
    }
    EXPECT_EQ(screen_->view().language, "pt");
    finger("file");
    EXPECT_TRUE(shows(ui::ScreenId::file_kind));
    click("kind:request");
    EXPECT_TRUE(shows(ui::ScreenId::file_contact));
    // A touch outside every target does nothing.
    SDL_Event nothing{};
    nothing.type = SDL_FINGERDOWN;
    nothing.tfinger.x = 0.001f;
    nothing.tfinger.y = 0.3f;
    SDL_PushEvent(&nothing);
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(screen_->view().screen, ui::ScreenId::file_contact);
    click("skip");
    // The filing runs: the door opens (the simulated person shuts it), the receipt shows.
    EXPECT_TRUE(shows(ui::ScreenId::receipt));
    EXPECT_FALSE(screen_->view().args.at("tracking_code").empty());
    screen_->stop();
  });
  screen_->run(**agent, config_, [] { return false; });
  person.join();
  (*agent)->stop_sync();
}

}  // namespace
}  // namespace civicbox::firmware
