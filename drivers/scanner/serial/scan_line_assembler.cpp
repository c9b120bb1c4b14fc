#include "drivers/scanner/serial/scan_line_assembler.hpp"

namespace civicbox::scanner {

namespace {

constexpr std::uint8_t kCr = 0x0D;
constexpr std::uint8_t kLf = 0x0A;

bool is_control(std::uint8_t b) {
  return b < 0x20 || b == 0x7F;
}

}  // namespace

std::string_view to_string(LineEnd end) {
  switch (end) {
    case LineEnd::automatic:
      return "CR, LF or CR LF";
    case LineEnd::cr:
      return "CR";
    case LineEnd::lf:
      return "LF";
    case LineEnd::crlf:
      return "CR LF";
  }
  return "unknown";
}

std::string_view to_string(LineDrop drop) {
  switch (drop) {
    case LineDrop::no_line_end:
      return "no line end came";
    case LineDrop::too_long:
      return "longer than any code";
    case LineDrop::unprintable:
      return "control bytes or bytes that are not text";
  }
  return "unknown";
}

ScanLineAssembler::ScanLineAssembler(ScanLineOptions options) : options_(options) {}

void ScanLineAssembler::feed(std::span<const std::uint8_t> bytes, Clock::time_point now) {
  expire(now);
  for (std::uint8_t b : bytes) {
    add(b);
    if (received_ > 0 || spoiled_ || pending_cr_) last_byte_ = now;
  }
}

void ScanLineAssembler::add(std::uint8_t b) {
  switch (options_.line_end) {
    case LineEnd::automatic:
      if (b == kCr) {
        end_line();
        after_cr_ = true;
        return;
      }
      if (b == kLf) {
        if (!after_cr_) end_line();
        after_cr_ = false;
        return;
      }
      after_cr_ = false;
      break;
    case LineEnd::cr:
      if (b == kCr) return end_line();
      break;
    case LineEnd::lf:
      if (b == kLf) return end_line();
      break;
    case LineEnd::crlf:
      if (pending_cr_) {
        pending_cr_ = false;
        if (b == kLf) return end_line();
        spoil(LineDrop::unprintable);  // a CR inside the line
        ++received_;
      }
      if (b == kCr) {
        pending_cr_ = true;
        return;
      }
      break;
  }
  ++received_;
  if (is_control(b)) spoil(LineDrop::unprintable);
  if (received_ > options_.max_length) spoil(LineDrop::too_long);
  if (!spoiled_) partial_.push_back(static_cast<char>(b));
}

void ScanLineAssembler::end_line() {
  if (spoiled_) {
    results_.push_back(DroppedLine{*spoiled_, received_});
  } else if (!partial_.empty()) {
    if (is_printable_text(partial_)) {
      results_.push_back(ScanLine{std::move(partial_)});
    } else {
      results_.push_back(DroppedLine{LineDrop::unprintable, received_});
    }
  }
  partial_.clear();
  received_ = 0;
  spoiled_.reset();
  pending_cr_ = false;
  last_byte_.reset();
}

void ScanLineAssembler::spoil(LineDrop reason) {
  if (!spoiled_) spoiled_ = reason;
  partial_.clear();
  partial_.shrink_to_fit();
}

void ScanLineAssembler::expire(Clock::time_point now) {
  if (!last_byte_ || now - *last_byte_ < options_.partial_timeout) return;
  results_.push_back(DroppedLine{spoiled_.value_or(LineDrop::no_line_end), received_});
  partial_.clear();
  received_ = 0;
  spoiled_.reset();
  pending_cr_ = false;
  after_cr_ = false;
  last_byte_.reset();
}

std::optional<ScanLineAssembler::Clock::time_point> ScanLineAssembler::expires_at() const {
  if (!last_byte_) return std::nullopt;
  return *last_byte_ + options_.partial_timeout;
}

std::optional<ScanLineResult> ScanLineAssembler::take() {
  if (results_.empty()) return std::nullopt;
  ScanLineResult r = std::move(results_.front());
  results_.pop_front();
  return r;
}

void ScanLineAssembler::reset() {
  partial_.clear();
  received_ = 0;
  spoiled_.reset();
  after_cr_ = false;
  pending_cr_ = false;
  last_byte_.reset();
  results_.clear();
}

}  // namespace civicbox::scanner
