// Fuzz target: any byte stream into the printer simulator, in chunks of varying size (the first
// byte sets the chunk size), as a host, a noisy link or a broken driver might send it. It must
// never crash, it answers at most one byte per byte received, and what it keeps stays bounded:
// no receipt longer than the paper's limit, no more receipt pictures in memory than it keeps.
// The fonts are opened once for the process and shared by each input's simulator (opening them
// costs more than most inputs); each input still gets a fresh simulator, so runs do not depend
// on each other.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "drivers/printer/escpos/text_renderer.hpp"
#include "hardware/sim/printer/printer_sim.hpp"
#include "tests/fuzz/round_trip.hpp"

namespace {

std::shared_ptr<civicbox::escpos::TextRenderer> shared_fonts() {
  static const std::shared_ptr<civicbox::escpos::TextRenderer> fonts = [] {
    auto opened = civicbox::escpos::TextRenderer::open(CIVICBOX_FONTS_DIR);
    if (!opened) civicbox::fuzz::fail("the fonts do not open", opened.error().message);
    return std::shared_ptr<civicbox::escpos::TextRenderer>(std::move(*opened));
  }();
  return fonts;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using civicbox::fuzz::require;
  using civicbox::sim::Paper;
  using civicbox::sim::PrinterSim;
  if (size == 0) return 0;
  static const int kWidths[] = {384, 576};
  civicbox::sim::PrinterSimOptions options;
  options.dots_across = kWidths[data[0] & 1];
  auto sim = PrinterSim::create(options, shared_fonts());
  if (!sim) civicbox::fuzz::fail("the printer simulator does not start", sim.error().message);
  const std::size_t chunk = 1 + data[0] % 64;
  std::size_t answered = 0;
  const std::span<const std::uint8_t> stream(data + 1, size - 1);
  for (std::size_t at = 0; at < stream.size(); at += chunk) {
    const auto piece = stream.subspan(at, std::min(chunk, stream.size() - at));
    answered += (*sim)->feed(piece).size();
  }
  (*sim)->end_of_stream();
  const auto text = civicbox::fuzz::as_text(data, size);
  require(answered <= stream.size(), "the printer answered more bytes than it received", text);

  const auto receipts = (*sim)->receipts();
  std::size_t kept = 0;
  for (const auto& receipt : receipts) {
    // The paper's limit, its two margins and the cut mark.
    require(receipt.height <= Paper::kMaxLength + 2 * Paper::kMargin,
            "a receipt longer than the paper's limit", text);
    require(
        receipt.gray.empty() || receipt.gray.size() == static_cast<std::size_t>(receipt.width) *
                                                           static_cast<std::size_t>(receipt.height),
        "a receipt's picture is not width × height", text);
    kept += receipt.gray.size();
  }
  const std::size_t newest = receipts.empty() ? 0 : receipts.back().gray.size();
  require(kept <= PrinterSim::kMaxKeptPixels + newest, "more receipt pictures kept than allowed",
          text);
  return 0;
}
