// The printer simulator behind a pseudo-terminal, so the device-file transport can be tested as
// if path() were /dev/usb/lp0. Both sides are raw (cfmakeraw): every byte passes untouched. The
// simulator keeps the slave open, so the driver may open and close it at will. Unplugged, the
// printer takes no bytes and answers nothing.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "common/error.hpp"
#include "hardware/sim/printer/printer_sim.hpp"

namespace civicbox::sim {

class PrinterSimPty {
 public:
  // Errors: io (no pseudo-terminal).
  static Expected<std::unique_ptr<PrinterSimPty>> start(PrinterSim& printer);
  ~PrinterSimPty();
  PrinterSimPty(const PrinterSimPty&) = delete;
  PrinterSimPty& operator=(const PrinterSimPty&) = delete;

  [[nodiscard]] const std::string& path() const { return path_; }  // e.g. /dev/pts/5
  void stop();                                                     // idempotent

 private:
  explicit PrinterSimPty(PrinterSim& printer) : printer_(printer) {}
  void run();

  PrinterSim& printer_;
  int master_ = -1;
  int slave_ = -1;
  std::string path_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
};

}  // namespace civicbox::sim
