// Strict reading of the TOML configuration files a technician edits by hand (the controller's
// and the box's). Every key is asked for by name and type; `finish()` reports any key nobody
// asked for, so a typo is an error naming the key and its line, never a silent default.
// Include only from the .cpp files that read a configuration: toml++ is a heavy header.
#pragma once

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "common/error.hpp"

namespace civicbox::config {

// Errors: parse, with the line of the syntax error. Runs check_toml_pitfalls() first.
Expected<toml::table> parse_document(std::string_view text);

// toml++ 3.3 (the box's version) reaches __builtin_unreachable() or fails an assert() on some
// mistakes instead of reporting them (marzer/tomlplusplus#295, #190: fixed upstream by #305;
// #301): a character beyond ASCII where it expects a bare key, a bare value or a space
// ("fișier = 1", "a = 1§", "a = +\"ș\""), or right after a backslash in a """ text (an escape,
// or the first one after a line-ending backslash), a table header that starts no name ("[$a]",
// "[[[1]]]", a lone "["), a '}' where a list expects a value, and a malformed date or number
// ("1979-05-27 0", "1979-05-27T`7"). This scan refuses those before toml++ sees the text:
// outside strings and comments only ASCII, inside them any UTF-8; a bare value must have one of
// TOML 1.0's shapes (a number, a date or a time, true or false). It tracks strings as toml++
// does, so a quote inside a bare value ("+\"ș\"") opens none. Valid TOML passes, but for a
// character beyond ASCII first after a line-ending backslash in a """ text: write it \uXXXX.
// Errors: parse, naming the line: "line 3: 'ș' (U+0219) outside quotes: ...".
Expected<void> check_toml_pitfalls(std::string_view text);

// Errors: unknown_field naming the first top-level key that is not one of `sections` (or is not
// a table) nor one of `table_lists` (or is not a list of tables: [[name]]).
Expected<void> only_sections(const toml::table& root, std::initializer_list<const char*> sections,
                             std::initializer_list<const char*> table_lists = {});

// The tables of the list `name` ([[name]]), or none when the file has no such list.
std::vector<const toml::table*> table_list(const toml::table& root, const char* name);

// The table called `name`, or an empty one when the file has no such section.
const toml::table& section(const toml::table& root, const char* name);

// "'server.threads' (line 3): must be a whole number"
Error error_at(ErrorCode code, const std::string& key, const toml::node& node,
               const std::string& what);

// Reads a whole configuration file. Errors: io.
Expected<std::string> read_file(const std::filesystem::path& file);

// Reads the keys of one table. A key that is absent leaves `out` as it was (the default).
class TableReader {
 public:
  TableReader(const toml::table& table, std::string prefix)
      : table_(table), prefix_(std::move(prefix)) {}

  Expected<void> string(const char* key, std::string& out);
  Expected<void> boolean(const char* key, bool& out);
  // Relative paths are taken from `base` (the configuration file's folder).
  Expected<void> path(const char* key, std::filesystem::path& out,
                      const std::filesystem::path& base);
  Expected<void> integer(const char* key, std::int64_t min, std::int64_t max, std::int64_t& out);
  Expected<void> integer(const char* key, std::int64_t min, std::int64_t max, int& out);
  // A number (floating point, or a whole number) within [min, max].
  Expected<void> number(const char* key, double min, double max, double& out);
  // A list of non-empty strings.
  Expected<void> strings(const char* key, std::vector<std::string>& out);
  // A non-empty list of distinct whole numbers in [min, max].
  Expected<void> distinct_integers(const char* key, std::int64_t min, std::int64_t max,
                                   std::vector<int>& out);
  // Errors: unknown_field naming the first key that was not read.
  Expected<void> finish() const;
  // Counts `key` as read: its value is read by other means (a list of tables under this table,
  // each read with a TableReader of its own).
  void read_elsewhere(const char* key) { mark(key); }

  [[nodiscard]] const toml::node* node(const char* key) const { return table_.get(key); }
  [[nodiscard]] std::string name(const std::string& key) const { return prefix_ + "." + key; }

 private:
  const toml::node* mark(const char* key);
  const toml::table& table_;
  std::string prefix_;
  std::vector<const char*> known_;
};

}  // namespace civicbox::config
