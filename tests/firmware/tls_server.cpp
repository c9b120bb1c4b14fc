#include "tests/firmware/tls_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <chrono>
#include <cstdlib>

namespace civicbox::test {

namespace {
bool sh(const std::string& command) {
  return std::system((command + " >/dev/null 2>&1").c_str()) == 0;
}
std::string q(const std::filesystem::path& p) {
  return "'" + p.string() + "'";
}

const char* reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 429:
      return "Too Many Requests";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}
}  // namespace

bool make_pki(const std::filesystem::path& dir, Pki& pki) {
  pki.ca_cert = dir / "ca.crt";
  pki.ca_key = dir / "ca.key";
  pki.server_cert = dir / "server.crt";
  pki.server_key = dir / "server.key";
  auto csr = dir / "server.csr";
  return sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " +
            q(pki.ca_key) + " -out " + q(pki.ca_cert) + " -subj /CN=test-fleet-ca -days 2") &&
         sh("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " +
            q(pki.server_key) + " -out " + q(csr) +
            " -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1") &&
         sh("openssl x509 -req -in " + q(csr) + " -CA " + q(pki.ca_cert) + " -CAkey " +
            q(pki.ca_key) + " -CAcreateserial -out " + q(pki.server_cert) +
            " -days 2 -copy_extensions copy");
}

bool make_device_cert(const Pki& pki, const std::string& cn, const std::filesystem::path& cert,
                      const std::filesystem::path& key) {
  auto csr = cert.string() + ".csr";
  return sh("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " +
            q(key) + " -out '" + csr + "' -subj /CN=" + cn) &&
         sh("openssl x509 -req -in '" + csr + "' -CA " + q(pki.ca_cert) + " -CAkey " +
            q(pki.ca_key) + " -CAcreateserial -out " + q(cert) + " -days 2");
}

TlsServer::TlsServer(const Pki& pki, Handler handler) : handler_(std::move(handler)) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  SSL_CTX_use_certificate_file(ctx, pki.server_cert.c_str(), SSL_FILETYPE_PEM);
  SSL_CTX_use_PrivateKey_file(ctx, pki.server_key.c_str(), SSL_FILETYPE_PEM);
  SSL_CTX_load_verify_locations(ctx, pki.ca_cert.c_str(), nullptr);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  ctx_ = ctx;
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
  ::listen(listener_, 16);
  thread_ = std::thread([this] { serve(); });
}

TlsServer::~TlsServer() {
  stopping_ = true;
  ::shutdown(listener_, SHUT_RDWR);
  if (thread_.joinable()) thread_.join();
  ::close(listener_);
  SSL_CTX_free(static_cast<SSL_CTX*>(ctx_));
}

std::vector<HttpRequest> TlsServer::requests() {
  std::lock_guard lock(mutex_);
  return requests_;
}

void TlsServer::serve() {
  while (!stopping_) {
    pollfd p{listener_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    int fd = ::accept(listener_, nullptr, nullptr);
    if (fd < 0) continue;
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    SSL* ssl = SSL_new(static_cast<SSL_CTX*>(ctx_));
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) <= 0) {
      ++failed_handshakes_;
      SSL_free(ssl);
      ::close(fd);
      continue;
    }
    HttpRequest request;
    if (X509* peer = SSL_get1_peer_certificate(ssl)) {
      char cn[256] = {0};
      X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof cn);
      request.client_cn = cn;
      X509_free(peer);
    }
    std::string data;
    char buf[4096];
    std::size_t header_end = std::string::npos;
    std::size_t content_length = 0;
    for (;;) {
      int n = SSL_read(ssl, buf, sizeof buf);
      if (n <= 0) break;
      data.append(buf, static_cast<std::size_t>(n));
      if (header_end == std::string::npos) {
        header_end = data.find("\r\n\r\n");
        if (header_end != std::string::npos) {
          std::string head = data.substr(0, header_end);
          auto sp1 = head.find(' ');
          auto sp2 = head.find(' ', sp1 + 1);
          request.method = head.substr(0, sp1);
          request.target = head.substr(sp1 + 1, sp2 - sp1 - 1);
          std::string lower;
          for (char c : head) lower += static_cast<char>(std::tolower(c));
          if (auto at = lower.find("\r\ncontent-length:"); at != std::string::npos) {
            content_length = std::strtoul(head.c_str() + at + 17, nullptr, 10);
          }
          if (auto at = lower.find("\r\ncontent-type:"); at != std::string::npos) {
            auto end = head.find("\r\n", at + 2);
            auto value = head.substr(at + 15, end - at - 15);
            while (!value.empty() && value.front() == ' ') value.erase(0, 1);
            request.content_type = value;
          }
        }
      }
      if (header_end != std::string::npos && data.size() >= header_end + 4 + content_length) break;
    }
    if (header_end != std::string::npos) {
      request.body = data.substr(header_end + 4, content_length);
      HttpResponse response = handler_(request);
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(request);
      }
      if (response.hang) {
        auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
        while (!stopping_ && std::chrono::steady_clock::now() < until) {
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
      } else {
        std::string out =
            "HTTP/1.1 " + std::to_string(response.status) + " " + reason(response.status) +
            "\r\nContent-Type: application/json\r\nContent-Length: " +
            std::to_string(response.body.size()) + "\r\nConnection: close\r\n\r\n" + response.body;
        SSL_write(ssl, out.data(), static_cast<int>(out.size()));
      }
    }
    SSL_shutdown(ssl);
    SSL_free(ssl);
    ::close(fd);
  }
}

}  // namespace civicbox::test
