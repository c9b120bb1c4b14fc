// Fuzz target: the bytes of a serial scanner, cut into scans by the line assembler. The first
// byte picks the line-end setting and how the rest is split into reads. Besides "no crash":
// every scan is printable text within the limit with no line end in it, and sent again with a
// line end it is read back as exactly that scan.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "drivers/scanner/serial/scan_line_assembler.hpp"
#include "tests/fuzz/round_trip.hpp"

namespace {

using civicbox::fuzz::require;
using namespace civicbox::scanner;
using Clock = ScanLineAssembler::Clock;

std::string line_end_bytes(LineEnd end) {
  switch (end) {
    case LineEnd::cr:
      return "\r";
    case LineEnd::lf:
      return "\n";
    case LineEnd::automatic:
    case LineEnd::crlf:
      return "\r\n";
  }
  return "\r\n";
}

void check_scan(const std::string& text, const ScanLineOptions& options) {
  require(!text.empty(), "an empty scan");
  require(text.size() <= options.max_length, "a scan over the limit", text);
  require(civicbox::is_printable_text(text), "a scan with control bytes or broken text", text);
  require(text.find_first_of("\r\n") == std::string::npos, "a line end inside a scan", text);
  ScanLineAssembler again(options);
  const std::string sent = text + line_end_bytes(options.line_end);
  again.feed(std::span(reinterpret_cast<const std::uint8_t*>(sent.data()), sent.size()),
             Clock::time_point{});
  auto result = again.take();
  require(result && std::holds_alternative<ScanLine>(*result) &&
              std::get<ScanLine>(*result).text == text,
          "sent again, the scan reads differently", text);
  require(!again.take(), "sent again, the scan gives more than one result", text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  ScanLineOptions options;
  options.line_end = static_cast<LineEnd>(data[0] & 0x03);
  options.max_length = 64;
  options.partial_timeout = std::chrono::milliseconds(500);
  const std::size_t read_size = 1 + ((data[0] >> 2) & 0x0F);  // 1..16 bytes per read
  const bool slow = (data[0] & 0x40) != 0;                    // reads 300 ms apart: some expire
  ScanLineAssembler lines(options);
  auto now = Clock::time_point{} + std::chrono::hours(1);
  std::span<const std::uint8_t> rest(data + 1, size - 1);
  while (!rest.empty()) {
    const auto chunk = rest.first(std::min(read_size, rest.size()));
    rest = rest.subspan(chunk.size());
    now += std::chrono::milliseconds(slow ? 300 : 1);
    lines.feed(chunk, now);
    while (auto result = lines.take()) {
      if (const auto* line = std::get_if<ScanLine>(&*result)) check_scan(line->text, options);
    }
  }
  return 0;
}
