// What a printer says about itself in its one-byte answers to DLE EOT 1, 2 and 4 (HARDWARE.md).
// Every answer has bits 1 and 4 set and bits 0 and 7 clear; anything else is not a status byte
// (a stray byte of another reply, line noise) and is a parse error, not a guess. Silence is not
// parsed at all: the caller reports it as "unknown", never as "fine".
#pragma once

#include <cstdint>
#include <span>

#include "common/error.hpp"
#include "drivers/printer/escpos/commands.hpp"
#include "drivers/printer/printer.hpp"

namespace civicbox::escpos {

// The union of what the three queries report; a query sets only its own fields.
struct PrinterState {
  bool offline = false;         // n=1 bit 3
  bool cover_open = false;      // n=2 bit 2
  bool paper_end_stop = false;  // n=2 bit 5: stopped because the paper ran out
  bool error = false;           // n=2 bit 6: cutter jam, head too hot, ...
  bool roll_near_end = false;   // n=4 bits 2-3 (0x0C)
  bool roll_end = false;        // n=4 bits 5-6 (0x60)

  bool operator==(const PrinterState&) const = default;
  PrinterState& operator|=(const PrinterState& other);
};

// Parses the reply to one DLE EOT query: exactly one byte with the fixed bits right.
// Errors: parse (no byte, several bytes, fixed bits wrong).
Expected<PrinterState> parse_status_reply(StatusQuery query, std::span<const std::uint8_t> reply);

// The byte a healthy-fixed-bits printer sends for `state` (used by tests and the fuzz target).
std::uint8_t status_reply_byte(StatusQuery query, const PrinterState& state);

// What the kiosk needs to know, worst first: cover open, paper out, offline/error, paper low.
drivers::PrinterStatus summarize(const PrinterState& state);

}  // namespace civicbox::escpos
