#include "drivers/scanner/qr/qr_code.hpp"

#include <ZXing/BarcodeFormat.h>
#include <ZXing/BitMatrix.h>
#include <ZXing/CharacterSet.h>
#include <ZXing/DecodeHints.h>
#include <ZXing/ImageView.h>
#include <ZXing/MultiFormatWriter.h>
#include <ZXing/ReadBarcode.h>
#include <ZXing/Result.h>

#include <algorithm>
#include <exception>

#include "drivers/scanner/qr/qr_text.hpp"

namespace civicbox::drivers::qr {

namespace {

Corners corners_of(const ZXing::Position& position) {
  Corners corners;
  for (std::size_t i = 0; i < corners.size(); ++i) {
    corners[i] = Point{position[static_cast<int>(i)].x, position[static_cast<int>(i)].y};
  }
  return corners;
}

int zxing_ecc(EccLevel ecc) {
  // ZXing's 0..8 scale: 1-2 L, 3-4 M, 5-6 Q, 7-8 H.
  switch (ecc) {
    case EccLevel::low:
      return 2;
    case EccLevel::medium:
      return 4;
    case EccLevel::quartile:
      return 6;
    case EccLevel::high:
      return 8;
  }
  return 4;
}

Expected<QrModules> encode(const std::wstring& content, ZXing::CharacterSet charset, EccLevel ecc) {
  if (content.empty()) return make_error(ErrorCode::invalid_argument, "a QR code needs a payload");
  try {
    const ZXing::BitMatrix matrix = ZXing::MultiFormatWriter(ZXing::BarcodeFormat::QRCode)
                                        .setEncoding(charset)
                                        .setEccLevel(zxing_ecc(ecc))
                                        .setMargin(0)
                                        .encode(content, 0, 0);
    if (matrix.width() != matrix.height() || matrix.width() < 21) {
      return make_error(ErrorCode::internal, "ZXing made a " + std::to_string(matrix.width()) +
                                                 "x" + std::to_string(matrix.height()) +
                                                 " QR matrix");
    }
    QrModules modules;
    modules.size = matrix.width();
    modules.dark.resize(static_cast<std::size_t>(modules.size) *
                        static_cast<std::size_t>(modules.size));
    for (int y = 0; y < modules.size; ++y) {
      for (int x = 0; x < modules.size; ++x) {
        modules.dark[static_cast<std::size_t>(y * modules.size + x)] = matrix.get(x, y) ? 1 : 0;
      }
    }
    return modules;
  } catch (const std::exception& e) {
    return make_error(ErrorCode::invalid_argument,
                      std::string("cannot make a QR code of this payload: ") + e.what());
  }
}

}  // namespace

QrLook look_for_qr(const GrayView& image, const DecodeEffort& effort) {
  if (image.pixels == nullptr || image.width <= 0 || image.height <= 0 ||
      image.row_stride < image.width) {
    return {};
  }
  const auto hints = ZXing::DecodeHints()
                         .setFormats(ZXing::BarcodeFormat::QRCode)
                         .setTryHarder(effort.try_harder)
                         .setTryRotate(effort.try_rotate)
                         .setTryDownscale(effort.try_downscale)
                         .setMaxNumberOfSymbols(1);
  ZXing::Result result;
  try {
    result = ZXing::ReadBarcode(ZXing::ImageView(image.pixels, image.width, image.height,
                                                 ZXing::ImageFormat::Lum, image.row_stride),
                                hints);
  } catch (const std::exception&) {
    return {};  // ZXing only throws on misuse; a frame it chokes on holds no code for us
  }
  if (!result.isValid()) return {};
  const ZXing::ByteArray& bytes = result.bytes();
  QrLook look;
  if (!is_box_text(std::span(bytes.data(), bytes.size()))) {
    look.foreign = true;
    return look;
  }
  look.read = QrRead{std::string(bytes.begin(), bytes.end()), corners_of(result.position())};
  return look;
}

Expected<QrModules> make_qr(std::string_view text, EccLevel ecc) {
  if (!is_box_text(text)) {
    return make_error(ErrorCode::invalid_argument, "a QR payload must be box text (UTF-8)");
  }
  // ZXing takes the text as UTF-8 and re-encodes it in the character set given.
  const bool ascii = std::all_of(text.begin(), text.end(),
                                 [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  std::wstring wide;
  std::size_t i = 0;
  while (i < text.size()) {  // decode UTF-8 (already validated) to code points
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length = lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
    std::uint32_t code_point = length == 1   ? lead
                               : length == 2 ? lead & 0x1fu
                               : length == 3 ? lead & 0x0fu
                                             : lead & 0x07u;
    for (std::size_t k = 1; k < length; ++k) {
      code_point = (code_point << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3fu);
    }
    wide.push_back(static_cast<wchar_t>(code_point));
    i += length;
  }
  return encode(wide, ascii ? ZXing::CharacterSet::ISO8859_1 : ZXing::CharacterSet::UTF8, ecc);
}

Expected<QrModules> make_qr_from_bytes(std::span<const std::uint8_t> payload, EccLevel ecc) {
  // ISO 8859-1 maps each byte to the code point of the same value and is QR's default byte-mode
  // set, so no ECI is written: the symbol holds exactly these bytes.
  std::wstring wide(payload.begin(), payload.end());
  return encode(wide, ZXing::CharacterSet::ISO8859_1, ecc);
}

GrayImage draw_qr(const QrModules& modules, int module_px, int quiet_modules) {
  GrayImage image;
  if (module_px <= 0 || quiet_modules < 0 || modules.size <= 0) return image;
  const int side = (modules.size + 2 * quiet_modules) * module_px;
  image.width = side;
  image.height = side;
  image.pixels.assign(static_cast<std::size_t>(side) * static_cast<std::size_t>(side), 255);
  for (int my = 0; my < modules.size; ++my) {
    for (int mx = 0; mx < modules.size; ++mx) {
      if (!modules.is_dark(mx, my)) continue;
      const int x0 = (mx + quiet_modules) * module_px;
      const int y0 = (my + quiet_modules) * module_px;
      for (int y = y0; y < y0 + module_px; ++y) {
        std::fill_n(image.pixels.begin() + static_cast<std::ptrdiff_t>(y) * side + x0, module_px,
                    std::uint8_t{0});
      }
    }
  }
  return image;
}

}  // namespace civicbox::drivers::qr
