// A 1-bit picture as a thermal head prints it: rows of dots packed eight to a byte, the most
// significant bit leftmost, 1 = black. This is the layout GS v 0 sends, so a Bitmap goes to the
// printer as it is; the driver builds receipts from them and the simulator draws them.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace civicbox::escpos {

struct Bitmap {
  int width = 0;                   // dots
  int height = 0;                  // dots
  std::vector<std::uint8_t> rows;  // height × bytes_per_row()

  static Bitmap blank(int width, int height) {
    Bitmap b;
    b.width = std::max(0, width);
    b.height = std::max(0, height);
    b.rows.assign(static_cast<std::size_t>(b.bytes_per_row()) * static_cast<std::size_t>(b.height),
                  0);
    return b;
  }

  [[nodiscard]] int bytes_per_row() const { return (width + 7) / 8; }

  [[nodiscard]] bool black(int x, int y) const {
    if (x < 0 || y < 0 || x >= width || y >= height) return false;
    return (rows[index(x, y)] >> (7 - x % 8)) & 1U;
  }

  void set(int x, int y) {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    rows[index(x, y)] |= static_cast<std::uint8_t>(0x80U >> (x % 8));
  }

  // Puts `other`'s black dots on this one with its top-left corner at (x, y); clipped.
  void draw(const Bitmap& other, int x, int y) {
    for (int j = 0; j < other.height; ++j) {
      for (int i = 0; i < other.width; ++i) {
        if (other.black(i, j)) set(x + i, y + j);
      }
    }
  }

 private:
  [[nodiscard]] std::size_t index(int x, int y) const {
    return static_cast<std::size_t>(y) * static_cast<std::size_t>(bytes_per_row()) +
           static_cast<std::size_t>(x / 8);
  }
};

}  // namespace civicbox::escpos
