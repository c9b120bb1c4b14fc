// The controller's HTTP API, independent of the transport: a request in, a response out. The
// HTTPS server (https_server.hpp) terminates TLS, identifies the box by its client certificate
// and hands requests here; tests can call it directly. docs/openapi.yaml describes the routes.
//
// Two faces, on two listeners:
//   device  (mutual TLS, the box is identified by its certificate)
//     POST /v1/device/events          push journal events, applied once each
//     GET  /v1/device/sync?cursor=N   pull assignments and configuration
//   public  (server TLS)
//     GET  /v1/track/{code}           a filed document's status, no personal data
//     /v1/backoffice/...              bearer token from the configuration
//   both: GET /healthz
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "common/ids.hpp"
#include "common/random.hpp"
#include "controller/config.hpp"
#include "controller/storage.hpp"

namespace civicbox::controller {

struct Request {
  std::string method;         // "GET", "POST", ...
  std::string target;         // path and query, e.g. "/v1/device/sync?cursor=3"
  std::string content_type;   // the Content-Type header, may be empty
  std::string authorization;  // the Authorization header, may be empty
  std::string body;
};

struct Response {
  int status = 200;
  std::string body;   // JSON, always
  std::string allow;  // for 405: the methods the route accepts
};

using Clock = std::function<std::int64_t()>;  // Unix milliseconds

struct Target;  // a request target split into path and query, in service.cpp

class Service {
 public:
  Service(Storage& storage, const Config& config, Random& random, Clock clock);

  // A request on the device listener from the box whose certificate names `device`.
  Response handle_device(const DeviceId& device, const Request& request);
  // A request on the public listener.
  Response handle_public(const Request& request);
  // Whether an Authorization header carries the back-office token (constant-time).
  [[nodiscard]] bool backoffice_authorized(std::string_view authorization) const;

 private:
  Response push_events(const DeviceId& device, const Request& request);
  Response pull(const DeviceId& device, const Target& target);
  Response track(std::string_view code);
  Response backoffice(const Request& request, const Target& target, std::string_view path);
  Response issue_parcel(const Request& request);
  Response list_parcels(const Target& target);
  Response list_submissions(const Target& target);
  Response move_submission(const Request& request, std::string_view code);

  Storage& storage_;
  const Config& config_;
  Random& random_;
  Clock clock_;
};

// Formats Unix milliseconds as RFC 3339 UTC, e.g. "2026-11-23T16:12:40.123Z".
std::string rfc3339(std::int64_t unix_ms);

}  // namespace civicbox::controller
