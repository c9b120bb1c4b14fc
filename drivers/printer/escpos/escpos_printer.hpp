// The receipt printer on a thermal ESC/POS printer, over any PrinterTransport (USB, device file,
// TCP). Before a receipt it asks the printer how it is (DLE EOT 1, 2, 4) and refuses to send a
// byte of it when the cover is open, the paper is out or the printer is offline; after it, it
// asks again, so a printer that vanished or ran out of paper mid-receipt is an error, not a
// receipt the citizen never got.
//
// Contract:
// - print() errors: unavailable (refused, unplugged, ran out while printing; the message says
//   which and names the link), invalid_argument / too_large (a receipt that cannot be laid out).
// - status(): silence is PrinterStatus::unknown, never ready. A link that is gone is an
//   unavailable error; a reply that is not a status byte is a parse error.
// - A printer that never answers status (cheap clones) still prints when
//   `print_when_status_unknown` is set: there is no way to know, and no receipt is worse.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>

#include "drivers/printer/escpos/receipt_layout.hpp"
#include "drivers/printer/escpos/status.hpp"
#include "drivers/printer/escpos/text_renderer.hpp"
#include "drivers/printer/printer.hpp"
#include "drivers/printer/transport.hpp"

namespace civicbox::escpos {

struct EscPosSettings {
  PaperWidth paper = PaperWidth::mm80;
  bool native_qr = true;
  TextMode text_mode = TextMode::raster;
  std::filesystem::path fonts_dir;                 // DejaVuSans(-Bold).ttf; raster mode only
  std::chrono::milliseconds status_timeout{1000};  // per DLE EOT reply
  bool print_when_status_unknown = true;
};

class EscPosPrinter final : public drivers::ReceiptPrinter {
 public:
  // Loads the fonts in raster mode. Errors: not_found / io (fonts), invalid_argument (no link).
  static Expected<std::unique_ptr<EscPosPrinter>> open(
      std::unique_ptr<drivers::PrinterTransport> link, EscPosSettings settings);

  Expected<void> print(const drivers::Receipt& receipt) override;
  Expected<void> print_test(const drivers::TestReceipt& receipt) override;
  Expected<drivers::PrinterStatus> status() override;

  // What the printer answered to DLE EOT 1, 2 and 4; nullopt when it did not answer.
  Expected<std::optional<PrinterState>> ask_state();

  [[nodiscard]] const EscPosSettings& settings() const { return settings_; }

 private:
  EscPosPrinter(std::unique_ptr<drivers::PrinterTransport> link, EscPosSettings settings,
                std::unique_ptr<TextRenderer> fonts);
  Expected<std::optional<PrinterState>> ask_state_locked();
  [[nodiscard]] Error refused(const PrinterState& state, const char* when) const;
  // Asks how the printer is, sends `bytes` only when it can print, then asks again.
  Expected<void> send_checked(const Bytes& bytes);

  std::unique_ptr<drivers::PrinterTransport> link_;
  EscPosSettings settings_;
  std::unique_ptr<TextRenderer> fonts_;
  std::mutex mutex_;  // one conversation with the printer at a time
};

}  // namespace civicbox::escpos
