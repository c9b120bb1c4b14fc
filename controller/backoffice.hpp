// The back office's API, under /v1/backoffice/ on the public listener: the town hall's registry
// and e-services platform, its clerks' tools and its dashboard (docs/openapi.yaml, every route
// in kRoutes there; a test keeps the two the same).
//
// Every request carries a bearer token with a role:
//   operator  everything (the [backoffice] token of the configuration is an operator's)
//   clerk     reads; moves submissions and attaches references; issues and changes parcels
//   auditor   reads only: lists, the audit trail, the doors' trail, the figures
// API tokens are made with `civicbox-controller api-token create --name N --role R` or by an
// operator with POST /v1/backoffice/api-tokens; only their SHA-256 is kept. Every change is
// written to the audit trail, with the token's name, in the transaction that makes it.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "common/random.hpp"
#include "controller/api.hpp"
#include "controller/config.hpp"
#include "controller/fleet_identity.hpp"
#include "controller/storage.hpp"

namespace civicbox::controller {

// The roles a route admits, as bits.
enum RoleBits : unsigned { kOperator = 1, kClerk = 2, kAuditor = 4, kAnyRole = 7 };

// "operator", "clerk", "auditor". Errors: invalid_argument.
Expected<unsigned> parse_role(std::string_view text);

class BackOffice;

struct BackOfficeRoute {
  std::string_view method;
  std::string_view path;  // after /v1/backoffice/, a segment in braces is a parameter
  unsigned roles = 0;
  Response (BackOffice::*handler)(const Request&, const Target&, std::span<const std::string>,
                                  const Actor&) = nullptr;
};

class BackOffice {
 public:
  BackOffice(Storage& storage, const Config& config, Random& random, const Clock& clock,
             FleetIdentity& identity);

  // The caller an Authorization header names: the configuration's token or a stored API token.
  // Errors: unauthenticated.
  Expected<Actor> authenticate(std::string_view authorization);

  // A request for /v1/backoffice/<path>: authenticated, checked against the route's roles.
  Response handle(const Request& request, const Target& target, std::string_view path);

  static std::span<const BackOfficeRoute> routes();

  // The handlers (public for the route table); the parameters are the path's braces in order.
  using Params = std::span<const std::string>;
  Response list_submissions(const Request&, const Target&, Params, const Actor&);
  Response get_submission(const Request&, const Target&, Params, const Actor&);
  Response move_submission(const Request&, const Target&, Params, const Actor&);
  Response set_reference(const Request&, const Target&, Params, const Actor&);
  Response list_parcels(const Request&, const Target&, Params, const Actor&);
  Response issue_parcel(const Request&, const Target&, Params, const Actor&);
  Response get_parcel(const Request&, const Target&, Params, const Actor&);
  Response cancel_parcel(const Request&, const Target&, Params, const Actor&);
  Response extend_parcel(const Request&, const Target&, Params, const Actor&);
  Response return_parcel(const Request&, const Target&, Params, const Actor&);
  Response list_boxes(const Request&, const Target&, Params, const Actor&);
  Response get_box(const Request&, const Target&, Params, const Actor&);
  Response open_door(const Request&, const Target&, Params, const Actor&);
  Response list_commands(const Request&, const Target&, Params, const Actor&);
  Response revoke_box(const Request&, const Target&, Params, const Actor&);
  Response list_self_tests(const Request&, const Target&, Params, const Actor&);
  Response list_doors(const Request&, const Target&, Params, const Actor&);
  Response list_audit(const Request&, const Target&, Params, const Actor&);
  Response list_clerks(const Request&, const Target&, Params, const Actor&);
  Response add_clerk(const Request&, const Target&, Params, const Actor&);
  Response reset_pin(const Request&, const Target&, Params, const Actor&);
  Response remove_clerk(const Request&, const Target&, Params, const Actor&);
  Response list_tokens(const Request&, const Target&, Params, const Actor&);
  Response create_token(const Request&, const Target&, Params, const Actor&);
  Response list_certificates(const Request&, const Target&, Params, const Actor&);
  Response list_api_tokens(const Request&, const Target&, Params, const Actor&);
  Response create_api_token(const Request&, const Target&, Params, const Actor&);
  Response revoke_api_token(const Request&, const Target&, Params, const Actor&);
  Response statistics(const Request&, const Target&, Params, const Actor&);

 private:
  Response parcel_change(const Request&, const std::string& id, ParcelChange change,
                         const Actor& by);

  Storage& storage_;
  const Config& config_;
  Random& random_;
  const Clock& clock_;
  FleetIdentity& identity_;
};

// An API token's name: 1 to 64 of a-z A-Z 0-9 . _ - ("config" and "cli:..." name the
// configuration's token and the command line in the audit trail). Errors: invalid_argument.
Expected<void> check_api_token_name(std::string_view name);

// A new API token: 32 random bytes, base64url. Only its SHA-256 is stored.
struct NewApiToken {
  std::string token;
  std::string sha256_hex;
};
NewApiToken make_api_token(Random& random);

}  // namespace civicbox::controller
