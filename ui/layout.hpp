// Turns a View into a Frame: where each text, button and key goes on a portrait (1080×1920) or a
// landscape (1920×1080) screen, in the View's language, theme and text size. Pure: no SDL, no
// clock; text is measured through TextMeasure.
//
// Every touch target is at least kMinTarget px in both directions. Text is wrapped to its box;
// when it still does not fit, its size steps down to 80 % of the scale, and past that the widget
// is marked `overflow` (the screenshot tests fail on it).
#pragma once

#include "ui/catalog.hpp"
#include "ui/frame.hpp"
#include "ui/text_measure.hpp"
#include "ui/view.hpp"

namespace civicbox::ui {

inline constexpr int kMinTarget = 80;

struct LayoutContext {
  const Catalogs& catalogs;
  TextMeasure& measure;
  Size size = kPortrait;
  int animation_phase = 0;  // 0..999
};

Frame layout(const View& view, const LayoutContext& context);

}  // namespace civicbox::ui
