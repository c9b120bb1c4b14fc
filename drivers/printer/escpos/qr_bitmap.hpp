// A QR code drawn as dots with ZXing's writer: the raster fallback for printers without
// GS ( k, and how the simulator draws a native QR it was asked to print.
#pragma once

#include <string_view>

#include "common/error.hpp"
#include "drivers/printer/escpos/bitmap.hpp"
#include "drivers/printer/escpos/commands.hpp"

namespace civicbox::escpos {

// `module_dots` dots per module, `quiet_modules` white modules around it.
// Errors: invalid_argument (empty data, a bad size), too_large (the data does not fit a QR code).
Expected<Bitmap> qr_bitmap(std::string_view data, int module_dots, QrErrorLevel level,
                           int quiet_modules = 4);

}  // namespace civicbox::escpos
