// The controller's HTTPS front: Boost.Beast over asio::ssl (OpenSSL), TLS 1.2 and 1.3 only, on
// two listeners. On the device listener a client certificate signed by the fleet CA is required
// during the handshake, so a stranger is refused before any handler runs, and the certificate's
// common name is the device id the request is served for. The public listener is server TLS only.
//
// Revocation: every second the server looks at the revocation version in storage (a box may be
// revoked by the command line or another instance; the database is the common ground); when it
// moved, it reloads the list and closes, on their own strands, the open device connections
// whose certificate is now refused. Each request is checked against the list in memory too.
//
// Beast and Asio headers stay in the .cpp: this header is cheap to include.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>

#include "common/error.hpp"
#include "controller/config.hpp"
#include "controller/service.hpp"

namespace civicbox::controller {

struct ServerStats {
  std::uint64_t handshakes = 0;          // completed
  std::uint64_t handshake_failures = 0;  // refused or broken before any request
  std::uint64_t requests = 0;
};

class HttpsServer {
 public:
  // Binds both listeners and starts config.threads I/O threads. Errors: crypto (a certificate
  // or key that does not load), io (an address that cannot be bound).
  // `on_bound`, when given, is called with the bound addresses before the first connection is
  // accepted and before any I/O thread starts.
  static Expected<std::unique_ptr<HttpsServer>> start(
      const Config& config, Service& service,
      const std::function<void(const Endpoint&, const Endpoint&)>& on_bound = {});

  virtual ~HttpsServer() = default;
  // The addresses actually bound (a port of 0 in the configuration becomes a free port).
  [[nodiscard]] virtual Endpoint device_endpoint() const = 0;
  [[nodiscard]] virtual Endpoint public_endpoint() const = 0;
  [[nodiscard]] virtual ServerStats stats() const = 0;
  // Stops accepting, closes connections and joins the I/O threads. Idempotent.
  virtual void stop() = 0;
};

}  // namespace civicbox::controller
