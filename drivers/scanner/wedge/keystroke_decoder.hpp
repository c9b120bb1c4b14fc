// Turns the key events of a keyboard-wedge scanner into the text of each scan. Pure: no I/O, no
// clock of its own (the time of each event is passed in), so it is unit tested and fuzzed with
// raw input_event bytes.
//
// Contract:
// - Characters come from our US key map with Shift tracked (either Shift key); Caps Lock is
//   ignored (scanners send Shift for capitals), key repeats (value 2) and releases are ignored.
// - Enter (main or keypad) ends a scan; Enter with nothing typed gives nothing.
// - A scan is delivered only if every key of it had a character and no events were lost: a key
//   without a character, a Ctrl/Alt/Meta chord or a SYN_DROPPED spoils the scan, which is then
//   dropped at its Enter, never delivered with a character missing.
// - Input longer than `max_length` is dropped whole at its Enter.
// - A partial scan with no key for `partial_timeout` is dropped (expire()), so the remains of a
//   scan cut short never prefix the next one.
// Drops are reported (reason and length, never the text: it may be a pickup code) so the driver
// can log them.
#pragma once

#include <linux/input.h>

#include <chrono>
#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "common/scanned.hpp"

namespace civicbox::scanner {

struct KeystrokeDecoderOptions {
  std::size_t max_length = kMaxScannedLength;
  std::chrono::milliseconds partial_timeout{500};  // since the last key of a partial scan
};

// Why typed input was thrown away.
enum class WedgeDrop {
  no_enter,     // no Enter within the partial timeout
  too_long,     // longer than max_length
  unknown_key,  // a key or chord the US map gives no character for
  events_lost,  // the kernel dropped events (SYN_DROPPED)
};
std::string_view to_string(WedgeDrop drop);

struct TypedScan {
  std::string text;
};
struct DroppedInput {
  WedgeDrop reason;
  std::size_t length;  // characters typed before the drop
};
using KeystrokeResult = std::variant<TypedScan, DroppedInput>;

class KeystrokeDecoder {
 public:
  using Clock = std::chrono::steady_clock;

  explicit KeystrokeDecoder(KeystrokeDecoderOptions options = {});

  // One event, read at `now`. Expires a stale partial scan first.
  void feed(const input_event& event, Clock::time_point now);
  // Drops a partial scan whose last key is older than the partial timeout.
  void expire(Clock::time_point now);
  // When the partial scan expires, if there is one.
  [[nodiscard]] std::optional<Clock::time_point> expires_at() const;
  // The next finished scan or drop, oldest first.
  std::optional<KeystrokeResult> take();
  // Forgets everything (the device went away): modifiers, the partial scan, pending results.
  void reset();

 private:
  void on_key(unsigned code, int value, Clock::time_point now);
  void finish();
  void spoil(WedgeDrop reason);
  void drop_partial(WedgeDrop reason);

  KeystrokeDecoderOptions options_;
  bool left_shift_ = false;
  bool right_shift_ = false;
  unsigned chord_keys_ = 0;  // one bit per Ctrl, Alt, Meta key held
  std::string partial_;
  std::size_t typed_ = 0;  // characters typed in this scan, also past max_length
  std::optional<WedgeDrop> spoiled_;
  std::optional<Clock::time_point> last_key_;
  std::deque<KeystrokeResult> results_;
};

}  // namespace civicbox::scanner
