// Fuzz target: a UI catalogue file (ui/lang/<code>.toml). Whatever the bytes, the parser answers a
// catalogue whose every text can be shown, or an error that says something. A catalogue that
// parses keeps its promises: each text's placeholders read back, filling them puts each value in
// once and verbatim, and the entries written out as TOML parse again to the same entries.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tests/fuzz/round_trip.hpp"
#include "ui/catalog.hpp"

namespace {

std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace civicbox;
  auto input = fuzz::as_text(data, size);
  auto catalog = ui::Catalog::parse(input, "xx");
  if (!catalog) {
    fuzz::require(!catalog.error().message.empty(), "empty catalogue error", input);
    return 0;
  }

  std::string written;
  for (const auto& [key, text] : catalog->entries()) {
    fuzz::require(!text.empty(), "empty text accepted", input);
    auto names = ui::placeholders(text);
    fuzz::require(names.has_value(), "a stored text has a bad placeholder", input);

    // Unfilled, a text is shown exactly as written.
    fuzz::require(catalog->text(key) == text, "text() changed an unfilled text", input);

    // Each placeholder filled with a value that looks like a placeholder itself: it must go in
    // verbatim, once per occurrence, so the length is exactly predictable.
    std::map<std::string, std::string> args;
    std::size_t expected = text.size();
    for (const auto& name : *names) {
      const std::string value = name.size() % 2 == 0 ? "{" + name + "}" : std::string{};
      args.emplace(name, value);
      expected = expected - (name.size() + 2) + value.size();
    }
    args.emplace("unused_name", "{");
    const std::string filled = catalog->text(key, args);
    fuzz::require(filled.size() == expected, "filled text has the wrong length", input);

    written += key + " = " + quoted(text) + "\n";
  }

  // Round trip: the entries as dotted keys parse again to the same entries.
  auto again = ui::Catalog::parse(written, "xx");
  fuzz::require(again.has_value(), "written catalogue does not parse", written);
  fuzz::require(again->entries() == catalog->entries(), "catalogue round trip differs", written);
  return 0;
}
