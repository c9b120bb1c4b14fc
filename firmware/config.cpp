#include "firmware/config.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include <toml++/toml.h>

#include "common/ids.hpp"
#include "common/wire.hpp"

namespace civicbox::firmware {

namespace {

std::string where(const toml::node& node) {
  return "line " + std::to_string(node.source().begin.line);
}

Error config_error(ErrorCode code, const std::string& key, const toml::node& node,
                   const std::string& what) {
  return make_error(code, "'" + key + "' (" + where(node) + "): " + what);
}

// Reads the keys of one table; each reader marks its key as known so leftovers are reported.
class TableReader {
 public:
  TableReader(const toml::table& table, std::string prefix)
      : table_(table), prefix_(std::move(prefix)) {}

  Expected<void> string(const char* key, std::string& out) {
    known_.push_back(key);
    const toml::node* node = table_.get(key);
    if (node == nullptr) return {};
    auto value = node->value<std::string>();
    if (!node->is_string() || !value) {
      return config_error(ErrorCode::wrong_type, name(key), *node, "must be a string");
    }
    out = *value;
    return {};
  }
  Expected<void> path(const char* key, std::filesystem::path& out,
                      const std::filesystem::path& base) {
    std::string text;
    CIVICBOX_CHECK(string(key, text));
    if (!text.empty()) {
      out = std::filesystem::path(text).is_absolute() ? std::filesystem::path(text) : base / text;
    }
    return {};
  }
  Expected<void> integer(const char* key, std::int64_t min, std::int64_t max, int& out) {
    known_.push_back(key);
    const toml::node* node = table_.get(key);
    if (node == nullptr) return {};
    auto value = node->value<std::int64_t>();
    if (!node->is_integer() || !value) {
      return config_error(ErrorCode::wrong_type, name(key), *node, "must be a whole number");
    }
    if (*value < min || *value > max) {
      return config_error(ErrorCode::invalid_argument, name(key), *node,
                          "must be between " + std::to_string(min) + " and " + std::to_string(max));
    }
    out = static_cast<int>(*value);
    return {};
  }
  Expected<void> compartments(const char* key, std::vector<int>& out) {
    known_.push_back(key);
    const toml::node* node = table_.get(key);
    if (node == nullptr) return {};
    const toml::array* array = node->as_array();
    if (array == nullptr || array->empty()) {
      return config_error(ErrorCode::wrong_type, name(key), *node,
                          "must be a non-empty list of compartment numbers");
    }
    std::vector<int> values;
    for (const auto& item : *array) {
      auto value = item.value<std::int64_t>();
      if (!item.is_integer() || !value || *value < 1 || *value > wire::kMaxCompartment) {
        return config_error(
            ErrorCode::wrong_type, name(key), item,
            "must hold compartment numbers from 1 to " + std::to_string(wire::kMaxCompartment));
      }
      if (std::find(values.begin(), values.end(), *value) != values.end()) {
        return config_error(ErrorCode::invalid_argument, name(key), item,
                            "lists compartment " + std::to_string(*value) + " twice");
      }
      values.push_back(static_cast<int>(*value));
    }
    out = std::move(values);
    return {};
  }
  Expected<void> finish() const {
    for (const auto& [key, node] : table_) {
      bool ok = false;
      for (const auto* k : known_) ok = ok || key.str() == k;
      if (!ok) {
        return config_error(ErrorCode::unknown_field, name(std::string(key.str())), node,
                            "unknown setting (a typo?)");
      }
    }
    return {};
  }
  [[nodiscard]] const toml::node* node(const char* key) const { return table_.get(key); }

 private:
  std::string name(const std::string& key) const { return prefix_ + "." + key; }
  const toml::table& table_;
  std::string prefix_;
  std::vector<const char*> known_;
};

}  // namespace

Expected<AgentConfig> parse_agent_config(std::string_view toml_text,
                                         const std::filesystem::path& base) {
  toml::table root;
  try {
    root = toml::parse(toml_text);
  } catch (const toml::parse_error& e) {
    return make_error(ErrorCode::parse, "line " + std::to_string(e.source().begin.line) + ": " +
                                            std::string(e.description()));
  }
  static constexpr const char* kTables[] = {"box", "controller", "sync", "cabinet"};
  for (const auto& [key, node] : root) {
    bool ok = false;
    for (const auto* t : kTables) ok = ok || key.str() == t;
    if (!ok || !node.is_table()) {
      return config_error(ErrorCode::unknown_field, std::string(key.str()), node,
                          "unknown section; sections are [box], [controller], [sync], [cabinet]");
    }
  }
  auto table = [&](const char* name) -> const toml::table& {
    static const toml::table kEmpty;
    const toml::table* t = root[name].as_table();
    return t != nullptr ? *t : kEmpty;
  };

  AgentConfig c;
  c.data_dir = base / "data";
  TableReader box(table("box"), "box");
  CIVICBOX_CHECK(box.string("id", c.box_id));
  CIVICBOX_CHECK(box.path("data_dir", c.data_dir, base));
  CIVICBOX_CHECK(box.finish());
  if (c.box_id.empty()) {
    return make_error(ErrorCode::missing_field, "'box.id' is required (the box certificate's CN)");
  }
  if (auto id = DeviceId::parse(c.box_id); !id) {
    return config_error(ErrorCode::invalid_argument, "box.id", *box.node("id"), id.error().message);
  }

  TableReader controller(table("controller"), "controller");
  CIVICBOX_CHECK(controller.string("url", c.controller_url));
  CIVICBOX_CHECK(controller.path("ca", c.ca, base));
  CIVICBOX_CHECK(controller.path("cert", c.cert, base));
  CIVICBOX_CHECK(controller.path("key", c.key, base));
  CIVICBOX_CHECK(controller.integer("timeout_ms", 100, 600'000, c.timeout_ms));
  CIVICBOX_CHECK(controller.finish());
  if (c.controller_url.rfind("https://", 0) != 0) {
    const toml::node* n = controller.node("url");
    return n != nullptr ? config_error(ErrorCode::invalid_argument, "controller.url", *n,
                                       "must start with https:// (mutual TLS)")
                        : make_error(ErrorCode::invalid_argument,
                                     "'controller.url' must start with https://");
  }

  for (auto [key, path] : {std::pair<const char*, const std::filesystem::path*>{"ca", &c.ca},
                           {"cert", &c.cert},
                           {"key", &c.key}}) {
    if (path->empty()) {
      return make_error(
          ErrorCode::missing_field,
          "'controller." + std::string(key) + "' is required (mutual TLS with the fleet CA)");
    }
  }

  TableReader sync(table("sync"), "sync");
  CIVICBOX_CHECK(sync.integer("interval_s", 1, 86'400, c.interval_s));
  CIVICBOX_CHECK(
      sync.integer("batch", 1, static_cast<std::int64_t>(wire::kMaxBatchEvents), c.batch));
  CIVICBOX_CHECK(sync.finish());

  TableReader cabinet(table("cabinet"), "cabinet");
  CIVICBOX_CHECK(cabinet.compartments("dropoff", c.dropoff));
  CIVICBOX_CHECK(cabinet.compartments("pickup", c.pickup));
  CIVICBOX_CHECK(cabinet.integer("door_close_ms", 0, 600'000, c.door_close_ms));
  CIVICBOX_CHECK(cabinet.finish());
  for (int n : c.dropoff) {
    if (std::find(c.pickup.begin(), c.pickup.end(), n) != c.pickup.end()) {
      return make_error(ErrorCode::invalid_argument,
                        "compartment " + std::to_string(n) +
                            " is in both 'cabinet.dropoff' and 'cabinet.pickup'");
    }
  }
  return c;
}

Expected<AgentConfig> load_agent_config(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return make_error(ErrorCode::io, "cannot read the configuration file " + file.string());
  std::stringstream text;
  text << in.rdbuf();
  auto base = std::filesystem::absolute(file).parent_path();
  auto config = parse_agent_config(text.str(), base);
  if (!config) return config.error().context(file.string());
  // Found now, with the key's name, rather than as a TLS error at the first sync.
  for (auto [key, path] :
       {std::pair<const char*, const std::filesystem::path*>{"controller.ca", &config->ca},
        {"controller.cert", &config->cert},
        {"controller.key", &config->key}}) {
    if (!std::ifstream(*path)) {
      return make_error(ErrorCode::io, "'" + std::string(key) + "': cannot read " + path->string())
          .context(file.string());
    }
  }
  return config;
}

}  // namespace civicbox::firmware
