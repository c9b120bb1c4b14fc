// The controller's configuration: a TOML file, then command-line flags on top. Strict: an
// unknown key (a typo) or a wrong type is an error that names the key and its line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace civicbox::controller {

struct Endpoint {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0: any free port (printed at start)
};

// One [[webhooks.subscribers]]: a gateway told of changes by signed HTTPS POSTs (webhooks.hpp).
struct WebhookSubscriber {
  std::string name;  // in logs and in the outbox; unique
  // https://...; http:// only to this machine (127.0.0.1, ::1, localhost): a relay beside the
  // controller. Redirects are not followed.
  std::string url;
  std::string secret;  // read from secret_file: the HMAC-SHA256 key of X-Civicbox-Signature
  std::vector<std::string> events{};  // default: all five (webhook_outbox.hpp)
  std::filesystem::path ca_file{};    // trust this CA (PEM) instead of the system's
};

struct Config {
  Endpoint device_listen{"127.0.0.1", 8443};  // mutual TLS: boxes only
  Endpoint public_listen{"127.0.0.1", 8444};  // server TLS: tracking, enrolment, back office
  // What boxes dial, told to each box when it enrols ("https://ctl.example.org:8443"). Empty:
  // derived from device_listen (device_url_of).
  std::string device_url;
  int threads = 2;
  std::size_t max_body_bytes = 1 << 20;
  int idle_timeout_s = 30;
  int max_connections = 1024;  // open connections per listener; more are closed at once

  std::filesystem::path tls_cert;
  std::filesystem::path tls_key;
  std::filesystem::path fleet_ca;

  std::filesystem::path data_dir = "data";
  // [storage] postgres: a libpq connection string ("host=db.town.ro dbname=civicbox user=cb",
  // "postgresql://cb@db.town.ro/civicbox"). Set: the records live in PostgreSQL, shared by every
  // instance given the same string (data_dir keeps only the CA); empty: data_dir/controller.db.
  std::string postgres;
  int postgres_connections = 8;  // [storage] connections: kept open per instance

  std::string institution_id = "town-hall";
  std::string institution_name = "Town hall";
  std::string track_url = "https://127.0.0.1:8444/track/";  // the tracking page
  // The town hall's time zone (IANA name, e.g. "Europe/Bucharest"): the registry's year turns
  // at its midnight. Empty: the machine's local time.
  std::string timezone;
  std::vector<std::string> document_kinds{"request", "complaint", "other"};
  // The screen languages a box offers (ISO 639-1), told to each box when it enrols.
  std::vector<std::string> languages{"ro", "hu", "en", "ca", "es", "pt"};
  std::string default_language;  // empty: the first of `languages`

  std::string backoffice_token;  // bearer token for /v1/backoffice/*, an operator's
  // A box not heard from for this long is offline (it reports its state every minute).
  int box_offline_after_s = 180;
  // A submission not resolved or rejected this long after filing is "waiting too long".
  int waiting_too_long_days = 14;
  // A remote open not carried out by then is dropped: a door must not open much later.
  int remote_open_valid_minutes = 10;
  int pickup_hold_days = 7;

  // The fleet CA that signs box certificates (`civicbox-controller ca init`). Empty: data_dir/ca.
  std::filesystem::path ca_dir;
  int cert_days = 90;  // validity of a certificate issued at enrolment or renewal

  int token_hours = 24;  // default validity of an enrolment token
  // Failed enrolments per source address (token guessing): a bucket of `enrol_failure_burst`
  // refilled at `enrol_failures_per_minute`; an empty bucket gets 429 with Retry-After.
  int enrol_failures_per_minute = 5;
  int enrol_failure_burst = 10;

  std::vector<WebhookSubscriber> webhook_subscribers{};
  int webhook_reminder_before_hours = 24;  // parcel.reminder this long before the hold ends
  int webhook_max_attempts = 20;           // then the notification is dead (logged at error)
  int webhook_retry_base_s = 10;           // the first retry's delay; doubled up to an hour
};

// The folder of the fleet CA: [ca] dir, or data_dir/ca.
std::filesystem::path ca_dir_of(const Config& config);
// What boxes dial: [server] device_url, or "https://HOST:PORT" of device_listen (the machine's
// host name when it listens on every address).
std::string device_url_of(const Config& config);
// [institution] default_language, or the first of the languages.
std::string default_language_of(const Config& config);

// Paths in the file are taken relative to the file's folder.
Expected<Config> load_config(const std::filesystem::path& file);
Expected<Config> parse_config(std::string_view toml_text, const std::filesystem::path& base_dir);
Expected<Endpoint> parse_endpoint(std::string_view text);
// Errors: invalid_argument naming what is missing (certificate paths, token).
Expected<void> validate(const Config& config);

}  // namespace civicbox::controller
