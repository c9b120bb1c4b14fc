// Opens the cabinet's receipt printer and QR scanner from its profile ([printer], [scanner]):
// the real drivers, whatever is on the other end (a printer, a scanner, or their simulators).
// Kept out of civicbox_firmware so the agent's library does not pull in libusb, OpenCV and
// ZXing; civicbox-agent links it.
#pragma once

#include <filesystem>
#include <memory>

#include "common/error.hpp"
#include "drivers/lockers/cabinet_profile.hpp"
#include "drivers/printer/printer.hpp"
#include "drivers/scanner/scanner.hpp"

namespace civicbox::firmware {

// Errors: invalid_argument (an address that cannot be right), not_found / io (the fonts for
// raster text), unavailable (libusb would not start). A printer that is unplugged or switched
// off is not an error here: print() and status() say so when asked.
// A cabinet without a receipt printer: the flows show the tracking code on the screen instead.
class NoPrinter final : public drivers::ReceiptPrinter {
 public:
  Expected<void> print(const drivers::Receipt&) override {
    return make_error(ErrorCode::unavailable, "this cabinet has no receipt printer");
  }
  Expected<void> print_test(const drivers::TestReceipt&) override {
    return make_error(ErrorCode::unavailable, "this cabinet has no receipt printer");
  }
  Expected<drivers::PrinterStatus> status() override {
    return make_error(ErrorCode::unavailable, "this cabinet has no receipt printer");
  }
};

Expected<std::unique_ptr<drivers::ReceiptPrinter>> open_printer(
    const lockers::PrinterProfile& profile, const std::filesystem::path& fonts_dir);

// Errors: as the scanner's driver says (a wedge scanner that cannot be grabbed, a serial port
// that cannot be opened). A camera that is not there yet is not an error: the scanner retries.
Expected<std::unique_ptr<drivers::Scanner>> open_scanner(const lockers::ScannerProfile& profile);

}  // namespace civicbox::firmware
