// A small stand-in for the controller's enrolment side, for the box's tests: real TLS on
// loopback (OpenSSL), certificates from a dev PKI signed with provisioning::sign_csr.
//
//   public listener  (server TLS, client certificate optional)
//     POST /v1/enrol           one-time tokens; a replayed token is answered with the SAME
//                              certificate for the same key, token_used for another key
//     GET  /healthz
//   device listener  (mutual TLS, client certificate from the fleet CA required)
//     POST /v1/device/renew    a new certificate for a new key (same_key otherwise)
//     GET  /healthz            403 revoked for a revoked certificate
//
// A test can take over any answer with `override_answer` (garbage, a cut-short body, a hang,
// a certificate for another key...), built with the helpers below.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/identity_wire.hpp"
#include "provisioning/ca.hpp"

namespace civicbox::testing {

struct HttpRequest {
  std::string method;
  std::string target;
  std::string body;
  std::string client_cert_pem;  // empty when the client sent none
};

struct HttpResponse {
  int status = 200;
  std::string body;
  std::vector<std::string> headers;  // "Name: value"
  bool hang = false;                 // never answer (until the server stops, at most 5 s)
  bool cut_short = false;            // announce the whole body, send half of it, close
};

// One HTTPS listener on 127.0.0.1, one request per connection, answered by a handler.
class LoopbackHttps {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;
  LoopbackHttps(const std::filesystem::path& cert, const std::filesystem::path& key,
                const std::filesystem::path& client_ca, bool require_client_cert, Handler handler);
  ~LoopbackHttps();
  LoopbackHttps(const LoopbackHttps&) = delete;
  LoopbackHttps& operator=(const LoopbackHttps&) = delete;
  [[nodiscard]] std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }

 private:
  void serve();
  void answer(void* ssl);
  void* ctx_ = nullptr;
  int listener_ = -1;
  int port_ = 0;
  Handler handler_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

struct TokenGrant {
  std::string device_id;
  std::string site = "cluj-centru";
  std::int64_t expires_ms = 0;  // 0: never
};

class FakeController {
 public:
  // Makes a dev PKI (fleet CA + controller certificate for 127.0.0.1) in `dir` and starts both
  // listeners.
  explicit FakeController(const std::filesystem::path& dir);
  ~FakeController();

  [[nodiscard]] std::string public_url() const { return public_->url(); }
  [[nodiscard]] std::string device_url() const { return device_->url(); }
  [[nodiscard]] std::filesystem::path fleet_ca() const { return dir_ / "ca.crt"; }
  [[nodiscard]] const provisioning::CaCredentials& ca() const { return ca_; }

  void add_token(const std::string& token, TokenGrant grant);
  // The key (DER) a token was first used with, empty when unused.
  std::string token_key(const std::string& token);
  // Revokes every certificate issued to the device so far.
  void revoke(const std::string& device_id);
  // How long the certificates it issues are valid.
  void set_validity(std::chrono::seconds validity) { validity_ = validity; }

  // Takes over the answer to requests whose target starts with `target_prefix`; the handler
  // returns nullopt to let the normal answer through.
  using Override = std::function<std::optional<HttpResponse>(const HttpRequest&)>;
  void override_answer(std::string target_prefix, Override handler);
  void clear_overrides();

  int enrol_calls() const { return enrol_calls_; }
  int renew_calls() const { return renew_calls_; }
  int probe_calls() const { return probe_calls_; }
  std::vector<std::string> renew_csrs();

  // Helpers for overrides and tests.
  [[nodiscard]] wire::ProvisionedConfig config_for(const std::string& device_id,
                                                   const std::string& site) const;
  // A client certificate for the CSR's key with CN `cn`, signed by `ca`, valid from now (whole
  // seconds). sign_csr refuses a CSR that names another CN than `cn`.
  static std::string sign(const provisioning::CaCredentials& ca, const std::string& csr_pem,
                          const std::string& cn, std::chrono::seconds validity);
  static wire::CertificateIssued issued(const std::string& cert_pem, const std::string& chain_pem);
  static HttpResponse refusal(int status, const std::string& word, const std::string& message);

 private:
  HttpResponse handle_public(const HttpRequest& request);
  HttpResponse handle_device(const HttpRequest& request);
  std::optional<HttpResponse> overridden(const HttpRequest& request);
  HttpResponse enrol(const HttpRequest& request);
  HttpResponse renew(const HttpRequest& request);
  bool is_revoked(const std::string& client_cert_pem);

  struct TokenState {
    TokenGrant grant;
    std::string key_der;
    std::string answer;
  };

  std::filesystem::path dir_;
  provisioning::CaCredentials ca_;
  std::chrono::seconds validity_{std::chrono::hours(24 * 90)};
  std::mutex mutex_;
  std::map<std::string, TokenState> tokens_;
  std::map<std::string, std::vector<std::string>> serials_;  // device -> serials issued
  std::set<std::string> revoked_serials_;
  std::vector<std::pair<std::string, Override>> overrides_;
  std::vector<std::string> renew_csrs_;
  std::atomic<int> enrol_calls_{0};
  std::atomic<int> renew_calls_{0};
  std::atomic<int> probe_calls_{0};
  std::unique_ptr<LoopbackHttps> public_;
  std::unique_ptr<LoopbackHttps> device_;
};

}  // namespace civicbox::testing
