// The screen's fonts: DejaVu Sans and DejaVu Sans Bold through SDL2_ttf, measured and drawn by
// the same object so that what the layout measures is what the renderer draws. DejaVu has every
// letter of the box's languages (Romanian ș ț with comma below, Hungarian ő ű, Portuguese ã õ ç,
// Catalan l·l) and the ✓ ✗ ⚠ symbols; missing_glyphs() lets a test prove it.
//
// Contract: open() needs DejaVuSans.ttf and DejaVuSans-Bold.ttf in the folder. Each (size, bold)
// font is opened once and kept. Every call takes one process-wide lock around SDL_ttf (FreeType's
// library object is shared by every font); TTF_Init/TTF_Quit are counted, so this and the
// printer's escpos::TextRenderer can live in one process.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "common/error.hpp"
#include "ui/geometry.hpp"
#include "ui/text_measure.hpp"

struct SDL_Surface;
struct _TTF_Font;

namespace civicbox::ui {

class TtfMeasure final : public TextMeasure {
 public:
  // Errors: not_found (a font file is missing), io (SDL_ttf could not start or read a font).
  static Expected<std::unique_ptr<TtfMeasure>> open(const std::filesystem::path& fonts_dir);
  ~TtfMeasure() override;
  TtfMeasure(const TtfMeasure&) = delete;
  TtfMeasure& operator=(const TtfMeasure&) = delete;

  // Sizes are clamped to 4..400 px. Both fonts were read once by open(), so a later failure means
  // the machine is out of memory: width() then answers a width no box has, so the layout marks
  // the text as overflowing instead of believing it fits.
  int width(std::string_view utf8, int pixel_size, bool bold) override;
  // TTF_FontHeight: ascent + descent (DejaVu has no extra line gap, so it is also its line skip).
  int line_height(int pixel_size, bool bold) override;

  // The code points of `utf8` the font has no glyph for (they would show as empty boxes).
  std::u32string missing_glyphs(std::string_view utf8, bool bold);

  // One line drawn anti-aliased in `color` on a transparent background (ARGB8888), as wide as
  // width() and line_height() high; nullptr for an empty line or on error. The caller frees it.
  SDL_Surface* draw(std::string_view utf8, int pixel_size, bool bold, Color color);

 private:
  explicit TtfMeasure(std::filesystem::path fonts_dir);
  _TTF_Font* font(int pixel_size, bool bold);  // lock held

  std::filesystem::path dir_;
  std::map<std::pair<int, bool>, _TTF_Font*> fonts_;
  std::string scratch_;  // the NUL-terminated copy SDL_ttf needs, reused (lock held)
  bool ttf_started_ = false;
};

}  // namespace civicbox::ui
