// Reading and making QR codes: the one adapter over ZXing-cpp. ZXing renames its option types
// between versions (DecodeHints → ReaderOptions) and civicbox must survive that upgrade by
// editing one .cpp, so no ZXing type appears here.
//
// Reading: QR codes only, from an 8-bit grayscale view the caller owns. A code whose payload is
// not box text (see qr_text.hpp) is reported as `foreign`, never as text. Decode failures are
// not errors: most camera frames hold no code.
// Making: for the camera simulator and tests (the receipt printer draws its own codes).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace civicbox::drivers::qr {

// A grayscale image the caller owns; row_stride in bytes (>= width).
struct GrayView {
  const std::uint8_t* pixels = nullptr;
  int width = 0;
  int height = 0;
  int row_stride = 0;
};

struct Point {
  int x = 0;
  int y = 0;
};

// The code's corners in the image: top-left, top-right, bottom-right, bottom-left as printed
// (so after a rotation, corners[0] is wherever the code's own top-left finder pattern is).
using Corners = std::array<Point, 4>;

struct QrRead {
  std::string text;
  Corners corners{};
};

// What one look at a frame found.
struct QrLook {
  std::optional<QrRead> read;  // a code with box text
  bool foreign = false;        // a QR code was there but its payload is not box text
};

// The decoder's effort. Each extra pass costs time on every frame, and most frames are empty;
// tests/bench/scanner/bench_qr_decode measures them. The defaults are what the box uses,
// measured on an empty 720p frame: 3.6 ms CPU (library default, all three on: 4.3 ms).
struct DecodeEffort {
  bool try_harder = false;  // more scan lines: reads 1.5 px/module codes (70 → 95 %), +30 % time
  bool try_rotate = false;  // turn the frame 90° too: only matters for 1-D codes
  bool try_downscale = true;  // also a reduced copy: noisy dark frames read 55 → 100 %, +40 %
};

QrLook look_for_qr(const GrayView& image, const DecodeEffort& effort = {});

inline std::optional<QrRead> read_qr(const GrayView& image, const DecodeEffort& effort = {}) {
  return look_for_qr(image, effort).read;
}

// Error correction: how much of the code may be damaged (about 7, 15, 25, 30 %).
enum class EccLevel { low, medium, quartile, high };

// A QR symbol, one byte per module (1 = dark), no quiet zone.
struct QrModules {
  int size = 0;  // modules per side: 21, 25, … 177
  std::vector<std::uint8_t> dark;
  [[nodiscard]] bool is_dark(int x, int y) const {
    return dark[static_cast<std::size_t>(y) * static_cast<std::size_t>(size) +
                static_cast<std::size_t>(x)] != 0;
  }
};

// Text is stored as UTF-8 bytes (with the UTF-8 ECI when it is not plain ASCII), so that
// look_for_qr reads it back as box text. Errors: invalid_argument (empty, or too long for a QR
// code at this level).
Expected<QrModules> make_qr(std::string_view text, EccLevel ecc = EccLevel::medium);

// Arbitrary bytes in byte mode without an ECI: what a foreign (binary) code looks like. For tests.
Expected<QrModules> make_qr_from_bytes(std::span<const std::uint8_t> payload,
                                       EccLevel ecc = EccLevel::medium);

// An 8-bit picture of the symbol: black modules (0) on white (255), `module_px` pixels per module
// and a quiet zone of `quiet_modules` on every side.
struct GrayImage {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> pixels;  // row-major, stride == width
};
GrayImage draw_qr(const QrModules& modules, int module_px, int quiet_modules = 4);

}  // namespace civicbox::drivers::qr
