// The receipt printer. A filing receipt is the citizen's proof: the printer gets the facts and
// lays them out itself (ESC/POS on a thermal printer, a text file in the simulator). A test
// receipt is the technician's: the self-test prints one and has the scanner read its QR back.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace civicbox::drivers {

struct Receipt {
  std::string institution;                         // "Town hall"
  std::string box_id;                              // "box-0001"
  std::int64_t at_ms = 0;                          // when the document was filed (Unix ms)
  std::string tracking_code;                       // canonical form (file names, the QR)
  std::string tracking_display;                    // grouped for people: "7K3M-Q9XR-2D4P"
  std::optional<std::string> registration_number;  // "2026/000123" once the controller gave it
  std::string provisional_number;                  // "P-box-0001-000007", printed when offline
  std::string track_url;                           // the QR's content: base URL + code
  std::string language = "ro";                     // the receipt's labels: ro, hu, en, ca, es, pt
};

// A short receipt that proves the printer prints text and a QR the box's scanner can read. It
// says plainly that it is a test, so nobody takes it for a proof of filing.
struct TestReceipt {
  std::string box_id;      // "box-0001"
  std::int64_t at_ms = 0;  // when it was printed (Unix ms)
  std::string code;        // the QR's text, "CBX-TEST:<token>" (common/scanned.hpp)
};

// cover_open: someone left the paper cover up. unknown: the printer never answered a status
// request (many clones cannot); it is not "ready".
enum class PrinterStatus { ready, paper_low, paper_out, cover_open, offline, unknown };

std::string_view to_string(PrinterStatus status);

class ReceiptPrinter {
 public:
  virtual ~ReceiptPrinter() = default;
  // Errors: unavailable (offline, paper out), io.
  virtual Expected<void> print(const Receipt& receipt) = 0;
  // Errors: as print().
  virtual Expected<void> print_test(const TestReceipt& receipt) = 0;
  virtual Expected<PrinterStatus> status() = 0;
};

inline std::string_view to_string(PrinterStatus status) {
  switch (status) {
    case PrinterStatus::ready:
      return "ready";
    case PrinterStatus::paper_low:
      return "paper_low";
    case PrinterStatus::paper_out:
      return "paper_out";
    case PrinterStatus::cover_open:
      return "cover_open";
    case PrinterStatus::offline:
      return "offline";
    case PrinterStatus::unknown:
      break;
  }
  return "unknown";
}

}  // namespace civicbox::drivers
