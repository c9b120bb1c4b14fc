// The simulated printer's roll: a strip of white paper as wide as the head plus a margin, that
// grows downward as lines and images are printed, ends at a cut (drawn as a dashed line) and is
// saved as a grayscale PNG a person can look at and ZXing can read. One receipt is at most
// kMaxLength dots long (the printer cuts before that); the strip never grows past it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "common/error.hpp"
#include "drivers/printer/escpos/bitmap.hpp"

namespace civicbox::sim {

class Paper {
 public:
  static constexpr int kMargin = 16;        // white paper either side of the head, in dots
  static constexpr int kMaxLength = 30000;  // about 3.7 m at 8 dots a millimetre

  explicit Paper(int dots_across);

  [[nodiscard]] int width() const { return width_; }
  [[nodiscard]] int height() const { return height_; }
  [[nodiscard]] int head_y() const { return y_; }  // where the next line prints
  [[nodiscard]] bool blank() const { return y_ == 0; }
  [[nodiscard]] int room() const { return kMaxLength - y_; }  // dots left on this receipt
  [[nodiscard]] const std::vector<std::uint8_t>& gray() const { return gray_; }  // 0 black
  // The pixels, moved out: the paper is done with (after save_png()).
  [[nodiscard]] std::vector<std::uint8_t> take_gray() { return std::move(gray_); }

  // Prints the dots, each drawn scale_x × scale_y, with their left edge `x` dots from the head's
  // left end and their top `y` dots below the head. What falls off the head's ends or past
  // kMaxLength is not printed.
  void print(const escpos::Bitmap& dots, int x, int y = 0, int scale_x = 1, int scale_y = 1);
  void advance(int dots);  // feeds paper; stops at kMaxLength
  void cut_mark();         // the dashed line where the knife cut

  // Errors: io.
  Expected<void> save_png(const std::filesystem::path& file) const;

 private:
  void grow_to(int rows);

  int dots_;
  int width_;
  int height_ = 0;
  int y_ = 0;
  std::vector<std::uint8_t> gray_;
};

}  // namespace civicbox::sim
