// A cabinet profile: which RS-485 buses the cabinet has and where each compartment's lock sits
// (bus, board, lock), with what the kiosk needs to draw it (size, row, column, role). Written by
// a technician as TOML (hardware/cabinets/*.toml) and read strictly: an unknown key, a missing
// key or a value out of range is an error naming the key and its line.
//
//   [[bus]]                        # buses are numbered 0, 1, ... in the order they appear
//   device = "/dev/ttyUSB0"
//   family = "kerong"              # "kerong" | "xor8a"
//   set_lock_bit = "open"          # "open" | "closed": what a set lock bit means on this bus
//   reply_timeout_ms = 1500        # optional, 50..10000
//
//   [[compartment]]
//   number = 7                     # 1..9999, unique
//   bus = 0                        # index of a [[bus]] above
//   board = 1                      # Kerong 0..9, 0x8A 1..31
//   lock = 3                       # 1-based; Kerong 1..16, 0x8A 1..32
//   size = "M"                     # "S" | "M" | "L"
//   row = 2                        # 1..64, from the top
//   column = 1                     # 1..64, from the left
//   role = "pickup"                # "dropoff" | "pickup"
//
//   [printer]                      # the receipt printer (without one, the screen shows the
//                                  # tracking code instead of a receipt)
//   transport = "usb"              # "usb" | "file" | "tcp"
//   address = "0416:5011"          # usb: "vendor:product" or "" (the first printer-class
//                                  # device); file: "/dev/usb/lp0"; tcp: "host:port"
//   paper_mm = 80                  # 58 | 80
//   native_qr = true               # false: the QR is sent as a raster image (GS v 0)
//   text = "raster"                # "raster" (exact ș ț on any printer) | "code_page"
//
//   [scanner]                      # optional: without one, codes are typed on the keypad
//   kind = "camera"                # "camera" | "wedge" | "serial"
//   device = "/dev/video0"         # camera: /dev/videoN or a frame pattern "dir/frame_%03d.png";
//                                  # wedge: /dev/input/by-id/...-event-kbd; serial: /dev/ttyACM0
//   baud = 9600                    # serial only
//
// Also errors: no bus or no compartment, two buses on one device, two compartments with one
// number, on one bus+board+lock, or at one row+column.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "drivers/lockers/serial/board_family.hpp"
#include "drivers/lockers/serial/lock_board_bus.hpp"

namespace civicbox::lockers {

enum class CompartmentSize { S, M, L };
enum class CompartmentRole { dropoff, pickup };

struct BusProfile {
  std::string device;
  BoardFamily family = BoardFamily::kerong;
  SetBitMeans set_lock_bit = SetBitMeans::open;
  std::chrono::milliseconds reply_timeout{1500};
};

struct CompartmentProfile {
  int number = 0;
  int bus = 0;  // index into CabinetProfile::buses
  int board = 0;
  int lock = 0;  // 1-based
  CompartmentSize size = CompartmentSize::M;
  int row = 0;
  int column = 0;
  CompartmentRole role = CompartmentRole::pickup;
};

enum class PrinterLink { usb, file, tcp };
enum class ScannerKind { camera, wedge, serial };

struct PrinterProfile {
  PrinterLink link = PrinterLink::usb;
  std::string address;
  int paper_mm = 80;
  bool native_qr = true;
  bool raster_text = true;
};

struct ScannerProfile {
  ScannerKind kind = ScannerKind::camera;
  std::string device;
  int baud = 9600;
};

struct CabinetProfile {
  std::vector<BusProfile> buses;
  std::vector<CompartmentProfile> compartments;  // ascending by number
  std::optional<PrinterProfile> printer;
  std::optional<ScannerProfile> scanner;
};

// Errors: parse (TOML syntax), unknown_field, missing_field, wrong_type, invalid_argument,
// conflict (duplicates); each names the key and its line.
Expected<CabinetProfile> parse_cabinet_profile(std::string_view text);

// Reads and parses a profile file. Errors: io, and those of parse_cabinet_profile().
Expected<CabinetProfile> load_cabinet_profile(const std::filesystem::path& file);

// The profile as TOML that parse_cabinet_profile() reads back to the same profile (the
// cabinet simulator writes one with its pseudo-terminals as the devices).
std::string to_toml(const CabinetProfile& profile);

std::string_view to_string(CompartmentSize size);
std::string_view to_string(CompartmentRole role);

}  // namespace civicbox::lockers
