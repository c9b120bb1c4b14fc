// A thermal ESC/POS receipt printer without the printer, for tests and machines without one.
// feed() takes whatever bytes arrived (a command may be split across calls), returns what the
// printer sends back (DLE EOT answers), and prints: styled text in the active code page, raster
// images, native QR codes. A cut ends a receipt, saved as a PNG (receipt-0001.png, ...) so a
// person can look and a test can scan the QR. The front ends (TCP, pseudo-terminal, a umockdev
// USB handler) only move bytes to and from feed().
//
// Contract:
// - Never crashes on any stream. An unknown or malformed command is counted, logged and skipped;
//   a command still open when the link closes (end_of_stream()) is counted as truncated.
// - Bounded, whatever the stream: a receipt is cut at Paper::kMaxLength dots; a raster image
//   larger than a printer takes (GS v 0 over 4095 dots high or 512 bytes across) or a feed over
//   1016 mm at once (ESC d, as Epson's limit) is a bad command, skipped; and only the newest
//   receipts' pictures, up to kMaxKeptPixels bytes, stay in memory (older ones keep their text,
//   QR codes and PNG file).
// - Faults switch at run time. paper_out / cover_open: the printer goes offline, says so in its
//   DLE EOT answers and prints nothing. silent: never answers status. unplugged: takes no bytes
//   and answers nothing; the front ends drop their link until it is plugged back in. A receipt
//   half-printed when the cable came out is lost (counted in receipts_lost()).
// - Thread-safe: a front end's thread feeds while a test switches faults and reads results.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "drivers/printer/escpos/code_page.hpp"
#include "drivers/printer/escpos/text_renderer.hpp"
#include "hardware/sim/printer/paper.hpp"

namespace civicbox::sim {

struct PrinterFaults {
  bool paper_out = false;
  bool cover_open = false;
  bool paper_near_end = false;
  bool unplugged = false;
  bool silent = false;
  // Non-zero: the cable comes out after this many more bytes (then `unplugged` is set).
  std::size_t unplug_after_bytes = 0;
};

struct PrinterSimOptions {
  int dots_across = 576;             // 576 for 80 mm paper, 384 for 58 mm
  std::filesystem::path output_dir;  // where receipts are saved; empty: kept in memory only
  std::filesystem::path fonts_dir;   // DejaVuSans(-Bold).ttf, to draw the text it receives
};

// One receipt, from the paper after the previous cut to this cut.
struct PrintedReceipt {
  std::filesystem::path png;  // empty when not saved
  int width = 0;              // dots, with the paper's margins
  int height = 0;
  std::vector<std::uint8_t> gray;       // width × height, 0 black, 255 white; empty once
                                        // newer receipts took the memory (see the contract)
  std::vector<std::string> text_lines;  // each printed text line, decoded to UTF-8
  std::vector<std::string> qr_codes;    // what each native QR code held
  std::size_t raster_images = 0;
};

class PrinterSim {
 public:
  // The receipt pictures kept in memory, in bytes: the newest receipt always, older ones while
  // they fit.
  static constexpr std::size_t kMaxKeptPixels = std::size_t{64} << 20;

  // Errors: not_found / io (the fonts), io (the output folder).
  static Expected<std::unique_ptr<PrinterSim>> create(PrinterSimOptions options);
  // With fonts already open (options.fonts_dir unused), shared with other simulators: opening
  // them costs more than a short stream (a fuzz target makes a simulator per input).
  // Errors: invalid_argument (no fonts), io (the output folder).
  static Expected<std::unique_ptr<PrinterSim>> create(PrinterSimOptions options,
                                                      std::shared_ptr<escpos::TextRenderer> fonts);
  ~PrinterSim();
  PrinterSim(const PrinterSim&) = delete;
  PrinterSim& operator=(const PrinterSim&) = delete;

  // Bytes from the host; returns the bytes to send back.
  std::vector<std::uint8_t> feed(std::span<const std::uint8_t> bytes);
  // The link closed: a half-received command is dropped and counted.
  void end_of_stream();

  void set_faults(const PrinterFaults& faults);
  [[nodiscard]] PrinterFaults faults() const;

  [[nodiscard]] std::vector<PrintedReceipt> receipts() const;
  [[nodiscard]] std::size_t receipt_count() const;
  [[nodiscard]] std::size_t receipts_lost() const;     // cut while offline: nothing printed
  [[nodiscard]] std::size_t data_bytes() const;        // every byte but status requests
  [[nodiscard]] std::size_t status_requests() const;   // DLE EOT received (answered or not)
  [[nodiscard]] std::size_t bad_commands() const;      // unknown, malformed or truncated
  [[nodiscard]] std::vector<std::string> log() const;  // why each bad command was bad, etc.

 private:
  struct Run;
  enum class Step { done, need_more };

  explicit PrinterSim(PrinterSimOptions options);
  Step take_command(std::span<const std::uint8_t> in, std::size_t& used);  // mutex held
  Step take_esc(std::span<const std::uint8_t> in, std::size_t& used);
  Step take_gs(std::span<const std::uint8_t> in, std::size_t& used);
  Step take_qr(std::span<const std::uint8_t> in, std::size_t& used);
  void take_raster(std::span<const std::uint8_t> in);
  void answer_status(std::uint8_t n);
  void bad(std::string why);
  void note(std::string what);
  void reset_modes();
  void put_char(std::uint8_t byte);
  void print_line();  // the text gathered so far, then a line feed
  void feed_lines(int lines);
  // Cuts first if `dots` more would make the receipt longer than Paper::kMaxLength.
  void make_room(int dots);
  [[nodiscard]] int aligned_x(int width) const;  // the left edge of `width` dots, as aligned
  void print_dots(const escpos::Bitmap& dots, int scale_x = 1, int scale_y = 1);  // aligned
  void print_qr();
  void cut();
  void pull_the_cable();
  [[nodiscard]] bool offline() const;

  PrinterSimOptions options_;
  std::shared_ptr<escpos::TextRenderer> fonts_;

  mutable std::mutex mutex_;
  PrinterFaults faults_;
  std::vector<std::uint8_t> pending_;  // bytes of a command not complete yet
  std::vector<std::uint8_t> reply_;    // answers gathered during one feed()

  // Print modes.
  bool bold_ = false;
  bool font_b_ = false;
  int underline_ = 0;
  int width_mul_ = 1;
  int height_mul_ = 1;
  int align_ = 0;
  int line_spacing_ = 30;
  std::optional<escpos::CodePage> code_page_;  // nullopt: PC437, printed as ASCII only
  std::vector<Run> line_;
  int line_dots_ = 0;  // nominal width of the gathered text (font A: 12 dots a character)

  // QR symbol settings and data.
  int qr_module_ = 3;
  int qr_level_ = 48;
  std::string qr_data_;

  // The paper.
  std::unique_ptr<Paper> paper_;
  PrintedReceipt current_;
  bool printed_while_offline_ = false;

  std::vector<PrintedReceipt> receipts_;
  std::size_t first_kept_ = 0;   // receipts_ from here on still have their pixels
  std::size_t kept_pixels_ = 0;  // bytes of those pixels
  std::size_t lost_ = 0;
  std::size_t data_bytes_ = 0;
  std::size_t status_requests_ = 0;
  std::size_t bad_commands_ = 0;
  std::vector<std::string> log_;
};

}  // namespace civicbox::sim
