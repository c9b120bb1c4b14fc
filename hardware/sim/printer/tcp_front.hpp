// The printer simulator as a network printer: raw TCP on 127.0.0.1 (port 0 picks a free one),
// one connection at a time like a real port 9100. While the simulator is unplugged the port is
// closed (connections are dropped and refused); plugged back in, it listens on the same port.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>

#include "common/error.hpp"
#include "hardware/sim/printer/printer_sim.hpp"

namespace civicbox::sim {

class PrinterSimTcp {
 public:
  // Errors: io (no socket, the port is taken).
  static Expected<std::unique_ptr<PrinterSimTcp>> start(PrinterSim& printer,
                                                        std::uint16_t port = 0);
  ~PrinterSimTcp();
  PrinterSimTcp(const PrinterSimTcp&) = delete;
  PrinterSimTcp& operator=(const PrinterSimTcp&) = delete;

  [[nodiscard]] std::uint16_t port() const { return port_; }
  void stop();  // idempotent

 private:
  explicit PrinterSimTcp(PrinterSim& printer) : printer_(printer) {}
  Expected<void> listen_on(std::uint16_t port);
  void drop_client();
  void run();

  PrinterSim& printer_;
  std::uint16_t port_ = 0;
  int listener_ = -1;
  int client_ = -1;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
};

}  // namespace civicbox::sim
