// What the screen shows at one moment, ready to draw: rectangles with their text already broken
// into lines and their colours chosen. The layout makes a Frame from a View; a renderer draws it;
// touches are mapped back to the widget under the finger. Tests read Frames directly (do targets
// reach 80 px, does text fit its box, is the contrast high enough) and also the drawn pixels.
//
// Where the renderer puts the words (the layout wraps and checks against exactly this):
//   - a widget's lines are stacked at TextMeasure::line_height(pixel_size, bold) pitch, and the
//     block of lines is centred vertically in the box minus `padding` on every side;
//   - Align::left starts each line at box.x + padding; Align::center centres each line in the box;
//   - nothing is drawn outside the box (text that does not fit is cut at the box's edge, and the
//     layout marks it `overflow`).
// What else it draws: the frame's background; each widget's fill with rounded corners (skipped
// when it equals the background, except for a panel, which always hides what is under it) and
// its border (3 px) when the border differs from the fill; a dashed line inside a disabled
// widget; for qr_hint a pulsing square target with corner marks and an arrow up toward the
// camera above the screen; for countdown the number inside a circle; a panel is an opaque
// rectangle, square-cornered (with its border, if it has one).
#pragma once

#include <string>
#include <vector>

#include "ui/geometry.hpp"
#include "ui/theme.hpp"

namespace civicbox::ui {

enum class Align { left, center };

enum class WidgetRole {
  text,       // words on the background
  button,     // a touch target with words (and maybe a symbol)
  key,        // one key of a keyboard or keypad
  field,      // where typed text appears
  banner,     // success / failure / warning, with its symbol
  qr_hint,    // where to hold the QR code (a frame and an arrow toward the camera)
  countdown,  // the idle overlay's number
  panel,      // a filled area behind other widgets (the idle overlay)
};

struct Widget {
  WidgetRole role = WidgetRole::text;
  Rect box;
  Ink ink;                         // text on fill, with a border (fill == background: none)
  std::vector<std::string> lines;  // already wrapped to fit box.w minus padding
  int pixel_size = 44;
  bool bold = false;
  Align align = Align::center;
  int padding = 16;  // inside the box, on every side
  // What a touch inside `box` means ("file", "lang:hu", "key:ș"); empty: nothing.
  std::string action;
  // The layout could not fit the text even at its smallest size: a bug the tests catch.
  bool overflow = false;
  // Drawn greyed out and not touchable, with words saying why (never colour alone).
  bool disabled = false;
};

struct Frame {
  Size size;
  Color background;
  std::vector<Widget> widgets;  // drawn in order; touch goes to the last one hit
  // 0..999, the phase of anything that moves (the QR hint's pulse); layout sets it from time.
  int animation_phase = 0;
};

// The action under a touch at (x, y), or an empty string. Later widgets are on top.
std::string action_at(const Frame& frame, int x, int y);

}  // namespace civicbox::ui
