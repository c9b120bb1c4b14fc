// The town hall's gateway, as the webhook tests see it: an HTTP or HTTPS server on 127.0.0.1 on
// a free port, one request per connection, every request kept with its headers (lower-cased
// names) and the time it came, answered by a handler. make_receiver_pki() makes a throwaway CA
// and a certificate for 127.0.0.1 with the openssl command.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace civicbox::testing {

struct ReceiverPki {
  std::filesystem::path ca_cert, server_cert, server_key;
};
// False when openssl failed.
bool make_receiver_pki(const std::filesystem::path& dir, ReceiverPki& pki);

struct ReceivedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;
  std::string body;
  std::chrono::steady_clock::time_point at;
  [[nodiscard]] std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

class WebhookReceiver {
 public:
  using Handler = std::function<int(const ReceivedRequest&)>;  // the status to answer
  // TLS when `pki` is given; plain HTTP otherwise.
  explicit WebhookReceiver(Handler handler, const ReceiverPki* pki = nullptr);
  ~WebhookReceiver();
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] std::string url() const {
    return std::string(ctx_ != nullptr ? "https" : "http") +
           "://127.0.0.1:" + std::to_string(port_) + "/hooks";
  }
  std::vector<ReceivedRequest> requests();
  // Waits until `count` requests came, at most `limit`.
  bool wait_for(std::size_t count, std::chrono::milliseconds limit = std::chrono::seconds(20));

 private:
  void serve();
  void* ctx_ = nullptr;
  int listener_ = -1;
  int port_ = 0;
  Handler handler_;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::vector<ReceivedRequest> requests_;
  std::thread thread_;
};

}  // namespace civicbox::testing
