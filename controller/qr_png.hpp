// A QR code as a small greyscale PNG: how an enrolment token reaches the technician's phone or
// printer (`token create --qr`, and qr_png_base64 in the back office's answer). The symbol comes
// from drivers/scanner/qr (the one adapter over ZXing), the PNG from libpng.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace civicbox::controller {

// PNG bytes: black modules on white, `module_px` pixels per module, a quiet zone of 4 modules,
// error correction M. Errors: invalid_argument (text that is no QR payload), internal.
Expected<std::string> qr_png(std::string_view text, int module_px = 8);

// The same, written to `file` (replaced atomically, mode 0644). Errors: also io.
Expected<void> write_qr_png(const std::filesystem::path& file, std::string_view text);

}  // namespace civicbox::controller
