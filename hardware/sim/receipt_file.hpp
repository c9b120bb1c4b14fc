// A simulated receipt printer: each receipt becomes a UTF-8 text file
// data_dir/receipts/<tracking code>.txt, written atomically, with what a thermal printer would
// print (the QR as the URL it encodes). A self-test's receipt becomes self-test-<token>.txt.
#pragma once

#include <filesystem>
#include <string>

#include "drivers/printer/printer.hpp"

namespace civicbox::sim {

// The receipt's text, line by line, as the simulated printer lays it out.
std::string render_receipt(const drivers::Receipt& receipt);
std::string render_test_receipt(const drivers::TestReceipt& receipt);

class ReceiptFilePrinter final : public drivers::ReceiptPrinter {
 public:
  explicit ReceiptFilePrinter(std::filesystem::path receipts_dir) : dir_(std::move(receipts_dir)) {}

  Expected<void> print(const drivers::Receipt& receipt) override;
  Expected<void> print_test(const drivers::TestReceipt& receipt) override;
  Expected<drivers::PrinterStatus> status() override { return drivers::PrinterStatus::ready; }

  // Where the receipt for a tracking code (canonical form) is, printed or not.
  [[nodiscard]] std::filesystem::path path_for(const std::string& tracking_code) const;
  // Where the test receipt with this code ("CBX-TEST:<token>") is, printed or not.
  [[nodiscard]] std::filesystem::path path_for_test(const std::string& code) const;

 private:
  Expected<void> write(const std::filesystem::path& file, const std::string& text);
  std::filesystem::path dir_;
};

}  // namespace civicbox::sim
