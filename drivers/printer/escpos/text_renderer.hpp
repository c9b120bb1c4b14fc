// Text drawn into 1-bit bitmaps with SDL2_ttf and the DejaVu fonts, for printers that cannot
// print our letters themselves: no ESC/POS code page has Romanian ș ț (comma below), and a
// picture of the text prints the exact glyphs on every printer. The simulator draws what it
// decodes with it too.
//
// Contract: open() needs DejaVuSans.ttf and DejaVuSans-Bold.ttf in the folder. Calls from several
// threads and several renderers are serialised (FreeType's library object is shared).
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.hpp"
#include "drivers/printer/escpos/bitmap.hpp"

namespace civicbox::escpos {

struct TextStyle {
  int pixel_size = 24;  // the font's em in dots (the printer's font A is 24 dots high)
  bool bold = false;
  bool underline = false;
};

class TextRenderer {
 public:
  // Errors: not_found (a font file is missing), io (SDL_ttf could not start or load it).
  static Expected<std::unique_ptr<TextRenderer>> open(const std::filesystem::path& fonts_dir);
  ~TextRenderer();
  TextRenderer(const TextRenderer&) = delete;
  TextRenderer& operator=(const TextRenderer&) = delete;

  // The dots one line of this style takes from top to bottom.
  Expected<int> line_height(const TextStyle& style);
  // How wide the text would be, in dots.
  Expected<int> measure(std::string_view utf8, const TextStyle& style);
  // One line, as tight as the text and line_height() high. Empty text gives a blank line.
  Expected<Bitmap> render(std::string_view utf8, const TextStyle& style);
  // Breaks the text into lines no wider than `width` at spaces; a word wider than a line is
  // broken between letters. Never returns an empty list.
  Expected<std::vector<std::string>> wrap(std::string_view utf8, const TextStyle& style, int width);

 private:
  struct Font;
  explicit TextRenderer(std::filesystem::path fonts_dir);
  Expected<Font*> font(const TextStyle& style);  // lock held

  std::filesystem::path dir_;
  std::map<std::pair<int, bool>, std::unique_ptr<Font>> fonts_;
  bool ttf_started_ = false;
};

}  // namespace civicbox::escpos
