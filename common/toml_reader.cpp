#include "common/toml_reader.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <sstream>

#include "common/atomic_file.hpp"

namespace civicbox::config {

namespace {

bool is_bare_key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

bool is_ascii(char c) {
  return static_cast<unsigned char>(c) < 0x80;
}

// Where toml++ stops reading a bare value (a number, a date, true): a space of any kind
// (ASCII ones here: the scan refuses the others), ] } , or #.
bool ends_bare_value(char c) {
  return c == ' ' || c == '\t' || (c >= '\n' && c <= '\r') || c == ']' || c == '}' || c == ',' ||
         c == '#';
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_hex_digit(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool is_octal_digit(char c) {
  return c >= '0' && c <= '7';
}
bool is_binary_digit(char c) {
  return c == '0' || c == '1';
}

// At v[i]: a digit, then digits each maybe after one _ ("1_000"). Moves i past them.
bool underscored_digits(std::string_view v, std::size_t& i, bool (*is)(char)) {
  if (i >= v.size() || !is(v[i])) return false;
  ++i;
  while (i < v.size()) {
    if (is(v[i])) {
      ++i;
    } else if (v[i] == '_' && i + 1 < v.size() && is(v[i + 1])) {
      i += 2;
    } else {
      break;
    }
  }
  return true;
}

// At v[i]: exactly `n` digits. Moves i past them.
bool fixed_digits(std::string_view v, std::size_t& i, std::size_t n) {
  for (std::size_t k = 0; k < n; ++k, ++i) {
    if (i >= v.size() || !is_digit(v[i])) return false;
  }
  return true;
}

bool skip(std::string_view v, std::size_t& i, char c) {
  if (i >= v.size() || v[i] != c) return false;
  ++i;
  return true;
}

// TOML 1.0's integers and floats: 42, +1_000, 0xFF, 0o7, 0b1, 6.5e-1, -inf, nan.
bool is_number(std::string_view v) {
  std::size_t i = 0;
  for (const auto& [prefix, is] : {std::pair{"0x", &is_hex_digit}, std::pair{"0o", &is_octal_digit},
                                   std::pair{"0b", &is_binary_digit}}) {
    if (v.starts_with(prefix)) {
      i = 2;
      return underscored_digits(v, i, is) && i == v.size();
    }
  }
  if (v.starts_with('+') || v.starts_with('-')) i = 1;
  if (v.substr(i) == "inf" || v.substr(i) == "nan") return true;
  if (i < v.size() && v[i] == '0') {
    ++i;  // a whole part of 0 is that 0 alone: no leading zeros
  } else if (!underscored_digits(v, i, &is_digit)) {
    return false;
  }
  if (skip(v, i, '.') && !underscored_digits(v, i, &is_digit)) return false;
  if (skip(v, i, 'e') || skip(v, i, 'E')) {
    if (!skip(v, i, '+')) skip(v, i, '-');
    if (!underscored_digits(v, i, &is_digit)) return false;
  }
  return i == v.size();
}

// HH:MM:SS with an optional fraction of a second.
bool partial_time(std::string_view v, std::size_t& i) {
  if (!fixed_digits(v, i, 2) || !skip(v, i, ':') || !fixed_digits(v, i, 2) || !skip(v, i, ':') ||
      !fixed_digits(v, i, 2)) {
    return false;
  }
  if (skip(v, i, '.')) {
    const std::size_t first = i;
    while (i < v.size() && is_digit(v[i])) ++i;
    if (i == first) return false;
  }
  return true;
}

// TOML 1.0's dates and times: 1979-05-27, 07:32:00, 1979-05-27T07:32:00.5, with Z or -07:00.
bool is_date_time(std::string_view v) {
  std::size_t i = 0;
  if (partial_time(v, i) && i == v.size()) return true;  // a local time
  i = 0;
  if (!fixed_digits(v, i, 4) || !skip(v, i, '-') || !fixed_digits(v, i, 2) || !skip(v, i, '-') ||
      !fixed_digits(v, i, 2)) {
    return false;
  }
  if (i == v.size()) return true;  // a local date
  if (!skip(v, i, 'T') && !skip(v, i, 't') && !skip(v, i, ' ')) return false;
  if (!partial_time(v, i)) return false;
  if (skip(v, i, 'Z') || skip(v, i, 'z')) return i == v.size();
  if (skip(v, i, '+') || skip(v, i, '-')) {
    return fixed_digits(v, i, 2) && skip(v, i, ':') && fixed_digits(v, i, 2) && i == v.size();
  }
  return i == v.size();
}

// The shapes of TOML 1.0 for a value that is not a string, a list or an inline table (the
// ranges, a 13th month or a 25th hour, are left to toml++, which reports them).
bool is_bare_value(std::string_view v) {
  return v == "true" || v == "false" || is_number(v) || is_date_time(v);
}

std::string code_point_name(char32_t c) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "U+%04X", static_cast<unsigned>(c));
  return buffer;
}

// One character of a TOML text, checked byte by byte: a whole UTF-8 sequence (never overlong, no
// surrogate, at most U+10FFFF: what toml++ accepts) or none.
struct Utf8Char {
  std::size_t length = 0;  // 0: the bytes at that place are not UTF-8
  char32_t code = 0;
};

Utf8Char read_utf8(std::string_view text, std::size_t at) {
  const auto byte = [&](std::size_t i) {
    return at + i < text.size() ? static_cast<unsigned char>(text[at + i]) : 0u;
  };
  const unsigned lead = byte(0);
  if (lead < 0x80) return {1, lead};
  std::size_t length = 0;
  char32_t code = 0;
  unsigned low = 0x80;  // the second byte's range, narrower after E0, ED, F0 and F4
  unsigned high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    code = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    code = lead & 0x0F;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    code = lead & 0x07;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return {};
  }
  for (std::size_t i = 1; i < length; ++i) {
    const unsigned next = byte(i);
    if (next < (i == 1 ? low : 0x80) || next > (i == 1 ? high : 0xBF)) return {};
    code = (code << 6) | (next & 0x3F);
  }
  return {length, code};
}

// Walks a TOML text as toml++ 3.3 reads it (keys, values, strings, comments), far enough to know
// which bytes are inside a string or a comment, and stops at the first pitfall of toml++ 3.3
// (see check_toml_pitfalls). Where the walk and toml++ could disagree on the text's shape,
// toml++ has already reported a syntax error at or before that byte; a bare value is taken to
// end no earlier than toml++ ends it, so a quote in it ("1\"ș\"", "+\"ș\"") opens no string.
class PitfallScan {
 public:
  explicit PitfallScan(std::string_view text) : text_(text) {}
  Expected<void> run();

 private:
  // What comes next outside strings: a key (or a table's name), a value, or what may follow a
  // value (a comma, a closing bracket, a comment, the end of the line).
  enum class Next { key, value, after_value };

  Expected<std::size_t> table_header(std::size_t at);
  Expected<std::size_t> bare_value(std::size_t at);
  Expected<std::size_t> string(std::size_t at);
  Expected<std::size_t> escape(std::size_t at, bool multi_line);
  Expected<std::size_t> comment(std::size_t at);
  // A byte outside strings and comments: ASCII only.
  Expected<void> outside(std::size_t at) const;
  // A byte inside a string or a comment: the length of its UTF-8 character.
  Expected<std::size_t> inside(std::size_t at) const;

  [[nodiscard]] std::string describe(std::size_t at) const;
  [[nodiscard]] Error error(const std::string& what) const {
    return make_error(ErrorCode::parse, "line " + std::to_string(line_) + ": " + what);
  }

  std::string_view text_;
  std::size_t line_ = 1;
};

Expected<void> PitfallScan::run() {
  std::size_t at = text_.starts_with("\xEF\xBB\xBF") ? 3 : 0;  // toml++ skips a byte-order mark
  Next next = Next::key;
  std::string open;        // the [ (list) and { (inline table) the scan is inside, innermost last
  bool line_start = true;  // a top-level line with nothing but spaces yet
  while (at < text_.size()) {
    const char c = text_[at];
    if (c == '\n') {
      ++line_;
      ++at;
      if (open.empty()) {
        next = Next::key;
        line_start = true;
      }
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f') {
      ++at;  // toml++ refuses a \v or \f here
      continue;
    }
    const bool first_on_line = line_start;
    line_start = false;
    if (c == '#') {
      CIVICBOX_TRY(at, comment(at));
    } else if (c == '"' || c == '\'') {
      CIVICBOX_TRY(at, string(at));
      if (next == Next::value) next = Next::after_value;
    } else if (first_on_line && c == '[') {
      CIVICBOX_TRY(at, table_header(at));
      next = Next::key;
    } else if (next == Next::value && c == '[') {
      open += '[';
      ++at;
    } else if (next == Next::value && c == '{') {
      open += '{';
      next = Next::key;
      ++at;
    } else if (next == Next::value && c == '}') {
      // In a list toml++ 3.3 asserts that a value starts here instead of reporting it.
      return error("a '}' where a value should be");
    } else if (next == Next::value && c != ']' && c != ',') {
      CIVICBOX_TRY(at, bare_value(at));
      next = Next::after_value;
    } else {
      if (c == '=' && next == Next::key) next = Next::value;
      if (c == ',' && !open.empty()) next = open.back() == '[' ? Next::value : Next::key;
      if (c == ']' || c == '}') {
        if (!open.empty()) open.pop_back();
        next = Next::after_value;  // also after a table's name: only a comment may follow
      }
      CIVICBOX_CHECK(outside(at));
      ++at;
    }
  }
  return {};
}

// A line whose first character is [ (outside any value): [name] or [[name]], spaces allowed
// around the name. Answers where the name starts.
Expected<std::size_t> PitfallScan::table_header(std::size_t at) {
  std::size_t name = at + 1;
  if (name < text_.size() && text_[name] == '[') ++name;
  while (name < text_.size() && (text_[name] == ' ' || text_[name] == '\t')) ++name;
  if (name < text_.size()) {
    const char c = text_[name];
    // A character beyond ASCII is named by outside() as the walk goes on.
    if (is_bare_key_char(c) || c == '"' || c == '\'' || !is_ascii(c)) return name;
  }
  return error(
      "a table header is [name] or [[name]], the name made of A-Z, a-z, 0-9, _ and - "
      "or in quotes, not " +
      describe(name));
}

// A value that is not a string, a list or an inline table (a number, a date, true, inf): toml++
// reads on to a space, ] } , or #, and past one space when a digit follows (a date, a space and
// a time). Its shape is checked here, for toml++ 3.3 asserts on some shapes ("1979-05-27T`7",
// "1979-05-27 0") instead of reporting them. Answers where it ends.
Expected<std::size_t> PitfallScan::bare_value(std::size_t at) {
  const std::size_t start = at;
  while (true) {
    while (at < text_.size() && !ends_bare_value(text_[at])) {
      CIVICBOX_CHECK(outside(at));
      ++at;
    }
    if (at + 1 < text_.size() && text_[at] == ' ' && is_digit(text_[at + 1])) {
      ++at;
      continue;
    }
    break;
  }
  const std::string_view value = text_.substr(start, at - start);
  if (!is_bare_value(value)) {
    constexpr std::size_t kShown = 40;
    const std::string shown =
        value.size() > kShown ? std::string(value.substr(0, kShown)) + "..." : std::string(value);
    return error("'" + shown +
                 "' is not a value: a value is a number, a date or a time, true or false, a "
                 "[list], a { table } or a text in quotes");
  }
  return at;
}

// A string from its opening quote: "...", '...', """...""" or '''...'''. Answers where it ends:
// after its closing quotes, or at the end of the line for a one-line string without them
// (toml++ reports that).
Expected<std::size_t> PitfallScan::string(std::size_t at) {
  const char quote = text_[at];
  const bool multi_line = text_.substr(at, 3) == std::string(3, quote);
  at += multi_line ? 3 : 1;
  while (at < text_.size()) {
    const char c = text_[at];
    if (c == quote) {
      if (!multi_line) return at + 1;
      // Like toml++: up to five quotes in a row, the last three closing the string.
      std::size_t quotes = 0;
      while (quotes < 5 && at + quotes < text_.size() && text_[at + quotes] == quote) ++quotes;
      at += quotes;
      if (quotes >= 3) return at;
    } else if (c == '\n') {
      if (!multi_line) return at;
      ++line_;
      ++at;
    } else if (c == '\\' && quote == '"') {
      CIVICBOX_TRY(at, escape(at, multi_line));
    } else {
      CIVICBOX_TRY(const std::size_t length, inside(at));
      at += length;
    }
  }
  return at;
}

// A backslash in a "..." or """...""" string. Answers where the string goes on.
Expected<std::size_t> PitfallScan::escape(std::size_t at, bool multi_line) {
  std::size_t after = at + 1;
  if (after >= text_.size()) return after;
  if (!is_ascii(text_[after])) {
    CIVICBOX_TRY(const std::size_t length, inside(after));
    return error("'\\" + std::string(text_.substr(after, length)) +
                 "' is not an escape: a backslash starts \\n, \\t, \\\", \\\\ or \\uXXXX");
  }
  if (!multi_line) return text_[after] == '\n' ? after : after + 1;
  if (text_[after] == ' ' || text_[after] == '\t') {
    while (after < text_.size() && (text_[after] == ' ' || text_[after] == '\t')) ++after;
    if (after < text_.size() && !is_ascii(text_[after])) {
      CIVICBOX_CHECK(inside(after));
      return error(describe(after) +
                   " after a backslash and spaces: a backslash that ends a line must be the "
                   "last character on it");
    }
    if (after >= text_.size() || (text_[after] != '\n' && text_[after] != '\r')) {
      return after;  // toml++ reports a backslash that neither escapes nor ends the line
    }
  }
  if (text_[after] == '\n' || text_[after] == '\r') {
    // A line-ending backslash: toml++ skips the spaces and line breaks after it.
    while (after < text_.size() && (text_[after] == ' ' || text_[after] == '\t' ||
                                    text_[after] == '\r' || text_[after] == '\n')) {
      if (text_[after] == '\n') ++line_;
      ++after;
    }
    if (after < text_.size() && !is_ascii(text_[after])) {
      CIVICBOX_CHECK(inside(after));
      const char32_t first = read_utf8(text_, after).code;
      char escaped[16];
      std::snprintf(escaped, sizeof escaped, first > 0xFFFF ? "\\U%08X" : "\\u%04X",
                    static_cast<unsigned>(first));
      return error(describe(after) +
                   " first after a line-ending backslash: the box's TOML reader cannot read it "
                   "there; write it " +
                   escaped + " or drop the backslash");
    }
    return after;
  }
  return after + 1;  // the escaped character: \" does not close the string
}

// A comment, from # to the end of its line. Answers where the line ends.
Expected<std::size_t> PitfallScan::comment(std::size_t at) {
  ++at;
  while (at < text_.size() && text_[at] != '\n') {
    CIVICBOX_TRY(const std::size_t length, inside(at));
    at += length;
  }
  return at;
}

Expected<void> PitfallScan::outside(std::size_t at) const {
  if (is_ascii(text_[at])) return {};
  CIVICBOX_CHECK(inside(at));
  return error(describe(at) +
               " outside quotes: keys and bare values are ASCII; put text in quotes");
}

Expected<std::size_t> PitfallScan::inside(std::size_t at) const {
  const Utf8Char c = read_utf8(text_, at);
  if (c.length == 0) return error(describe(at) + " is not UTF-8 text; save the file as UTF-8");
  return c.length;
}

// "'ș' (U+0219)", "'$'", "U+0001", "the end of the line", or "the byte 0xC8" where the bytes
// are not UTF-8.
std::string PitfallScan::describe(std::size_t at) const {
  if (at >= text_.size() || text_[at] == '\n' || text_[at] == '\r') return "the end of the line";
  const char c = text_[at];
  if (is_ascii(c)) {
    if (c < ' ' || c == 0x7F) return code_point_name(static_cast<char32_t>(c));
    return "'" + std::string(1, c) + "'";
  }
  const Utf8Char u = read_utf8(text_, at);
  if (u.length == 0) {
    char byte[8];
    std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(c));
    return std::string("the byte ") + byte;
  }
  return "'" + std::string(text_.substr(at, u.length)) + "' (" + code_point_name(u.code) + ")";
}

}  // namespace

Expected<void> check_toml_pitfalls(std::string_view text) {
  return PitfallScan(text).run();
}

Expected<toml::table> parse_document(std::string_view text) {
  CIVICBOX_CHECK(check_toml_pitfalls(text));
  try {
    return toml::parse(text);
  } catch (const toml::parse_error& e) {
    return make_error(ErrorCode::parse, "line " + std::to_string(e.source().begin.line) + ": " +
                                            std::string(e.description()));
  }
}

Expected<void> only_sections(const toml::table& root, std::initializer_list<const char*> sections,
                             std::initializer_list<const char*> table_lists) {
  auto among = [](std::initializer_list<const char*> names, std::string_view key) {
    return std::any_of(names.begin(), names.end(), [key](const char* s) { return key == s; });
  };
  for (const auto& [key, node] : root) {
    const bool known_table = among(sections, key.str()) && node.is_table();
    const bool known_list = among(table_lists, key.str()) && node.is_array_of_tables();
    if (!known_table && !known_list) {
      std::string list;
      for (const char* s : sections) list += std::string(list.empty() ? "" : ", ") + "[" + s + "]";
      for (const char* s : table_lists) {
        list += std::string(list.empty() ? "" : ", ") + "[[" + s + "]]";
      }
      return error_at(ErrorCode::unknown_field, std::string(key.str()), node,
                      "unknown section; sections are " + list);
    }
  }
  return {};
}

std::vector<const toml::table*> table_list(const toml::table& root, const char* name) {
  std::vector<const toml::table*> tables;
  if (const toml::array* list = root[name].as_array()) {
    for (const auto& item : *list) {
      if (const toml::table* t = item.as_table()) tables.push_back(t);
    }
  }
  return tables;
}

const toml::table& section(const toml::table& root, const char* name) {
  static const toml::table kEmpty;
  const toml::table* t = root[name].as_table();
  return t != nullptr ? *t : kEmpty;
}

Error error_at(ErrorCode code, const std::string& key, const toml::node& node,
               const std::string& what) {
  return make_error(
      code, "'" + key + "' (line " + std::to_string(node.source().begin.line) + "): " + what);
}

Expected<std::string> read_file(const std::filesystem::path& file) {
  auto text = read_text_file(file);
  if (!text) {
    return make_error(ErrorCode::io, "cannot read the configuration file " + file.string() + " (" +
                                         text.error().message + ")");
  }
  return text;
}

const toml::node* TableReader::mark(const char* key) {
  known_.push_back(key);
  return table_.get(key);
}

Expected<void> TableReader::string(const char* key, std::string& out) {
  const toml::node* node = mark(key);
  if (node == nullptr) return {};
  auto value = node->value<std::string>();
  if (!node->is_string() || !value) {
    return error_at(ErrorCode::wrong_type, name(key), *node, "must be a string");
  }
  out = *value;
  return {};
}

Expected<void> TableReader::boolean(const char* key, bool& out) {
  const toml::node* node = mark(key);
  if (node == nullptr) return {};
  if (!node->is_boolean()) {
    return error_at(ErrorCode::wrong_type, name(key), *node, "must be true or false");
  }
  out = *node->value<bool>();
  return {};
}

Expected<void> TableReader::path(const char* key, std::filesystem::path& out,
                                 const std::filesystem::path& base) {
  std::string text;
  CIVICBOX_CHECK(string(key, text));
  if (!text.empty()) {
    out = std::filesystem::path(text).is_absolute() ? std::filesystem::path(text) : base / text;
  }
  return {};
}

Expected<void> TableReader::integer(const char* key, std::int64_t min, std::int64_t max,
                                    std::int64_t& out) {
  const toml::node* node = mark(key);
  if (node == nullptr) return {};
  auto value = node->value<std::int64_t>();
  if (!node->is_integer() || !value) {
    return error_at(ErrorCode::wrong_type, name(key), *node, "must be a whole number");
  }
  if (*value < min || *value > max) {
    return error_at(ErrorCode::invalid_argument, name(key), *node,
                    "must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
  out = *value;
  return {};
}

Expected<void> TableReader::integer(const char* key, std::int64_t min, std::int64_t max, int& out) {
  std::int64_t wide = out;
  CIVICBOX_CHECK(integer(key, min, max, wide));
  out = static_cast<int>(wide);
  return {};
}

Expected<void> TableReader::number(const char* key, double min, double max, double& out) {
  const toml::node* node = mark(key);
  if (node == nullptr) return {};
  auto value = node->value<double>();  // an integer is taken as a number too
  if (!(node->is_floating_point() || node->is_integer()) || !value) {
    return error_at(ErrorCode::wrong_type, name(key), *node, "must be a number");
  }
  if (!(*value >= min && *value <= max)) {  // NaN fails too
    std::ostringstream range;
    range << "must be between " << min << " and " << max;
    return error_at(ErrorCode::invalid_argument, name(key), *node, range.str());
  }
  out = *value;
  return {};
}

Expected<void> TableReader::strings(const char* key, std::vector<std::string>& out) {
  const toml::node* node = mark(key);
  if (node == nullptr) return {};
  const toml::array* array = node->as_array();
  if (array == nullptr) {
    return error_at(ErrorCode::wrong_type, name(key), *node, "must be a list of strings");
  }
  std::vector<std::string> values;
  for (const auto& item : *array) {
    auto value = item.value<std::string>();
    if (!item.is_string() || !value || value->empty()) {
      return error_at(ErrorCode::wrong_type, name(key), item,
                      "must be a list of non-empty strings");
    }
    values.push_back(*value);
  }
  out = std::move(values);
  return {};
}

Expected<void> TableReader::distinct_integers(const char* key, std::int64_t min, std::int64_t max,
                                              std::vector<int>& out) {
  const toml::node* node = mark(key);
  if (node == nullptr) return {};
  const toml::array* array = node->as_array();
  if (array == nullptr || array->empty()) {
    return error_at(ErrorCode::wrong_type, name(key), *node,
                    "must be a non-empty list of whole numbers");
  }
  std::vector<int> values;
  for (const auto& item : *array) {
    auto value = item.value<std::int64_t>();
    if (!item.is_integer() || !value || *value < min || *value > max) {
      return error_at(
          ErrorCode::wrong_type, name(key), item,
          "must hold whole numbers from " + std::to_string(min) + " to " + std::to_string(max));
    }
    if (std::find(values.begin(), values.end(), *value) != values.end()) {
      return error_at(ErrorCode::invalid_argument, name(key), item,
                      "lists " + std::to_string(*value) + " twice");
    }
    values.push_back(static_cast<int>(*value));
  }
  out = std::move(values);
  return {};
}

Expected<void> TableReader::finish() const {
  for (const auto& [key, node] : table_) {
    const bool known = std::any_of(known_.begin(), known_.end(),
                                   [&key = key](const char* k) { return key.str() == k; });
    if (!known) {
      return error_at(ErrorCode::unknown_field, name(std::string(key.str())), node,
                      "unknown setting (a typo?)");
    }
  }
  return {};
}

}  // namespace civicbox::config
