// A small HTTPS server on loopback for the sync client's tests: real TLS that requires a client
// certificate from a CA, one request per connection, answers from a handler. Also makes a
// throwaway PKI with the openssl command (a CA, a server certificate for 127.0.0.1, device
// certificates).
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace civicbox::test {

struct Pki {
  std::filesystem::path ca_cert, ca_key;
  std::filesystem::path server_cert, server_key;
};

// Makes a CA and a server certificate for 127.0.0.1 in `dir`. Returns false if openssl failed.
bool make_pki(const std::filesystem::path& dir, Pki& pki);
// Makes a client certificate with the given CN, signed by the CA in `pki`.
bool make_device_cert(const Pki& pki, const std::string& cn, const std::filesystem::path& cert,
                      const std::filesystem::path& key);

struct HttpRequest {
  std::string method;
  std::string target;
  std::string content_type;
  std::string body;
  std::string client_cn;
};

struct HttpResponse {
  int status = 200;
  std::string body;
  bool hang = false;  // never answer (a controller that stopped responding)
};

class TlsServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;
  TlsServer(const Pki& pki, Handler handler);
  ~TlsServer();
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }
  std::vector<HttpRequest> requests();
  [[nodiscard]] int failed_handshakes() const { return failed_handshakes_; }

 private:
  void serve();
  void* ctx_ = nullptr;
  int listener_ = -1;
  int port_ = 0;
  Handler handler_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> failed_handshakes_{0};
  std::mutex mutex_;
  std::vector<HttpRequest> requests_;
  std::thread thread_;
};

}  // namespace civicbox::test
