#include "drivers/printer/escpos/receipt_layout.hpp"

#include <algorithm>
#include <ctime>
#include <string>

#include "drivers/printer/escpos/code_page.hpp"
#include "drivers/printer/escpos/qr_bitmap.hpp"
#include "drivers/printer/escpos/receipt_labels.hpp"

namespace civicbox::escpos {

namespace {

constexpr int kFontADots = 12;  // the printer's own font A is 12 × 24 dots
constexpr int kFontBDots = 9;   // and font B 9 × 17

enum class Size { small, body, title, big };

struct Line {
  Size size = Size::body;
  bool bold = false;
  Align align = Align::left;
};

std::string local_time(std::int64_t at_ms, std::string_view format) {
  const auto seconds = static_cast<std::time_t>(at_ms / 1000);
  std::tm tm{};
  localtime_r(&seconds, &tm);
  char text[64];
  const std::string f(format);
  if (std::strftime(text, sizeof text, f.c_str(), &tm) == 0) return {};
  return text;
}

// Writes lines in one of the two text modes; both share the receipt's structure below.
class ReceiptWriter {
 public:
  ReceiptWriter(const ReceiptLayout& layout, CodePage page, TextRenderer* fonts)
      : layout_(layout), dots_(dots_across(layout.paper)), page_(page), fonts_(fonts) {}

  Bytes& bytes() { return out_; }

  Expected<void> start() {
    append(out_, initialise());
    append(out_, leave_kanji());
    if (layout_.text_mode == TextMode::code_page) {
      append(out_, code_table(static_cast<std::uint8_t>(page_)));
    }
    append(out_, align(Align::left));
    return {};
  }

  Expected<void> line(std::string_view text, Line style) {
    if (layout_.text_mode == TextMode::raster) return raster_line(text, style);
    return code_page_line(text, style);
  }

  void gap(std::uint8_t lines = 1) { append(out_, feed_lines(lines)); }

  Expected<void> qr(const std::string& url) {
    const int module = layout_.paper == PaperWidth::mm80 ? 6 : 5;
    if (layout_.native_qr) {
      gap();  // the printer draws no quiet zone around its own QR codes
      append(out_, align(Align::centre));
      append(out_, qr_model_2());
      CIVICBOX_TRY(auto size, qr_module_size(module));
      append(out_, size);
      append(out_, qr_error_level(QrErrorLevel::medium));
      CIVICBOX_TRY(auto store, qr_store(url));
      append(out_, store);
      append(out_, qr_print());
      append(out_, align(Align::left));
      gap();
      return {};
    }
    for (int m = module; m >= 1; --m) {
      CIVICBOX_TRY(Bitmap code, qr_bitmap(url, m, QrErrorLevel::medium));
      if (code.width > dots_) continue;
      Bitmap row = Bitmap::blank(dots_, code.height);
      row.draw(code, (dots_ - code.width) / 2, 0);
      CIVICBOX_TRY(auto image, raster(row));
      append(out_, image);
      return {};
    }
    return make_error(ErrorCode::too_large, "the tracking URL makes a QR code wider than " +
                                                std::to_string(dots_) + " dots");
  }

  void finish() {
    append(out_, feed_lines(4));
    append(out_, cut(Cut::partial));
  }

 private:
  int pixel_size(Size size) const {
    const bool wide = layout_.paper == PaperWidth::mm80;
    switch (size) {
      case Size::small:
        return 19;
      case Size::body:
        return 23;
      case Size::title:
        return wide ? 30 : 27;
      case Size::big:
        break;
    }
    return wide ? 60 : 44;
  }

  Expected<void> raster_line(std::string_view text, Line style) {
    if (fonts_ == nullptr) {
      return make_error(ErrorCode::invalid_argument, "raster text needs the fonts");
    }
    TextStyle ts{pixel_size(style.size), style.bold, false};
    std::vector<std::string> lines;
    if (style.size == Size::big) {
      // The tracking code stays on one line: smaller letters rather than a break.
      for (;;) {
        CIVICBOX_TRY(int w, fonts_->measure(text, ts));
        if (w <= dots_ || ts.pixel_size <= 12) break;
        ts.pixel_size -= 2;
      }
      lines.emplace_back(text);
    } else {
      CIVICBOX_TRY(lines, fonts_->wrap(text, ts, dots_));
    }
    for (const auto& l : lines) {
      CIVICBOX_TRY(Bitmap glyphs, fonts_->render(l, ts));
      Bitmap row = Bitmap::blank(dots_, glyphs.height + 2);
      int x = 0;
      if (style.align == Align::centre) x = (dots_ - glyphs.width) / 2;
      if (style.align == Align::right) x = dots_ - glyphs.width;
      row.draw(glyphs, std::max(0, x), 1);
      CIVICBOX_TRY(auto image, raster(row));
      append(out_, image);
    }
    return {};
  }

  // Wraps at spaces by character count: font A is 12 dots a character, times the width.
  Expected<void> code_page_line(std::string_view text, Line style) {
    const int scale = style.size == Size::big ? 2 : 1;
    const bool small = style.size == Size::small;
    const int dots_a_character = (small ? kFontBDots : kFontADots) * scale;
    const auto columns = static_cast<std::size_t>(std::max(1, dots_ / dots_a_character));
    append(out_, align(style.align));
    if (small) append(out_, small_font(true));
    if (style.bold) append(out_, bold(true));
    if (scale != 1) {
      CIVICBOX_TRY(auto size, character_size(scale, scale));
      append(out_, size);
    }
    std::u32string rest = utf8_to_code_points(text);
    do {
      std::size_t take = std::min(columns, rest.size());
      if (take < rest.size()) {
        const auto space = rest.rfind(U' ', take);
        if (space != std::u32string::npos && space > 0) take = space;
      }
      std::u32string_view piece(rest.data(), take);
      append(out_, encode_text(code_points_to_utf8(piece), page_));
      out_.push_back('\n');
      rest.erase(0, take);
      while (!rest.empty() && rest.front() == U' ') rest.erase(0, 1);
    } while (!rest.empty());
    if (scale != 1) {
      CIVICBOX_TRY(auto size, character_size(1, 1));
      append(out_, size);
    }
    if (style.bold) append(out_, bold(false));
    if (small) append(out_, small_font(false));
    append(out_, align(Align::left));
    return {};
  }

  const ReceiptLayout& layout_;
  int dots_;
  CodePage page_;
  TextRenderer* fonts_;
  Bytes out_;
};

}  // namespace

int dots_across(PaperWidth paper) {
  return paper == PaperWidth::mm58 ? 384 : 576;
}

Expected<Bytes> lay_out_receipt(const drivers::Receipt& r, const ReceiptLayout& layout,
                                TextRenderer* fonts) {
  if (r.track_url.empty()) {
    return make_error(ErrorCode::invalid_argument, "a receipt needs its tracking URL");
  }
  const ReceiptLabels& words = receipt_labels(r.language);
  ReceiptWriter w(layout, code_page_for_language(r.language), fonts);
  CIVICBOX_CHECK(w.start());
  CIVICBOX_CHECK(w.line(r.institution, {Size::title, true, Align::centre}));
  CIVICBOX_CHECK(w.line(words.title, {Size::body, false, Align::centre}));
  w.gap();
  CIVICBOX_CHECK(w.line(std::string(words.box) + ": " + r.box_id, {}));
  CIVICBOX_CHECK(
      w.line(std::string(words.filed_at) + ": " + local_time(r.at_ms, words.date_format), {}));
  w.gap();
  CIVICBOX_CHECK(w.line(words.tracking_code, {Size::body, false, Align::centre}));
  const std::string& code = r.tracking_display.empty() ? r.tracking_code : r.tracking_display;
  CIVICBOX_CHECK(w.line(code, {Size::big, true, Align::centre}));
  w.gap();
  if (r.registration_number) {
    CIVICBOX_CHECK(w.line(std::string(words.registration_number) + ":", {}));
    CIVICBOX_CHECK(w.line(*r.registration_number, {Size::title, true, Align::left}));
  } else {
    CIVICBOX_CHECK(w.line(std::string(words.provisional_number) + ":", {Size::body, true}));
    CIVICBOX_CHECK(w.line(r.provisional_number, {Size::title, true, Align::left}));
    CIVICBOX_CHECK(w.line(words.provisional_note, {Size::small}));
  }
  w.gap();
  CIVICBOX_CHECK(w.line(words.follow, {Size::body, false, Align::centre}));
  CIVICBOX_CHECK(w.qr(r.track_url));
  CIVICBOX_CHECK(w.line(r.track_url, {Size::small, false, Align::centre}));
  w.finish();
  return std::move(w.bytes());
}

Expected<Bytes> lay_out_test_receipt(const drivers::TestReceipt& r, const ReceiptLayout& layout,
                                     TextRenderer* fonts) {
  if (r.code.empty()) return make_error(ErrorCode::invalid_argument, "a test receipt needs a code");
  const ReceiptLabels& words = receipt_labels("en");
  ReceiptWriter w(layout, code_page_for_language("en"), fonts);
  CIVICBOX_CHECK(w.start());
  CIVICBOX_CHECK(w.line("civicbox self-test", {Size::title, true, Align::centre}));
  CIVICBOX_CHECK(w.line("Not a proof of filing", {Size::small, false, Align::centre}));
  w.gap();
  CIVICBOX_CHECK(w.line(std::string(words.box) + ": " + r.box_id, {}));
  CIVICBOX_CHECK(w.line("Printed: " + local_time(r.at_ms, words.date_format), {Size::body, false}));
  w.gap();
  CIVICBOX_CHECK(w.line("Show this code to the box's camera", {Size::body, false, Align::centre}));
  CIVICBOX_CHECK(w.qr(r.code));
  CIVICBOX_CHECK(w.line(r.code, {Size::small, false, Align::centre}));
  w.finish();
  return std::move(w.bytes());
}

}  // namespace civicbox::escpos
