// The touchscreen as a person meets it: colours that can be read (measured on the drawn pixels,
// not only in the theme), every letter of the box's languages in the font, touches that reach
// the button under the finger and never one hidden under the idle overlay, screenshots that can
// be opened, and sounds that are short and tell success from failure. All offscreen: no display
// and no sound card needed (SDL's dummy video and disk audio drivers stand in for them).
#include <SDL2/SDL.h>
#include <gtest/gtest.h>
#include <png.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/temp_dir.hpp"
#include "tests/ui/sample_frame.hpp"
#include "ui/frame.hpp"
#include "ui/sdl/renderer.hpp"
#include "ui/sdl/sound.hpp"
#include "ui/sdl/ttf_measure.hpp"
#include "ui/theme.hpp"

namespace civicbox::testing {
namespace {

using namespace std::chrono_literals;
using ui::Color;
using ui::Frame;
using ui::Ink;
using ui::Rect;
using ui::Theme;
using ui::Widget;
using ui::WidgetRole;

struct NamedInk {
  const char* name;
  Ink ink;
};

// Every Ink a widget can be drawn with, except `body` (words straight on the background).
std::vector<NamedInk> control_inks(const Theme& t) {
  return {{"primary", t.primary},  {"secondary", t.secondary}, {"selected", t.selected},
          {"key", t.key},          {"field", t.field},         {"success", t.success},
          {"failure", t.failure},  {"warning", t.warning},     {"overlay", t.overlay},
          {"disabled", t.disabled}};
}

struct NamedTheme {
  const char* name;
  const Theme& theme;
};

std::vector<NamedTheme> both_themes() {
  return {{"normal", ui::normal_theme()}, {"high contrast", ui::high_contrast_theme()}};
}

// Sets (or, with nullopt, removes) an environment variable for one test.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      ::setenv(name, value->c_str(), 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

std::unique_ptr<ui::Renderer> offscreen() {
  auto r = ui::Renderer::offscreen(ui::kPortrait, CIVICBOX_FONTS_DIR);
  EXPECT_TRUE(r) << r.error().describe();
  return r ? std::move(*r) : nullptr;
}

Frame frame_with(const Theme& theme, std::vector<Widget> widgets, int phase = 0) {
  Frame f;
  f.size = ui::kPortrait;
  f.background = theme.background;
  f.widgets = std::move(widgets);
  f.animation_phase = phase;
  return f;
}

Widget button(Rect box, const Ink& ink, std::vector<std::string> lines, std::string action = "go") {
  return sample_widget(WidgetRole::button, box, ink, std::move(lines), 48, true, std::move(action));
}

// The smallest rectangle holding every pixel of `area` that is not `except`.
std::optional<Rect> ink_bounds(const ui::Renderer& r, Rect area, Color except) {
  int left = area.x + area.w;
  int top = area.y + area.h;
  int right = area.x - 1;
  int bottom = area.y - 1;
  for (int y = area.y; y < area.y + area.h; ++y) {
    for (int x = area.x; x < area.x + area.w; ++x) {
      if (r.pixel(x, y) == except) continue;
      left = std::min(left, x);
      right = std::max(right, x);
      top = std::min(top, y);
      bottom = std::max(bottom, y);
    }
  }
  if (right < left) return std::nullopt;
  return Rect{left, top, right - left + 1, bottom - top + 1};
}

std::vector<Color> pixels_of(const ui::Renderer& r, Rect area) {
  std::vector<Color> out;
  for (int y = area.y; y < area.y + area.h; ++y) {
    for (int x = area.x; x < area.x + area.w; ++x) out.push_back(r.pixel(x, y));
  }
  return out;
}

// ---- the themes ------------------------------------------------------------------------------

TEST(Theme, ContrastIsMeasuredAsWcagDefinesIt) {
  EXPECT_NEAR(ui::contrast_ratio({0, 0, 0}, {255, 255, 255}), 21.0, 1e-9);
  EXPECT_NEAR(ui::contrast_ratio({90, 90, 90}, {90, 90, 90}), 1.0, 1e-9);
  // #767676 on white is the classic just-passing AA grey (4.54:1).
  EXPECT_NEAR(ui::contrast_ratio({0x76, 0x76, 0x76}, {255, 255, 255}), 4.54, 0.01);
  EXPECT_DOUBLE_EQ(ui::contrast_ratio({0x0B, 0x4A, 0x8F}, {255, 255, 255}),
                   ui::contrast_ratio({255, 255, 255}, {0x0B, 0x4A, 0x8F}));
  EXPECT_NEAR(ui::relative_luminance({255, 255, 255}), 1.0, 1e-9);
  EXPECT_NEAR(ui::relative_luminance({0, 0, 0}), 0.0, 1e-9);
  // Below the 0.03928 threshold the curve is linear: 10/255/12.92.
  EXPECT_NEAR(ui::relative_luminance({10, 10, 10}), 10.0 / 255.0 / 12.92, 1e-12);
}

TEST(Theme, EveryTextOfBothThemesReachesItsThemesContrast) {
  for (const auto& [theme_name, theme] : both_themes()) {
    EXPECT_GE(ui::contrast_ratio(theme.body.text, theme.background), theme.min_contrast)
        << theme_name << ": body text on the background";
    EXPECT_EQ(theme.body.fill, theme.background) << theme_name;
    for (const auto& [name, ink] : control_inks(theme)) {
      EXPECT_GE(ui::contrast_ratio(ink.text, ink.fill), theme.min_contrast)
          << theme_name << " " << name;
    }
  }
}

TEST(Theme, HighContrastReachesSevenToOne) {
  const Theme& hc = ui::high_contrast_theme();
  EXPECT_DOUBLE_EQ(hc.min_contrast, 7.0);
  EXPECT_GE(ui::contrast_ratio(hc.body.text, hc.background), 7.0);
  for (const auto& [name, ink] : control_inks(hc)) {
    EXPECT_GE(ui::contrast_ratio(ink.text, ink.fill), 7.0) << name;
  }
  EXPECT_DOUBLE_EQ(ui::normal_theme().min_contrast, 4.5);
}

// WCAG 1.4.11: a button's edge must be seen (3:1) — by its fill or by its border.
TEST(Theme, EveryButtonStandsOutFromTheBackgroundByItsFillOrItsBorder) {
  for (const auto& [theme_name, theme] : both_themes()) {
    for (const auto& [name, ink] : control_inks(theme)) {
      const double by_fill = ui::contrast_ratio(ink.fill, theme.background);
      const double by_border =
          ink.border != ink.fill ? ui::contrast_ratio(ink.border, theme.background) : 1.0;
      EXPECT_GE(std::max(by_fill, by_border), 3.0) << theme_name << " " << name << ": fill "
                                                   << by_fill << ":1, border " << by_border << ":1";
    }
  }
}

TEST(Theme, SuccessFailureAndWarningDoNotLookAlike) {
  for (const auto& [theme_name, theme] : both_themes()) {
    EXPECT_NE(theme.success.fill, theme.failure.fill) << theme_name;
    EXPECT_NE(theme.success.fill, theme.primary.fill) << theme_name;
    EXPECT_NE(theme.failure.fill, theme.warning.fill) << theme_name;
  }
}

TEST(Theme, LargerTextIsAboutAThirdLargerEverywhere) {
  const ui::TypeScale normal = ui::type_scale(false);
  const ui::TypeScale large = ui::type_scale(true);
  const std::pair<int, int> sizes[] = {{normal.title, large.title},
                                       {normal.body, large.body},
                                       {normal.button, large.button},
                                       {normal.small, large.small},
                                       {normal.huge, large.huge}};
  for (const auto& [n, l] : sizes) {
    EXPECT_NEAR(l, n * 1.3, 1.0) << n;
  }
  EXPECT_EQ(normal.body, ui::TypeScale{}.body);
}

// ---- touches ---------------------------------------------------------------------------------

TEST(RendererTouch, ATouchGoesToTheTopmostButtonUnderTheFinger) {
  const Theme& t = ui::normal_theme();
  Frame f = frame_with(t, {button({0, 0, 500, 500}, t.primary, {"below"}, "below"),
                           button({100, 100, 200, 200}, t.primary, {"above"}, "above")});
  EXPECT_EQ(ui::action_at(f, 150, 150), "above");
  EXPECT_EQ(ui::action_at(f, 50, 50), "below");
  EXPECT_EQ(ui::action_at(f, 600, 600), "");
  // The box's right and bottom edges are outside it.
  EXPECT_EQ(ui::action_at(f, 500, 10), "");
  EXPECT_EQ(ui::action_at(f, 499, 499), "below");
}

TEST(RendererTouch, ADisabledButtonDoesNothingWhenTouched) {
  const Theme& t = ui::normal_theme();
  Widget off = button({0, 0, 400, 200}, t.disabled, {"Filing is closed"}, "file");
  off.disabled = true;
  Frame f = frame_with(t, {off});
  EXPECT_EQ(ui::action_at(f, 100, 100), "");
}

TEST(RendererTouch, WordsOverAButtonDoNotSwallowItsTouch) {
  const Theme& t = ui::normal_theme();
  Frame f = frame_with(t, {button({0, 0, 400, 200}, t.primary, {""}, "file"),
                           sample_widget(WidgetRole::text, {10, 10, 380, 100}, t.body,
                                         {"File a document"}, 44, false)});
  EXPECT_EQ(ui::action_at(f, 100, 50), "file");
}

TEST(RendererTouch, TheIdleOverlayHidesTheButtonsUnderIt) {
  const Theme& t = ui::normal_theme();
  Frame f =
      frame_with(t, {button({0, 0, 1080, 400}, t.primary, {"File"}, "file"),
                     sample_widget(WidgetRole::panel, {0, 0, 1080, 1920}, t.overlay, {}, 44, false),
                     button({200, 900, 680, 200}, t.primary, {"I am here"}, "stay")});
  EXPECT_EQ(ui::action_at(f, 100, 100), "");  // the file button is under the overlay
  EXPECT_EQ(ui::action_at(f, 500, 1000), "stay");
  f.widgets[1].action = "stay";  // an overlay that answers a touch anywhere
  EXPECT_EQ(ui::action_at(f, 100, 100), "stay");
}

TEST(RendererTouch, ATouchInTheMiddleOfTheScreenMapsToTheFramesCentre) {
  auto r = offscreen();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->from_touch(0.5f, 0.5f), std::make_pair(540, 960));
  EXPECT_EQ(r->from_touch(0.0f, 0.0f), std::make_pair(0, 0));
  EXPECT_EQ(r->from_touch(1.0f, 1.0f), std::make_pair(1079, 1919));  // the last pixel, not past
  EXPECT_EQ(r->from_window(200, 300), std::make_pair(200, 300));
  EXPECT_EQ(r->from_window(-5, 5000), std::make_pair(0, 1919));
}

// ---- drawing ---------------------------------------------------------------------------------

TEST(Renderer, AnOffscreenRendererNeedsNoDisplay) {
  const ScopedEnv driver("SDL_VIDEODRIVER", "no-such-driver");
  const ScopedEnv x11("DISPLAY", std::nullopt);
  const ScopedEnv wayland("WAYLAND_DISPLAY", std::nullopt);
  auto r = offscreen();
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->draw(sample_frame(ui::normal_theme())));
  EXPECT_EQ(r->pixel(2, 2), ui::normal_theme().background);
  EXPECT_EQ(SDL_WasInit(SDL_INIT_VIDEO), 0u);
}

TEST(Renderer, WithoutADisplayTheWindowSaysHowToRunHeadless) {
  const ScopedEnv driver("SDL_VIDEODRIVER", "no-such-driver");
  auto w = ui::Renderer::window(ui::kPortrait, CIVICBOX_FONTS_DIR, {});
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, ErrorCode::io);
  EXPECT_NE(w.error().message.find("no display for the UI"), std::string::npos)
      << w.error().message;
  EXPECT_NE(w.error().message.find("SDL_VIDEODRIVER=offscreen"), std::string::npos)
      << w.error().message;
}

TEST(Renderer, AMissingFontIsNamed) {
  TempDir empty;
  auto r = ui::Renderer::offscreen(ui::kPortrait, empty.path());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::not_found);
  EXPECT_NE(r.error().message.find("DejaVuSans.ttf"), std::string::npos) << r.error().message;
}

TEST(Renderer, AFrameForAnotherScreenSizeIsRefused) {
  auto r = offscreen();
  ASSERT_TRUE(r);
  Frame f = sample_frame(ui::normal_theme());
  f.size = ui::kLandscape;
  auto drawn = r->draw(f);
  ASSERT_FALSE(drawn);
  EXPECT_EQ(drawn.error().code, ErrorCode::invalid_argument);
}

// The contrast a person sees, measured on the drawn pixels: the darkest (or lightest) pixel of
// the words against the button's fill.
TEST(Renderer, EveryDrawnButtonsWordsDifferFromItsFillByTheThemesContrast) {
  auto r = offscreen();
  ASSERT_TRUE(r);
  const Rect box{90, 800, 900, 200};
  for (const auto& [theme_name, theme] : both_themes()) {
    for (const auto& [name, ink] : control_inks(theme)) {
      ASSERT_TRUE(r->draw(frame_with(theme, {button(box, ink, {"Depuneți documentul"})})));
      const Color fill = r->pixel(box.x + box.w / 2, box.y + 8);
      EXPECT_EQ(fill, ink.fill) << theme_name << " " << name;
      double best = 1.0;
      Color strongest = fill;
      for (const Color c : pixels_of(*r, Rect{box.x + 16, box.y + 16, box.w - 32, box.h - 32})) {
        if (const double ratio = ui::contrast_ratio(c, fill); ratio > best) {
          best = ratio;
          strongest = c;
        }
      }
      EXPECT_GE(best, theme.min_contrast) << theme_name << " " << name;
      // The cores of the letters are drawn in the text colour (SDL's blending may round a unit).
      EXPECT_LE(std::abs(strongest.r - ink.text.r), 2) << theme_name << " " << name;
      EXPECT_LE(std::abs(strongest.g - ink.text.g), 2) << theme_name << " " << name;
      EXPECT_LE(std::abs(strongest.b - ink.text.b), 2) << theme_name << " " << name;
    }
  }
}

TEST(Renderer, AButtonsCornersAreRoundedAndSmooth) {
  auto r = offscreen();
  ASSERT_TRUE(r);
  const Theme& t = ui::normal_theme();
  const Rect box{100, 100, 600, 200};
  ASSERT_TRUE(r->draw(frame_with(t, {button(box, t.primary, {"OK"})})));
  EXPECT_EQ(r->pixel(box.x, box.y), t.background);  // the corner is cut off
  EXPECT_EQ(r->pixel(box.x + box.w - 1, box.y + box.h - 1), t.background);
  EXPECT_EQ(r->pixel(box.x + 20, box.y), t.primary.fill);  // past the curve, the edge is straight
  EXPECT_EQ(r->pixel(box.x, box.y + 20), t.primary.fill);
  int between = 0;  // anti-aliased: colours between the fill and the background on the curve
  for (const Color c : pixels_of(*r, Rect{box.x, box.y, 16, 16})) {
    between += (c != t.background && c != t.primary.fill);
  }
  EXPECT_GE(between, 8);
}

TEST(Renderer, AnOutlinedButtonHasItsBorderAllRound) {
  auto r = offscreen();
  ASSERT_TRUE(r);
  const Theme& t = ui::normal_theme();
  const Rect box{100, 100, 600, 200};
  ASSERT_TRUE(r->draw(frame_with(t, {button(box, t.secondary, {"Back"})})));
  for (const auto& [x, y] : {std::pair{box.x + 300, box.y + 1},
                             {box.x + 1, box.y + 100},
                             {box.x + 300, box.y + box.h - 2},
                             {box.x + box.w - 2, box.y + 100}}) {
    EXPECT_EQ(r->pixel(x, y), t.secondary.border) << x << "," << y;
  }
  EXPECT_EQ(r->pixel(box.x + 300, box.y + 5), t.secondary.fill);
}

TEST(Renderer, ADisabledButtonIsMarkedByAShapeNotOnlyByColour) {
  auto r = offscreen();
  ASSERT_TRUE(r);
  const Theme& t = ui::normal_theme();
  const Rect box{100, 100, 880, 200};
  Widget w = button(box, t.disabled, {"Filing is closed"});
  ASSERT_TRUE(r->draw(frame_with(t, {w})));
  const auto enabled = pixels_of(*r, box);
  w.disabled = true;
  ASSERT_TRUE(r->draw(frame_with(t, {w})));
  const auto disabled = pixels_of(*r, box);
  EXPECT_NE(enabled, disabled);
  // A dashed line inside the border, in the words' colour: dash, gap, dash along the top.
  const int y = box.y + 9;
  EXPECT_EQ(r->pixel(box.x + 20, y), t.disabled.text);
  EXPECT_EQ(r->pixel(box.x + 40, y), t.disabled.fill);
  EXPECT_EQ(r->pixel(box.x + 50, y), t.disabled.text);
}

// Where the words go is a contract with the layout (frame.hpp): lines at line_height() pitch,
// the block centred vertically inside the padding; left-aligned lines start at the padding,
// centred lines are centred in the box.
TEST(Renderer, WordsArePlacedWhereTheLayoutExpectsThem) {
  auto r = offscreen();
  ASSERT_TRUE(r);
  const Theme& t = ui::normal_theme();
  const Rect box{100, 300, 800, 400};
  Widget left = sample_widget(WidgetRole::text, box, t.body, {"Hello", "Hello"}, 44, false);
  left.align = ui::Align::left;
  ASSERT_TRUE(r->draw(frame_with(t, {left})));
  const int pitch = r->measure().line_height(44, false);
  const int top = box.y + left.padding + (box.h - 2 * left.padding - 2 * pitch) / 2;
  auto bounds = ink_bounds(*r, box, t.background);
  ASSERT_TRUE(bounds);
  EXPECT_GE(bounds->x, box.x + left.padding);
  EXPECT_LE(bounds->x, box.x + left.padding + 6);  // "H" has a small left side bearing
  EXPECT_GE(bounds->y, top);
  EXPECT_LE(bounds->y + bounds->h, top + 2 * pitch);
  EXPECT_GT(bounds->h, pitch);  // two lines

  Widget centred = sample_widget(WidgetRole::text, box, t.body, {"HOH"}, 60, true);
  ASSERT_TRUE(r->draw(frame_with(t, {centred})));
  bounds = ink_bounds(*r, box, t.background);
  ASSERT_TRUE(bounds);
  EXPECT_NEAR(bounds->x + bounds->w / 2.0, box.x + box.w / 2.0, 3.0);
  EXPECT_NEAR(bounds->y + bounds->h / 2.0, box.y + box.h / 2.0, 0.25 * 60);
}

TEST(Renderer, WhatTheLayoutMeasuresIsWhatTheScreenShows) {
  auto r = offscreen();
  ASSERT_TRUE(r);
  const Theme& t = ui::normal_theme();
  const Rect box{0, 300, 1080, 200};
  const std::string words = "Ridicați un document înregistrat";
  ASSERT_TRUE(
      r->draw(frame_with(t, {sample_widget(WidgetRole::text, box, t.body, {words}, 48, true)})));
  const auto bounds = ink_bounds(*r, box, t.background);
  ASSERT_TRUE(bounds);
  const int measured = r->measure().width(words, 48, true);
  EXPECT_LE(bounds->w, measured);
  EXPECT_GE(bounds->w, measured - 10);  // only the side bearings of the first and last letter
  EXPECT_LE(bounds->h, r->measure().line_height(48, true));
  EXPECT_GT(r->measure().line_height(62, true), r->measure().line_height(48, true));
}

TEST(Renderer, NothingIsDrawnOutsideAWidgetsBox) {
  auto r = offscreen();
  ASSERT_TRUE(r);
  const Theme& t = ui::normal_theme();
  const Rect box{300, 500, 300, 60};
  Widget w =
      sample_widget(WidgetRole::text, box, t.body,
                    {"A line far too long for its box", "and a second", "and a third"}, 44, false);
  w.overflow = true;
  ASSERT_TRUE(r->draw(frame_with(t, {w})));
  const Rect around{box.x - 200, box.y - 100, box.w + 400, box.h + 200};
  for (int y = around.y; y < around.y + around.h; ++y) {
    for (int x = around.x; x < around.x + around.w; ++x) {
      if (box.contains(x, y)) continue;
      ASSERT_EQ(r->pixel(x, y), t.background) << x << "," << y;
    }
  }
  EXPECT_TRUE(ink_bounds(*r, box, t.background));
}

TEST(Renderer, TheQrHintPulsesAndPointsUpToTheCamera) {
  auto r = offscreen();
  ASSERT_TRUE(r);
  const Theme& t = ui::normal_theme();
  const Rect box{90, 400, 900, 900};
  const Widget hint = sample_widget(WidgetRole::qr_hint, box, t.body, {}, 44, false);
  ASSERT_TRUE(r->draw(frame_with(t, {hint}, 0)));
  const auto rest = pixels_of(*r, box);
  ASSERT_TRUE(r->draw(frame_with(t, {hint}, 250)));
  EXPECT_NE(pixels_of(*r, box), rest);
  // The arrow: ink above the target in the middle column, and its tip narrower than its base.
  const auto arrow = ink_bounds(*r, Rect{box.x, box.y, box.w, 170}, t.background);
  ASSERT_TRUE(arrow);
  auto width_at = [&](int y) {
    int n = 0;
    for (int x = box.x; x < box.x + box.w; ++x) n += r->pixel(x, y) != t.background;
    return n;
  };
  EXPECT_LT(width_at(arrow->y + 3), width_at(arrow->y + arrow->h / 3));
  EXPECT_NEAR(arrow->x + arrow->w / 2.0, box.x + box.w / 2.0, 2.0);
}

TEST(Renderer, TheIdleCountdownsNumberSitsInACircle) {
  auto r = offscreen();
  ASSERT_TRUE(r);
  const Theme& t = ui::normal_theme();
  const Rect box{340, 800, 400, 400};
  ASSERT_TRUE(r->draw(
      frame_with(t, {sample_widget(WidgetRole::panel, {0, 0, 1080, 1920}, t.overlay, {}, 44, false),
                     sample_widget(WidgetRole::countdown, box, t.overlay, {"9"}, 96, true)})));
  const int cx = box.x + box.w / 2;
  const int cy = box.y + box.h / 2;
  EXPECT_EQ(r->pixel(box.x + 30, box.y + 30), t.overlay.fill);  // outside the circle
  int ring = 0;  // the ring, crossed going up from the centre
  for (int y = cy; y > box.y; --y) ring += r->pixel(cx, y) == t.overlay.text;
  EXPECT_GE(ring, 6);
  EXPECT_TRUE(ink_bounds(*r, Rect{cx - 60, cy - 60, 120, 120}, t.overlay.fill));  // the 9
}

// The renderer keeps drawn words (a bounded number): after many different screens, words drawn
// long ago are drawn again exactly as before.
TEST(Renderer, WordsDrawnLongAgoAreDrawnTheSameAfterManyOthers) {
  auto r = offscreen();
  ASSERT_TRUE(r);
  const Theme& t = ui::normal_theme();
  const Rect box{100, 100, 880, 120};
  const Frame first = frame_with(t, {button(box, t.primary, {"Depuneți un document"})});
  ASSERT_TRUE(r->draw(first));
  const auto before = pixels_of(*r, box);
  for (int screen = 0; screen < 16; ++screen) {
    std::vector<Widget> keys;
    keys.reserve(40);
    for (int i = 0; i < 40; ++i) {
      keys.push_back(sample_widget(WidgetRole::key, {(i % 8) * 130, 300 + (i / 8) * 130, 120, 120},
                                   t.key, {std::to_string(screen * 40 + i)}, 44, true));
    }
    ASSERT_TRUE(r->draw(frame_with(t, std::move(keys))));
  }
  ASSERT_TRUE(r->draw(first));
  EXPECT_EQ(pixels_of(*r, box), before);
}

TEST(Renderer, TheLettersOfEveryLanguageAndTheSymbolsHaveGlyphs) {
  auto fonts = ui::TtfMeasure::open(CIVICBOX_FONTS_DIR);
  ASSERT_TRUE(fonts) << fonts.error().describe();
  const std::string letters =
      "Romanian ș ț Ș Ț ă â î Ă Â Î, Hungarian ő ű Ő Ű á é í ó ö ú ü, Portuguese ã õ ç Ã Õ Ç ê ô, "
      "Catalan l·l à è ò ï, Spanish ñ Ñ ¿ ¡, German ß ä, symbols ✓ ✗ ⚠ € … — “ ” « » •";
  for (const bool bold : {false, true}) {
    const std::u32string missing = (*fonts)->missing_glyphs(letters, bold);
    std::string shown;
    for (const char32_t c : missing) shown += std::to_string(static_cast<unsigned>(c)) + " ";
    EXPECT_TRUE(missing.empty()) << (bold ? "bold" : "regular") << " lacks " << shown;
  }
  // And the check itself sees a letter the font does not have (Chinese).
  EXPECT_EQ((*fonts)->missing_glyphs("a中b", false), U"中");
}

TEST(Renderer, APngWrittenCanBeReadBackWithTheSameSize) {
  auto r = offscreen();
  ASSERT_TRUE(r);
  const Theme& t = ui::normal_theme();
  ASSERT_TRUE(r->draw(sample_frame(t)));
  TempDir dir;
  const auto file = dir.path() / "home.png";
  auto saved = r->save_png(file);
  ASSERT_TRUE(saved) << saved.error().describe();

  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  ASSERT_NE(png_image_begin_read_from_file(&image, file.c_str()), 0) << image.message;
  EXPECT_EQ(image.width, 1080u);
  EXPECT_EQ(image.height, 1920u);
  EXPECT_EQ(image.format & PNG_FORMAT_FLAG_ALPHA, 0u);
  image.format = PNG_FORMAT_RGB;
  std::vector<std::uint8_t> rgb(PNG_IMAGE_SIZE(image));
  ASSERT_NE(png_image_finish_read(&image, nullptr, rgb.data(), 0, nullptr), 0) << image.message;
  // A point inside the first big button has its fill, as on the screen.
  const std::size_t at = (static_cast<std::size_t>(380) * 1080 + 80) * 3;
  EXPECT_EQ((Color{rgb[at], rgb[at + 1], rgb[at + 2]}), t.primary.fill);
  EXPECT_EQ(r->pixel(80, 380), t.primary.fill);
  // Nothing half-written is left beside it.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);
}

// Kept beside the test binary (build/dev/tests/ui/screens/) for a person to look at, like the
// printer tests' receipts.
TEST(Renderer, ASampleScreenIsDrawnInBothThemes) {
  auto r = offscreen();
  ASSERT_TRUE(r);
  const std::filesystem::path dir = CIVICBOX_UI_SCREENS_DIR;
  std::filesystem::create_directories(dir);
  for (const auto& [name, theme] : both_themes()) {
    ASSERT_TRUE(r->draw(sample_frame(theme, 300)));
    const auto file =
        dir / (theme.min_contrast > 5 ? "sample-high-contrast.png" : "sample-normal.png");
    ASSERT_TRUE(r->save_png(file)) << name;
    EXPECT_EQ(r->pixel(100, 470), theme.primary.fill) << name;  // the first big button
  }
}

TEST(Renderer, AWindowShowsTheSameFrameScaledToFit) {
  const ScopedEnv driver("SDL_VIDEODRIVER", "dummy");
  auto w = ui::Renderer::window(ui::kPortrait, CIVICBOX_FONTS_DIR, {.scale = 0.5});
  ASSERT_TRUE(w) << w.error().describe();
  const Theme& t = ui::high_contrast_theme();
  ASSERT_TRUE((*w)->draw(sample_frame(t)));
  EXPECT_EQ((*w)->size(), ui::kPortrait);
  EXPECT_EQ((*w)->pixel(100, 470), t.primary.fill);
  EXPECT_EQ((*w)->pixel(10, 10), t.background);
  EXPECT_EQ((*w)->from_touch(0.5f, 0.5f), std::make_pair(540, 960));
  TempDir dir;
  ASSERT_TRUE((*w)->save_png(dir.path() / "window.png"));
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  ASSERT_NE(png_image_begin_read_from_file(&image, (dir.path() / "window.png").c_str()), 0);
  EXPECT_EQ(image.width, 540u);  // what the window shows, at its size
  EXPECT_EQ(image.height, 960u);
  png_image_free(&image);
  w->reset();
  EXPECT_EQ(SDL_WasInit(SDL_INIT_VIDEO), 0u);
}

// ---- sounds ----------------------------------------------------------------------------------

double seconds(const std::vector<std::int16_t>& samples) {
  return static_cast<double>(samples.size()) / 48000.0;
}

int peak(const std::vector<std::int16_t>& samples, std::size_t from = 0,
         std::size_t to = SIZE_MAX) {
  int p = 0;
  for (std::size_t i = from; i < std::min(to, samples.size()); ++i) {
    p = std::max(p, std::abs(static_cast<int>(samples[i])));
  }
  return p;
}

// Zero crossings per second in [from, to): twice the pitch for a pure tone.
double crossings(const std::vector<std::int16_t>& s, std::size_t from, std::size_t to) {
  int n = 0;
  for (std::size_t i = from + 1; i < to; ++i) n += (s[i - 1] < 0) != (s[i] < 0);
  return n / (static_cast<double>(to - from) / 48000.0);
}

TEST(Sound, SuccessAndFailureDifferAndAreShort) {
  const auto success = ui::synthesize(ui::Cue::success);
  const auto failure = ui::synthesize(ui::Cue::failure);
  const auto tap = ui::synthesize(ui::Cue::tap);
  const auto attention = ui::synthesize(ui::Cue::attention);
  EXPECT_NE(success, failure);
  EXPECT_GT(seconds(success), 0.15);
  EXPECT_LT(seconds(success), 0.5);
  EXPECT_GT(seconds(failure), 0.2);
  EXPECT_LT(seconds(failure), 0.6);
  EXPECT_LE(seconds(tap), 0.04);
  EXPECT_LT(seconds(attention), 0.7);
  for (const auto* cue : {&success, &failure, &tap, &attention}) {
    EXPECT_GT(peak(*cue), 4000);   // heard
    EXPECT_LT(peak(*cue), 32000);  // not clipped
  }
  EXPECT_EQ(ui::synthesize(ui::Cue::success, 24000).size(), success.size() / 2);
}

TEST(Sound, SuccessRisesAndFailureFallsLower) {
  const auto success = ui::synthesize(ui::Cue::success);
  const auto failure = ui::synthesize(ui::Cue::failure);
  const std::size_t s = success.size();
  const std::size_t f = failure.size();
  EXPECT_GT(crossings(success, s / 2, s), crossings(success, 0, s / 2) * 1.15);
  EXPECT_LT(crossings(failure, f / 2, f), crossings(failure, 0, f / 2) * 0.9);
  EXPECT_LT(crossings(failure, 0, f), crossings(success, 0, s) / 2);
}

TEST(Sound, EveryCueStartsAndEndsSoftlySoTheSpeakerDoesNotClick) {
  for (const ui::Cue cue : {ui::Cue::tap, ui::Cue::success, ui::Cue::failure, ui::Cue::attention}) {
    const auto samples = ui::synthesize(cue);
    ASSERT_GT(samples.size(), 480u);
    EXPECT_LT(std::abs(samples.front()), 300) << static_cast<int>(cue);
    EXPECT_LT(std::abs(samples.back()), 300) << static_cast<int>(cue);
    EXPECT_LT(peak(samples, 0, 24), peak(samples) / 4) << static_cast<int>(cue);  // first 0.5 ms
    int biggest_step = 0;
    for (std::size_t i = 1; i < samples.size(); ++i) {
      biggest_step = std::max(biggest_step, std::abs(samples[i] - samples[i - 1]));
    }
    EXPECT_LT(biggest_step, 6000) << static_cast<int>(cue);
  }
}

TEST(Sound, TheAttentionCueIsThreeBeeps) {
  const auto samples = ui::synthesize(ui::Cue::attention);
  int beeps = 0;
  bool in_beep = false;
  int quiet = 0;
  for (const std::int16_t v : samples) {
    if (std::abs(v) > 500) {
      if (!in_beep) ++beeps;
      in_beep = true;
      quiet = 0;
    } else if (++quiet > 48 * 20) {  // 20 ms of silence ends a beep
      in_beep = false;
    }
  }
  EXPECT_EQ(beeps, 3);
}

TEST(Sound, SoundPlayerPlaysThroughSdlsDiskAudioDriver) {
  TempDir dir;
  const auto file = dir.path() / "speaker.raw";
  const ScopedEnv driver("SDL_AUDIODRIVER", "disk");
  const ScopedEnv out("SDL_DISKAUDIOFILE", file.string());
  auto player = ui::SoundPlayer::open();
  ASSERT_TRUE(player) << player.error().describe();
  (*player)->play(ui::Cue::success);
  EXPECT_TRUE((*player)->playing());
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  while ((*player)->playing() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_FALSE((*player)->playing());
  std::this_thread::sleep_for(60ms);  // the last buffer reaches the file
  player->reset();                    // closes the device and the file
  EXPECT_EQ(SDL_WasInit(SDL_INIT_AUDIO), 0u);

  std::ifstream in(file, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::int16_t> samples(bytes.size() / 2);
  std::memcpy(samples.data(), bytes.data(), samples.size() * 2);
  int loud = 0;
  for (const std::int16_t v : samples) loud += std::abs(v) > 2000;
  EXPECT_GT(loud, 48000 / 10) << bytes.size() << " bytes written";  // a good part of 240 ms
}

}  // namespace
}  // namespace civicbox::testing
