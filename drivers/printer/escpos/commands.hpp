// The ESC/POS commands a receipt needs, as bytes (HARDWARE.md, "ESC/POS receipt printers").
// Pure functions: no I/O, golden-byte tested. A command whose arguments the printer cannot take
// is an invalid_argument / too_large error here rather than garbage on paper.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "drivers/printer/escpos/bitmap.hpp"

namespace civicbox::escpos {

using Bytes = std::vector<std::uint8_t>;

enum class Align : std::uint8_t { left = 0, centre = 1, right = 2 };
enum class Cut : std::uint8_t { full = 0x00, partial = 0x01 };
enum class QrErrorLevel : std::uint8_t { low = 48, medium = 49, quartile = 50, high = 51 };
// DLE EOT n: 1 printer (offline), 2 offline cause (cover, paper end stop, error), 4 paper roll.
enum class StatusQuery : std::uint8_t { printer = 1, offline_cause = 2, paper = 4 };

inline constexpr std::size_t kMaxQrData = 7089;  // model 2, version 40, numeric: the hard limit

void append(Bytes& out, std::span<const std::uint8_t> more);

Bytes initialise();                      // ESC @
Bytes leave_kanji();                     // FS .
Bytes code_table(std::uint8_t table);    // ESC t n
Bytes bold(bool on);                     // ESC E n
Bytes underline(int dots);               // ESC - n, 0..2 (clamped)
Bytes small_font(bool on);               // ESC M n: font B (9 × 17 dots) or font A (12 × 24)
Bytes align(Align where);                // ESC a n
Bytes feed_lines(std::uint8_t lines);    // ESC d n
Bytes cut(Cut kind);                     // GS V 0 / GS V 1
Bytes feed_and_cut(std::uint8_t lines);  // GS V 66 n: feed n lines, then a partial cut
// GS ! n, width and height multipliers 1..8. Errors: invalid_argument.
Expected<Bytes> character_size(int width, int height);
// GS v 0 0: the picture as it is. Errors: invalid_argument (empty), too_large (over 65535
// bytes a row or dots high).
Expected<Bytes> raster(const Bitmap& picture);

// Native QR (GS ( k, model 2): model, module size, error level, store the data, print it.
Bytes qr_model_2();
Expected<Bytes> qr_module_size(int dots);  // 1..16 dots. Errors: invalid_argument.
Bytes qr_error_level(QrErrorLevel level);
Expected<Bytes> qr_store(std::string_view data);  // 1..kMaxQrData bytes. Errors: invalid_argument
Bytes qr_print();

Bytes status_request(StatusQuery query);  // DLE EOT n

}  // namespace civicbox::escpos
