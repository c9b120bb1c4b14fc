// How a filing receipt looks on a thermal printer, as the ESC/POS bytes from ESC @ to the cut:
// the town hall's name, the box, when it was filed (local time: the process TZ is the town
// hall's), the tracking code in big letters, the registration number or the provisional number
// clearly marked as such, a QR with the tracking URL, and the cut.
//
// Text is either drawn into raster images (the default: exact glyphs, ș ț with the comma below,
// on every printer) or sent as code-page text (faster on slow printers; Romanian gets ş ţ).
// The QR is either the printer's own (GS ( k) or drawn with ZXing and sent as raster.
#pragma once

#include "common/error.hpp"
#include "drivers/printer/escpos/commands.hpp"
#include "drivers/printer/escpos/text_renderer.hpp"
#include "drivers/printer/printer.hpp"

namespace civicbox::escpos {

enum class PaperWidth { mm58, mm80 };
enum class TextMode { raster, code_page };

// The print head's width: 384 dots on 58 mm paper, 576 on 80 mm (203 dpi).
int dots_across(PaperWidth paper);

struct ReceiptLayout {
  PaperWidth paper = PaperWidth::mm80;
  bool native_qr = true;  // false: the QR goes as a raster image (printers without GS ( k)
  TextMode text_mode = TextMode::raster;
};

// Errors: invalid_argument (raster mode without fonts, an empty tracking URL), too_large (a URL
// too long for a QR code on this paper), io (a font failed).
Expected<Bytes> lay_out_receipt(const drivers::Receipt& receipt, const ReceiptLayout& layout,
                                TextRenderer* fonts);

// The self-test's receipt, in English (it is for the technician): "civicbox self-test", the box,
// when, the QR with the test code and the code in letters under it. Errors: invalid_argument (no
// code, raster mode without fonts), too_large (a code too long for a QR on this paper).
Expected<Bytes> lay_out_test_receipt(const drivers::TestReceipt& receipt,
                                     const ReceiptLayout& layout, TextRenderer* fonts);

}  // namespace civicbox::escpos
