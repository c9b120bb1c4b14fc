#include "tests/support/webhook_receiver.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include <cctype>
#include <cstdlib>

namespace civicbox::testing {

namespace {

bool sh(const std::string& command) {
  return std::system((command + " >/dev/null 2>&1").c_str()) == 0;
}
std::string q(const std::filesystem::path& p) {
  return "'" + p.string() + "'";
}

}  // namespace

bool make_receiver_pki(const std::filesystem::path& dir, ReceiverPki& pki) {
  pki.ca_cert = dir / "gateway-ca.crt";
  const auto ca_key = dir / "gateway-ca.key";
  pki.server_cert = dir / "gateway.crt";
  pki.server_key = dir / "gateway.key";
  const auto csr = dir / "gateway.csr";
  return sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " +
            q(ca_key) + " -out " + q(pki.ca_cert) + " -subj /CN=test-gateway-ca -days 2") &&
         sh("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " +
            q(pki.server_key) + " -out " + q(csr) +
            " -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1") &&
         sh("openssl x509 -req -in " + q(csr) + " -CA " + q(pki.ca_cert) + " -CAkey " + q(ca_key) +
            " -CAcreateserial -out " + q(pki.server_cert) + " -days 2 -copy_extensions copy");
}

WebhookReceiver::WebhookReceiver(Handler handler, const ReceiverPki* pki)
    : handler_(std::move(handler)) {
  if (pki != nullptr) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate_file(ctx, pki->server_cert.c_str(), SSL_FILETYPE_PEM);
    SSL_CTX_use_PrivateKey_file(ctx, pki->server_key.c_str(), SSL_FILETYPE_PEM);
    ctx_ = ctx;
  }
  listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  ::listen(listener_, 64);
  thread_ = std::thread([this] { serve(); });
}

WebhookReceiver::~WebhookReceiver() {
  stopping_ = true;
  ::shutdown(listener_, SHUT_RDWR);
  if (thread_.joinable()) thread_.join();
  ::close(listener_);
  if (ctx_ != nullptr) SSL_CTX_free(static_cast<SSL_CTX*>(ctx_));
}

std::vector<ReceivedRequest> WebhookReceiver::requests() {
  std::lock_guard lock(mutex_);
  return requests_;
}

bool WebhookReceiver::wait_for(std::size_t count, std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (requests().size() >= count) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return requests().size() >= count;
}

void WebhookReceiver::serve() {
  while (!stopping_) {
    pollfd p{listener_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    int fd = ::accept(listener_, nullptr, nullptr);
    if (fd < 0) continue;
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    SSL* ssl = nullptr;
    if (ctx_ != nullptr) {
      ssl = SSL_new(static_cast<SSL_CTX*>(ctx_));
      SSL_set_fd(ssl, fd);
      if (SSL_accept(ssl) <= 0) {
        SSL_free(ssl);
        ::close(fd);
        continue;
      }
    }
    auto read_some = [&](char* buf, int size) {
      return ssl != nullptr ? SSL_read(ssl, buf, size)
                            : static_cast<int>(::recv(fd, buf, static_cast<std::size_t>(size), 0));
    };
    ReceivedRequest request;
    std::string data;
    char buf[4096];
    std::size_t header_end = std::string::npos;
    std::size_t content_length = 0;
    for (;;) {
      int n = read_some(buf, sizeof buf);
      if (n <= 0) break;
      data.append(buf, static_cast<std::size_t>(n));
      if (header_end == std::string::npos) {
        header_end = data.find("\r\n\r\n");
        if (header_end != std::string::npos) {
          const std::string head = data.substr(0, header_end);
          auto line_end = head.find("\r\n");
          const std::string first = head.substr(0, line_end);
          auto sp1 = first.find(' ');
          auto sp2 = first.find(' ', sp1 + 1);
          request.method = first.substr(0, sp1);
          request.target = first.substr(sp1 + 1, sp2 - sp1 - 1);
          std::size_t at = line_end;
          while (at != std::string::npos && at < head.size()) {
            const std::size_t start = at + 2;
            std::size_t end = head.find("\r\n", start);
            const std::string line =
                head.substr(start, end == std::string::npos ? std::string::npos : end - start);
            auto colon = line.find(':');
            if (colon != std::string::npos) {
              std::string name;
              for (char c : line.substr(0, colon)) {
                name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
              }
              std::string value = line.substr(colon + 1);
              while (!value.empty() && value.front() == ' ') value.erase(0, 1);
              request.headers[name] = value;
            }
            at = end;
          }
          content_length = std::strtoul(request.header("content-length").c_str(), nullptr, 10);
        }
      }
      if (header_end != std::string::npos && data.size() >= header_end + 4 + content_length) break;
    }
    if (header_end != std::string::npos) {
      request.body = data.substr(header_end + 4, content_length);
      request.at = std::chrono::steady_clock::now();
      const int status = handler_(request);
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(request);
      }
      const std::string out = "HTTP/1.1 " + std::to_string(status) +
                              " Status\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
      if (ssl != nullptr) {
        SSL_write(ssl, out.data(), static_cast<int>(out.size()));
      } else {
        (void)::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
      }
    }
    if (ssl != nullptr) {
      SSL_shutdown(ssl);
      SSL_free(ssl);
    }
    ::close(fd);
  }
}

}  // namespace civicbox::testing
