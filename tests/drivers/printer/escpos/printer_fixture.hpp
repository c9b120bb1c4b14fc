// What the printer tests share: receipts to print, a simulated printer behind TCP with a driver
// talking to it, and reading a rendered receipt back (PNG, then ZXing) as a citizen's phone would.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "drivers/printer/escpos/escpos_printer.hpp"
#include "drivers/printer/tcp/tcp_transport.hpp"
#include "hardware/sim/printer/printer_sim.hpp"
#include "hardware/sim/printer/tcp_front.hpp"

namespace civicbox::testing {

inline constexpr std::int64_t kFiledAtMs = 1773317100000;  // 2026-03-12 12:05:00 UTC

inline drivers::Receipt sample_receipt(std::string language, std::string institution) {
  drivers::Receipt r;
  r.institution = std::move(institution);
  r.box_id = "box-0001";
  r.at_ms = kFiledAtMs;
  r.tracking_code = "7K3MQ9XR2D4P";
  r.tracking_display = "7K3M-Q9XR-2D4P";
  r.registration_number = "2026/000123";
  r.provisional_number = "P-box-0001-000007";
  r.track_url = "https://primarie.example.ro/urmarire/7K3MQ9XR2D4P";
  r.language = std::move(language);
  return r;
}

// A grayscale picture read from a PNG the simulator wrote.
struct GrayImage {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> pixels;
};

GrayImage read_png(const std::filesystem::path& file);
// What ZXing reads from the picture as a QR code; empty when it finds none.
std::string scan_qr(const GrayImage& image);

// One simulated printer on TCP and the ESC/POS driver connected to it.
class PrinterOverTcp : public ::testing::Test {
 protected:
  void start_printer(int dots, const std::string& out_dir);
  std::unique_ptr<escpos::EscPosPrinter> connect(escpos::EscPosSettings settings);
  escpos::EscPosSettings settings_for(int dots, bool native_qr,
                                      escpos::TextMode mode = escpos::TextMode::raster);

  std::unique_ptr<sim::PrinterSim> sim_;
  std::unique_ptr<sim::PrinterSimTcp> front_;
};

}  // namespace civicbox::testing
