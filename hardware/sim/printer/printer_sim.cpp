#include "hardware/sim/printer/printer_sim.hpp"

#include "common/atomic_file.hpp"

#include <algorithm>
#include <cstdio>

#include "drivers/printer/escpos/qr_bitmap.hpp"

namespace civicbox::sim {

namespace {

using escpos::Bitmap;

constexpr std::uint8_t kDle = 0x10;
constexpr std::uint8_t kEsc = 0x1B;
constexpr std::uint8_t kFs = 0x1C;
constexpr std::uint8_t kGs = 0x1D;
constexpr int kFontADots = 12;    // font A: 12 × 24 dots a character
constexpr int kFontBDots = 9;     // font B: 9 × 17
constexpr int kPixelsFontA = 21;  // DejaVu at 21 px is about font A's 24 dots
constexpr int kPixelsFontB = 15;
// The largest GS v 0 image a printer takes: 4095 dots high (Epson's limit) and as wide as the
// widest head here (4096 dots); an image wider than this printer's head is clipped.
constexpr std::size_t kMaxRasterBytesAcross = 512;
constexpr std::size_t kMaxRasterRows = 4095;
constexpr int kMaxFeedDots = 8128;  // one ESC d feeds at most 1016 mm (40 in, at 8 dots a mm)
constexpr std::size_t kMaxLog = 1000;

std::string hex(std::uint8_t b) {
  char text[8];
  std::snprintf(text, sizeof text, "%02X", b);
  return text;
}

// Nearest-neighbour stretch or squeeze, horizontally. On the packed rows: white rows (most of
// a line of text) are skipped whole.
Bitmap scale_x(const Bitmap& in, int width) {
  if (width == in.width || in.width == 0) return in;
  Bitmap out = Bitmap::blank(width, in.height);
  const auto in_bytes = static_cast<std::size_t>(in.bytes_per_row());
  const auto out_bytes = static_cast<std::size_t>(out.bytes_per_row());
  if (in.rows.size() < in_bytes * static_cast<std::size_t>(in.height)) return out;
  std::vector<int> from(static_cast<std::size_t>(out.width));
  for (int x = 0; x < out.width; ++x) from[static_cast<std::size_t>(x)] = x * in.width / out.width;
  for (int y = 0; y < in.height; ++y) {
    const auto row = in.rows.begin() + static_cast<std::ptrdiff_t>(y) * in_bytes;
    if (std::all_of(row, row + static_cast<std::ptrdiff_t>(in_bytes),
                    [](std::uint8_t b) { return b == 0; })) {
      continue;
    }
    std::uint8_t* to = out.rows.data() + static_cast<std::size_t>(y) * out_bytes;
    for (int x = 0; x < out.width; ++x) {
      const int f = from[static_cast<std::size_t>(x)];
      if (((row[f / 8] >> (7 - f % 8)) & 1U) != 0) {
        to[x / 8] |= static_cast<std::uint8_t>(0x80U >> (x % 8));
      }
    }
  }
  return out;
}

}  // namespace

struct PrinterSim::Run {
  std::string text;  // UTF-8
  int chars = 0;
  bool bold = false;
  bool font_b = false;
  int underline = 0;
  int width_mul = 1;
  int height_mul = 1;
};

PrinterSim::PrinterSim(PrinterSimOptions options)
    : options_(std::move(options)), paper_(std::make_unique<Paper>(options_.dots_across)) {}

PrinterSim::~PrinterSim() = default;

namespace {

bool head_fits(int dots_across) {
  return dots_across >= 8 && dots_across <= 4096;
}

}  // namespace

Expected<std::unique_ptr<PrinterSim>> PrinterSim::create(PrinterSimOptions options) {
  if (!head_fits(options.dots_across)) return create(std::move(options), nullptr);  // says why
  auto fonts = escpos::TextRenderer::open(options.fonts_dir);
  if (!fonts) return fonts.error().context("the printer simulator's fonts");
  return create(std::move(options), std::move(*fonts));
}

Expected<std::unique_ptr<PrinterSim>> PrinterSim::create(
    PrinterSimOptions options, std::shared_ptr<escpos::TextRenderer> fonts) {
  if (!head_fits(options.dots_across)) {
    return make_error(ErrorCode::invalid_argument,
                      "a print head of " + std::to_string(options.dots_across) + " dots");
  }
  if (!fonts) return make_error(ErrorCode::invalid_argument, "a printer simulator without fonts");
  if (!options.output_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(options.output_dir, ec);
    if (ec) {
      return make_error(ErrorCode::io,
                        "creating " + options.output_dir.string() + ": " + ec.message());
    }
  }
  std::unique_ptr<PrinterSim> sim(new PrinterSim(std::move(options)));
  sim->fonts_ = std::move(fonts);
  return sim;
}

// ---- the stream --------------------------------------------------------------------------

std::vector<std::uint8_t> PrinterSim::feed(std::span<const std::uint8_t> bytes) {
  std::lock_guard lock(mutex_);
  if (faults_.unplugged) {
    pending_.clear();
    return {};
  }
  bool pull = false;
  if (faults_.unplug_after_bytes > 0) {
    if (bytes.size() >= faults_.unplug_after_bytes) {
      bytes = bytes.first(faults_.unplug_after_bytes);
      pull = true;
    } else {
      faults_.unplug_after_bytes -= bytes.size();
    }
  }
  pending_.insert(pending_.end(), bytes.begin(), bytes.end());
  std::size_t at = 0;
  while (at < pending_.size()) {
    std::size_t used = 0;
    const std::size_t requests_before = status_requests_;
    if (take_command(std::span(pending_).subspan(at), used) == Step::need_more) break;
    if (status_requests_ == requests_before) data_bytes_ += used;
    at += used;
  }
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(at));
  if (pull) {
    pull_the_cable();
    return {};
  }
  return std::exchange(reply_, {});
}

void PrinterSim::pull_the_cable() {
  faults_.unplugged = true;
  faults_.unplug_after_bytes = 0;
  pending_.clear();
  reply_.clear();
  if (!paper_->blank() || !line_.empty()) {
    ++lost_;
    note("unplugged in the middle of a receipt: it is lost");
  }
  line_.clear();
  line_dots_ = 0;
  current_ = PrintedReceipt{};
  printed_while_offline_ = false;
  paper_ = std::make_unique<Paper>(options_.dots_across);
  reset_modes();
}

void PrinterSim::end_of_stream() {
  std::lock_guard lock(mutex_);
  if (pending_.empty()) return;
  bad("truncated command: " + std::to_string(pending_.size()) + " bytes from " + hex(pending_[0]) +
      " left when the link closed");
  pending_.clear();
}

PrinterSim::Step PrinterSim::take_command(std::span<const std::uint8_t> in, std::size_t& used) {
  const std::uint8_t b = in[0];
  switch (b) {
    case 0x0A:
      print_line();
      used = 1;
      return Step::done;
    case 0x0D:
      used = 1;
      return Step::done;
    case 0x09:
      put_char(' ');
      used = 1;
      return Step::done;
    case kDle:
      if (in.size() < 2) return Step::need_more;
      if (in[1] == 0x04) {
        if (in.size() < 3) return Step::need_more;
        used = 3;
        ++status_requests_;
        if (in[2] >= 1 && in[2] <= 4) {
          answer_status(in[2]);
        } else {
          bad("DLE EOT " + std::to_string(in[2]) + ": no such status");
        }
        return Step::done;
      }
      if (in[1] == 0x14) {  // DLE DC4 fn m t: real-time pulse; no drawer here
        if (in.size() < 5) return Step::need_more;
        used = 5;
        return Step::done;
      }
      bad("DLE " + hex(in[1]) + ": unknown real-time command");
      used = 2;
      return Step::done;
    case kEsc:
      return take_esc(in, used);
    case kFs:
      if (in.size() < 2) return Step::need_more;
      used = 2;
      if (in[1] == '.' || in[1] == '&') return Step::done;  // Kanji mode off / on
      if (in[1] == 'C') {
        if (in.size() < 3) return Step::need_more;
        used = 3;
        return Step::done;
      }
      bad("FS " + hex(in[1]) + ": unknown command");
      return Step::done;
    case kGs:
      return take_gs(in, used);
    default:
      break;
  }
  used = 1;
  if (b < 0x20 || b == 0x7F) {
    bad("control byte " + hex(b));
  } else {
    put_char(b);
  }
  return Step::done;
}

PrinterSim::Step PrinterSim::take_esc(std::span<const std::uint8_t> in, std::size_t& used) {
  if (in.size() < 2) return Step::need_more;
  const std::uint8_t c = in[1];
  if (c == '@') {
    reset_modes();
    line_.clear();
    line_dots_ = 0;
    used = 2;
    return Step::done;
  }
  if (c == '2') {
    line_spacing_ = 30;
    used = 2;
    return Step::done;
  }
  if (c == 'p') {  // drawer kick: m t1 t2
    if (in.size() < 5) return Step::need_more;
    used = 5;
    return Step::done;
  }
  static constexpr std::string_view kOneParameter = "E-adt!J3MG V{RUr";
  if (kOneParameter.find(static_cast<char>(c)) == std::string_view::npos) {
    bad("ESC " + hex(c) + ": unknown command");
    used = 2;
    return Step::done;
  }
  if (in.size() < 3) return Step::need_more;
  used = 3;
  const std::uint8_t n = in[2];
  switch (c) {
    case 'E':
      bold_ = (n & 1) != 0;
      break;
    case '-':
      if (n > 2 && (n < 48 || n > 50)) {
        bad("ESC - " + std::to_string(n) + ": underline is 0..2");
      } else {
        underline_ = n % 48;
      }
      break;
    case 'a':
      if (n > 2 && (n < 48 || n > 50)) {
        bad("ESC a " + std::to_string(n) + ": alignment is 0..2");
      } else {
        align_ = n % 48;
      }
      break;
    case 'd':
      if (n * line_spacing_ > kMaxFeedDots) {
        bad("ESC d " + std::to_string(n) + " at " + std::to_string(line_spacing_) +
            " dots a line: feeds more than 1016 mm");
        break;
      }
      if (!line_.empty()) print_line();
      feed_lines(n);
      break;
    case 'J':
      if (!line_.empty()) print_line();
      make_room(n);
      paper_->advance(n);
      break;
    case '3':
      line_spacing_ = std::max<int>(n, 1);
      break;
    case 't':
      code_page_ = escpos::code_page_of_table(n);
      if (!code_page_ && n != 0) {
        note("ESC t " + std::to_string(n) + ": a code table this printer lacks; ASCII only");
      }
      break;
    case 'M':
      if (n == 0 || n == 48 || n == 1 || n == 49) font_b_ = (n % 48) == 1;
      break;
    case '!':
      font_b_ = (n & 0x01) != 0;
      bold_ = (n & 0x08) != 0;
      height_mul_ = (n & 0x10) != 0 ? 2 : 1;
      width_mul_ = (n & 0x20) != 0 ? 2 : 1;
      underline_ = (n & 0x80) != 0 ? 1 : 0;
      break;
    default:  // G SP V { R U r: double strike, spacing, rotation...: not drawn
      break;
  }
  return Step::done;
}

PrinterSim::Step PrinterSim::take_gs(std::span<const std::uint8_t> in, std::size_t& used) {
  if (in.size() < 2) return Step::need_more;
  const std::uint8_t c = in[1];
  switch (c) {
    case '!': {
      if (in.size() < 3) return Step::need_more;
      used = 3;
      const std::uint8_t n = in[2];
      if ((n & 0x88) != 0) {
        bad("GS ! " + hex(n) + ": character size is 1..8");
      } else {
        width_mul_ = (n >> 4) + 1;
        height_mul_ = (n & 0x07) + 1;
      }
      return Step::done;
    }
    case 'V': {
      if (in.size() < 3) return Step::need_more;
      const std::uint8_t m = in[2];
      if (m == 0 || m == 1 || m == 48 || m == 49) {
        used = 3;
        cut();
        return Step::done;
      }
      if (m == 65 || m == 66) {
        if (in.size() < 4) return Step::need_more;
        used = 4;
        if (!line_.empty()) print_line();
        make_room(in[3]);
        paper_->advance(in[3]);
        cut();
        return Step::done;
      }
      used = 3;
      bad("GS V " + std::to_string(m) + ": no such cut");
      return Step::done;
    }
    case 'v': {
      if (in.size() < 3) return Step::need_more;
      if (in[2] != '0') {
        used = 3;
        bad("GS v " + hex(in[2]) + ": unknown image command");
        return Step::done;
      }
      if (in.size() < 8) return Step::need_more;
      const std::uint8_t m = in[3];
      const std::size_t x = in[4] | (in[5] << 8);
      const std::size_t y = in[6] | (in[7] << 8);
      if ((m > 3 && (m < 48 || m > 51)) || x == 0 || y == 0 || x > kMaxRasterBytesAcross ||
          y > kMaxRasterRows) {
        used = 8;
        bad("GS v 0 with mode " + std::to_string(m) + ", " + std::to_string(x) + " bytes × " +
            std::to_string(y) + " dots");
        return Step::done;
      }
      if (in.size() < 8 + x * y) return Step::need_more;
      used = 8 + x * y;
      take_raster(in.first(used));
      return Step::done;
    }
    case '(': {
      if (in.size() < 5) return Step::need_more;
      const std::size_t length = in[3] | (in[4] << 8);
      if (in.size() < 5 + length) return Step::need_more;
      used = 5 + length;
      if (in[2] == 'k') return take_qr(in.first(used), used);
      bad("GS ( " + hex(in[2]) + ": unsupported command");
      return Step::done;
    }
    case 'r': {  // transmit status: queued behind print data, so silent when offline
      if (in.size() < 3) return Step::need_more;
      used = 3;
      if (faults_.silent || offline()) return Step::done;
      if (in[2] == 1 || in[2] == 49) {
        reply_.push_back(static_cast<std::uint8_t>((faults_.paper_near_end ? 0x03 : 0)));
      } else if (in[2] == 2 || in[2] == 50) {
        reply_.push_back(0x00);
      } else {
        bad("GS r " + std::to_string(in[2]) + ": no such status");
      }
      return Step::done;
    }
    case 'B':
    case 'a':
    case 'H':
    case 'f':
    case 'h':
    case 'w':
    case 'I':
      if (in.size() < 3) return Step::need_more;
      used = 3;  // reverse print, automatic status, barcode settings, printer id: not drawn
      return Step::done;
    case 'L':
    case 'W':
      if (in.size() < 4) return Step::need_more;
      used = 4;  // left margin, print area width: receipts here use the whole head
      return Step::done;
    default:
      break;
  }
  used = 2;
  bad("GS " + hex(c) + ": unknown command");
  return Step::done;
}

PrinterSim::Step PrinterSim::take_qr(std::span<const std::uint8_t> in, std::size_t& used) {
  used = in.size();
  if (in.size() < 7) {
    bad("GS ( k shorter than cn fn");
    return Step::done;
  }
  const std::uint8_t cn = in[5];
  const std::uint8_t fn = in[6];
  const auto p = in.subspan(7);
  if (cn != 49) {
    bad("GS ( k for symbol " + std::to_string(cn) + ": only QR (49) here");
    return Step::done;
  }
  switch (fn) {
    case 65:
      if (p.size() == 2 && p[0] >= 49 && p[0] <= 51) return Step::done;
      break;
    case 67:
      if (p.size() == 1 && p[0] >= 1 && p[0] <= 16) {
        qr_module_ = p[0];
        return Step::done;
      }
      break;
    case 69:
      if (p.size() == 1 && p[0] >= 48 && p[0] <= 51) {
        qr_level_ = p[0];
        return Step::done;
      }
      break;
    case 80:
      if (p.size() >= 2 && p[0] == 48) {
        qr_data_.assign(p.begin() + 1, p.end());
        return Step::done;
      }
      break;
    case 81:
      if (p.size() == 1 && p[0] == 48) {
        print_qr();
        return Step::done;
      }
      break;
    case 82:  // transmit the symbol's size: not answered
      return Step::done;
    default:
      break;
  }
  bad("GS ( k QR function " + std::to_string(fn) + " with " + std::to_string(p.size()) +
      " bad parameter bytes");
  return Step::done;
}

void PrinterSim::take_raster(std::span<const std::uint8_t> in) {
  const std::uint8_t m = in[3] % 48;
  const int x = in[4] | (in[5] << 8);
  const int y = in[6] | (in[7] << 8);
  const int sx = (m & 1) != 0 ? 2 : 1;
  const int sy = (m & 2) != 0 ? 2 : 1;
  if (x * 8 * sx > options_.dots_across) {
    note("a raster image " + std::to_string(x * 8 * sx) + " dots wide on a " +
         std::to_string(options_.dots_across) + "-dot head: clipped");
  }
  // Only the bytes that reach the head are kept.
  const int kept = std::min(x, (options_.dots_across / sx + 7) / 8);
  Bitmap image = Bitmap::blank(kept * 8, y);
  for (int row = 0; row < y; ++row) {
    const auto from = in.begin() + 8 + static_cast<std::ptrdiff_t>(row) * x;
    std::copy(from, from + kept,
              image.rows.begin() + static_cast<std::ptrdiff_t>(row) * image.bytes_per_row());
  }
  if (!line_.empty()) print_line();
  make_room(image.height * sy);
  print_dots(image, sx, sy);
  paper_->advance(image.height * sy);
  ++current_.raster_images;
}

// ---- status ------------------------------------------------------------------------------

bool PrinterSim::offline() const {
  return faults_.paper_out || faults_.cover_open;
}

void PrinterSim::answer_status(std::uint8_t n) {
  if (faults_.silent) return;
  std::uint8_t b = 0x12;  // bits 1 and 4 always set
  switch (n) {
    case 1:
      if (offline()) b |= 0x08;
      break;
    case 2:
      if (faults_.cover_open) b |= 0x04;
      if (faults_.paper_out) b |= 0x20;
      break;
    case 4:
      if (faults_.paper_near_end || faults_.paper_out) b |= 0x0C;
      if (faults_.paper_out) b |= 0x60;
      break;
    default:  // 3: no error
      break;
  }
  reply_.push_back(b);
}

// ---- printing ----------------------------------------------------------------------------

void PrinterSim::reset_modes() {
  bold_ = false;
  font_b_ = false;
  underline_ = 0;
  width_mul_ = 1;
  height_mul_ = 1;
  align_ = 0;
  line_spacing_ = 30;
  code_page_.reset();
}

void PrinterSim::put_char(std::uint8_t byte) {
  const int dots = (font_b_ ? kFontBDots : kFontADots) * width_mul_;
  if (line_dots_ + dots > options_.dots_across && !line_.empty()) print_line();  // wraps
  std::string text;
  if (code_page_) {
    text = escpos::decode_text(std::span(&byte, 1), *code_page_);
  } else {
    text = byte < 0x80 ? std::string(1, static_cast<char>(byte)) : std::string("?");
  }
  if (line_.empty() || line_.back().bold != bold_ || line_.back().font_b != font_b_ ||
      line_.back().underline != underline_ || line_.back().width_mul != width_mul_ ||
      line_.back().height_mul != height_mul_) {
    line_.push_back(Run{{}, 0, bold_, font_b_, underline_, width_mul_, height_mul_});
  }
  line_.back().text += text;
  ++line_.back().chars;
  line_dots_ += dots;
  if (offline()) printed_while_offline_ = true;
}

void PrinterSim::print_line() {
  if (line_.empty()) {
    make_room(line_spacing_);
    paper_->advance(line_spacing_);
    return;
  }
  const std::vector<Run> runs = std::exchange(line_, {});
  line_dots_ = 0;
  std::vector<Bitmap> pieces;
  std::string text;
  int width = 0;
  int height = 0;
  for (const Run& run : runs) {
    text += run.text;
    const int pixels = run.font_b ? kPixelsFontB : kPixelsFontA;
    escpos::TextStyle style{pixels * run.height_mul, run.bold, run.underline > 0};
    auto drawn = fonts_->render(run.text, style);
    if (!drawn) {
      note("drawing text: " + drawn.error().describe());
      continue;
    }
    Bitmap piece = std::move(*drawn);
    int target = piece.width * run.width_mul / run.height_mul;
    const int column = run.font_b ? kFontBDots : kFontADots;
    target = std::min(target, run.chars * column * run.width_mul);  // as wide as the font's cells
    piece = scale_x(piece, std::max(1, target));
    width += piece.width;
    height = std::max(height, piece.height);
    pieces.push_back(std::move(piece));
  }
  const int advance = std::max(line_spacing_, height + 4);
  make_room(advance);  // the line is out of line_ already, so a cut here does not print it
  int x = aligned_x(width);
  for (const Bitmap& piece : pieces) {
    paper_->print(piece, x, height - piece.height);  // runs of different sizes share the bottom
    x += piece.width;
  }
  if (offline()) printed_while_offline_ = true;
  paper_->advance(advance);
  current_.text_lines.push_back(text);
}

void PrinterSim::feed_lines(int lines) {
  const int dots = lines * line_spacing_;
  make_room(dots);
  paper_->advance(dots);
}

void PrinterSim::make_room(int dots) {
  if (dots <= paper_->room() || paper_->blank()) return;
  note("a receipt longer than " + std::to_string(Paper::kMaxLength) + " dots: cut there");
  cut();
}

int PrinterSim::aligned_x(int width) const {
  int x = 0;
  if (align_ == 1) x = (options_.dots_across - width) / 2;
  if (align_ == 2) x = options_.dots_across - width;
  return std::max(0, x);
}

void PrinterSim::print_dots(const Bitmap& dots, int scale_x, int scale_y) {
  paper_->print(dots, aligned_x(dots.width * scale_x), 0, scale_x, scale_y);
  if (offline()) printed_while_offline_ = true;
}

void PrinterSim::print_qr() {
  if (qr_data_.empty()) {
    bad("GS ( k print with no QR data stored");
    return;
  }
  if (!line_.empty()) print_line();
  const auto level = static_cast<escpos::QrErrorLevel>(qr_level_);
  auto code = escpos::qr_bitmap(qr_data_, qr_module_, level, 0);
  if (!code) {
    bad("QR code: " + code.error().message);
    return;
  }
  make_room(code->height);
  print_dots(*code);
  paper_->advance(code->height);
  current_.qr_codes.push_back(qr_data_);
}

void PrinterSim::cut() {
  if (!line_.empty()) print_line();
  const bool blank = paper_->blank();
  paper_->cut_mark();
  if (blank) {
    note("a cut with nothing printed");
  } else if (printed_while_offline_) {
    ++lost_;
    note("a receipt sent while the printer was offline: nothing printed");
  } else {
    PrintedReceipt done = std::move(current_);
    done.width = paper_->width();
    done.height = paper_->height();
    if (!options_.output_dir.empty()) {
      char name[32];
      std::snprintf(name, sizeof name, "receipt-%04zu.png", receipts_.size() + 1);
      done.png = options_.output_dir / name;
      if (auto saved = paper_->save_png(done.png); !saved) {
        note(saved.error().describe());
        done.png.clear();
      }
      // Beside the picture, what the printer could read of it: the text lines it got as text
      // and the native QR codes (raster text and raster QR codes are only in the PNG).
      std::string text;
      for (const auto& line : done.text_lines) text += line + "\n";
      for (const auto& qr : done.qr_codes) text += "qr: " + qr + "\n";
      auto sidecar = done.png;
      sidecar.replace_extension(".txt");
      if (auto saved = write_file_atomically(sidecar, text); !saved) {
        note(saved.error().describe());
      }
    }
    done.gray = paper_->take_gray();  // a new paper follows
    kept_pixels_ += done.gray.size();
    receipts_.push_back(std::move(done));
    while (kept_pixels_ > kMaxKeptPixels && first_kept_ + 1 < receipts_.size()) {
      std::vector<std::uint8_t>& old = receipts_[first_kept_++].gray;
      kept_pixels_ -= old.size();
      std::vector<std::uint8_t>().swap(old);
    }
  }
  current_ = PrintedReceipt{};
  printed_while_offline_ = false;
  paper_ = std::make_unique<Paper>(options_.dots_across);
}

// ---- faults and results ------------------------------------------------------------------

void PrinterSim::bad(std::string why) {
  ++bad_commands_;
  note(std::move(why));
}

void PrinterSim::note(std::string what) {
  if (log_.size() < kMaxLog) log_.push_back(std::move(what));
}

void PrinterSim::set_faults(const PrinterFaults& faults) {
  std::lock_guard lock(mutex_);
  const bool pulled = faults.unplugged && !faults_.unplugged;
  faults_ = faults;
  if (pulled) pull_the_cable();
}

PrinterFaults PrinterSim::faults() const {
  std::lock_guard lock(mutex_);
  return faults_;
}

std::vector<PrintedReceipt> PrinterSim::receipts() const {
  std::lock_guard lock(mutex_);
  return receipts_;
}

std::size_t PrinterSim::receipt_count() const {
  std::lock_guard lock(mutex_);
  return receipts_.size();
}

std::size_t PrinterSim::receipts_lost() const {
  std::lock_guard lock(mutex_);
  return lost_;
}

std::size_t PrinterSim::data_bytes() const {
  std::lock_guard lock(mutex_);
  return data_bytes_;
}

std::size_t PrinterSim::status_requests() const {
  std::lock_guard lock(mutex_);
  return status_requests_;
}

std::size_t PrinterSim::bad_commands() const {
  std::lock_guard lock(mutex_);
  return bad_commands_;
}

std::vector<std::string> PrinterSim::log() const {
  std::lock_guard lock(mutex_);
  return log_;
}

}  // namespace civicbox::sim
