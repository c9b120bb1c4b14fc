#include "firmware/devices.hpp"

#include <charconv>

#include "drivers/printer/escpos/escpos_printer.hpp"
#include "drivers/printer/file/device_file_transport.hpp"
#include "drivers/printer/tcp/tcp_transport.hpp"
#include "drivers/printer/usb/usb_printer_transport.hpp"
#include "drivers/scanner/camera/camera_device.hpp"
#include "drivers/scanner/camera/camera_scanner.hpp"
#include "drivers/scanner/camera/image_sequence.hpp"
#include "drivers/scanner/serial/serial_scanner.hpp"
#include "drivers/scanner/wedge/wedge_scanner.hpp"

namespace civicbox::firmware {

namespace {

Expected<std::uint16_t> hex16(std::string_view text, std::string_view what) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
  if (ec != std::errc{} || end != text.data() + text.size() || text.size() != 4) {
    return make_error(ErrorCode::invalid_argument,
                      "printer.address: the " + std::string(what) +
                          " id must be four hex digits, as in \"0416:5011\"");
  }
  return static_cast<std::uint16_t>(value);
}

// /dev/usb/lp0 exists only while the printer is plugged in and on: open it when first needed
// (and again after it went away), so a printer switched off at boot does not stop the box.
class LazyDeviceFile final : public drivers::PrinterTransport {
 public:
  explicit LazyDeviceFile(std::string path) : path_(std::move(path)) {}

  Expected<void> write(std::span<const std::uint8_t> bytes) override {
    CIVICBOX_CHECK(ensure_open());
    return file_->write(bytes);
  }
  Expected<std::vector<std::uint8_t>> read(std::size_t max,
                                           std::chrono::milliseconds wait) override {
    CIVICBOX_CHECK(ensure_open());
    return file_->read(max, wait);
  }
  void discard_input() override {
    if (file_) file_->discard_input();
  }
  [[nodiscard]] std::string describe() const override {
    return file_ ? file_->describe() : path_ + " (not there yet)";
  }

 private:
  Expected<void> ensure_open() {
    if (file_) return {};
    auto opened = drivers::DeviceFileTransport::open(path_);
    if (!opened) {
      return make_error(ErrorCode::unavailable, "the printer " + path_ +
                                                    " is not there (unplugged or switched "
                                                    "off?): " +
                                                    opened.error().message);
    }
    file_ = std::move(*opened);
    return {};
  }

  std::string path_;
  std::unique_ptr<drivers::DeviceFileTransport> file_;
};

Expected<std::unique_ptr<drivers::PrinterTransport>> open_link(const lockers::PrinterProfile& p) {
  switch (p.link) {
    case lockers::PrinterLink::tcp: {
      const auto colon = p.address.rfind(':');
      unsigned port = 9100;
      std::string host = p.address;
      if (colon != std::string::npos) {
        host = p.address.substr(0, colon);
        const std::string digits = p.address.substr(colon + 1);
        auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
        if (ec != std::errc{} || end != digits.data() + digits.size() || port == 0 ||
            port > 65535) {
          return make_error(ErrorCode::invalid_argument,
                            "printer.address: '" + p.address + "' is not host:port");
        }
      }
      return std::unique_ptr<drivers::PrinterTransport>(std::make_unique<drivers::TcpTransport>(
          drivers::TcpPrinterOptions{host, static_cast<std::uint16_t>(port), {}, {}}));
    }
    case lockers::PrinterLink::file:
      return std::unique_ptr<drivers::PrinterTransport>(
          std::make_unique<LazyDeviceFile>(p.address));
    case lockers::PrinterLink::usb:
      break;
  }
  drivers::UsbPrinterSettings settings;
  if (!p.address.empty()) {
    const auto colon = p.address.find(':');
    if (colon == std::string::npos) {
      return make_error(ErrorCode::invalid_argument,
                        "printer.address: '" + p.address + "' is not vendor:product");
    }
    CIVICBOX_TRY(settings.vendor_id, hex16(p.address.substr(0, colon), "vendor"));
    CIVICBOX_TRY(settings.product_id, hex16(p.address.substr(colon + 1), "product"));
  }
  CIVICBOX_TRY(auto usb, drivers::UsbPrinterTransport::create(settings));
  return std::unique_ptr<drivers::PrinterTransport>(std::move(usb));
}

}  // namespace

Expected<std::unique_ptr<drivers::ReceiptPrinter>> open_printer(
    const lockers::PrinterProfile& profile, const std::filesystem::path& fonts_dir) {
  CIVICBOX_TRY(auto link, open_link(profile));
  escpos::EscPosSettings settings;
  settings.paper = profile.paper_mm == 58 ? escpos::PaperWidth::mm58 : escpos::PaperWidth::mm80;
  settings.native_qr = profile.native_qr;
  settings.text_mode = profile.raster_text ? escpos::TextMode::raster : escpos::TextMode::code_page;
  settings.fonts_dir = fonts_dir;
  CIVICBOX_TRY(auto printer, escpos::EscPosPrinter::open(std::move(link), settings));
  return std::unique_ptr<drivers::ReceiptPrinter>(std::move(printer));
}

Expected<std::unique_ptr<drivers::Scanner>> open_scanner(const lockers::ScannerProfile& profile) {
  switch (profile.kind) {
    case lockers::ScannerKind::serial: {
      scanner::SerialScannerOptions options;
      options.device = profile.device;
      options.baud = static_cast<unsigned>(profile.baud);
      CIVICBOX_TRY(auto serial, scanner::SerialScanner::open(options));
      return std::unique_ptr<drivers::Scanner>(std::move(serial));
    }
    case lockers::ScannerKind::wedge: {
      scanner::WedgeScannerOptions options;
      options.device = profile.device;
      CIVICBOX_TRY(auto wedge, scanner::WedgeScanner::open(options));
      return std::unique_ptr<drivers::Scanner>(std::move(wedge));
    }
    case lockers::ScannerKind::camera:
      break;
  }
  // A pattern with a % plays image files (a simulated camera); anything else is a V4L2 device.
  std::unique_ptr<drivers::camera::FrameSource> source;
  if (profile.device.find('%') != std::string::npos) {
    source = std::make_unique<drivers::camera::ImageSequence>(profile.device);
  } else {
    source = std::make_unique<drivers::camera::CameraDevice>(profile.device);
  }
  return std::unique_ptr<drivers::Scanner>(
      std::make_unique<drivers::camera::CameraScanner>(std::move(source)));
}

}  // namespace civicbox::firmware
