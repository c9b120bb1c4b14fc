// The words of the UI, one catalogue file per language (ui/lang/<code>.toml): `key = "text"`,
// with {name} placeholders that View::args fills. Strict: an unknown table, a value that is not a
// string, a malformed placeholder ("{", "{x", "{}", "{a b}") or text that is not UTF-8 is an
// error naming the key. A key missing in one language is caught by a test, not at run time; at
// run time a missing key falls back to English, then to the key itself, so a screen is never
// blank.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace civicbox::ui {

// The languages the box speaks, in the order the language bar shows them. Romanian is the
// default. `name` is the language's own name for itself ("Magyar").
struct Language {
  std::string_view code;
  std::string_view name;
};
const std::vector<Language>& languages();
inline constexpr std::string_view kDefaultLanguage = "ro";

class Catalog {
 public:
  // A file holds only `[table]` lines, `key = "text"` lines (a key bare or dotted) and # comments:
  // no lists, numbers, { } tables, quoted keys or multi-line strings.
  // Errors: parse (bad TOML or a line of another shape, a key not made of a-z 0-9 _, a bad
  // placeholder, bad UTF-8, a control character, an empty text), wrong_type (a value not in
  // quotes); the message names the key and line. load() also: not_found, io.
  static Expected<Catalog> parse(std::string_view toml_text, std::string language);
  static Expected<Catalog> load(const std::filesystem::path& file, std::string language);

  [[nodiscard]] const std::string& language() const { return language_; }
  [[nodiscard]] bool has(std::string_view key) const;
  // The text with its {placeholders} filled; a placeholder missing from `args` stays as written,
  // and a value is put in as given (never searched for placeholders itself). A key this catalogue
  // lacks gives the key.
  [[nodiscard]] std::string text(std::string_view key,
                                 const std::map<std::string, std::string>& args = {}) const;
  // The raw entries, key -> text, for tests.
  [[nodiscard]] const std::map<std::string, std::string, std::less<>>& entries() const {
    return entries_;
  }

 private:
  std::string language_;
  std::map<std::string, std::string, std::less<>> entries_;
};

// The placeholder names in a text, in order ("{a} {b} {a}" -> a, b, a). A name is [a-z_]+.
// Errors: parse (a lone '{' or '}', "{}", a name with other characters), saying where.
Expected<std::vector<std::string>> placeholders(std::string_view text);

// Every language's catalogue, with English as the fallback.
class Catalogs {
 public:
  // Loads <dir>/<code>.toml for every language(). Errors: not_found, parse.
  static Expected<Catalogs> load(const std::filesystem::path& dir);
  // The text in `language`, falling back to English, then to the key.
  [[nodiscard]] std::string text(std::string_view language, std::string_view key,
                                 const std::map<std::string, std::string>& args = {}) const;
  [[nodiscard]] const Catalog* find(std::string_view language) const;

 private:
  std::map<std::string, Catalog, std::less<>> by_language_;
};

}  // namespace civicbox::ui
