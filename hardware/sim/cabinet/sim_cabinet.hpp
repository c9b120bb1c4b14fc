// A whole simulated cabinet from a cabinet profile: one lock-board simulator per [[bus]] on a
// pseudo-terminal (with a stable link in `dir`, like udev's /dev/serial/by-id names), the
// receipt printer on TCP 127.0.0.1 (receipts as PNG and text in dir/receipts), the QR scanner
// (a serial scanner on a pty, or a camera playing frames from dir/camera), and a profile for the
// agent with those as its devices. The agent then runs its real drivers against it, byte for
// byte. (A keyboard-wedge scanner needs evdev, which a process cannot fake: it is simulated by
// a serial scanner.)
//
// A person or a test acts on it with one-line commands (command(), or the control socket of
// civicbox-sim-cabinet), in compartment numbers:
//
//   state                          every door: "ok 1=closed 2=open ..."
//   open C | close C               force a door open (no unlock: tamper) / shut it
//   hold C|all on|off              a person keeps the door open once unlocked (door left open)
//   jam C on|off                   the lock does not release
//   stuck C open|closed|off        the door sensor reads the same whatever the door does
//   board C ok|silent|badsum|slow MS|garbage N   faults of the board of compartment C
//   unplug B | replug B            the USB adapter of bus B pulled out / plugged back in
//   unlocks C                      how many unlock frames compartment C's lock received
//   paper out|low|ok | cover open|closed | printer unplug|replug|silent|ok   printer faults
//   receipts                       how many receipts were printed
//   scan TEXT                      a person shows TEXT as a QR code to the scanner
//   scan -                         nothing in front of the camera (the last code taken away)
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "drivers/lockers/cabinet_profile.hpp"
#include "hardware/sim/lockboard/lock_board_sim.hpp"
#include "hardware/sim/printer/printer_sim.hpp"
#include "hardware/sim/printer/tcp_front.hpp"
#include "hardware/sim/scanner/serial_scanner_sim.hpp"

namespace civicbox::sim {

struct SimCabinetOptions {
  std::filesystem::path dir;  // links, cabinet.toml
  // The simulated person shuts a door this long after its lock released.
  std::chrono::milliseconds door_closes_after{300};
  bool hold_doors = false;  // every door stays open once unlocked, until `hold all off`
  std::chrono::milliseconds unlock_reply_delay{50};  // 0x8A boards answer an open this late
  std::filesystem::path fonts_dir;  // for the printer simulator to draw text; empty: assets/
};

// A cabinet for tests and demos: one bus of boards of the family, sixteen compartments a board
// in ascending number (Kerong ids from 0, 0x8A from 1), a row per board; `dropoff` and `pickup`
// compartments by role; an 80 mm printer printing text in a code page (so tests can read it
// back) and a serial QR scanner.
lockers::CabinetProfile simple_profile(const std::vector<int>& dropoff,
                                       const std::vector<int>& pickup,
                                       lockers::BoardFamily family = lockers::BoardFamily::kerong);

class SimCabinet {
 public:
  // Errors: io (no pty, `dir` not writable), invalid_argument (a board the family cannot have).
  static Expected<std::unique_ptr<SimCabinet>> start(const lockers::CabinetProfile& profile,
                                                     SimCabinetOptions options);
  ~SimCabinet();
  SimCabinet(const SimCabinet&) = delete;
  SimCabinet& operator=(const SimCabinet&) = delete;

  // The profile with the simulator's links as devices, and where it was written (dir/cabinet.toml).
  [[nodiscard]] const lockers::CabinetProfile& profile() const { return profile_; }
  [[nodiscard]] const std::filesystem::path& profile_path() const { return profile_path_; }

  // One command (see above); the answer line, "ok ..." or "error ...".
  std::string command(std::string_view line);

  [[nodiscard]] bool door_open(int compartment) const;
  [[nodiscard]] int unlocks_received(int compartment) const;
  LockBoardSim& bus(int index) { return *buses_.at(static_cast<std::size_t>(index)); }
  PrinterSim* printer() { return printer_.get(); }

 private:
  SimCabinet() = default;
  [[nodiscard]] const lockers::CompartmentProfile* find(int compartment) const;

  lockers::CabinetProfile profile_;
  std::filesystem::path profile_path_;
  std::vector<std::unique_ptr<LockBoardSim>> buses_;
  std::unique_ptr<PrinterSim> printer_;
  std::unique_ptr<PrinterSimTcp> printer_front_;
  std::unique_ptr<SerialScannerSim> serial_scanner_;
  std::filesystem::path camera_dir_;  // frames for a camera scanner
  int shots_ = 0;
  std::string printer_command(const std::vector<std::string>& w);
  std::string scan(const std::string& text);
};

}  // namespace civicbox::sim
