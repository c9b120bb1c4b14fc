// The operator's commands of civicbox-controller besides serving: the fleet CA, enrolment
// tokens, the certificates issued, revocation. Each writes the database (or the CA folder)
// directly, also while a server runs on it (SQLite in WAL mode with a busy timeout; a running
// server notices revocations within a second), prints for a person and returns the exit status.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "controller/config.hpp"

namespace civicbox::controller {

// The system clock in Unix milliseconds: the server's clock and the commands'.
std::int64_t wall_clock_ms();
// Prints "civicbox-controller: <what>" on stderr and returns 1, the exit status of a failure.
int fail(const std::string& what);

struct CaInitCommand {
  std::string import_cert;  // both or neither
  std::string import_key;
  std::vector<std::string> server_names;  // empty: localhost
  std::vector<std::string> server_ips;    // empty: 127.0.0.1 (when no name is given either)
};
int run_ca_init(const Config& config, const CaInitCommand& command);

struct TokenCreateCommand {
  std::string site;
  std::string box;
  std::string cabinet;
  std::optional<int> hours;  // empty: [enrol] token_hours
  std::string qr_file;       // empty: no PNG
};
int run_token_create(const Config& config, const TokenCreateCommand& command);
int run_token_list(const Config& config, const std::optional<std::string>& box);
int run_certs_list(const Config& config, const std::optional<std::string>& box);
int run_revoke(const Config& config, const std::string& box, const std::string& reason);

// Back-office API tokens (backoffice.hpp): made with a role, shown once; listed; revoked.
int run_api_token_create(const Config& config, const std::string& name, const std::string& role);
int run_api_token_list(const Config& config);
int run_api_token_revoke(const Config& config, const std::string& name);

}  // namespace civicbox::controller
