#include "drivers/printer/escpos/commands.hpp"

#include <string>

namespace civicbox::escpos {

namespace {

constexpr std::uint8_t kDle = 0x10;
constexpr std::uint8_t kEot = 0x04;
constexpr std::uint8_t kEsc = 0x1B;
constexpr std::uint8_t kFs = 0x1C;
constexpr std::uint8_t kGs = 0x1D;
constexpr std::uint8_t kQr = 49;  // cn of GS ( k

std::uint8_t low(std::size_t v) {
  return static_cast<std::uint8_t>(v & 0xFF);
}
std::uint8_t high(std::size_t v) {
  return static_cast<std::uint8_t>((v >> 8) & 0xFF);
}

// GS ( k pL pH cn fn params: pL + 256·pH counts cn, fn and the params.
Bytes qr_function(std::uint8_t fn, std::span<const std::uint8_t> params) {
  const std::size_t length = params.size() + 2;
  Bytes out{kGs, '(', 'k', low(length), high(length), kQr, fn};
  append(out, params);
  return out;
}

}  // namespace

void append(Bytes& out, std::span<const std::uint8_t> more) {
  out.insert(out.end(), more.begin(), more.end());
}

Bytes initialise() {
  return {kEsc, '@'};
}
Bytes leave_kanji() {
  return {kFs, '.'};
}
Bytes code_table(std::uint8_t table) {
  return {kEsc, 't', table};
}
Bytes bold(bool on) {
  return {kEsc, 'E', static_cast<std::uint8_t>(on ? 1 : 0)};
}

Bytes underline(int dots) {
  const int n = dots < 0 ? 0 : (dots > 2 ? 2 : dots);
  return {kEsc, '-', static_cast<std::uint8_t>(n)};
}

Bytes small_font(bool on) {
  return {kEsc, 'M', static_cast<std::uint8_t>(on ? 1 : 0)};
}

Bytes align(Align where) {
  return {kEsc, 'a', static_cast<std::uint8_t>(where)};
}
Bytes feed_lines(std::uint8_t lines) {
  return {kEsc, 'd', lines};
}
Bytes cut(Cut kind) {
  return {kGs, 'V', static_cast<std::uint8_t>(kind)};
}
Bytes feed_and_cut(std::uint8_t lines) {
  return {kGs, 'V', 66, lines};
}

Expected<Bytes> character_size(int width, int height) {
  if (width < 1 || width > 8 || height < 1 || height > 8) {
    return make_error(ErrorCode::invalid_argument, "character size is 1..8 wide and high, not " +
                                                       std::to_string(width) + "×" +
                                                       std::to_string(height));
  }
  const auto n = static_cast<std::uint8_t>(((width - 1) << 4) | (height - 1));
  return Bytes{kGs, '!', n};
}

Expected<Bytes> raster(const Bitmap& picture) {
  if (picture.width <= 0 || picture.height <= 0) {
    return make_error(ErrorCode::invalid_argument, "a raster image needs at least one dot");
  }
  const auto x = static_cast<std::size_t>(picture.bytes_per_row());
  const auto y = static_cast<std::size_t>(picture.height);
  if (x > 0xFFFF || y > 0xFFFF) {
    return make_error(ErrorCode::too_large,
                      "a raster image is at most 65535 bytes wide and "
                      "65535 dots high, not " +
                          std::to_string(x) + " × " + std::to_string(y));
  }
  if (picture.rows.size() != x * y) {
    return make_error(ErrorCode::invalid_argument, "a raster image's rows do not match its size");
  }
  Bytes out{kGs, 'v', '0', 0, low(x), high(x), low(y), high(y)};
  append(out, picture.rows);
  return out;
}

Bytes qr_model_2() {
  const std::uint8_t params[] = {50, 0};
  return qr_function(65, params);
}

Expected<Bytes> qr_module_size(int dots) {
  if (dots < 1 || dots > 16) {
    return make_error(ErrorCode::invalid_argument,
                      "a QR module is 1..16 dots, not " + std::to_string(dots));
  }
  const std::uint8_t params[] = {static_cast<std::uint8_t>(dots)};
  return qr_function(67, params);
}

Bytes qr_error_level(QrErrorLevel level) {
  const std::uint8_t params[] = {static_cast<std::uint8_t>(level)};
  return qr_function(69, params);
}

Expected<Bytes> qr_store(std::string_view data) {
  if (data.empty() || data.size() > kMaxQrData) {
    return make_error(ErrorCode::invalid_argument, "a QR code holds 1.." +
                                                       std::to_string(kMaxQrData) + " bytes, not " +
                                                       std::to_string(data.size()));
  }
  Bytes params{48};
  params.insert(params.end(), data.begin(), data.end());
  return qr_function(80, params);
}

Bytes qr_print() {
  const std::uint8_t params[] = {48};
  return qr_function(81, params);
}

Bytes status_request(StatusQuery query) {
  return {kDle, kEot, static_cast<std::uint8_t>(query)};
}

}  // namespace civicbox::escpos
