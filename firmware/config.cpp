#include "firmware/config.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "common/ids.hpp"
#include "common/scanned.hpp"
#include "common/toml_reader.hpp"
#include "common/wire.hpp"
#include "provisioning/identity_store.hpp"

namespace civicbox::firmware {

using config::error_at;
using config::TableReader;

bool is_screen_language(std::string_view code) {
  return std::find(kScreenLanguages.begin(), kScreenLanguages.end(), code) !=
         kScreenLanguages.end();
}

namespace {

constexpr std::size_t kMaxHelplineBytes = 32;
constexpr std::size_t kMaxCounterHoursBytes = 80;
constexpr std::size_t kMaxStaffNameBytes = 60;

bool is_badge_id(std::string_view id) {
  if (id.size() < kBadgeIdMin || id.size() > kBadgeIdMax) return false;
  return std::all_of(id.begin(), id.end(), [](char ch) {
    return (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-';
  });
}

bool is_phone_text(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char ch) {
    return (ch >= '0' && ch <= '9') || ch == ' ' || ch == '+' || ch == '-' || ch == '(' ||
           ch == ')' || ch == '/';
  });
}

// A string shown on the screen: printable UTF-8 of at most `max` bytes.
Expected<void> screen_text(TableReader& reader, const char* key, std::size_t max,
                           std::string& out) {
  CIVICBOX_CHECK(reader.string(key, out));
  if (out.size() > max || !is_printable_text(out)) {
    return error_at(ErrorCode::invalid_argument, reader.name(key), *reader.node(key),
                    "must be printable text of at most " + std::to_string(max) + " bytes");
  }
  return {};
}

Expected<void> read_ui(const toml::table& table, AgentConfig& c) {
  TableReader ui(table, "ui");
  CIVICBOX_CHECK(ui.string("default_language", c.default_language));
  c.default_language_given = ui.node("default_language") != nullptr;
  CIVICBOX_CHECK(ui.integer("idle_after_s", 10, 3600, c.idle_after_s));
  CIVICBOX_CHECK(ui.integer("idle_countdown_s", 5, 60, c.idle_countdown_s));
  CIVICBOX_CHECK(screen_text(ui, "helpline", kMaxHelplineBytes, c.helpline));
  CIVICBOX_CHECK(screen_text(ui, "counter_hours", kMaxCounterHoursBytes, c.counter_hours));
  CIVICBOX_CHECK(ui.finish());
  if (!is_screen_language(c.default_language)) {
    return error_at(ErrorCode::invalid_argument, "ui.default_language",
                    *ui.node("default_language"), "must be one of ro, hu, en, ca, es, pt");
  }
  if (!is_phone_text(c.helpline)) {
    return error_at(ErrorCode::invalid_argument, "ui.helpline", *ui.node("helpline"),
                    "must be a phone number: digits, spaces and + - ( ) /");
  }
  return {};
}

Expected<void> read_staff(const toml::table& root, AgentConfig& c) {
  const auto tables = config::table_list(root, "staff");
  std::set<std::string> badges;
  for (std::size_t i = 0; i < tables.size(); ++i) {
    const std::string prefix = "staff[" + std::to_string(i + 1) + "]";
    TableReader staff(*tables[i], prefix);
    StaffMember member;
    std::string role;
    std::string pin_hash;
    CIVICBOX_CHECK(staff.string("badge", member.badge));
    CIVICBOX_CHECK(screen_text(staff, "name", kMaxStaffNameBytes, member.name));
    CIVICBOX_CHECK(staff.string("role", role));
    CIVICBOX_CHECK(staff.string("pin_hash", pin_hash));
    CIVICBOX_CHECK(staff.finish());
    for (const char* key : {"badge", "name", "role", "pin_hash"}) {
      if (staff.node(key) == nullptr) {
        return error_at(ErrorCode::missing_field, staff.name(key), *tables[i],
                        "is required (badge, name, role and pin_hash)");
      }
    }
    if (!is_badge_id(member.badge)) {
      return error_at(ErrorCode::invalid_argument, staff.name("badge"), *staff.node("badge"),
                      "must be 4 to 32 of A-Z 0-9 -, as printed on the badge");
    }
    if (!badges.insert(member.badge).second) {
      return error_at(ErrorCode::conflict, staff.name("badge"), *staff.node("badge"),
                      "badge " + member.badge + " is listed twice");
    }
    if (member.name.empty()) {
      return error_at(ErrorCode::invalid_argument, staff.name("name"), *staff.node("name"),
                      "must not be empty");
    }
    auto parsed_role = parse_staff_role(role);
    if (!parsed_role) {
      return error_at(ErrorCode::invalid_argument, staff.name("role"), *staff.node("role"),
                      parsed_role.error().message);
    }
    member.role = *parsed_role;
    auto pin = parse_pin_hash(pin_hash);
    if (!pin) {
      return error_at(pin.error().code, staff.name("pin_hash"), *staff.node("pin_hash"),
                      pin.error().message + " (see [[staff]] in agent.example.toml)");
    }
    member.pin = *pin;
    c.staff.push_back(std::move(member));
  }
  return {};
}

}  // namespace

Expected<AgentConfig> parse_agent_config(std::string_view toml_text,
                                         const std::filesystem::path& base) {
  CIVICBOX_TRY(const toml::table root, config::parse_document(toml_text));
  CIVICBOX_CHECK(config::only_sections(
      root, {"box", "controller", "enrol", "sync", "cabinet", "self_test", "ui"}, {"staff"}));
  auto table = [&](const char* name) -> const toml::table& { return config::section(root, name); };

  AgentConfig c;
  c.data_dir = base / "data";
  TableReader box(table("box"), "box");
  CIVICBOX_CHECK(box.string("id", c.box_id));
  CIVICBOX_CHECK(box.path("identity", c.identity_dir, base));
  CIVICBOX_CHECK(box.path("data_dir", c.data_dir, base));
  CIVICBOX_CHECK(box.path("fonts_dir", c.fonts_dir, base));
  CIVICBOX_CHECK(box.path("lang_dir", c.lang_dir, base));
  CIVICBOX_CHECK(box.finish());
  const bool with_identity = !c.identity_dir.empty();
  if (c.box_id.empty() && !with_identity) {
    return make_error(ErrorCode::missing_field,
                      "'box.id' is required (the box certificate's CN), or 'box.identity' (the "
                      "folder civicbox-provision enrolled the box into)");
  }
  if (auto id = DeviceId::parse(c.box_id); !c.box_id.empty() && !id) {
    return error_at(ErrorCode::invalid_argument, "box.id", *box.node("id"), id.error().message);
  }

  TableReader enrol(table("enrol"), "enrol");
  CIVICBOX_CHECK(enrol.string("url", c.enrol_url));
  CIVICBOX_CHECK(enrol.path("ca", c.enrol_ca, base));
  CIVICBOX_CHECK(enrol.finish());
  if (!c.enrol_url.empty() || !c.enrol_ca.empty()) {
    const toml::node* n = enrol.node(!c.enrol_url.empty() ? "url" : "ca");
    if (!with_identity) {
      return error_at(ErrorCode::invalid_argument, !c.enrol_url.empty() ? "enrol.url" : "enrol.ca",
                      *n, "needs 'box.identity' (the folder the enrolment writes)");
    }
    if (c.enrol_url.empty() || c.enrol_ca.empty()) {
      return make_error(ErrorCode::missing_field,
                        "[enrol] needs both 'url' (the controller's enrolment listener) and 'ca' "
                        "(the fleet CA file)");
    }
    if (c.enrol_url.rfind("https://", 0) != 0) {
      return error_at(ErrorCode::invalid_argument, "enrol.url", *enrol.node("url"),
                      "must start with https://");
    }
  }

  TableReader controller(table("controller"), "controller");
  CIVICBOX_CHECK(controller.string("url", c.controller_url));
  CIVICBOX_CHECK(controller.path("ca", c.ca, base));
  CIVICBOX_CHECK(controller.path("cert", c.cert, base));
  CIVICBOX_CHECK(controller.path("key", c.key, base));
  CIVICBOX_CHECK(controller.integer("timeout_ms", 100, 600'000, c.timeout_ms));
  CIVICBOX_CHECK(controller.finish());
  if (with_identity) {
    // One source of truth: a URL or a certificate beside the identity would drift from it.
    for (const char* key : {"url", "ca", "cert", "key"}) {
      if (const toml::node* n = controller.node(key)) {
        return error_at(ErrorCode::invalid_argument, "controller." + std::string(key), *n,
                        "comes from the enrolled identity ('box.identity'); remove it");
      }
    }
  }
  if (!with_identity && c.controller_url.rfind("https://", 0) != 0) {
    const toml::node* n = controller.node("url");
    return n != nullptr ? error_at(ErrorCode::invalid_argument, "controller.url", *n,
                                   "must start with https:// (mutual TLS)")
                        : make_error(ErrorCode::invalid_argument,
                                     "'controller.url' must start with https://");
  }

  for (auto [key, path] : {std::pair<const char*, const std::filesystem::path*>{"ca", &c.ca},
                           {"cert", &c.cert},
                           {"key", &c.key}}) {
    if (path->empty() && !with_identity) {
      return make_error(
          ErrorCode::missing_field,
          "'controller." + std::string(key) + "' is required (mutual TLS with the fleet CA)");
    }
  }

  TableReader sync(table("sync"), "sync");
  CIVICBOX_CHECK(sync.integer("interval_s", 1, 86'400, c.interval_s));
  CIVICBOX_CHECK(
      sync.integer("batch", 1, static_cast<std::int64_t>(wire::kMaxBatchEvents), c.batch));
  CIVICBOX_CHECK(sync.integer("renew_check_s", 1, 86'400, c.renew_check_s));
  CIVICBOX_CHECK(sync.integer("status_every", 1, 86'400, c.status_every_s));
  CIVICBOX_CHECK(sync.number("renew_at", 0.0001, 0.95, c.renew_at));
  CIVICBOX_CHECK(sync.finish());

  TableReader cabinet(table("cabinet"), "cabinet");
  CIVICBOX_CHECK(cabinet.path("profile", c.cabinet_profile, base));
  CIVICBOX_CHECK(cabinet.path("profiles_dir", c.cabinet_profiles_dir, base));
  CIVICBOX_CHECK(cabinet.integer("sweep_ms", 50, 60'000, c.sweep_ms));
  CIVICBOX_CHECK(cabinet.integer("open_wait_s", 1, 600, c.open_wait_s));
  CIVICBOX_CHECK(cabinet.finish());
  if (c.cabinet_profile.empty() && !with_identity) {
    return make_error(ErrorCode::missing_field,
                      "'cabinet.profile' is required (the cabinet's buses and compartments, "
                      "e.g. hardware/cabinets/kerong-12.toml)");
  }

  TableReader self_test(table("self_test"), "self_test");
  CIVICBOX_CHECK(self_test.integer("open_wait_s", 1, 600, c.self_test_open_wait_s));
  CIVICBOX_CHECK(self_test.integer("close_wait_s", 1, 600, c.self_test_close_wait_s));
  CIVICBOX_CHECK(self_test.integer("scan_wait_s", 1, 600, c.self_test_scan_wait_s));
  CIVICBOX_CHECK(self_test.finish());

  CIVICBOX_CHECK(read_ui(table("ui"), c));
  CIVICBOX_CHECK(read_staff(root, c));
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

Expected<void> apply_identity(AgentConfig& config) {
  auto read = provisioning::read_current_identity(config.identity_dir);
  if (!read) return read.error().context("'box.identity' " + config.identity_dir.string());
  if (!*read) {
    if (!config.enrol_url.empty()) {
      // Not set up yet: the touchscreen asks for the enrolment QR (firmware/setup.hpp).
      config.enrolled = false;
      return {};
    }
    return make_error(ErrorCode::state,
                      "'box.identity': " + config.identity_dir.string() +
                          " holds no identity yet: enrol the box first (civicbox-provision "
                          "--identity " +
                          config.identity_dir.string() +
                          " --token ...), or set [enrol] url and ca to enrol it from its "
                          "touchscreen");
  }
  config.enrolled = true;
  const provisioning::Identity& identity = **read;
  if (!config.box_id.empty() && config.box_id != identity.device_id()) {
    // Box A's identity copied onto box B: refuse rather than speak for the other box.
    return make_error(ErrorCode::conflict,
                      "'box.id' is " + config.box_id + " but the identity in " +
                          config.identity_dir.string() + " is box " + identity.device_id() + "'s");
  }
  const wire::ProvisionedConfig& enrolled = identity.config();
  config.box_id = identity.device_id();
  config.site = enrolled.site;
  config.controller_url = enrolled.controller_url;
  config.ca = identity.ca;
  config.cert = identity.cert;
  config.key = identity.key;
  if (config.cabinet_profile.empty()) {
    const bool plain_name =
        !enrolled.cabinet.empty() &&
        std::all_of(enrolled.cabinet.begin(), enrolled.cabinet.end(), [](char ch) {
          return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
        });
    if (!plain_name) {
      return make_error(ErrorCode::invalid_argument,
                        "the identity names cabinet '" + enrolled.cabinet +
                            "', not a profile name: set 'cabinet.profile'");
    }
    const std::filesystem::path dir = config.cabinet_profiles_dir.empty()
                                          ? std::filesystem::path(CIVICBOX_DEFAULT_CABINETS_DIR)
                                          : config.cabinet_profiles_dir;
    config.cabinet_profile = dir / (enrolled.cabinet + ".toml");
  }
  if (!config.default_language_given && is_screen_language(enrolled.default_language)) {
    config.default_language = enrolled.default_language;
  }
  return {};
}

Expected<AgentConfig> load_agent_config(const std::filesystem::path& file) {
  CIVICBOX_TRY(std::string text, config::read_file(file));
  auto base = std::filesystem::absolute(file).parent_path();
  auto config = parse_agent_config(text, base);
  if (!config) return config.error().context(file.string());
  if (!config->identity_dir.empty()) {
    if (auto applied = apply_identity(*config); !applied) {
      return applied.error().context(file.string());
    }
  }
  if (!config->enrolled && config->cabinet_profile.empty()) {
    return make_error(ErrorCode::missing_field,
                      "'cabinet.profile' is required until the box is enrolled: its scanner and "
                      "doors are needed to enrol it from the touchscreen")
        .context(file.string());
  }
  // Found now, with the key's name, rather than as a TLS error at the first sync.
  using Named = std::pair<const char*, const std::filesystem::path*>;
  std::vector<Named> files = config->enrolled
                                 ? std::vector<Named>{{"controller.ca", &config->ca},
                                                      {"controller.cert", &config->cert},
                                                      {"controller.key", &config->key}}
                                 : std::vector<Named>{};
  // The fleet CA a technician's re-enrolment trusts: found now, not when they stand at the box.
  if (!config->enrol_ca.empty()) files.push_back({"enrol.ca", &config->enrol_ca});
  for (auto [key, path] : files) {
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
