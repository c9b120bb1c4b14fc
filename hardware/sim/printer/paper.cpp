#include "hardware/sim/printer/paper.hpp"

#include <png.h>

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

void Paper::print(const escpos::Bitmap& dots, int x) {
  grow_to(kMargin + y_ + dots.height);
  for (int j = 0; j < dots.height; ++j) {
    const auto row = static_cast<std::size_t>(kMargin + y_ + j) * static_cast<std::size_t>(width_);
    for (int i = 0; i < dots.width; ++i) {
      const int col = x + i;
      if (col < 0 || col >= dots_ || !dots.black(i, j)) continue;  // the head ends there
      gray_[row + static_cast<std::size_t>(kMargin + col)] = 0;
    }
  }
}

void Paper::advance(int dots) {
  y_ += dots;
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
