#include "controller/qr_png.hpp"

#include <png.h>

#include <cstring>
#include <vector>

#include "common/atomic_file.hpp"
#include "drivers/scanner/qr/qr_code.hpp"

namespace civicbox::controller {

Expected<std::string> qr_png(std::string_view text, int module_px) {
  CIVICBOX_TRY(auto modules, drivers::qr::make_qr(text, drivers::qr::EccLevel::medium));
  const drivers::qr::GrayImage image = drivers::qr::draw_qr(modules, module_px, 4);
  if (image.width <= 0) return make_error(ErrorCode::invalid_argument, "no QR image to write");
  png_image png;
  std::memset(&png, 0, sizeof png);
  png.version = PNG_IMAGE_VERSION;
  png.width = static_cast<png_uint_32>(image.width);
  png.height = static_cast<png_uint_32>(image.height);
  png.format = PNG_FORMAT_GRAY;
  png_alloc_size_t size = 0;
  // First the size, then the bytes (libpng's two-call form).
  if (png_image_write_to_memory(&png, nullptr, &size, 0, image.pixels.data(), image.width,
                                nullptr) == 0) {
    return make_error(ErrorCode::internal, std::string("sizing a PNG: ") + png.message);
  }
  std::string bytes(size, '\0');
  if (png_image_write_to_memory(&png, bytes.data(), &size, 0, image.pixels.data(), image.width,
                                nullptr) == 0) {
    return make_error(ErrorCode::internal, std::string("writing a PNG: ") + png.message);
  }
  bytes.resize(size);
  return bytes;
}

Expected<void> write_qr_png(const std::filesystem::path& file, std::string_view text) {
  CIVICBOX_TRY(std::string bytes, qr_png(text));
  return write_file_atomically(file, bytes, 0644);
}

}  // namespace civicbox::controller
