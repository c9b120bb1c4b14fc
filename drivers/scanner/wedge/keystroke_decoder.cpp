#include "drivers/scanner/wedge/keystroke_decoder.hpp"

#include <array>

#include "drivers/scanner/wedge/us_key_map.hpp"

namespace civicbox::scanner {

namespace {

constexpr int kReleased = 0;
constexpr int kPressed = 1;  // 2 is an auto-repeat, ignored

constexpr std::array<unsigned, 6> kChordKeys{KEY_LEFTCTRL, KEY_RIGHTCTRL, KEY_LEFTALT,
                                             KEY_RIGHTALT, KEY_LEFTMETA,  KEY_RIGHTMETA};

std::optional<unsigned> chord_bit(unsigned code) {
  for (std::size_t i = 0; i < kChordKeys.size(); ++i) {
    if (kChordKeys[i] == code) return 1U << i;
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(WedgeDrop drop) {
  switch (drop) {
    case WedgeDrop::no_enter:
      return "no Enter came";
    case WedgeDrop::too_long:
      return "longer than any code";
    case WedgeDrop::unknown_key:
      return "a key without a character";
    case WedgeDrop::events_lost:
      return "key events were lost";
  }
  return "unknown";
}

KeystrokeDecoder::KeystrokeDecoder(KeystrokeDecoderOptions options) : options_(options) {}

void KeystrokeDecoder::feed(const input_event& event, Clock::time_point now) {
  expire(now);
  if (event.type == EV_SYN && event.code == SYN_DROPPED) {
    // The kernel's buffer overflowed: keys of this scan (maybe its Enter) are missing, and the
    // Shift state may be stale.
    left_shift_ = right_shift_ = false;
    chord_keys_ = 0;
    spoil(WedgeDrop::events_lost);
    last_key_ = now;
    return;
  }
  if (event.type != EV_KEY) return;  // EV_SYN reports, EV_MSC scan codes, LEDs
  on_key(event.code, event.value, now);
}

void KeystrokeDecoder::on_key(unsigned code, int value, Clock::time_point now) {
  if (value != kPressed && value != kReleased) return;
  const bool pressed = value == kPressed;
  if (code == KEY_LEFTSHIFT) {
    left_shift_ = pressed;
    return;
  }
  if (code == KEY_RIGHTSHIFT) {
    right_shift_ = pressed;
    return;
  }
  if (auto bit = chord_bit(code)) {
    chord_keys_ = pressed ? (chord_keys_ | *bit) : (chord_keys_ & ~*bit);
    return;
  }
  if (!pressed || code == KEY_CAPSLOCK || code == KEY_NUMLOCK) return;

  if (code == KEY_ENTER || code == KEY_KPENTER) {
    finish();
    return;
  }
  last_key_ = now;
  const auto c = us_character(code, left_shift_ || right_shift_);
  if (!c || chord_keys_ != 0) {
    spoil(WedgeDrop::unknown_key);
    ++typed_;
    return;
  }
  ++typed_;
  if (typed_ > options_.max_length) {
    spoil(WedgeDrop::too_long);
    return;
  }
  if (!spoiled_) partial_.push_back(*c);
}

void KeystrokeDecoder::finish() {
  if (spoiled_) {
    results_.push_back(DroppedInput{*spoiled_, typed_});
  } else if (!partial_.empty()) {
    results_.push_back(TypedScan{std::move(partial_)});
  }
  partial_.clear();
  typed_ = 0;
  spoiled_.reset();
  last_key_.reset();
}

void KeystrokeDecoder::spoil(WedgeDrop reason) {
  if (!spoiled_) spoiled_ = reason;
  partial_.clear();
  partial_.shrink_to_fit();
}

void KeystrokeDecoder::drop_partial(WedgeDrop reason) {
  results_.push_back(DroppedInput{spoiled_.value_or(reason), typed_});
  partial_.clear();
  typed_ = 0;
  spoiled_.reset();
  last_key_.reset();
}

void KeystrokeDecoder::expire(Clock::time_point now) {
  if (last_key_ && now - *last_key_ >= options_.partial_timeout) {
    drop_partial(WedgeDrop::no_enter);
  }
}

std::optional<KeystrokeDecoder::Clock::time_point> KeystrokeDecoder::expires_at() const {
  if (!last_key_) return std::nullopt;
  return *last_key_ + options_.partial_timeout;
}

std::optional<KeystrokeResult> KeystrokeDecoder::take() {
  if (results_.empty()) return std::nullopt;
  KeystrokeResult r = std::move(results_.front());
  results_.pop_front();
  return r;
}

void KeystrokeDecoder::reset() {
  left_shift_ = right_shift_ = false;
  chord_keys_ = 0;
  partial_.clear();
  typed_ = 0;
  spoiled_.reset();
  last_key_.reset();
  results_.clear();
}

}  // namespace civicbox::scanner
