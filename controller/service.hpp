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
//     POST /v1/device/status          the box's state (doors, paper, faults): its health
//   public  (server TLS)
//     GET  /v1/track/{code}           a filed document's status, no personal data
//     GET  /track/{code}[?lang=xx]    the same as an HTML page for the citizen's phone (the
//                                     receipt's QR opens it; track_page.hpp)
//     POST /v1/enrol                  a token and a CSR: a certificate (fleet_identity.hpp);
//                                     failures are throttled per source address
//     /v1/backoffice/...              a bearer token with a role (backoffice.hpp)
//     GET  /metrics                   Prometheus metrics (metrics.hpp), any back-office token
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
#include "controller/api.hpp"
#include "controller/backoffice.hpp"
#include "controller/config.hpp"
#include "controller/failure_throttle.hpp"
#include "controller/fleet_identity.hpp"
#include "controller/metrics.hpp"
#include "controller/storage.hpp"

namespace civicbox::controller {

class Service {
 public:
  // Without `ca`, enrolment and renewal answer 503 (no `ca init` yet).
  Service(Storage& storage, const Config& config, Random& random, Clock clock,
          std::optional<provisioning::CaCredentials> ca = std::nullopt);

  // A request on the device listener from the box that presented `box` (its certificate).
  Response handle_device(const DeviceIdentity& box, const Request& request);
  // A request on the public listener.
  Response handle_public(const Request& request);
  // Whether an Authorization header may go on to the back office: it names a caller, or the
  // database could not say (the route answers that). Checked before the body is read.
  [[nodiscard]] bool backoffice_authorized(std::string_view authorization);

  FleetIdentity& identity() { return identity_; }
  Metrics& metrics() { return metrics_; }

 private:
  Response route_device(const DeviceIdentity& box, const Request& request);
  Response route_public(const Request& request);
  Response ready();
  Response push_events(const DeviceId& device, const Request& request);
  Response record_status(const DeviceId& device, const Request& request);
  Response pull(const DeviceId& device, const Target& target);
  Response track(std::string_view code);
  Response track_page(const Request& request, const Target* target, std::string_view code);
  Response enrol(const Request& request);
  Response renew(const DeviceIdentity& box, const Request& request);
  Response record_self_test(const DeviceIdentity& box, const Request& request);

  Storage& storage_;
  const Config& config_;
  Random& random_;
  Clock clock_;
  FleetIdentity identity_;
  BackOffice backoffice_;
  FailureThrottle throttle_;
  Metrics metrics_;
};

}  // namespace civicbox::controller
