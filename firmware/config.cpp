#include "firmware/config.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "common/ids.hpp"
#include "common/toml_reader.hpp"
#include "common/wire.hpp"

namespace civicbox::firmware {

using config::error_at;
using config::TableReader;

Expected<AgentConfig> parse_agent_config(std::string_view toml_text,
                                         const std::filesystem::path& base) {
  CIVICBOX_TRY(const toml::table root, config::parse_document(toml_text));
  CIVICBOX_CHECK(config::only_sections(root, {"box", "controller", "sync", "cabinet"}));
  auto table = [&](const char* name) -> const toml::table& { return config::section(root, name); };

  AgentConfig c;
  c.data_dir = base / "data";
  TableReader box(table("box"), "box");
  CIVICBOX_CHECK(box.string("id", c.box_id));
  CIVICBOX_CHECK(box.path("data_dir", c.data_dir, base));
  CIVICBOX_CHECK(box.path("fonts_dir", c.fonts_dir, base));
  CIVICBOX_CHECK(box.finish());
  if (c.box_id.empty()) {
    return make_error(ErrorCode::missing_field, "'box.id' is required (the box certificate's CN)");
  }
  if (auto id = DeviceId::parse(c.box_id); !id) {
    return error_at(ErrorCode::invalid_argument, "box.id", *box.node("id"), id.error().message);
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
    return n != nullptr ? error_at(ErrorCode::invalid_argument, "controller.url", *n,
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
  CIVICBOX_CHECK(cabinet.path("profile", c.cabinet_profile, base));
  CIVICBOX_CHECK(cabinet.integer("sweep_ms", 50, 60'000, c.sweep_ms));
  CIVICBOX_CHECK(cabinet.integer("open_wait_s", 1, 600, c.open_wait_s));
  CIVICBOX_CHECK(cabinet.finish());
  if (c.cabinet_profile.empty()) {
    return make_error(ErrorCode::missing_field,
                      "'cabinet.profile' is required (the cabinet's buses and compartments, "
                      "e.g. hardware/cabinets/kerong-12.toml)");
  }
  return c;
}

void apply_cabinet_profile(AgentConfig& config, lockers::CabinetProfile profile) {
  config.dropoff.clear();
  config.pickup.clear();
  for (const auto& c : profile.compartments) {
    (c.role == lockers::CompartmentRole::dropoff ? config.dropoff : config.pickup)
        .push_back(c.number);
  }
  config.cabinet = std::move(profile);
}

Expected<AgentConfig> load_agent_config(const std::filesystem::path& file) {
  CIVICBOX_TRY(std::string text, config::read_file(file));
  auto base = std::filesystem::absolute(file).parent_path();
  auto config = parse_agent_config(text, base);
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
  auto profile = lockers::load_cabinet_profile(config->cabinet_profile);
  if (!profile) {
    return profile.error().context("'cabinet.profile' " + config->cabinet_profile.string());
  }
  apply_cabinet_profile(*config, std::move(*profile));
  return config;
}

}  // namespace civicbox::firmware
