#include "hardware/sim/receipt_file.hpp"

#include <ctime>

#include "common/atomic_file.hpp"

namespace civicbox::sim {

namespace {
std::string utc_time(std::int64_t at_ms) {
  std::time_t seconds = static_cast<std::time_t>(at_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return text;
}
}  // namespace

std::string render_receipt(const drivers::Receipt& r) {
  std::string out;
  out += r.institution + "\n";
  out += "Document filed at box " + r.box_id + "\n";
  out += "Date and time: " + utc_time(r.at_ms) + "\n";
  out += "Tracking code: " + r.tracking_display + "\n";
  if (r.registration_number) {
    out += "Registration number: " + *r.registration_number + "\n";
  } else {
    out += "Provisional number: " + r.provisional_number + "\n";
    out += "(the registration number will be shown on the tracking page)\n";
  }
  out += "Follow your document: " + r.track_url + "\n";
  out += "QR: " + r.track_url + "\n";
  return out;
}

std::string render_test_receipt(const drivers::TestReceipt& r) {
  std::string out;
  out += "civicbox self-test\n";
  out += "Not a proof of filing\n";
  out += "Box: " + r.box_id + "\n";
  out += "Printed: " + utc_time(r.at_ms) + "\n";
  out += "QR: " + r.code + "\n";
  return out;
}

std::filesystem::path ReceiptFilePrinter::path_for(const std::string& tracking_code) const {
  return dir_ / (tracking_code + ".txt");
}

std::filesystem::path ReceiptFilePrinter::path_for_test(const std::string& code) const {
  const auto colon = code.find(':');
  return dir_ /
         ("self-test-" + (colon == std::string::npos ? code : code.substr(colon + 1)) + ".txt");
}

Expected<void> ReceiptFilePrinter::print(const drivers::Receipt& receipt) {
  return write(path_for(receipt.tracking_code), render_receipt(receipt));
}

Expected<void> ReceiptFilePrinter::print_test(const drivers::TestReceipt& receipt) {
  return write(path_for_test(receipt.code), render_test_receipt(receipt));
}

Expected<void> ReceiptFilePrinter::write(const std::filesystem::path& file,
                                         const std::string& text) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return make_error(ErrorCode::io, "creating " + dir_.string() + ": " + ec.message());
  auto written = write_file_atomically(file, text);
  if (!written) return written.error().context("printing a receipt");
  return {};
}

}  // namespace civicbox::sim
