// The fleet CA on the controller's disk: the CA that signs every box's certificate at enrolment
// and renewal, and the controller's own TLS server certificate issued from it, so that boxes
// trust the controller through the same CA they are enrolled with.
//
//   DIR/ca.crt, DIR/ca.key                  the fleet CA (0644, 0600; DIR is 0700)
//   DIR/controller.crt, DIR/controller.key  serverAuth, CN civicbox-controller, the names given
//
// The layout is the development PKI's (provisioning/dev_pki.hpp), and so is the code that
// makes the server certificate: a dev PKI folder works as a fleet CA folder, too.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "provisioning/ca.hpp"
#include "provisioning/dev_pki.hpp"

namespace civicbox::controller {

struct FleetCaOptions {
  // Take this CA (checked: the key matches, the certificate is a CA) instead of making one.
  std::optional<provisioning::CaCredentials> import;
  std::string common_name = "civicbox fleet CA";  // of a CA made here
  int ca_days = 3650;
  int server_days = 365;
  std::vector<std::string> server_dns_names{"localhost"};
  std::vector<std::array<std::uint8_t, 4>> server_ipv4_addresses{{127, 0, 0, 1}};
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
};

// Makes (or imports) the CA in `dir` and issues the controller's server certificate from it.
// Never replaces a CA: errors conflict when DIR holds ca.crt or ca.key already (or a server
// certificate without its CA), invalid_argument/crypto for an import that is no CA.
Expected<void> init_fleet_ca(const std::filesystem::path& dir, const FleetCaOptions& options);

// The CA in `dir`, checked; nullopt when `dir` holds neither ca.crt nor ca.key.
Expected<std::optional<provisioning::CaCredentials>> load_fleet_ca(
    const std::filesystem::path& dir);

// "203.0.113.7" -> its four bytes. Errors: invalid_argument.
Expected<std::array<std::uint8_t, 4>> parse_ipv4(const std::string& text);

}  // namespace civicbox::controller
