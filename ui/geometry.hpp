// Plain value types the UI's parts share: a rectangle on the screen and an sRGB colour.
#pragma once

#include <cstdint>

namespace civicbox::ui {

struct Rect {
  int x = 0;
  int y = 0;
  int w = 0;
  int h = 0;
  [[nodiscard]] bool contains(int px, int py) const {
    return px >= x && py >= y && px < x + w && py < y + h;
  }
  friend bool operator==(const Rect&, const Rect&) = default;
};

struct Size {
  int width = 1080;
  int height = 1920;
  [[nodiscard]] bool portrait() const { return height >= width; }
  friend bool operator==(const Size&, const Size&) = default;
};

inline constexpr Size kPortrait{1080, 1920};
inline constexpr Size kLandscape{1920, 1080};

struct Color {
  std::uint8_t r = 0;
  std::uint8_t g = 0;
  std::uint8_t b = 0;
  friend bool operator==(const Color&, const Color&) = default;
};

}  // namespace civicbox::ui
