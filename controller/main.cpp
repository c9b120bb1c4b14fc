// civicbox-controller: the service a fleet of boxes syncs with, and the town hall's API. Without
// a subcommand it serves; the subcommands (ca, token, certs, revoke: commands.hpp) are the
// operator's tools around the boxes' identities.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "common/logging.hpp"
#include "common/random.hpp"
#include "controller/commands.hpp"
#include "controller/config.hpp"
#include "controller/fleet_ca.hpp"
#include "controller/https_server.hpp"
#include "controller/service.hpp"
#include "controller/storage.hpp"
#include "controller/webhooks.hpp"

using namespace civicbox;
using namespace civicbox::controller;

int main(int argc, char** argv) {
  CLI::App app{
      "civicbox-controller: the service a fleet of civicbox document boxes syncs with over "
      "mutual TLS, and the town hall's tracking and back-office API.\n\n"
      "Without a subcommand it serves: reads a TOML configuration (see\n"
      "docs/controller.example.toml); flags override it. Prints 'listening device=HOST:PORT\n"
      "public=HOST:PORT' on stdout once both listeners are up. Stops cleanly on SIGINT or\n"
      "SIGTERM.\n\n"
      "The subcommands manage the boxes' identities in the same database and CA folder, also\n"
      "while a server runs: ca init, token create, token list, certs list, revoke."};
  app.footer(
      "Examples:\n"
      "  civicbox-controller -c controller.toml\n"
      "  civicbox-controller -c controller.toml ca init --server-name ctl.example.org\n"
      "  civicbox-controller -c controller.toml token create --site cluj-centru --box box-0007 \\\n"
      "      --cabinet kerong-12 --qr box-0007.png\n"
      "  civicbox-controller -c controller.toml revoke --box box-0007 --reason \"stolen\"");
  app.require_subcommand(0, 1);
  app.fallthrough();  // -c and the other general flags may also follow the subcommand
  std::string config_file;
  std::string device_listen;
  std::string public_listen;
  std::string data_dir;
  int threads = 0;
  std::string log_level = "info";
  app.add_option("-c,--config", config_file, "the TOML configuration file")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--device-listen", device_listen,
                 "HOST:PORT for boxes (mutual TLS); port 0 picks a free port");
  app.add_option(
      "--public-listen", public_listen,
      "HOST:PORT for tracking and the back office (server TLS); port 0 picks a free port");
  app.add_option("--data-dir", data_dir, "where the SQLite database lives");
  app.add_option("--threads", threads, "I/O threads")->check(CLI::Range(1, 64));
  app.add_option("--log-level", log_level, "trace, debug, info, warn or error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  std::string log_format = "text";
  app.add_option("--log-format", log_format,
                 "text, or json: one JSON object per line (ts, level, program, thread, msg) for a "
                 "log collector; CIVICBOX_LOG_FORMAT overrides it")
      ->check(CLI::IsMember({"text", "json"}));

  CLI::App* ca = app.add_subcommand("ca", "The fleet CA that signs the boxes' certificates");
  ca->require_subcommand(1);
  CaInitCommand ca_init_args;
  CLI::App* ca_init = ca->add_subcommand(
      "init", "Create the fleet CA (or import one) and the controller's TLS certificate");
  ca_init->footer(
      "Writes DIR/ca.crt and DIR/ca.key (a new ECDSA P-256 CA for 10 years, or the one given\n"
      "with --import-cert/--import-key, checked to be a CA whose key matches) and\n"
      "DIR/controller.crt + controller.key: the controller's server certificate signed by that\n"
      "CA (1 year), so boxes verify the controller against the fleet CA. DIR is [ca] dir of the\n"
      "configuration, by default <data_dir>/ca; it is made 0700, keys are 0600.\n"
      "An existing CA is never replaced: the command refuses and changes nothing.\n"
      "Prints where the files are and the [tls] lines to put into the configuration.");
  ca_init
      ->add_option("--import-cert", ca_init_args.import_cert,
                   "Take this CA certificate (PEM) instead of making one")
      ->check(CLI::ExistingFile);
  ca_init
      ->add_option("--import-key", ca_init_args.import_key,
                   "The private key (PEM) of the CA given with --import-cert")
      ->check(CLI::ExistingFile);
  ca_init->add_option("--server-name", ca_init_args.server_names,
                      "A DNS name boxes dial the controller by (repeatable; default localhost)");
  ca_init->add_option("--server-ip", ca_init_args.server_ips,
                      "An IPv4 address boxes dial the controller by (repeatable; default "
                      "127.0.0.1 when no --server-name is given)");

  CLI::App* token = app.add_subcommand("token", "One-time enrolment tokens for new boxes");
  token->require_subcommand(1);
  TokenCreateCommand token_args;
  int token_hours = 0;
  CLI::App* token_create =
      token->add_subcommand("create", "Make a one-time token that enrols one box (prints it once)");
  token_create->footer(
      "The token is 32 random bytes in base64url (43 characters); the controller keeps only\n"
      "its SHA-256. It enrols exactly the box named (the CN of the certificate it gets), at the\n"
      "site named, with the cabinet profile named, until it expires or is used. The box scans\n"
      "it as a QR code (CBX-ENROL:<token>) or the technician types it. Prints 'token: ...',\n"
      "'qr_text: ...' and 'expires_at: ...' lines. A box that was revoked can be re-enrolled\n"
      "with a new token.");
  token_create->add_option("--site", token_args.site, "Where the box stands, e.g. cluj-centru")
      ->required();
  token_create->add_option("--box", token_args.box, "The box's device id, e.g. box-0007")
      ->required();
  token_create
      ->add_option("--cabinet", token_args.cabinet,
                   "The cabinet profile, e.g. kerong-12 (hardware/cabinets)")
      ->required();
  token_create
      ->add_option("--hours", token_hours,
                   "How long the token is valid (default: [enrol] token_hours, 24)")
      ->check(CLI::Range(1, 720));
  token_create->add_option("--qr", token_args.qr_file,
                           "Also write the QR code of CBX-ENROL:<token> to this PNG file");
  std::optional<std::string> list_box;
  CLI::App* token_list = token->add_subcommand(
      "list", "The tokens made, newest first, with their state (never the token itself)");
  token_list->footer("State: unused, used (with the serial of the certificate it got) or expired.");
  token_list->add_option("--box", list_box, "Only this box's");

  CLI::App* certs = app.add_subcommand("certs", "The certificates the controller has signed");
  certs->require_subcommand(1);
  CLI::App* certs_list =
      certs->add_subcommand("list", "Every certificate signed at enrolment or renewal");
  certs_list->footer(
      "Newest first: serial, box, kind (enrol or renew), state (valid, expired or revoked),\n"
      "when it was issued, until when it is valid and, if revoked, when and why.");
  certs_list->add_option("--box", list_box, "Only this box's");

  std::string revoke_box;
  std::string revoke_reason;
  CLI::App* revoke =
      app.add_subcommand("revoke", "Take a box out of service: revoke its certificates");
  revoke->footer(
      "Marks every certificate of the box revoked and the box revoked: each certificate it\n"
      "holds, also ones the controller never recorded (the development PKI), is refused on the\n"
      "device listener with 403 'revoked', and a running controller closes the box's open\n"
      "connections within a few seconds. Renewal with such a certificate is refused too. To put\n"
      "the box back, create a new token for it and enrol it again.");
  revoke->add_option("--box", revoke_box, "The box's device id")->required();
  revoke->add_option("--reason", revoke_reason,
                     "Why, for the log and the box's technician (up to 200 bytes)");

  std::string api_token_name;
  std::string api_token_role;
  CLI::App* api_token =
      app.add_subcommand("api-token", "Bearer tokens for the back office, each with a role");
  api_token->require_subcommand(1);
  CLI::App* api_token_create = api_token->add_subcommand("create", "Make a token, shown once");
  api_token_create->footer(
      "Roles: operator (everything), clerk (reads; moves submissions, attaches references,\n"
      "issues and changes parcels), auditor (reads only: lists, the audit trail, the doors'\n"
      "trail, the dashboard's figures). Every change made with a token is in the audit trail\n"
      "under its name. Prints 'token: ...' once; the controller keeps only its SHA-256.");
  api_token_create->add_option("--name", api_token_name, "Whose it is, e.g. registry or dashboard")
      ->required();
  api_token_create->add_option("--role", api_token_role, "operator, clerk or auditor")->required();
  CLI::App* api_token_list = api_token->add_subcommand("list", "The tokens, never the secret");
  CLI::App* api_token_revoke = api_token->add_subcommand("revoke", "Stop a token at once");
  api_token_revoke->add_option("--name", api_token_name, "The token's name")->required();

  CLI11_PARSE(app, argc, argv);

  setup_logging("controller", log_level, log_format);

  auto loaded = load_config(config_file);
  if (!loaded) return fail(loaded.error().context("reading " + config_file).describe());
  Config config = std::move(*loaded);
  if (!data_dir.empty()) config.data_dir = data_dir;
  if (ca_init->parsed()) return run_ca_init(config, ca_init_args);
  if (token_create->parsed()) {
    if (token_hours > 0) token_args.hours = token_hours;
    return run_token_create(config, token_args);
  }
  if (token_list->parsed()) return run_token_list(config, list_box);
  if (certs_list->parsed()) return run_certs_list(config, list_box);
  if (revoke->parsed()) return run_revoke(config, revoke_box, revoke_reason);
  if (api_token_create->parsed()) {
    return run_api_token_create(config, api_token_name, api_token_role);
  }
  if (api_token_list->parsed()) return run_api_token_list(config);
  if (api_token_revoke->parsed()) return run_api_token_revoke(config, api_token_name);

  if (!device_listen.empty()) {
    auto ep = parse_endpoint(device_listen);
    if (!ep) return fail(ep.error().context("--device-listen").describe());
    config.device_listen = *ep;
  }
  if (!public_listen.empty()) {
    auto ep = parse_endpoint(public_listen);
    if (!ep) return fail(ep.error().context("--public-listen").describe());
    config.public_listen = *ep;
  }
  if (threads > 0) config.threads = threads;
  if (auto ok = validate(config); !ok) return fail(ok.error().describe());
  if (!config.timezone.empty()) {
    // Before any thread starts: localtime_r reads it from then on.
    ::setenv("TZ", config.timezone.c_str(), 1);
  }
  ::tzset();

  auto storage = open_configured_storage(config);
  if (!storage) return fail(storage.error().context("opening the database").describe());
  auto fleet_ca = load_fleet_ca(ca_dir_of(config));
  if (!fleet_ca) return fail(fleet_ca.error().context("loading the fleet CA").describe());
  if (!*fleet_ca) {
    spdlog::warn(
        "no fleet CA in {}: enrolment and renewal answer 503 until `civicbox-controller "
        "ca init`",
        ca_dir_of(config).string());
  }

  // Block the stop signals before any thread starts, so only sigwait below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  SystemRandom random;
  Service service(**storage, config, random, wall_clock_ms, std::move(*fleet_ca));
  auto server =
      HttpsServer::start(config, service, [&config](const Endpoint& device, const Endpoint&) {
        // Boxes are told the port actually bound (port 0 in the configuration picks a free one).
        if (config.device_url.empty()) {
          config.device_listen = device;
          config.device_url = device_url_of(config);
        }
      });
  if (!server) return fail(server.error().describe());
  // Notifications to the town hall's gateway, from the outbox the storage writes.
  std::unique_ptr<webhooks::WebhookSender> webhook_sender;
  if (!config.webhook_subscribers.empty()) {
    webhook_sender = std::make_unique<webhooks::WebhookSender>(
        (*storage)->database(), config.webhook_subscribers, webhooks::sender_options_of(config),
        &service.metrics());
    webhook_sender->start();
  }
  const Endpoint dev = (*server)->device_endpoint();
  const Endpoint pub = (*server)->public_endpoint();
  spdlog::info("serving institution {} from {}", config.institution_id, config.data_dir.string());
  std::cout << "listening device=" << dev.host << ":" << dev.port << " public=" << pub.host << ":"
            << pub.port << std::endl;

  int signal = 0;
  sigwait(&stop_signals, &signal);
  spdlog::info("signal {} received: stopping", signal);
  if (webhook_sender) webhook_sender->stop();
  (*server)->stop();
  const ServerStats stats = (*server)->stats();
  spdlog::info("stopped after {} handshakes ({} refused) and {} requests", stats.handshakes,
               stats.handshake_failures, stats.requests);
  return 0;
}
