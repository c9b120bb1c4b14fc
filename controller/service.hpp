// The controller's HTTP API, independent of the transport: a request in, a response out. The
// HTTPS server (https_server.hpp) terminates TLS, identifies the box by its client certificate
// and hands requests here; tests can call it directly. docs/openapi.yaml describes the routes.
//
// Two faces, on two listeners:
//   device  (mutual TLS, the box is identified by its certificate; a revoked certificate gets
//            403 "revoked" on any route, and the connection is closed)
//     POST /v1/device/events          push journal events, applied once each
//     GET  /v1/device/sync?cursor=N   pull assignments and configuration
//     POST /v1/device/renew           a new certificate for a new key (fleet_identity.hpp)
//     POST /v1/device/selftest        a self-test report, stored
//   public  (server TLS)
//     GET  /v1/track/{code}           a filed document's status, no personal data
//     GET  /track/{code}[?lang=xx]    the same as an HTML page for the citizen's phone (the
//                                     receipt's QR opens it; track_page.hpp)
//     POST /v1/enrol                  a token and a CSR: a certificate (fleet_identity.hpp);
//                                     failures are throttled per source address
//     /v1/backoffice/...              bearer token from the configuration: parcels,
//                                     submissions, tokens, certificates, boxes/{id}/revoke,
//                                     boxes/{id}/selftests
//     GET  /metrics                   Prometheus metrics (metrics.hpp), back-office token
//   both: GET /healthz (alive), GET /readyz (the database answers and the fleet CA is loaded:
//         200, else 503 with the reasons; a load balancer's check)
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/ids.hpp"
#include "common/random.hpp"
#include "controller/config.hpp"
#include "controller/failure_throttle.hpp"
#include "controller/fleet_identity.hpp"
#include "controller/metrics.hpp"
#include "controller/storage.hpp"

namespace civicbox::controller {

struct Request {
  std::string method;         // "GET", "POST", ...
  std::string target;         // path and query, e.g. "/v1/device/sync?cursor=3"
  std::string content_type;   // the Content-Type header, may be empty
  std::string authorization;  // the Authorization header, may be empty
  std::string body;
  std::string peer_address{};     // the source IP address, e.g. "203.0.113.7" (for throttling)
  std::string accept_language{};  // the Accept-Language header, may be empty (/track/{code})
};

struct Response {
  int status = 200;
  std::string body;                               // JSON, always
  std::string allow;                              // for 405: the methods the route accepts
  int retry_after_s = 0;                          // for 429: the Retry-After header
  bool close_connection = false;                  // answer, then close (a revoked certificate)
  std::string content_type = "application/json";  // /metrics: Prometheus' text format
  // Further headers, written as they are (the tracking page's Content-Security-Policy...).
  std::vector<std::pair<std::string, std::string>> headers{};
};

struct Target;  // a request target split into path and query, in service.cpp

class Service {
 public:
  // Without `ca`, enrolment and renewal answer 503 (no `ca init` yet).
  Service(Storage& storage, const Config& config, Random& random, Clock clock,
          std::optional<provisioning::CaCredentials> ca = std::nullopt);

  // A request on the device listener from the box that presented `box` (its certificate).
  Response handle_device(const DeviceIdentity& box, const Request& request);
  // A request on the public listener.
  Response handle_public(const Request& request);
  // Whether an Authorization header carries the back-office token (constant-time).
  [[nodiscard]] bool backoffice_authorized(std::string_view authorization) const;

  FleetIdentity& identity() { return identity_; }
  Metrics& metrics() { return metrics_; }

 private:
  Response route_device(const DeviceIdentity& box, const Request& request);
  Response route_public(const Request& request);
  Response ready();
  Response push_events(const DeviceId& device, const Request& request);
  Response pull(const DeviceId& device, const Target& target);
  Response track(std::string_view code);
  Response track_page(const Request& request, const Target* target, std::string_view code);
  Response backoffice(const Request& request, const Target& target, std::string_view path);
  Response issue_parcel(const Request& request);
  Response list_parcels(const Target& target);
  Response list_submissions(const Target& target);
  Response move_submission(const Request& request, std::string_view code);
  Response enrol(const Request& request);
  Response renew(const DeviceIdentity& box, const Request& request);
  Response record_self_test(const DeviceIdentity& box, const Request& request);
  Response create_token(const Request& request);
  Response list_tokens(const Target& target);
  Response list_certificates(const Target& target);
  Response box_route(const Request& request, std::string_view rest);

  Storage& storage_;
  const Config& config_;
  Random& random_;
  Clock clock_;
  FleetIdentity identity_;
  FailureThrottle throttle_;
  Metrics metrics_;
};

// Formats Unix milliseconds as RFC 3339 UTC, e.g. "2026-11-23T16:12:40.123Z".
std::string rfc3339(std::int64_t unix_ms);

}  // namespace civicbox::controller
