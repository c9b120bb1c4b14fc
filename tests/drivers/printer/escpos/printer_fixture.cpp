#include "tests/drivers/printer/escpos/printer_fixture.hpp"

#include <ZXing/ReadBarcode.h>
#include <png.h>

#include <cstring>

namespace civicbox::testing {

using namespace std::chrono_literals;

GrayImage read_png(const std::filesystem::path& file) {
  GrayImage out;
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  if (png_image_begin_read_from_file(&image, file.c_str()) == 0) {
    ADD_FAILURE() << "reading " << file << ": " << image.message;
    return out;
  }
  image.format = PNG_FORMAT_GRAY;
  out.width = static_cast<int>(image.width);
  out.height = static_cast<int>(image.height);
  out.pixels.resize(PNG_IMAGE_SIZE(image));
  if (png_image_finish_read(&image, nullptr, out.pixels.data(), 0, nullptr) == 0) {
    ADD_FAILURE() << "decoding " << file << ": " << image.message;
    return GrayImage{};
  }
  return out;
}

std::string scan_qr(const GrayImage& image) {
  if (image.pixels.empty()) return {};
  const ZXing::ImageView view(image.pixels.data(), image.width, image.height,
                              ZXing::ImageFormat::Lum);
  ZXing::DecodeHints hints;
  hints.setFormats(ZXing::BarcodeFormat::QRCode);
  const auto result = ZXing::ReadBarcode(view, hints);
  return result.isValid() ? result.text() : std::string();
}

void PrinterOverTcp::start_printer(int dots, const std::string& out_dir) {
  std::filesystem::remove_all(out_dir);
  auto sim = sim::PrinterSim::create({dots, out_dir, CIVICBOX_FONTS_DIR});
  ASSERT_TRUE(sim) << sim.error().describe();
  sim_ = std::move(*sim);
  auto front = sim::PrinterSimTcp::start(*sim_);
  ASSERT_TRUE(front) << front.error().describe();
  front_ = std::move(*front);
}

escpos::EscPosSettings PrinterOverTcp::settings_for(int dots, bool native_qr,
                                                    escpos::TextMode mode) {
  escpos::EscPosSettings s;
  s.paper = dots == 384 ? escpos::PaperWidth::mm58 : escpos::PaperWidth::mm80;
  s.native_qr = native_qr;
  s.text_mode = mode;
  s.fonts_dir = CIVICBOX_FONTS_DIR;
  s.status_timeout = 2s;  // generous: the simulator draws the receipt before it answers
  return s;
}

std::unique_ptr<escpos::EscPosPrinter> PrinterOverTcp::connect(escpos::EscPosSettings settings) {
  drivers::TcpPrinterOptions o;
  o.host = "127.0.0.1";
  o.port = front_->port();
  auto printer =
      escpos::EscPosPrinter::open(std::make_unique<drivers::TcpTransport>(o), std::move(settings));
  EXPECT_TRUE(printer) << printer.error().describe();
  return printer ? std::move(*printer) : nullptr;
}

}  // namespace civicbox::testing
