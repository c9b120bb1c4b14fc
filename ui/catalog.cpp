#include "ui/catalog.hpp"

#include <cstddef>
#include <string>
#include <utility>

#include "common/atomic_file.hpp"
#include "common/scanned.hpp"
#include "common/toml_reader.hpp"

namespace civicbox::ui {

namespace {

constexpr std::string_view kFallbackLanguage = "en";
// "home.file" is two levels; a catalogue deeper than this is a mistake, and the walk is recursive.
constexpr int kMaxDepth = 8;

bool is_key_word(std::string_view word) {
  if (word.empty()) return false;
  for (char c : word) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

bool is_placeholder_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || c == '_')) return false;
  }
  return true;
}

bool is_bare_key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

std::string_view skip_spaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

std::string_view trim(std::string_view s) {
  s = skip_spaces(s);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Reads a bare or dotted key ("home", "home . file") from the front of `rest`, leaving `rest`
// just after it. Empty, with `rest` untouched, when `rest` does not start with one.
std::string read_key(std::string_view& rest) {
  std::string key;
  std::string_view s = rest;
  while (true) {
    std::size_t n = 0;
    while (n < s.size() && is_bare_key_char(s[n])) ++n;
    if (n == 0) return {};
    key.append(s.substr(0, n));
    s.remove_prefix(n);
    std::string_view after = skip_spaces(s);
    if (!after.starts_with('.')) break;
    s = skip_spaces(after.substr(1));
    key += '.';
  }
  rest = s;
  return key;
}

// What a value that is not in quotes looks like, for the message.
std::string value_kind(std::string_view value) {
  if (value.empty() || value.starts_with('#')) return "nothing";
  if (value.starts_with('[')) return "a list";
  if (value.starts_with('{')) return "a { } table (write a [table] line instead)";
  if (value.starts_with("true") || value.starts_with("false")) return "true or false";
  const char c = value.front();
  if ((c >= '0' && c <= '9') || c == '+' || c == '-') return "a number or a date";
  return "a word without quotes";
}

// A catalogue is a plain subset of TOML, one thing a line:
//   # a comment
//   [table]                         (or [table.sub])
//   key = "text"                    (or 'text'; a bare or dotted key; a # comment may follow)
// and nothing else: no lists, numbers, { } tables, quoted keys or multi-line strings. That is all
// a translator needs, and it keeps toml++ 3.3 (the box's version) away from the inputs on which
// it fails an assert() or reaches __builtin_unreachable() instead of reporting an error: anything
// beyond ASCII where it expects a bare key, a bare value or a space ("fișier = ...", "a = 1§",
// marzer/tomlplusplus#295), a table header that starts no name ("[$a]", "[[[1]]]", #301), and a
// line-ending backslash in a multi-line string (#190). This grammar admits no byte beyond ASCII
// outside quotes and comments.
//
// Outline::read checks each line's shape and keeps the key each line defines, so that an error
// toml++ reports by line (bad UTF-8, a control character, a bad escape, a key given twice) can
// still name the key. toml++ then reads the text itself.
class Outline {
 public:
  static Expected<Outline> read(std::string_view text);

  // "'home.file' (line 12)", or "line 12" for a line that defines no key.
  [[nodiscard]] std::string where(std::size_t line) const {
    const std::string at = "line " + std::to_string(line);
    if (line == 0 || line > keys_.size() || keys_[line - 1].empty()) return at;
    return "'" + keys_[line - 1] + "' (" + at + ")";
  }

 private:
  std::vector<std::string> keys_;  // by line, from line 1
};

Expected<Outline> Outline::read(std::string_view text) {
  Outline outline;
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // toml++ skips a byte-order mark
  std::string table;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (line.ends_with('\r')) line.remove_suffix(1);
    const std::size_t number = outline.keys_.size() + 1;
    const auto fail = [&](ErrorCode code, const std::string& key, const std::string& what) {
      outline.keys_.push_back(key);
      return make_error(code, outline.where(number) + ": " + what);
    };

    std::string_view rest = skip_spaces(line);
    if (rest.empty() || rest.starts_with('#')) {
      outline.keys_.emplace_back();
    } else if (rest.starts_with('[')) {
      rest.remove_prefix(1);
      if (rest.starts_with('[')) {
        return fail(ErrorCode::parse, "",
                    "lists of tables [[...]] are not used: a table is written [name]");
      }
      rest = skip_spaces(rest);
      std::string name = read_key(rest);
      rest = skip_spaces(rest);
      if (name.empty() || !rest.starts_with(']')) {
        return fail(ErrorCode::parse, "",
                    "a table is written [name], the name made of a-z, 0-9 and _");
      }
      rest = skip_spaces(rest.substr(1));
      if (!rest.empty() && !rest.starts_with('#')) {
        return fail(ErrorCode::parse, name, "only a # comment may follow a table's name");
      }
      table = name;
      outline.keys_.push_back(std::move(name));
    } else {
      const std::string_view written = rest;
      std::string name = read_key(rest);
      rest = skip_spaces(rest);
      if (name.empty() || !rest.starts_with('=')) {
        const auto equals = written.find('=');
        if (equals == std::string_view::npos) {
          return fail(ErrorCode::parse, "",
                      "a line holds [table], key = \"text\" or a # comment, and nothing else");
        }
        const std::string key(trim(written.substr(0, equals)));
        return fail(ErrorCode::parse, table.empty() ? key : table + "." + key,
                    "a key is made of a-z, 0-9 and _, written without quotes");
      }
      const std::string key = table.empty() ? name : table + "." + name;
      rest = skip_spaces(rest.substr(1));
      const char quote = rest.empty() ? '\0' : rest.front();
      if (quote != '"' && quote != '\'') {
        return fail(ErrorCode::wrong_type, key,
                    "must be a text in quotes, not " + value_kind(rest));
      }
      if (rest.starts_with(std::string(3, quote))) {
        return fail(ErrorCode::parse, key,
                    "a text is one line in quotes, never in triple quotes: the screen wraps "
                    "lines itself");
      }
      std::size_t close = 1;
      while (close < rest.size() && rest[close] != quote) {
        if (quote == '"' && rest[close] == '\\' && close + 1 < rest.size()) ++close;
        ++close;
      }
      if (close >= rest.size()) {
        return fail(ErrorCode::parse, key, "the text has no closing quote on its line");
      }
      rest = skip_spaces(rest.substr(close + 1));
      if (!rest.empty() && !rest.starts_with('#')) {
        return fail(ErrorCode::parse, key,
                    "only a # comment may follow the closing quote of a text");
      }
      outline.keys_.push_back(key);
    }
    if (end == text.size()) break;
    start = end + 1;
  }
  return outline;
}

Expected<void> check_text(const std::string& key, const toml::node& node, const std::string& text) {
  if (text.empty()) {
    return config::error_at(ErrorCode::parse, key, node,
                            "the text is empty; a screen is never blank");
  }
  // toml++ has already refused bytes that are not UTF-8 and surrogates; what is left is a control
  // character written as an escape ("\n", "\t", "\u0007").
  if (!is_printable_text(text)) {
    return config::error_at(ErrorCode::parse, key, node,
                            "the text holds a control character (a new line, a tab...); the "
                            "screen wraps lines itself");
  }
  auto names = placeholders(text);
  if (!names) return config::error_at(ErrorCode::parse, key, node, names.error().message);
  return {};
}

Expected<void> collect(const toml::table& table, const std::string& prefix, int depth,
                       std::map<std::string, std::string, std::less<>>& out) {
  for (const auto& [word, node] : table) {
    const std::string key =
        prefix.empty() ? std::string(word.str()) : prefix + "." + std::string(word.str());
    if (!is_key_word(word.str())) {
      return config::error_at(ErrorCode::parse, key, node,
                              "a key is made of the letters a-z, the digits 0-9 and _ only");
    }
    if (const toml::table* inner = node.as_table()) {
      if (depth >= kMaxDepth) {
        return config::error_at(ErrorCode::parse, key, node, "tables are nested too deeply");
      }
      CIVICBOX_CHECK(collect(*inner, key, depth + 1, out));
      continue;
    }
    const toml::value<std::string>* value = node.as_string();
    if (value == nullptr) {
      return config::error_at(ErrorCode::wrong_type, key, node, "must be a text in quotes");
    }
    CIVICBOX_CHECK(check_text(key, node, value->get()));
    out.emplace(key, value->get());
  }
  return {};
}

// Fills the {placeholders} of a text already checked by placeholders(); each value goes in as it
// is, never read again for placeholders of its own.
std::string fill(std::string_view text, const std::map<std::string, std::string>& args) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto open = text.find('{', i);
    if (open == std::string_view::npos) break;
    const auto close = text.find('}', open + 1);
    if (close == std::string_view::npos) break;
    out.append(text.substr(i, open - i));
    const std::string name(text.substr(open + 1, close - open - 1));
    if (const auto it = args.find(name); it != args.end()) {
      out += it->second;
    } else {
      out.append(text.substr(open, close - open + 1));
    }
    i = close + 1;
  }
  out.append(text.substr(i));
  return out;
}

}  // namespace

const std::vector<Language>& languages() {
  static const std::vector<Language> kLanguages = {
      {"ro", "Română"}, {"hu", "Magyar"},  {"en", "English"},
      {"ca", "Català"}, {"es", "Español"}, {"pt", "Português"},
  };
  return kLanguages;
}

Expected<std::vector<std::string>> placeholders(std::string_view text) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '}') {
      return make_error(ErrorCode::parse,
                        "a '}' without its '{' at character " + std::to_string(i + 1));
    }
    if (text[i] != '{') continue;
    const auto close = text.find_first_of("{}", i + 1);
    if (close == std::string_view::npos || text[close] == '{') {
      return make_error(ErrorCode::parse,
                        "a '{' that is not closed at character " + std::to_string(i + 1));
    }
    const std::string_view name = text.substr(i + 1, close - i - 1);
    if (name.empty()) {
      return make_error(ErrorCode::parse,
                        "an empty placeholder '{}' at character " + std::to_string(i + 1));
    }
    if (!is_placeholder_name(name)) {
      return make_error(ErrorCode::parse, "the placeholder '{" + std::string(name) +
                                              "}' may hold only the letters a-z and _");
    }
    names.emplace_back(name);
    i = close;
  }
  return names;
}

Expected<Catalog> Catalog::parse(std::string_view toml_text, std::string language) {
  CIVICBOX_TRY(const Outline outline, Outline::read(toml_text));
  toml::table root;
  try {
    root = toml::parse(toml_text);
  } catch (const toml::parse_error& e) {
    const auto line = static_cast<std::size_t>(e.source().begin.line);
    return make_error(ErrorCode::parse, outline.where(line) + ": " + std::string(e.description()));
  }
  Catalog catalog;
  catalog.language_ = std::move(language);
  CIVICBOX_CHECK(collect(root, "", 1, catalog.entries_));
  return catalog;
}

Expected<Catalog> Catalog::load(const std::filesystem::path& file, std::string language) {
  auto text = read_text_file(file);
  if (!text) return text.error().context("reading the catalogue " + file.string());
  auto catalog = parse(*text, std::move(language));
  if (!catalog) return catalog.error().context("catalogue " + file.string());
  return catalog;
}

bool Catalog::has(std::string_view key) const {
  return entries_.find(key) != entries_.end();
}

std::string Catalog::text(std::string_view key,
                          const std::map<std::string, std::string>& args) const {
  const auto it = entries_.find(key);
  if (it == entries_.end()) return std::string(key);
  return fill(it->second, args);
}

Expected<Catalogs> Catalogs::load(const std::filesystem::path& dir) {
  Catalogs catalogs;
  for (const Language& language : languages()) {
    const std::string code(language.code);
    CIVICBOX_TRY(Catalog catalog, Catalog::load(dir / (code + ".toml"), code));
    catalogs.by_language_.emplace(code, std::move(catalog));
  }
  return catalogs;
}

const Catalog* Catalogs::find(std::string_view language) const {
  const auto it = by_language_.find(language);
  return it == by_language_.end() ? nullptr : &it->second;
}

std::string Catalogs::text(std::string_view language, std::string_view key,
                           const std::map<std::string, std::string>& args) const {
  if (const Catalog* catalog = find(language); catalog != nullptr && catalog->has(key)) {
    return catalog->text(key, args);
  }
  if (const Catalog* english = find(kFallbackLanguage); english != nullptr && english->has(key)) {
    return english->text(key, args);
  }
  return std::string(key);
}

}  // namespace civicbox::ui
