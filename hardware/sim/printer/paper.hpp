// The simulated printer's roll: a strip of white paper as wide as the head plus a margin, that
// grows downward as lines and images are printed, ends at a cut (drawn as a dashed line) and is
// saved as a grayscale PNG a person can look at and ZXing can read.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "common/error.hpp"
#include "drivers/printer/escpos/bitmap.hpp"

namespace civicbox::sim {

class Paper {
 public:
  static constexpr int kMargin = 16;  // white paper either side of the head, in dots

  explicit Paper(int dots_across);

  [[nodiscard]] int width() const { return width_; }
  [[nodiscard]] int height() const { return height_; }
  [[nodiscard]] int head_y() const { return y_; }  // where the next line prints
  [[nodiscard]] bool blank() const { return y_ == 0; }
  [[nodiscard]] const std::vector<std::uint8_t>& gray() const { return gray_; }  // 0 black

  // Prints the dots with their left edge `x` dots from the head's left end, at the head.
  void print(const escpos::Bitmap& dots, int x);
  void advance(int dots);  // feeds paper
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
