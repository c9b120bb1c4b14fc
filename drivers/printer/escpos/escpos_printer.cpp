#include "drivers/printer/escpos/escpos_printer.hpp"

#include <string>

namespace civicbox::escpos {

EscPosPrinter::EscPosPrinter(std::unique_ptr<drivers::PrinterTransport> link,
                             EscPosSettings settings, std::unique_ptr<TextRenderer> fonts)
    : link_(std::move(link)), settings_(std::move(settings)), fonts_(std::move(fonts)) {}

Expected<std::unique_ptr<EscPosPrinter>> EscPosPrinter::open(
    std::unique_ptr<drivers::PrinterTransport> link, EscPosSettings settings) {
  if (!link) return make_error(ErrorCode::invalid_argument, "a printer needs a link");
  std::unique_ptr<TextRenderer> fonts;
  if (settings.text_mode == TextMode::raster) {
    auto opened = TextRenderer::open(settings.fonts_dir);
    if (!opened) return opened.error().context("loading the receipt fonts");
    fonts = std::move(*opened);
  }
  return std::unique_ptr<EscPosPrinter>(
      new EscPosPrinter(std::move(link), std::move(settings), std::move(fonts)));
}

Expected<std::optional<PrinterState>> EscPosPrinter::ask_state() {
  std::lock_guard lock(mutex_);
  return ask_state_locked();
}

Expected<std::optional<PrinterState>> EscPosPrinter::ask_state_locked() {
  link_->discard_input();  // a late answer to an earlier question must not answer this one
  PrinterState state;
  for (StatusQuery q : {StatusQuery::printer, StatusQuery::offline_cause, StatusQuery::paper}) {
    auto sent = link_->write(status_request(q));
    if (!sent) return sent.error().context("asking " + link_->describe() + " for its status");
    auto reply = link_->read(1, settings_.status_timeout);
    if (!reply) return reply.error().context("reading the status of " + link_->describe());
    if (reply->empty()) return std::optional<PrinterState>{};
    auto parsed = parse_status_reply(q, *reply);
    if (!parsed) return parsed.error().context(link_->describe() + " answered status");
    state |= *parsed;
  }
  return std::optional<PrinterState>(state);
}

Error EscPosPrinter::refused(const PrinterState& s, const char* when) const {
  std::string why;
  if (s.cover_open) {
    why = "the paper cover is open";
  } else if (s.roll_end || s.paper_end_stop) {
    why = "the paper has run out";
  } else if (s.error) {
    why = "the printer reports an error (cutter jam or overheated head)";
  } else {
    why = "the printer is offline";
  }
  return make_error(ErrorCode::unavailable,
                    "receipt printer " + link_->describe() + ": " + why + " " + when);
}

Expected<void> EscPosPrinter::print(const drivers::Receipt& receipt) {
  const ReceiptLayout layout{settings_.paper, settings_.native_qr, settings_.text_mode};
  auto bytes = lay_out_receipt(receipt, layout, fonts_.get());
  if (!bytes) return bytes.error().context("laying out the receipt");
  return send_checked(*bytes);
}

Expected<void> EscPosPrinter::print_test(const drivers::TestReceipt& receipt) {
  const ReceiptLayout layout{settings_.paper, settings_.native_qr, settings_.text_mode};
  auto bytes = lay_out_test_receipt(receipt, layout, fonts_.get());
  if (!bytes) return bytes.error().context("laying out the test receipt");
  return send_checked(*bytes);
}

Expected<void> EscPosPrinter::send_checked(const Bytes& bytes) {
  std::lock_guard lock(mutex_);
  CIVICBOX_TRY(auto before, ask_state_locked());
  if (before && summarize(*before) != drivers::PrinterStatus::ready &&
      summarize(*before) != drivers::PrinterStatus::paper_low) {
    return refused(*before, "(nothing was printed)");
  }
  if (!before && !settings_.print_when_status_unknown) {
    return make_error(ErrorCode::unavailable,
                      "receipt printer " + link_->describe() + " did not answer a status request");
  }
  if (auto sent = link_->write(bytes); !sent) {
    return sent.error().context("sending the receipt to " + link_->describe());
  }
  auto after = ask_state_locked();
  if (!after) return after.error().context("the receipt may be incomplete");
  if (*after &&
      (after->value().roll_end || after->value().paper_end_stop || after->value().cover_open)) {
    return refused(after->value(), "while printing (the receipt may be incomplete)");
  }
  return {};
}

Expected<drivers::PrinterStatus> EscPosPrinter::status() {
  CIVICBOX_TRY(auto state, ask_state());
  if (!state) return drivers::PrinterStatus::unknown;
  return summarize(*state);
}

}  // namespace civicbox::escpos
