// The box's HTTPS client toward its controller (libcurl, mutual TLS). Only curl's
// backend-neutral TLS options are used, so the same code runs on a curl built on OpenSSL or
// mbedTLS: the box's certificate and key, the fleet CA, peer and host verification on.
//
//   POST {url}/v1/device/events        PushRequest -> PushResponse
//   GET  {url}/v1/device/sync?cursor=N              -> PullResponse
//   POST {url}/v1/device/selftest      SelfTestReport -> {"recorded": true}
//   POST {url}/v1/device/status        BoxStatus      -> {"status": "ok"}
//
// Every answer is parsed strictly. Errors: unavailable (transport failure, timeout, 408, 429,
// 5xx: retrying may help); otherwise a non-retryable category (unauthenticated, forbidden,
// invalid_argument, conflict, too_large, not_found, parse) with the controller's message.
#pragma once

#include <chrono>
#include <filesystem>
#include <mutex>
#include <string>

#include "common/error.hpp"
#include "common/identity_wire.hpp"
#include "common/wire.hpp"

namespace civicbox::firmware {

struct SyncClientOptions {
  std::string url;  // https://host:port, no trailing path
  std::filesystem::path ca;
  std::filesystem::path cert;
  std::filesystem::path key;
  long timeout_ms = 5000;
};

// Whether a failed sync may succeed when tried again.
bool is_retryable(const Error& error);

// The calls a box makes to its controller; the syncer talks to this, tests fake it.
class Uplink {
 public:
  virtual ~Uplink() = default;
  virtual Expected<wire::PushResponse> push(const wire::PushRequest& request) = 0;
  virtual Expected<wire::PullResponse> pull(std::uint64_t cursor) = 0;
  // A self-test's report, recorded by the controller. Errors as push(): unavailable may pass on
  // a retry; not_found is a controller that does not know the route yet.
  virtual Expected<void> report_self_test(const wire::SelfTestReport& report) = 0;
  // The box's status snapshot. Errors as report_self_test(). Not every uplink sends one: by
  // default a controller that does not know the route.
  virtual Expected<void> report_status(const wire::BoxStatus& status) {
    (void)status;
    return make_error(ErrorCode::not_found, "this uplink sends no status");
  }
  // A push that gives up after `timeout` (a filing waiting for its receipt).
  virtual Expected<wire::PushResponse> push_within(const wire::PushRequest& request,
                                                   std::chrono::milliseconds timeout) {
    (void)timeout;
    return push(request);
  }
};

class SyncClient final : public Uplink {
 public:
  explicit SyncClient(SyncClientOptions options);

  Expected<wire::PushResponse> push(const wire::PushRequest& request) override;
  Expected<wire::PullResponse> pull(std::uint64_t cursor) override;
  Expected<void> report_self_test(const wire::SelfTestReport& report) override;
  Expected<void> report_status(const wire::BoxStatus& status) override;
  Expected<wire::PushResponse> push_within(const wire::PushRequest& request,
                                           std::chrono::milliseconds timeout) override;
  // After a renewal: the next request uses the new generation's files (a request under way
  // finishes with the old ones).
  void set_tls_files(std::filesystem::path ca, std::filesystem::path cert,
                     std::filesystem::path key);
  [[nodiscard]] std::filesystem::path cert_file() const { return tls_paths().cert; }

 private:
  struct Reply {
    long status = 0;
    std::string body;
  };
  Expected<Reply> call(const char* method, const std::string& path, const std::string* body,
                       long timeout_ms);
  Expected<std::string> expect_ok(const Reply& reply, const char* what);

  struct TlsPaths {
    std::filesystem::path ca, cert, key;
  };
  [[nodiscard]] TlsPaths tls_paths() const;

  SyncClientOptions options_;  // ca, cert and key guarded by tls_mutex_
  mutable std::mutex tls_mutex_;
};

}  // namespace civicbox::firmware
