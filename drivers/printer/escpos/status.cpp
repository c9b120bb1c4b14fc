#include "drivers/printer/escpos/status.hpp"

#include <cstdio>
#include <string>

namespace civicbox::escpos {

namespace {

constexpr std::uint8_t kFixedMask = 0x93;  // bits 0, 1, 4, 7
constexpr std::uint8_t kFixedBits = 0x12;  // bits 1 and 4 set

std::string hex(std::uint8_t b) {
  char text[8];
  std::snprintf(text, sizeof text, "0x%02X", b);
  return text;
}

}  // namespace

PrinterState& PrinterState::operator|=(const PrinterState& o) {
  offline |= o.offline;
  cover_open |= o.cover_open;
  paper_end_stop |= o.paper_end_stop;
  error |= o.error;
  roll_near_end |= o.roll_near_end;
  roll_end |= o.roll_end;
  return *this;
}

Expected<PrinterState> parse_status_reply(StatusQuery query, std::span<const std::uint8_t> reply) {
  const int n = static_cast<int>(query);
  if (reply.size() != 1) {
    return make_error(ErrorCode::parse, "a reply to DLE EOT " + std::to_string(n) +
                                            " is one byte, not " + std::to_string(reply.size()));
  }
  const std::uint8_t b = reply[0];
  if ((b & kFixedMask) != kFixedBits) {
    return make_error(ErrorCode::parse, hex(b) +
                                            " is not a status byte (bits 1 and 4 set, 0 and "
                                            "7 clear) in reply to DLE EOT " +
                                            std::to_string(n));
  }
  PrinterState s;
  switch (query) {
    case StatusQuery::printer:
      s.offline = (b & 0x08) != 0;
      break;
    case StatusQuery::offline_cause:
      s.cover_open = (b & 0x04) != 0;
      s.paper_end_stop = (b & 0x20) != 0;
      s.error = (b & 0x40) != 0;
      break;
    case StatusQuery::paper:
      s.roll_near_end = (b & 0x0C) != 0;
      s.roll_end = (b & 0x60) != 0;
      break;
    default:
      return make_error(ErrorCode::invalid_argument,
                        "DLE EOT " + std::to_string(n) + " is not a status query we ask");
  }
  return s;
}

std::uint8_t status_reply_byte(StatusQuery query, const PrinterState& s) {
  std::uint8_t b = kFixedBits;
  switch (query) {
    case StatusQuery::printer:
      if (s.offline) b |= 0x08;
      break;
    case StatusQuery::offline_cause:
      if (s.cover_open) b |= 0x04;
      if (s.paper_end_stop) b |= 0x20;
      if (s.error) b |= 0x40;
      break;
    case StatusQuery::paper:
      if (s.roll_near_end) b |= 0x0C;
      if (s.roll_end) b |= 0x60;
      break;
  }
  return b;
}

drivers::PrinterStatus summarize(const PrinterState& s) {
  using drivers::PrinterStatus;
  if (s.cover_open) return PrinterStatus::cover_open;
  if (s.roll_end || s.paper_end_stop) return PrinterStatus::paper_out;
  if (s.offline || s.error) return PrinterStatus::offline;
  if (s.roll_near_end) return PrinterStatus::paper_low;
  return PrinterStatus::ready;
}

}  // namespace civicbox::escpos
