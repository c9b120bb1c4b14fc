// Every screen, in every language, both orientations, both themes and both text sizes, laid out
// with the real fonts: what a citizen could see. Facts checked on each Frame: no text overflows
// or is clipped (each line measured against its box), every touch target is at least 80 px,
// targets do not overlap, text reaches the theme's contrast, nothing leaves the screen, and the
// language bar and the toggles are on every screen. A few frames are drawn to check contrast on
// the real pixels.
#include <gtest/gtest.h>

#include <set>

#include "ui/catalog.hpp"
#include "ui/keyboard.hpp"
#include "ui/layout.hpp"
#include "ui/samples.hpp"
#include "ui/sdl/renderer.hpp"

namespace civicbox::ui {
namespace {

class Layouts : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto catalogs = Catalogs::load(CIVICBOX_UI_LANG_DIR);
    ASSERT_TRUE(catalogs) << catalogs.error().describe();
    catalogs_ = new Catalogs(std::move(*catalogs));
    auto renderer = Renderer::offscreen(kPortrait, CIVICBOX_FONTS_DIR);
    ASSERT_TRUE(renderer) << renderer.error().describe();
    renderer_ = renderer->release();
  }
  static void TearDownTestSuite() {
    delete renderer_;
    delete catalogs_;
  }

  static Frame lay(const View& view, Size size) {
    return layout(view, LayoutContext{*catalogs_, renderer_->measure(), size, 0});
  }

  static inline Catalogs* catalogs_ = nullptr;
  static inline Renderer* renderer_ = nullptr;
};

struct Variant {
  Size size;
  bool high_contrast;
  bool large_text;
  [[nodiscard]] std::string name() const {
    return std::string(size.portrait() ? "portrait" : "landscape") +
           (high_contrast ? "/high-contrast" : "/normal") + (large_text ? "/large" : "");
  }
};

std::vector<Variant> variants() {
  std::vector<Variant> out;
  for (Size size : {kPortrait, kLandscape}) {
    for (bool hc : {false, true}) {
      for (bool large : {false, true}) out.push_back(Variant{size, hc, large});
    }
  }
  return out;
}

bool overlaps(const Rect& a, const Rect& b) {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

TEST_F(Layouts, NoTextOverflowsOrIsClippedOnAnyScreenInAnyLanguage) {
  int frames = 0;
  std::vector<std::string> problems;
  for (const auto& lang : languages()) {
    for (const auto& variant : variants()) {
      for (const auto& sample :
           sample_views(lang.code, variant.high_contrast, variant.large_text)) {
        const Frame frame = lay(sample.view, variant.size);
        ++frames;
        const std::string where =
            std::string(lang.code) + " " + variant.name() + " " + sample.name + ": ";
        for (const auto& w : frame.widgets) {
          const std::string text = w.lines.empty() ? std::string("(no text)") : w.lines.front();
          if (w.overflow) problems.push_back(where + "does not fit: '" + text + "'");
          if (w.lines.empty()) continue;
          const int inner_w = w.box.w - 2 * w.padding;
          for (const auto& line : w.lines) {
            const int width = renderer_->measure().width(line, w.pixel_size, w.bold);
            if (width > inner_w) {
              problems.push_back(where + "line wider than its box (" + std::to_string(width) +
                                 " > " + std::to_string(inner_w) + "): '" + line + "'");
            }
          }
          const int height = static_cast<int>(w.lines.size()) *
                             renderer_->measure().line_height(w.pixel_size, w.bold);
          if (height > w.box.h - 2 * w.padding + 2) {
            problems.push_back(where + "text taller than its box (" + std::to_string(height) +
                               " > " + std::to_string(w.box.h - 2 * w.padding) + "): '" + text +
                               "'");
          }
          if (w.box.x < 0 || w.box.y < 0 || w.box.x + w.box.w > frame.size.width ||
              w.box.y + w.box.h > frame.size.height) {
            problems.push_back(where + "off the screen: '" + text + "'");
          }
        }
      }
    }
  }
  EXPECT_GT(frames, 6 * 8 * 20);
  for (std::size_t i = 0; i < std::min<std::size_t>(problems.size(), 40); ++i) {
    ADD_FAILURE() << problems[i];
  }
  EXPECT_TRUE(problems.empty()) << problems.size() << " problems";
}

TEST_F(Layouts, EveryTouchTargetIsAtLeast80PxAndTargetsDoNotOverlap) {
  for (const auto& lang : languages()) {
    for (const auto& variant : variants()) {
      for (const auto& sample :
           sample_views(lang.code, variant.high_contrast, variant.large_text)) {
        const Frame frame = lay(sample.view, variant.size);
        std::vector<const Widget*> targets;
        for (const auto& w : frame.widgets) {
          if (w.action.empty() || w.role == WidgetRole::panel) continue;
          EXPECT_GE(w.box.w, kMinTarget) << lang.code << " " << sample.name << " " << w.action;
          EXPECT_GE(w.box.h, kMinTarget) << lang.code << " " << sample.name << " " << w.action;
          targets.push_back(&w);
        }
        // The idle overlay covers everything on purpose; below it nothing may overlap.
        if (sample.view.idle_countdown_s) continue;
        for (std::size_t i = 0; i < targets.size(); ++i) {
          for (std::size_t j = i + 1; j < targets.size(); ++j) {
            EXPECT_FALSE(overlaps(targets[i]->box, targets[j]->box))
                << lang.code << " " << variant.name() << " " << sample.name << ": "
                << targets[i]->action << " overlaps " << targets[j]->action;
          }
        }
      }
    }
  }
}

TEST_F(Layouts, TextReachesTheThemesContrastOnEveryWidget) {
  for (bool hc : {false, true}) {
    const Theme& theme = hc ? high_contrast_theme() : normal_theme();
    const double needed = hc ? 7.0 : 4.5;
    for (const auto& lang : languages()) {
      for (const auto& sample : sample_views(lang.code, hc, false)) {
        const Frame frame = lay(sample.view, kPortrait);
        for (const auto& w : frame.widgets) {
          if (w.lines.empty()) continue;
          EXPECT_GE(contrast_ratio(w.ink.text, w.ink.fill), needed)
              << sample.name << " '" << w.lines.front() << "'";
          if (w.ink.fill == theme.background) {
            EXPECT_GE(contrast_ratio(w.ink.text, theme.background), needed);
          }
        }
      }
    }
  }
}

TEST_F(Layouts, EveryScreenOffersEveryLanguageAndTheToggles) {
  for (const auto& sample : sample_views("hu", false, false)) {
    const Frame frame = lay(sample.view, kPortrait);
    std::set<std::string> actions;
    for (const auto& w : frame.widgets) actions.insert(w.action);
    for (const auto& lang : languages()) {
      EXPECT_TRUE(actions.count("lang:" + std::string(lang.code)) || sample.view.idle_countdown_s)
          << sample.name << " lacks " << lang.code;
    }
    EXPECT_TRUE(actions.count("larger") || sample.view.idle_countdown_s) << sample.name;
    EXPECT_TRUE(actions.count("contrast") || sample.view.idle_countdown_s) << sample.name;
  }
}

TEST_F(Layouts, TheCurrentLanguageIsMarkedWithASymbolNotOnlyColour) {
  View view;
  view.language = "ca";
  const Frame frame = lay(view, kPortrait);
  int marked = 0;
  for (const auto& w : frame.widgets) {
    if (w.action.rfind("lang:", 0) != 0) continue;
    const bool has_mark = !w.lines.empty() && w.lines.front().rfind("✓", 0) == 0;
    EXPECT_EQ(has_mark, w.action == "lang:ca") << w.action;
    marked += has_mark;
  }
  EXPECT_EQ(marked, 1);
}

TEST_F(Layouts, TheContactKeyboardHasTheLanguagesOwnLetters) {
  for (const auto& lang : languages()) {
    View view;
    view.language = std::string(lang.code);
    view.screen = ScreenId::file_contact;
    const Frame frame = lay(view, kPortrait);
    std::set<std::string> actions;
    for (const auto& w : frame.widgets) actions.insert(w.action);
    for (const auto& letter : language_letters(lang.code)) {
      EXPECT_TRUE(actions.count("key:" + letter)) << lang.code << " lacks " << letter;
    }
    for (const char* key : {"key:@", "key:.", "key:+", "key:erase", "next", "skip", "back"}) {
      EXPECT_TRUE(actions.count(key)) << lang.code << " lacks " << key;
    }
  }
  EXPECT_EQ(language_letters("ro"), utf8_characters("ăâîșț"));
}

TEST_F(Layouts, ThePickupKeypadOffersExactlyTheCodeAlphabet) {
  View view;
  view.screen = ScreenId::collect_keypad;
  const Frame frame = lay(view, kLandscape);
  std::string keys;
  for (const auto& w : frame.widgets) {
    if (w.action.size() == 5 && w.action.rfind("key:", 0) == 0) keys += w.action.back();
  }
  EXPECT_EQ(keys, "0123456789ABCDEFGHJKMNPQRSTVWXYZ");
}

TEST_F(Layouts, ADisabledChoiceSaysWhyInWordsAndCannotBeTouched) {
  View view;
  view.language = "en";
  view.can_file = false;
  view.arg_keys["file_why"] = "why.no_dropoff";
  const Frame frame = lay(view, kPortrait);
  bool said = false;
  for (const auto& w : frame.widgets) {
    EXPECT_NE(w.action, "file");
    for (const auto& line : w.lines) said = said || line.find("full") != std::string::npos;
  }
  EXPECT_TRUE(said);
}

TEST_F(Layouts, TheIdleOverlayTakesEveryTouchAsStillHere) {
  View view;
  view.screen = ScreenId::collect_keypad;
  view.idle_countdown_s = 9;
  const Frame frame = lay(view, kPortrait);
  EXPECT_EQ(action_at(frame, 5, 5), "stay");
  EXPECT_EQ(action_at(frame, 540, 1900), "stay");
  bool shows_seconds = false;
  for (const auto& w : frame.widgets) {
    shows_seconds = shows_seconds || (w.role == WidgetRole::countdown && w.lines.front() == "9");
  }
  EXPECT_TRUE(shows_seconds);
}

// On the drawn pixels: inside each button the fill, and the text's extreme pixel against it.
TEST_F(Layouts, DrawnTextReachesTheContrastOnTheRealPixels) {
  for (bool hc : {false, true}) {
    View view;
    view.language = "ro";
    view.high_contrast = hc;
    const Frame frame = lay(view, kPortrait);
    ASSERT_TRUE(renderer_->draw(frame));
    for (const auto& w : frame.widgets) {
      if (w.role != WidgetRole::button || w.lines.empty() || w.disabled) continue;
      const Color fill = renderer_->pixel(w.box.x + w.box.w / 2, w.box.y + 6);
      double best = 1.0;
      for (int y = w.box.y + w.padding; y < w.box.y + w.box.h - w.padding; y += 1) {
        for (int x = w.box.x + w.padding; x < w.box.x + w.box.w - w.padding; x += 1) {
          best = std::max(best, contrast_ratio(fill, renderer_->pixel(x, y)));
        }
      }
      EXPECT_GE(best, hc ? 7.0 : 4.5) << w.action;
    }
  }
}

}  // namespace
}  // namespace civicbox::ui
