#include "hardware/sim/printer/paper.hpp"

#include <png.h>

#include <algorithm>
#include <cstring>

namespace civicbox::sim {

Paper::Paper(int dots_across) : dots_(dots_across), width_(dots_across + 2 * kMargin) {
  grow_to(kMargin);
  y_ = 0;
}

void Paper::grow_to(int rows) {
  if (rows <= height_) return;
  gray_.resize(static_cast<std::size_t>(rows) * static_cast<std::size_t>(width_), 255);
  height_ = rows;
}

void Paper::print(const escpos::Bitmap& dots, int x, int y, int scale_x, int scale_y) {
  scale_x = std::max(1, scale_x);
  scale_y = std::max(1, scale_y);
  const int top = y_ + std::max(0, y);
  const std::size_t bytes = static_cast<std::size_t>(dots.bytes_per_row());
  if (dots.width <= 0 || top >= kMaxLength ||
      dots.rows.size() < bytes * static_cast<std::size_t>(dots.height)) {
    return;
  }
  const int rows = std::min(dots.height * scale_y, kMaxLength - top);
  grow_to(kMargin + top + rows);
  // Byte by byte: most of a receipt is white, and a white byte is eight dots skipped at once.
  for (int j = 0; j < rows; ++j) {
    const std::uint8_t* from = dots.rows.data() + static_cast<std::size_t>(j / scale_y) * bytes;
    std::uint8_t* to =
        gray_.data() +
        static_cast<std::size_t>(kMargin + top + j) * static_cast<std::size_t>(width_) + kMargin;
    for (std::size_t b = 0; b < bytes; ++b) {
      if (from[b] == 0) continue;
      for (int bit = 0; bit < 8; ++bit) {
        const int i = static_cast<int>(b) * 8 + bit;
        if (i >= dots.width) break;
        if ((from[b] & (0x80U >> bit)) == 0) continue;
        for (int s = 0; s < scale_x; ++s) {
          const int col = x + i * scale_x + s;
          if (col >= 0 && col < dots_) to[col] = 0;  // the head ends there
        }
      }
    }
  }
}

void Paper::advance(int dots) {
  y_ = std::min(y_ + std::max(0, dots), kMaxLength);
  grow_to(kMargin + y_);
}

void Paper::cut_mark() {
  advance(8);
  grow_to(kMargin + y_ + 2);
  for (int j = 0; j < 2; ++j) {
    const auto row = static_cast<std::size_t>(kMargin + y_ + j) * static_cast<std::size_t>(width_);
    for (int x = 0; x < width_; ++x) {
      if ((x / 8) % 2 == 0) gray_[row + static_cast<std::size_t>(x)] = 96;
    }
  }
  y_ += 2;
  grow_to(kMargin + y_);
}

Expected<void> Paper::save_png(const std::filesystem::path& file) const {
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(width_);
  image.height = static_cast<png_uint_32>(height_);
  image.format = PNG_FORMAT_GRAY;
  if (png_image_write_to_file(&image, file.c_str(), 0, gray_.data(), width_, nullptr) == 0) {
    return make_error(ErrorCode::io, "writing " + file.string() + ": " + image.message);
  }
  return {};
}

}  // namespace civicbox::sim
