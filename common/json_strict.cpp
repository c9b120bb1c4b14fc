#include "common/json_strict.hpp"

#include <optional>
#include <set>
#include <vector>

namespace civicbox::json {

using nlohmann::json;

Expected<json> parse(std::string_view text, std::size_t max_bytes) {
  if (text.size() > max_bytes) {
    return make_error(ErrorCode::too_large, "the body has " + std::to_string(text.size()) +
                                                " bytes; the limit is " +
                                                std::to_string(max_bytes));
  }
  std::size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    // nlohmann's lexer takes a NUL byte for the end of input and ignores what follows; valid
    // JSON never holds a raw NUL (not even inside a string), so refuse it here.
    if (c == '\0') return make_error(ErrorCode::parse, "not valid JSON: a NUL byte");
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"')
      in_string = true;
    else if (c == '{' || c == '[') {
      if (++depth > kMaxDepth) {
        return make_error(ErrorCode::too_large,
                          "JSON nested deeper than " + std::to_string(kMaxDepth) + " levels");
      }
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  // The parser keeps the last of two equal keys; a strict reader must not guess which one the
  // sender meant ({"kind":"a","kind":"b"}), so a repeated key is refused.
  std::vector<std::set<std::string>> keys_of_open_objects;
  std::optional<std::string> repeated;
  auto watch_keys = [&](int, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
        keys_of_open_objects.emplace_back();
        break;
      case json::parse_event_t::object_end:
        if (!keys_of_open_objects.empty()) keys_of_open_objects.pop_back();
        break;
      case json::parse_event_t::key:
        if (!keys_of_open_objects.empty() && parsed.is_string() &&
            !keys_of_open_objects.back().insert(parsed.get<std::string>()).second && !repeated) {
          repeated = parsed.get<std::string>();
        }
        break;
      default:
        break;
    }
    return true;
  };
  try {
    json value = json::parse(text, watch_keys);
    if (repeated) {
      return make_error(ErrorCode::parse, "not valid JSON here: the key '" + *repeated +
                                              "' appears twice in one object");
    }
    return value;
  } catch (const json::exception& e) {
    return make_error(ErrorCode::parse, std::string("not valid JSON: ") + e.what());
  }
}

Expected<ObjectReader> ObjectReader::open(const json& value, std::string path) {
  if (!value.is_object()) {
    return make_error(ErrorCode::wrong_type,
                      (path.empty() ? std::string("the body") : path) + " must be a JSON object");
  }
  return ObjectReader(value, std::move(path));
}

std::string ObjectReader::path_of(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

Expected<const json*> ObjectReader::field(std::string_view key) {
  seen_.emplace(key);
  auto it = value_->find(key);
  if (it == value_->end()) {
    return make_error(ErrorCode::missing_field, "'" + path_of(key) + "' is required");
  }
  return &*it;
}

namespace {
Error wrong_type(const std::string& path, std::string_view want) {
  return make_error(ErrorCode::wrong_type, "'" + path + "' must be " + std::string(want));
}
}  // namespace

Expected<std::string> string_item(const json& value, const std::string& path,
                                  std::size_t max_bytes) {
  if (!value.is_string()) return wrong_type(path, "a string");
  const auto& s = value.get_ref<const std::string&>();
  if (s.size() > max_bytes) {
    return make_error(ErrorCode::too_large,
                      "'" + path + "' is longer than " + std::to_string(max_bytes) + " bytes");
  }
  return s;
}

Expected<std::string> ObjectReader::string(std::string_view key, std::size_t max_bytes) {
  auto f = field(key);
  if (!f) return f.error();
  return string_item(**f, path_of(key), max_bytes);
}

Expected<std::optional<std::string>> ObjectReader::optional_string(std::string_view key,
                                                                   std::size_t max_bytes) {
  seen_.emplace(key);
  auto it = value_->find(key);
  if (it == value_->end() || it->is_null()) return std::optional<std::string>{};
  auto s = string_item(*it, path_of(key), max_bytes);
  if (!s) return s.error();
  return std::optional<std::string>{std::move(*s)};
}

Expected<std::int64_t> ObjectReader::integer(std::string_view key, std::int64_t min,
                                             std::int64_t max) {
  auto f = field(key);
  if (!f) return f.error();
  const json& v = **f;
  std::int64_t n = 0;
  if (v.is_number_unsigned()) {
    auto u = v.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(INT64_MAX)) {
      return make_error(ErrorCode::too_large, "'" + path_of(key) + "' is out of range");
    }
    n = static_cast<std::int64_t>(u);
  } else if (v.is_number_integer()) {
    n = v.get<std::int64_t>();
  } else {
    return wrong_type(path_of(key), "an integer");
  }
  if (n < min || n > max) {
    return make_error(ErrorCode::too_large, "'" + path_of(key) + "' must be between " +
                                                std::to_string(min) + " and " +
                                                std::to_string(max));
  }
  return n;
}

Expected<std::optional<std::int64_t>> ObjectReader::optional_integer(std::string_view key,
                                                                     std::int64_t min,
                                                                     std::int64_t max) {
  seen_.emplace(key);
  auto it = value_->find(key);
  if (it == value_->end() || it->is_null()) return std::optional<std::int64_t>{};
  auto n = integer(key, min, max);
  if (!n) return n.error();
  return std::optional<std::int64_t>{*n};
}

Expected<std::uint64_t> ObjectReader::unsigned_integer(std::string_view key, std::uint64_t max) {
  auto f = field(key);
  if (!f) return f.error();
  const json& v = **f;
  if (!v.is_number_integer() ||
      (v.is_number_integer() && !v.is_number_unsigned() && v.get<std::int64_t>() < 0)) {
    return wrong_type(path_of(key), "a non-negative integer");
  }
  auto u = v.get<std::uint64_t>();
  if (u > max) {
    return make_error(ErrorCode::too_large,
                      "'" + path_of(key) + "' must be at most " + std::to_string(max));
  }
  return u;
}

Expected<bool> ObjectReader::boolean(std::string_view key) {
  auto f = field(key);
  if (!f) return f.error();
  if (!(*f)->is_boolean()) return wrong_type(path_of(key), "true or false");
  return (*f)->get<bool>();
}

Expected<bool> ObjectReader::optional_boolean(std::string_view key, bool absent) {
  seen_.emplace(key);
  if (!value_->contains(key)) return absent;
  return boolean(key);
}

Expected<const json*> ObjectReader::array(std::string_view key, std::size_t max_items) {
  auto f = field(key);
  if (!f) return f.error();
  if (!(*f)->is_array()) return wrong_type(path_of(key), "an array");
  if ((*f)->size() > max_items) {
    return make_error(ErrorCode::too_large, "'" + path_of(key) + "' has more than " +
                                                std::to_string(max_items) + " items");
  }
  return *f;
}

Expected<const json*> ObjectReader::object(std::string_view key) {
  auto f = field(key);
  if (!f) return f.error();
  if (!(*f)->is_object()) return wrong_type(path_of(key), "an object");
  return *f;
}

Expected<void> ObjectReader::finish() const {
  for (const auto& [key, _] : value_->items()) {
    if (!seen_.contains(key)) {
      return make_error(ErrorCode::unknown_field, "unknown field '" + path_of(key) + "'");
    }
  }
  return {};
}

}  // namespace civicbox::json
