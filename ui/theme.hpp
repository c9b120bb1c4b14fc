// The UI's colours and type sizes. Two themes: the normal one (every text at least 4.5:1 against
// its background, WCAG AA) and a high-contrast one (at least 7:1, WCAG AAA). Meaning is never
// carried by colour alone: every success or failure also has a symbol and words.
#pragma once

#include "ui/geometry.hpp"

namespace civicbox::ui {

// WCAG 2.x relative luminance of an sRGB colour, 0 (black) .. 1 (white).
double relative_luminance(Color c);
// WCAG contrast ratio of two colours, 1 .. 21, the same whichever is given first.
double contrast_ratio(Color a, Color b);

// A pair of colours one widget is drawn with.
struct Ink {
  Color text;
  Color fill;
  Color border;
};

struct Theme {
  Color background;  // the screen behind everything
  Ink body;          // text straight on the background
  Ink primary;       // the main choices ("File a document")
  Ink secondary;     // other buttons (back, language, toggles)
  Ink selected;      // the current language, a chosen kind
  Ink key;           // keyboard and keypad keys
  Ink field;         // where typed text appears
  Ink success;       // ✓ banners
  Ink failure;       // ✗ banners
  Ink warning;       // ⚠ banners, out of order
  Ink overlay;       // the idle countdown
  Ink disabled;      // a choice not offered now (greyed, but its words still readable: they say
                     // why; the renderer adds a dashed line so it is not told by colour alone)
  double min_contrast = 4.5;  // what every Ink's text must reach against its fill
};

const Theme& normal_theme();
const Theme& high_contrast_theme();

// Font sizes in pixels at 1080 px across the short side; larger text multiplies them.
struct TypeScale {
  int title = 64;
  int body = 44;
  int button = 48;
  int small = 34;
  int huge = 96;  // the tracking code, the compartment number
};
TypeScale type_scale(bool large_text);

}  // namespace civicbox::ui
