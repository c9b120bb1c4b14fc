// The touchscreen's speed on the software renderer, 1080x1920, one thread:
//   render   layout + draw of each screen (the sample views), in Romanian, both themes: each
//            screen drawn 200 times after one warm-up draw (the text cache filled); the first
//            (cold) draw of each is reported apart.
//   touch    touch to visible feedback: from a finger-down at a button's centre to the pixels of
//            the next screen drawn — action_at, the Session's handling of the touch, layout and
//            draw — over a walk through the filing screens (file, kind, skip, back...).
// Target: render median < 8 ms per screen; touch to feedback < 50 ms.
//
// Usage: bench_ui [iterations per screen, default 200]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "firmware/session.hpp"
#include "ui/catalog.hpp"
#include "ui/layout.hpp"
#include "ui/samples.hpp"
#include "ui/sdl/renderer.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using namespace civicbox;

double ms(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

struct Stats {
  double median = 0;
  double p95 = 0;
  double max = 0;
};

Stats stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  if (v.empty()) return {};
  return {v[v.size() / 2], v[std::min(v.size() - 1, v.size() * 95 / 100)], v.back()};
}

}  // namespace

int main(int argc, char** argv) {
  const int iterations = argc > 1 ? std::atoi(argv[1]) : 200;
  auto catalogs = ui::Catalogs::load(CIVICBOX_UI_LANG_DIR);
  auto renderer = ui::Renderer::offscreen(ui::kPortrait, CIVICBOX_FONTS_DIR);
  if (!catalogs || !renderer) {
    std::fprintf(stderr, "bench_ui: cannot start: %s\n",
                 (!catalogs ? catalogs.error() : renderer.error()).describe().c_str());
    return 1;
  }
  ui::Renderer& r = **renderer;
  std::vector<double> all;
  std::printf("render, 1080x1920, software renderer (ms): screen median p95 max cold\n");
  for (bool hc : {false, true}) {
    for (const auto& sample : ui::sample_views("ro", hc, false)) {
      const auto cold_start = Clock::now();
      auto frame = ui::layout(sample.view, {*catalogs, r.measure(), ui::kPortrait, 0});
      (void)r.draw(frame);
      const double cold = ms(Clock::now() - cold_start);
      std::vector<double> times;
      for (int i = 0; i < iterations; ++i) {
        const auto t0 = Clock::now();
        auto f = ui::layout(sample.view, {*catalogs, r.measure(), ui::kPortrait, i % 1000});
        (void)r.draw(f);
        times.push_back(ms(Clock::now() - t0));
      }
      all.insert(all.end(), times.begin(), times.end());
      const auto s = stats(times);
      std::printf("  %-22s %-6s %6.2f %6.2f %6.2f %6.2f\n", sample.name.c_str(),
                  hc ? "hc" : "normal", s.median, s.p95, s.max, cold);
    }
  }
  const auto s = stats(all);
  std::printf("render all screens: median %.2f ms, p95 %.2f ms, max %.2f ms (target median < 8)\n",
              s.median, s.p95, s.max);

  // Touch to feedback over a walk through the filing screens.
  firmware::SessionSettings settings;
  settings.default_language = "ro";
  firmware::BoxFacts facts;
  facts.box_id = "box-0001";
  facts.document_kinds = {"request", "complaint", "form"};
  facts.free_dropoff = 4;
  facts.free_pickup = 8;
  std::vector<double> touches;
  const std::vector<std::string> walk = {
      "file",  "kind:request", "key:7", "key:2",   "back",    "kind:form", "skip",
      "back",  "back",         "home",  "lang:hu", "collect", "type_code", "key:4",
      "key:F", "key:erase",    "back",  "home",    "lang:ro"};
  std::int64_t now = 1'800'000'000'000;
  for (int round = 0; round < std::max(1, iterations / 10); ++round) {
    firmware::Session session(settings, facts, now);
    auto frame = ui::layout(session.view(), {*catalogs, r.measure(), ui::kPortrait, 0});
    (void)r.draw(frame);
    for (const auto& action : walk) {
      // The finger lands on the centre of the widget with this action, if the screen has one.
      const ui::Widget* target = nullptr;
      for (const auto& w : frame.widgets) {
        if (w.action == action) target = &w;
      }
      if (target == nullptr) continue;
      const int x = target->box.x + target->box.w / 2;
      const int y = target->box.y + target->box.h / 2;
      const auto t0 = Clock::now();
      const std::string hit = ui::action_at(frame, x, y);
      session.handle(firmware::Touched{hit}, now += 700);
      frame = ui::layout(session.view(), {*catalogs, r.measure(), ui::kPortrait, 0});
      (void)r.draw(frame);
      touches.push_back(ms(Clock::now() - t0));
    }
  }
  const auto t = stats(touches);
  std::printf(
      "touch to visible feedback (%zu touches): median %.2f ms, p95 %.2f ms, max %.2f ms "
      "(target < 50)\n",
      touches.size(), t.median, t.p95, t.max);
  return 0;
}
