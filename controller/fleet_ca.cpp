#include "controller/fleet_ca.hpp"

#include <arpa/inet.h>
#include <sys/stat.h>

#include <cstring>
#include <system_error>

#include "common/atomic_file.hpp"
#include "provisioning/keys.hpp"

namespace civicbox::controller {

namespace {

using provisioning::DevPkiPaths;

bool file_exists(const std::filesystem::path& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

Expected<void> make_private_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return make_error(ErrorCode::io, "creating folder " + dir.string() + ": " + ec.message());
  if (::chmod(dir.c_str(), 0700) != 0) {
    return make_error(ErrorCode::io,
                      "setting the mode of folder " + dir.string() + ": " + std::strerror(errno));
  }
  return {};
}

}  // namespace

Expected<void> init_fleet_ca(const std::filesystem::path& dir, const FleetCaOptions& options) {
  const DevPkiPaths paths{dir};
  if (file_exists(paths.ca_cert()) || file_exists(paths.ca_key())) {
    return make_error(ErrorCode::conflict,
                      "a fleet CA exists in " + dir.string() +
                          " already: it is never replaced (every box trusts it). To start over "
                          "on purpose, move the folder away first");
  }
  if (file_exists(paths.controller_cert()) || file_exists(paths.controller_key())) {
    return make_error(ErrorCode::conflict, dir.string() +
                                               " holds a controller certificate but no CA: move "
                                               "controller.crt and controller.key away first");
  }
  for (const auto& name : options.server_dns_names) {
    if (name.empty()) return make_error(ErrorCode::invalid_argument, "an empty server name");
  }
  if (options.server_dns_names.empty() && options.server_ipv4_addresses.empty()) {
    return make_error(ErrorCode::invalid_argument,
                      "the server certificate needs at least one DNS name or IP address");
  }
  provisioning::CaCredentials ca;
  if (options.import) {
    ca = *options.import;
    if (auto checked = provisioning::check_ca(ca); !checked) {
      return checked.error().context("the CA to import");
    }
  } else {
    CIVICBOX_TRY(ca.key_pem, provisioning::generate_private_key());
    provisioning::CertProfile profile;
    profile.role = provisioning::CertRole::authority;
    profile.common_name = options.common_name;
    profile.not_before = options.now - std::chrono::minutes(5);
    profile.not_after = options.now + std::chrono::days(options.ca_days);
    CIVICBOX_TRY(ca.cert_pem, provisioning::self_sign_ca(ca.key_pem, profile));
  }
  CIVICBOX_CHECK(make_private_dir(dir));
  CIVICBOX_CHECK(write_file_atomically(paths.ca_key(), ca.key_pem, 0600));
  CIVICBOX_CHECK(write_file_atomically(paths.ca_cert(), ca.cert_pem, 0644));

  // The dev PKI's own code reuses the CA just written and issues the server certificate.
  provisioning::DevPkiOptions server;
  server.controller_days = options.server_days;
  server.controller_dns_names = options.server_dns_names;
  server.controller_ipv4_addresses = options.server_ipv4_addresses;
  server.now = options.now;
  return provisioning::init_dev_pki(dir, server);
}

Expected<std::optional<provisioning::CaCredentials>> load_fleet_ca(
    const std::filesystem::path& dir) {
  const DevPkiPaths paths{dir};
  if (!file_exists(paths.ca_cert()) && !file_exists(paths.ca_key())) {
    return std::optional<provisioning::CaCredentials>{};
  }
  CIVICBOX_TRY(auto ca, provisioning::load_dev_ca(dir));
  return std::optional<provisioning::CaCredentials>{std::move(ca)};
}

Expected<std::array<std::uint8_t, 4>> parse_ipv4(const std::string& text) {
  std::array<std::uint8_t, 4> bytes{};
  if (inet_pton(AF_INET, text.c_str(), bytes.data()) != 1) {
    return make_error(ErrorCode::invalid_argument,
                      "not an IPv4 address (e.g. 192.0.2.10): " + text);
  }
  return bytes;
}

}  // namespace civicbox::controller
