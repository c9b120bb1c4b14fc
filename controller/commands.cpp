#include "controller/commands.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "common/atomic_file.hpp"
#include "common/random.hpp"
#include "controller/backoffice.hpp"
#include "controller/fleet_ca.hpp"
#include "controller/fleet_identity.hpp"
#include "controller/qr_png.hpp"
#include "controller/service.hpp"
#include "controller/storage.hpp"

namespace civicbox::controller {

std::int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int fail(const std::string& what) {
  std::cerr << "civicbox-controller: " << what << "\n";
  return 1;
}

namespace {

// The command line's changes are in the audit trail as "cli:<user>" (sudo's caller when run by
// sudo), with the operator's rights: whoever runs it can read the controller's files.
Actor command_line_actor() {
  const char* user = std::getenv("SUDO_USER");
  if (user == nullptr || *user == '\0') user = std::getenv("USER");
  return {std::string("cli:") + (user != nullptr && *user != '\0' ? user : "unknown"), "operator"};
}

std::string absolute_text(const std::filesystem::path& path) {
  std::error_code ec;
  auto full = std::filesystem::absolute(path, ec);
  return (ec ? path : full).lexically_normal().string();
}

// The storage and the identity rules, for a command that runs once and ends.
struct Office {
  std::unique_ptr<Storage> storage;
  SystemRandom random;
  std::unique_ptr<FleetIdentity> identity;
};

Expected<std::unique_ptr<Office>> open_office(const Config& config) {
  auto office = std::make_unique<Office>();
  auto storage = open_configured_storage(config);
  if (!storage) return storage.error();
  office->storage = std::move(*storage);
  office->identity = std::make_unique<FleetIdentity>(*office->storage, config, office->random,
                                                     wall_clock_ms, std::nullopt);
  return office;
}

std::optional<std::string> box_filter(const std::optional<std::string>& box) {
  if (box && box->empty()) return std::nullopt;
  return box;
}

}  // namespace

int run_ca_init(const Config& config, const CaInitCommand& command) {
  const std::filesystem::path dir = ca_dir_of(config);
  FleetCaOptions options;
  options.common_name = "civicbox fleet CA " + config.institution_id;
  if (options.common_name.size() > 64) options.common_name = "civicbox fleet CA";
  if (command.import_cert.empty() != command.import_key.empty()) {
    return fail("--import-cert and --import-key go together");
  }
  if (!command.import_cert.empty()) {
    provisioning::CaCredentials imported;
    auto cert = read_text_file(command.import_cert);
    if (!cert) return fail(cert.error().context("reading " + command.import_cert).describe());
    auto key = read_text_file(command.import_key);
    if (!key) return fail(key.error().context("reading " + command.import_key).describe());
    options.import = provisioning::CaCredentials{std::move(*cert), std::move(*key)};
  }
  if (!command.server_names.empty() || !command.server_ips.empty()) {
    options.server_dns_names = command.server_names;
    options.server_ipv4_addresses.clear();
    for (const auto& ip : command.server_ips) {
      auto bytes = parse_ipv4(ip);
      if (!bytes) return fail(bytes.error().context("--server-ip").describe());
      options.server_ipv4_addresses.push_back(*bytes);
    }
  }
  if (auto made = init_fleet_ca(dir, options); !made) {
    return fail(made.error().context("ca init").describe());
  }
  const provisioning::DevPkiPaths paths{dir};
  std::string names;
  for (const auto& n : options.server_dns_names) names += " DNS:" + n;
  for (const auto& ip : options.server_ipv4_addresses) {
    names += " IP:" + std::to_string(ip[0]) + "." + std::to_string(ip[1]) + "." +
             std::to_string(ip[2]) + "." + std::to_string(ip[3]);
  }
  std::cout << "fleet CA " << (options.import ? "imported into " : "created in ")
            << absolute_text(dir) << "\n"
            << "  " << absolute_text(paths.ca_cert())
            << "          the fleet CA certificate: boxes trust the controller through it\n"
            << "  " << absolute_text(paths.ca_key())
            << "          its private key (0600): whoever holds it can make boxes; back it up "
               "offline\n"
            << "  " << absolute_text(paths.controller_cert())
            << "  the controller's TLS certificate," << names << ", " << options.server_days
            << " days\n"
            << "  " << absolute_text(paths.controller_key()) << "  its private key (0600)\n"
            << "Put into the configuration:\n"
            << "  [tls]\n"
            << "  cert = \"" << absolute_text(paths.controller_cert()) << "\"\n"
            << "  key = \"" << absolute_text(paths.controller_key()) << "\"\n"
            << "  fleet_ca = \"" << absolute_text(paths.ca_cert()) << "\"\n";
  if (config.ca_dir.empty()) {
    std::cout << "  # [ca] dir is the default, <data_dir>/ca\n";
  } else {
    std::cout << "  [ca]\n  dir = \"" << absolute_text(dir) << "\"\n";
  }
  std::cout << "and restart the controller so it serves with the new certificate.\n";
  return 0;
}

int run_token_create(const Config& config, const TokenCreateCommand& command) {
  auto office = open_office(config);
  if (!office) return fail(office.error().describe());
  TokenOrder order{command.site, command.box, command.cabinet,
                   command.hours.value_or(config.token_hours)};
  auto issued = (*office)->identity->create_token(order, command_line_actor());
  if (!issued) return fail(issued.error().context("token create").describe());
  if (!command.qr_file.empty()) {
    if (auto written = write_qr_png(command.qr_file, issued->qr_text()); !written) {
      return fail(written.error().context("writing " + command.qr_file).describe());
    }
  }
  std::cout << "token: " << issued->token << "\n"
            << "qr_text: " << issued->qr_text() << "\n"
            << "box: " << issued->record.device_id << "\n"
            << "site: " << issued->record.site << "\n"
            << "cabinet: " << issued->record.cabinet << "\n"
            << "expires_at: " << rfc3339(issued->record.expires_at_ms) << "\n";
  if (!command.qr_file.empty()) std::cout << "qr_png: " << absolute_text(command.qr_file) << "\n";
  std::cerr << "The token is shown this once (the controller keeps only its hash). Scan the QR "
               "code or type the token at the box.\n";
  return 0;
}

int run_token_list(const Config& config, const std::optional<std::string>& box) {
  auto office = open_office(config);
  if (!office) return fail(office.error().describe());
  auto tokens = (*office)->storage->list_enrolment_tokens(box_filter(box));
  if (!tokens) return fail(tokens.error().describe());
  const std::int64_t now = wall_clock_ms();
  std::printf("%-16s  %-20s  %-16s  %-12s  %-7s  %-24s  %s\n", "TOKEN_ID", "BOX", "SITE", "CABINET",
              "STATE", "EXPIRES_AT", "SERIAL");
  for (const auto& t : *tokens) {
    std::printf("%-16s  %-20s  %-16s  %-12s  %-7s  %-24s  %s\n",
                t.token_sha256_hex.substr(0, 16).c_str(), t.device_id.c_str(), t.site.c_str(),
                t.cabinet.c_str(), token_state(t, now).c_str(), rfc3339(t.expires_at_ms).c_str(),
                t.serial_hex.value_or("-").c_str());
  }
  return 0;
}

int run_certs_list(const Config& config, const std::optional<std::string>& box) {
  auto office = open_office(config);
  if (!office) return fail(office.error().describe());
  auto certificates = (*office)->storage->list_certificates(box_filter(box));
  if (!certificates) return fail(certificates.error().describe());
  const std::int64_t now = wall_clock_ms();
  std::printf("%-32s  %-20s  %-5s  %-7s  %-24s  %-24s  %s\n", "SERIAL", "BOX", "KIND", "STATE",
              "ISSUED_AT", "NOT_AFTER", "REVOKED");
  for (const auto& c : *certificates) {
    const char* state = c.revoked_at_ms ? "revoked" : now >= c.not_after_ms ? "expired" : "valid";
    std::string revoked = c.revoked_at_ms
                              ? rfc3339(*c.revoked_at_ms) + " " + c.revoked_reason.value_or("")
                              : std::string("-");
    std::printf("%-32s  %-20s  %-5s  %-7s  %-24s  %-24s  %s\n", c.serial_hex.c_str(),
                c.device_id.c_str(), c.kind.c_str(), state, rfc3339(c.issued_at_ms).c_str(),
                rfc3339(c.not_after_ms).c_str(), revoked.c_str());
  }
  return 0;
}

int run_revoke(const Config& config, const std::string& box, const std::string& reason) {
  auto device = DeviceId::parse(box);
  if (!device) return fail(device.error().context("--box").describe());
  auto office = open_office(config);
  if (!office) return fail(office.error().describe());
  auto revoked = (*office)->identity->revoke(*device, reason, command_line_actor());
  if (!revoked) return fail(revoked.error().context("revoke").describe());
  std::cout << "box " << device->str() << " revoked: " << *revoked
            << " certificate(s) marked revoked, and every certificate of the box made before "
               "now is refused.\n"
            << "A running controller closes the box's connections within a few seconds. To put "
               "the box back into service, create a new token for it and re-enrol it.\n";
  return 0;
}

int run_api_token_create(const Config& config, const std::string& name, const std::string& role) {
  if (auto ok = check_api_token_name(name); !ok)
    return fail(ok.error().context("--name").describe());
  if (auto ok = parse_role(role); !ok) return fail(ok.error().context("--role").describe());
  auto office = open_office(config);
  if (!office) return fail(office.error().describe());
  NewApiToken made = make_api_token(office->get()->random);
  auto added = (*office)->storage->add_api_token(made.sha256_hex, name, role, wall_clock_ms(),
                                                 command_line_actor());
  if (!added) return fail(added.error().context("api-token create").describe());
  std::cout << "name: " << name << "\nrole: " << role << "\ntoken: " << made.token << "\n"
            << "Give it to whoever calls the back office as 'Authorization: Bearer <token>'. It is "
               "shown this once: the controller keeps only its SHA-256.\n";
  return 0;
}

int run_api_token_list(const Config& config) {
  auto office = open_office(config);
  if (!office) return fail(office.error().describe());
  auto tokens = (*office)->storage->list_api_tokens();
  if (!tokens) return fail(tokens.error().context("api-token list").describe());
  for (const auto& t : *tokens) {
    std::cout << t.name << "  " << t.role << "  created " << rfc3339(t.created_at_ms)
              << (t.revoked_at_ms ? "  revoked " + rfc3339(*t.revoked_at_ms) : std::string())
              << "\n";
  }
  return 0;
}

int run_api_token_revoke(const Config& config, const std::string& name) {
  auto office = open_office(config);
  if (!office) return fail(office.error().describe());
  auto revoked = (*office)->storage->revoke_api_token(name, wall_clock_ms(), command_line_actor());
  if (!revoked) return fail(revoked.error().context("api-token revoke").describe());
  std::cout << "API token " << name << " revoked: the next request with it gets 401.\n";
  return 0;
}

}  // namespace civicbox::controller
