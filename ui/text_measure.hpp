// How big text is, without drawing it: the layout needs it to wrap and to know when something
// does not fit. The SDL back end measures with SDL2_ttf and the same fonts it draws with, so what
// the layout checks is what the screen shows.
#pragma once

#include <string_view>

namespace civicbox::ui {

class TextMeasure {
 public:
  virtual ~TextMeasure() = default;
  // The width in pixels of one line of UTF-8 text at this font size.
  virtual int width(std::string_view utf8, int pixel_size, bool bold) = 0;
  // The height in pixels of one line at this size (ascent + descent, no extra spacing).
  virtual int line_height(int pixel_size, bool bold) = 0;
};

}  // namespace civicbox::ui
