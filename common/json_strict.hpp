// Strict reading of JSON objects from outside: every field is asked for by name and type, with
// a size limit; `finish()` reports any field nobody asked for (usually a typo or a client that
// speaks another version). Errors name the path of the field, e.g. "events[3].data.compartment".
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/error.hpp"

namespace civicbox::json {

inline constexpr std::size_t kMaxDepth = 16;

// Parses text as JSON; refuses bodies over max_bytes and nesting deeper than kMaxDepth before
// the parser sees them, so a hostile body cannot exhaust the stack.
Expected<nlohmann::json> parse(std::string_view text, std::size_t max_bytes);

class ObjectReader {
 public:
  // Errors: wrong_type when `value` is not an object.
  static Expected<ObjectReader> open(const nlohmann::json& value, std::string path);

  Expected<std::string> string(std::string_view key, std::size_t max_bytes);
  Expected<std::optional<std::string>> optional_string(std::string_view key, std::size_t max_bytes);
  Expected<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max);
  Expected<std::uint64_t> unsigned_integer(std::string_view key, std::uint64_t max);
  Expected<bool> boolean(std::string_view key);
  // An optional boolean: absent means `absent` (documented per field, never a guess).
  Expected<bool> optional_boolean(std::string_view key, bool absent);
  Expected<std::optional<std::int64_t>> optional_integer(std::string_view key, std::int64_t min,
                                                         std::int64_t max);
  // The array at key, with at most max_items elements.
  Expected<const nlohmann::json*> array(std::string_view key, std::size_t max_items);
  Expected<const nlohmann::json*> object(std::string_view key);

  // Errors: unknown_field naming the first field that was not read.
  Expected<void> finish() const;

  [[nodiscard]] std::string path_of(std::string_view key) const;

 private:
  ObjectReader(const nlohmann::json& value, std::string path)
      : value_(&value), path_(std::move(path)) {}
  Expected<const nlohmann::json*> field(std::string_view key);
  const nlohmann::json* value_;
  std::string path_;
  std::set<std::string, std::less<>> seen_;
};

// A string element of an array, with a size limit.
Expected<std::string> string_item(const nlohmann::json& value, const std::string& path,
                                  std::size_t max_bytes);

}  // namespace civicbox::json

namespace civicbox::json {
// Serialises compactly; invalid UTF-8 (from a device or a person) is replaced, never thrown on.
inline std::string dump(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}
}  // namespace civicbox::json
