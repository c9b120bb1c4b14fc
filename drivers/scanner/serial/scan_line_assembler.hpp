// Cuts the byte stream of a serial QR scanner into scans. Pure: no I/O, no clock of its own
// (the time bytes arrived is passed in), so it is unit tested and fuzzed byte for byte.
//
// Contract:
// - A scan ends with the configured line end. `automatic` takes CR, LF or CR LF (an LF right
//   after a CR is part of the same line end); a fixed setting treats the other byte as a
//   control character, so a multi-line QR code is one spoiled scan instead of several.
// - A scan is delivered only if it is printable UTF-8 text (no C0/C1 controls, no DEL, no
//   broken sequences) of at most `max_length` bytes; anything else is dropped whole at its line
//   end. Empty lines give nothing.
// - A partial line with no byte for `partial_timeout` is dropped (expire()), so the remains of
//   a cut-off scan never prefix the next one.
// Drops are reported (reason and length, never the text: it may be a pickup code).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "common/scanned.hpp"

namespace civicbox::scanner {

enum class LineEnd { automatic, cr, lf, crlf };
std::string_view to_string(LineEnd end);

struct ScanLineOptions {
  LineEnd line_end = LineEnd::automatic;
  std::size_t max_length = kMaxScannedLength;
  std::chrono::milliseconds partial_timeout{500};  // since the last byte of a partial line
};

// Why received bytes were thrown away.
enum class LineDrop {
  no_line_end,  // no line end within the partial timeout
  too_long,     // longer than max_length
  unprintable,  // a control byte, or bytes that are not UTF-8 text
};
std::string_view to_string(LineDrop drop);

struct ScanLine {
  std::string text;
};
struct DroppedLine {
  LineDrop reason;
  std::size_t length;  // bytes received for the line, without its line end
};
using ScanLineResult = std::variant<ScanLine, DroppedLine>;

class ScanLineAssembler {
 public:
  using Clock = std::chrono::steady_clock;

  explicit ScanLineAssembler(ScanLineOptions options = {});

  // Bytes received at `now`. Expires a stale partial line first.
  void feed(std::span<const std::uint8_t> bytes, Clock::time_point now);
  // Drops a partial line whose last byte is older than the partial timeout.
  void expire(Clock::time_point now);
  // When the partial line expires, if there is one.
  [[nodiscard]] std::optional<Clock::time_point> expires_at() const;
  // The next finished scan or drop, oldest first.
  std::optional<ScanLineResult> take();
  // Forgets the partial line and pending results (the adapter went away).
  void reset();

 private:
  void add(std::uint8_t byte);
  void end_line();
  void spoil(LineDrop reason);

  ScanLineOptions options_;
  std::string partial_;
  std::size_t received_ = 0;  // bytes of this line, also past max_length
  std::optional<LineDrop> spoiled_;
  bool after_cr_ = false;    // automatic: the last byte ended a line with CR
  bool pending_cr_ = false;  // crlf: a CR waits for its LF
  std::optional<Clock::time_point> last_byte_;
  std::deque<ScanLineResult> results_;
};

}  // namespace civicbox::scanner
