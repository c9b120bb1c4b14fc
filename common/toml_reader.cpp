#include "common/toml_reader.hpp"

#include <algorithm>

#include "common/atomic_file.hpp"

namespace civicbox::config {

Expected<toml::table> parse_document(std::string_view text) {
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
