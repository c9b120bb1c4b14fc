#include "ui/theme.hpp"

#include <algorithm>
#include <cmath>

namespace civicbox::ui {

namespace {

// sRGB to linear light, as WCAG 2.x defines it (its threshold 0.03928, not IEC's 0.04045; the two
// give the same result for every 8-bit value).
double linear(std::uint8_t channel) {
  const double c = channel / 255.0;
  return c <= 0.03928 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
}

constexpr Color rgb(std::uint32_t hex) {
  return Color{static_cast<std::uint8_t>(hex >> 16), static_cast<std::uint8_t>(hex >> 8),
               static_cast<std::uint8_t>(hex)};
}

constexpr Ink ink(std::uint32_t text, std::uint32_t fill, std::uint32_t border) {
  return Ink{rgb(text), rgb(fill), rgb(border)};
}

int scaled(int size, bool larger) {
  return larger ? static_cast<int>(std::lround(size * 1.3)) : size;
}

}  // namespace

double relative_luminance(Color c) {
  return 0.2126 * linear(c.r) + 0.7152 * linear(c.g) + 0.0722 * linear(c.b);
}

double contrast_ratio(Color a, Color b) {
  const double la = relative_luminance(a);
  const double lb = relative_luminance(b);
  return (std::max(la, lb) + 0.05) / (std::min(la, lb) + 0.05);
}

// A calm civic look: near-white paper, ink-dark text, one deep blue for what to press. Buttons
// that are not filled with a strong colour (secondary, keys, fields) carry a border of at least
// 3:1 against the background so their edge is seen (WCAG 1.4.11). tests/ui/renderer_test.cpp
// checks every ratio, on these values and on the drawn pixels.
const Theme& normal_theme() {
  static const Theme theme{
      .background = rgb(0xF5F6F8),
      .body = ink(0x1B2330, 0xF5F6F8, 0xF5F6F8),
      .primary = ink(0xFFFFFF, 0x0B4A8F, 0x0B4A8F),
      .secondary = ink(0x0B3A70, 0xFFFFFF, 0x0B4A8F),
      .selected = ink(0xFFFFFF, 0x1B2F4F, 0x1B2F4F),
      .key = ink(0x1B2330, 0xFFFFFF, 0x6B7482),
      .field = ink(0x1B2330, 0xFFFFFF, 0x1B2330),
      .success = ink(0xFFFFFF, 0x1C6B33, 0x1C6B33),
      .failure = ink(0xFFFFFF, 0xA8221B, 0xA8221B),
      .warning = ink(0x1B2330, 0xF4B400, 0x7A5A00),
      .overlay = ink(0xFFFFFF, 0x1B2330, 0x1B2330),
      .disabled = ink(0x4A5261, 0xE4E7EC, 0x7A8394),
      .min_contrast = 4.5,
  };
  return theme;
}

// Black paper, white and yellow ink (what people with low vision often set on their phones).
// Every text reaches 7:1 (WCAG AAA); outlined buttons have white or yellow borders.
const Theme& high_contrast_theme() {
  static const Theme theme{
      .background = rgb(0x000000),
      .body = ink(0xFFFFFF, 0x000000, 0x000000),
      .primary = ink(0x000000, 0xFFE14D, 0xFFE14D),
      .secondary = ink(0xFFFFFF, 0x000000, 0xFFFFFF),
      .selected = ink(0x000000, 0xFFFFFF, 0xFFFFFF),
      .key = ink(0xFFFFFF, 0x000000, 0xFFFFFF),
      .field = ink(0xFFE14D, 0x000000, 0xFFE14D),
      .success = ink(0x000000, 0x5BE37D, 0x5BE37D),
      .failure = ink(0x000000, 0xFF8A80, 0xFF8A80),
      .warning = ink(0x000000, 0xFFE14D, 0xFFE14D),
      .overlay = ink(0xFFE14D, 0x000000, 0xFFE14D),
      .disabled = ink(0xBDBDBD, 0x000000, 0xBDBDBD),
      .min_contrast = 7.0,
  };
  return theme;
}

TypeScale type_scale(bool large_text) {
  const TypeScale normal;
  return TypeScale{
      .title = scaled(normal.title, large_text),
      .body = scaled(normal.body, large_text),
      .button = scaled(normal.button, large_text),
      .small = scaled(normal.small, large_text),
      .huge = scaled(normal.huge, large_text),
  };
}

}  // namespace civicbox::ui
