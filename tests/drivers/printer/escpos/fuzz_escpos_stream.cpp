// Fuzz target: any byte stream into the printer simulator, in chunks of varying size (the first
// byte sets the chunk size), as a host, a noisy link or a broken driver might send it. It must
// never crash, and it answers at most one byte per byte received.
#include <cstddef>
#include <cstdint>
#include <span>

#include "hardware/sim/printer/printer_sim.hpp"
#include "tests/fuzz/round_trip.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using civicbox::fuzz::require;
  if (size == 0) return 0;
  static const int kWidths[] = {384, 576};
  auto sim = civicbox::sim::PrinterSim::create({kWidths[data[0] & 1], {}, CIVICBOX_FONTS_DIR});
  if (!sim) civicbox::fuzz::fail("the printer simulator does not start", sim.error().message);
  const std::size_t chunk = 1 + data[0] % 64;
  std::size_t answered = 0;
  const std::span<const std::uint8_t> stream(data + 1, size - 1);
  for (std::size_t at = 0; at < stream.size(); at += chunk) {
    const auto piece = stream.subspan(at, std::min(chunk, stream.size() - at));
    answered += (*sim)->feed(piece).size();
  }
  (*sim)->end_of_stream();
  require(answered <= stream.size(), "the printer answered more bytes than it received",
          civicbox::fuzz::as_text(data, size));
  return 0;
}
