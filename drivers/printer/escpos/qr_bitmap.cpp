#include "drivers/printer/escpos/qr_bitmap.hpp"

#include <ZXing/BitMatrix.h>
#include <ZXing/MultiFormatWriter.h>

#include <exception>
#include <string>

namespace civicbox::escpos {

namespace {

// ZXing's writer takes 0..8 and halves it: 1 L, 3 M, 5 Q, 7 H.
int zxing_level(QrErrorLevel level) {
  switch (level) {
    case QrErrorLevel::low:
      return 1;
    case QrErrorLevel::medium:
      return 3;
    case QrErrorLevel::quartile:
      return 5;
    case QrErrorLevel::high:
      break;
  }
  return 7;
}

}  // namespace

Expected<Bitmap> qr_bitmap(std::string_view data, int module_dots, QrErrorLevel level,
                           int quiet_modules) {
  if (data.empty()) return make_error(ErrorCode::invalid_argument, "a QR code needs data");
  if (module_dots < 1 || module_dots > 64 || quiet_modules < 0 || quiet_modules > 16) {
    return make_error(ErrorCode::invalid_argument,
                      "a QR module of " + std::to_string(module_dots) + " dots");
  }
  ZXing::BitMatrix modules;
  try {
    modules = ZXing::MultiFormatWriter(ZXing::BarcodeFormat::QRCode)
                  .setMargin(0)
                  .setEccLevel(zxing_level(level))
                  .encode(std::string(data), 0, 0);
  } catch (const std::exception& e) {
    return make_error(ErrorCode::too_large, std::string("encoding a QR code: ") + e.what());
  }
  const int side = (modules.width() + 2 * quiet_modules) * module_dots;
  Bitmap out = Bitmap::blank(side, side);
  for (int y = 0; y < modules.height(); ++y) {
    for (int x = 0; x < modules.width(); ++x) {
      if (!modules.get(x, y)) continue;
      const int left = (x + quiet_modules) * module_dots;
      const int top = (y + quiet_modules) * module_dots;
      for (int dy = 0; dy < module_dots; ++dy) {
        for (int dx = 0; dx < module_dots; ++dx) out.set(left + dx, top + dy);
      }
    }
  }
  return out;
}

}  // namespace civicbox::escpos
