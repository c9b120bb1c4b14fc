#include "controller/config.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>

#include "common/toml_reader.hpp"
#include "controller/webhook_outbox.hpp"

namespace civicbox::controller {

namespace {

using config::error_at;

bool is_language_code(std::string_view code) {
  auto letter = [](char c) { return c >= 'a' && c <= 'z'; };
  return code.size() == 2 && letter(code[0]) && letter(code[1]);
}
using config::TableReader;

// "host:port" under `key`; an empty or absent value keeps the default.
Expected<void> read_endpoint(TableReader& table, const char* key, Endpoint& out) {
  std::string text;
  CIVICBOX_CHECK(table.string(key, text));
  if (text.empty()) return {};
  auto ep = parse_endpoint(text);
  if (!ep)
    return error_at(ErrorCode::invalid_argument, table.name(key), *table.node(key),
                    ep.error().message);
  out = *ep;
  return {};
}

// The first line of a secret file, without trailing spaces (a file saved on Windows ends in CR).
std::string first_line(std::ifstream& in) {
  std::string line;
  std::getline(in, line);
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
  return line;
}

// http:// is allowed to this machine only: a relay beside the controller (and tests).
bool is_loopback_http(std::string_view url) {
  for (std::string_view prefix : {"http://127.0.0.1:", "http://127.0.0.1/", "http://localhost:",
                                  "http://localhost/", "http://[::1]:", "http://[::1]/"}) {
    if (url.starts_with(prefix)) return true;
  }
  return url == "http://127.0.0.1" || url == "http://localhost" || url == "http://[::1]";
}

// [webhooks] and its [[webhooks.subscribers]].
Expected<void> read_webhooks(const toml::table& root, const std::filesystem::path& base,
                             Config& config) {
  const toml::table& webhooks = config::section(root, "webhooks");
  std::vector<const toml::table*> subscribers;
  if (const toml::node* list = webhooks.get("subscribers")) {
    if (!list->is_array_of_tables()) {
      return error_at(ErrorCode::invalid_argument, "webhooks.subscribers", *list,
                      "must be a list of tables: [[webhooks.subscribers]]");
    }
    subscribers = config::table_list(webhooks, "subscribers");
  }
  TableReader reader(webhooks, "webhooks");
  reader.read_elsewhere("subscribers");
  CIVICBOX_CHECK(
      reader.integer("reminder_before_hours", 1, 24 * 30, config.webhook_reminder_before_hours));
  CIVICBOX_CHECK(reader.integer("max_attempts", 1, 1000, config.webhook_max_attempts));
  CIVICBOX_CHECK(reader.integer("retry_base_seconds", 1, 3600, config.webhook_retry_base_s));
  CIVICBOX_CHECK(reader.finish());

  for (std::size_t i = 0; i < subscribers.size(); ++i) {
    const std::string prefix = "webhooks.subscribers[" + std::to_string(i) + "]";
    TableReader sub(*subscribers[i], prefix);
    WebhookSubscriber s;
    s.events.assign(webhooks::kEvents.begin(), webhooks::kEvents.end());
    std::filesystem::path secret_file;
    CIVICBOX_CHECK(sub.string("name", s.name));
    CIVICBOX_CHECK(sub.string("url", s.url));
    CIVICBOX_CHECK(sub.path("secret_file", secret_file, base));
    CIVICBOX_CHECK(sub.strings("events", s.events));
    CIVICBOX_CHECK(sub.path("ca_file", s.ca_file, base));
    CIVICBOX_CHECK(sub.finish());
    const toml::node& at = *subscribers[i];
    if (s.name.empty()) {
      return error_at(ErrorCode::invalid_argument, prefix + ".name", at, "is required");
    }
    for (const auto& other : config.webhook_subscribers) {
      if (other.name == s.name) {
        return error_at(ErrorCode::invalid_argument, prefix + ".name", *sub.node("name"),
                        "'" + s.name + "' names two subscribers");
      }
    }
    if (s.url.empty()) {
      return error_at(ErrorCode::invalid_argument, prefix + ".url", at, "is required");
    }
    if (!s.url.starts_with("https://") && !is_loopback_http(s.url)) {
      return error_at(ErrorCode::invalid_argument, prefix + ".url", *sub.node("url"),
                      "must start with https:// (http:// only to 127.0.0.1, [::1] or localhost)");
    }
    if (s.events.empty()) {
      return error_at(ErrorCode::invalid_argument, prefix + ".events", *sub.node("events"),
                      "must name at least one event");
    }
    for (const auto& event : s.events) {
      if (!webhooks::is_event(event)) {
        std::string known;
        for (const char* e : webhooks::kEvents) known += std::string(known.empty() ? "" : ", ") + e;
        return error_at(ErrorCode::invalid_argument, prefix + ".events", *sub.node("events"),
                        "'" + event + "' is not an event; events are " + known);
      }
    }
    if (secret_file.empty()) {
      return error_at(ErrorCode::invalid_argument, prefix + ".secret_file", at,
                      "is required (a file holding the HMAC secret)");
    }
    const std::string where = prefix + ".secret_file: " + secret_file.string();
    struct stat st {};
    if (::stat(secret_file.c_str(), &st) != 0) {
      return make_error(ErrorCode::io, where + " cannot be read");
    }
    if ((st.st_mode & S_IROTH) != 0) {
      return make_error(ErrorCode::invalid_argument,
                        where + " is readable by every user: chmod 600 it (or 640)");
    }
    std::ifstream in(secret_file);
    if (!in) return make_error(ErrorCode::io, where + " cannot be read");
    s.secret = first_line(in);
    if (s.secret.size() < 16) {
      return make_error(ErrorCode::invalid_argument,
                        where + " must hold a secret of at least 16 characters on its first line");
    }
    config.webhook_subscribers.push_back(std::move(s));
  }
  return {};
}

}  // namespace

Expected<Endpoint> parse_endpoint(std::string_view text) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return make_error(ErrorCode::invalid_argument, "an address is host:port, e.g. 127.0.0.1:8443");
  }
  Endpoint ep;
  ep.host = std::string(text.substr(0, colon));
  auto port_text = text.substr(colon + 1);
  unsigned port = 0;
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || ptr != port_text.data() + port_text.size() || port > 65535) {
    return make_error(ErrorCode::invalid_argument, "the port must be a number from 0 to 65535");
  }
  ep.port = static_cast<std::uint16_t>(port);
  return ep;
}

Expected<Config> parse_config(std::string_view toml_text, const std::filesystem::path& base) {
  CIVICBOX_TRY(const toml::table root, config::parse_document(toml_text));
  CIVICBOX_CHECK(config::only_sections(root, {"server", "tls", "storage", "institution",
                                              "backoffice", "pickup", "ca", "enrol", "webhooks"}));
  auto table = [&](const char* name) -> const toml::table& { return config::section(root, name); };
  Config config;

  TableReader server(table("server"), "server");
  std::int64_t threads = config.threads;
  std::int64_t max_body = static_cast<std::int64_t>(config.max_body_bytes);
  std::int64_t idle = config.idle_timeout_s;
  CIVICBOX_CHECK(read_endpoint(server, "device_listen", config.device_listen));
  CIVICBOX_CHECK(read_endpoint(server, "public_listen", config.public_listen));
  CIVICBOX_CHECK(server.integer("threads", 1, 64, threads));
  // A push of 100 events is far below 1 MiB; the wire parser refuses more anyway.
  CIVICBOX_CHECK(server.integer("max_body_bytes", 1024, 1 << 20, max_body));
  std::int64_t max_connections = config.max_connections;
  CIVICBOX_CHECK(server.integer("max_connections", 4, 100000, max_connections));
  config.max_connections = static_cast<int>(max_connections);
  CIVICBOX_CHECK(server.integer("idle_timeout_s", 1, 3600, idle));
  CIVICBOX_CHECK(server.string("device_url", config.device_url));
  if (!config.device_url.empty() && !config.device_url.starts_with("https://")) {
    return error_at(ErrorCode::invalid_argument, "server.device_url", *server.node("device_url"),
                    "must start with https:// (boxes speak only TLS)");
  }
  CIVICBOX_CHECK(server.finish());
  config.threads = static_cast<int>(threads);
  config.max_body_bytes = static_cast<std::size_t>(max_body);
  config.idle_timeout_s = static_cast<int>(idle);

  TableReader tls(table("tls"), "tls");
  CIVICBOX_CHECK(tls.path("cert", config.tls_cert, base));
  CIVICBOX_CHECK(tls.path("key", config.tls_key, base));
  CIVICBOX_CHECK(tls.path("fleet_ca", config.fleet_ca, base));
  CIVICBOX_CHECK(tls.finish());

  TableReader storage(table("storage"), "storage");
  CIVICBOX_CHECK(storage.path("data_dir", config.data_dir, base));
  CIVICBOX_CHECK(storage.string("postgres", config.postgres));
  CIVICBOX_CHECK(storage.integer("connections", 1, 200, config.postgres_connections));
  CIVICBOX_CHECK(storage.finish());

  TableReader institution(table("institution"), "institution");
  CIVICBOX_CHECK(institution.string("id", config.institution_id));
  CIVICBOX_CHECK(institution.string("name", config.institution_name));
  CIVICBOX_CHECK(institution.string("track_url", config.track_url));
  CIVICBOX_CHECK(institution.string("timezone", config.timezone));
  if (!config.timezone.empty() &&
      (config.timezone.find("..") != std::string::npos ||
       !std::filesystem::exists(std::filesystem::path("/usr/share/zoneinfo") / config.timezone))) {
    return error_at(ErrorCode::invalid_argument, "institution.timezone",
                    *institution.node("timezone"),
                    "is not a time zone this machine knows (e.g. \"Europe/Bucharest\")");
  }
  CIVICBOX_CHECK(institution.strings("document_kinds", config.document_kinds));
  CIVICBOX_CHECK(institution.strings("languages", config.languages));
  for (const auto& language : config.languages) {
    if (!is_language_code(language)) {
      return error_at(ErrorCode::invalid_argument, "institution.languages",
                      *institution.node("languages"),
                      "'" + language + "' is not a two-letter ISO 639-1 code such as \"ro\"");
    }
  }
  if (config.languages.empty()) {
    return error_at(ErrorCode::invalid_argument, "institution.languages",
                    *institution.node("languages"), "must name at least one language");
  }
  CIVICBOX_CHECK(institution.string("default_language", config.default_language));
  if (!config.default_language.empty() &&
      std::find(config.languages.begin(), config.languages.end(), config.default_language) ==
          config.languages.end()) {
    return error_at(ErrorCode::invalid_argument, "institution.default_language",
                    *institution.node("default_language"), "must be one of institution.languages");
  }
  CIVICBOX_CHECK(institution.finish());

  TableReader backoffice(table("backoffice"), "backoffice");
  CIVICBOX_CHECK(backoffice.string("token", config.backoffice_token));
  std::filesystem::path token_file;
  CIVICBOX_CHECK(backoffice.path("token_file", token_file, base));
  CIVICBOX_CHECK(backoffice.integer("box_offline_after_s", 30, 86400, config.box_offline_after_s));
  CIVICBOX_CHECK(backoffice.integer("waiting_too_long_days", 1, 365, config.waiting_too_long_days));
  CIVICBOX_CHECK(
      backoffice.integer("remote_open_valid_minutes", 1, 1440, config.remote_open_valid_minutes));
  CIVICBOX_CHECK(backoffice.finish());
  if (!token_file.empty()) {
    std::ifstream in(token_file);
    if (!in)
      return make_error(ErrorCode::io, "backoffice.token_file: cannot read " + token_file.string());
    std::getline(in, config.backoffice_token);
    // A file saved on Windows ends in CR; a trailing space is never meant.
    while (!config.backoffice_token.empty() &&
           std::isspace(static_cast<unsigned char>(config.backoffice_token.back()))) {
      config.backoffice_token.pop_back();
    }
  }

  TableReader pickup(table("pickup"), "pickup");
  std::int64_t hold = config.pickup_hold_days;
  CIVICBOX_CHECK(pickup.integer("hold_days", 1, 365, hold));
  CIVICBOX_CHECK(pickup.finish());
  config.pickup_hold_days = static_cast<int>(hold);

  TableReader ca(table("ca"), "ca");
  CIVICBOX_CHECK(ca.path("dir", config.ca_dir, base));
  // 825 days: the longest any TLS client still accepts for a leaf certificate.
  CIVICBOX_CHECK(ca.integer("cert_days", 1, 825, config.cert_days));
  CIVICBOX_CHECK(ca.finish());

  TableReader enrol(table("enrol"), "enrol");
  CIVICBOX_CHECK(enrol.integer("token_hours", 1, 24 * 30, config.token_hours));
  CIVICBOX_CHECK(enrol.integer("failures_per_minute", 1, 600, config.enrol_failures_per_minute));
  CIVICBOX_CHECK(enrol.integer("failure_burst", 1, 1000, config.enrol_failure_burst));
  CIVICBOX_CHECK(enrol.finish());

  CIVICBOX_CHECK(read_webhooks(root, base, config));
  return config;
}

std::filesystem::path ca_dir_of(const Config& config) {
  return config.ca_dir.empty() ? config.data_dir / "ca" : config.ca_dir;
}

std::string device_url_of(const Config& config) {
  if (!config.device_url.empty()) return config.device_url;
  std::string host = config.device_listen.host;
  if (host == "0.0.0.0" || host == "::") {
    char name[256] = {};
    host = ::gethostname(name, sizeof name - 1) == 0 && name[0] != '\0' ? name : "localhost";
  }
  if (host.find(':') != std::string::npos) host = "[" + host + "]";  // IPv6
  return "https://" + host + ":" + std::to_string(config.device_listen.port);
}

std::string default_language_of(const Config& config) {
  if (!config.default_language.empty()) return config.default_language;
  return config.languages.empty() ? std::string("en") : config.languages.front();
}

Expected<Config> load_config(const std::filesystem::path& file) {
  CIVICBOX_TRY(std::string text, config::read_file(file));
  auto config = parse_config(text, file.parent_path());
  if (!config) return config.error().context(file.string());
  return config;
}

Expected<void> validate(const Config& c) {
  if (c.tls_cert.empty() || c.tls_key.empty() || c.fleet_ca.empty()) {
    return make_error(ErrorCode::invalid_argument,
                      "[tls] cert, key and fleet_ca are required (make a development set with "
                      "civicbox-pki)");
  }
  if (c.backoffice_token.size() < 16) {
    return make_error(ErrorCode::invalid_argument,
                      "[backoffice] token (or token_file) must hold at least 16 characters");
  }
  if (c.institution_id.empty()) {
    return make_error(ErrorCode::invalid_argument, "[institution] id must not be empty");
  }
  return {};
}

}  // namespace civicbox::controller
