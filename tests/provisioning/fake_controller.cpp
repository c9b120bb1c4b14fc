#include "tests/provisioning/fake_controller.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <stdexcept>

#include "common/wire.hpp"
#include "provisioning/certificate_check.hpp"
#include "provisioning/dev_pki.hpp"

namespace civicbox::testing {

namespace {

const char* reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

std::string peer_certificate_pem(SSL* ssl) {
  X509* peer = SSL_get1_peer_certificate(ssl);
  if (peer == nullptr) return {};
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, peer);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(len));
  BIO_free(bio);
  X509_free(peer);
  return pem;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

HttpResponse json_ok(std::string body) {
  return HttpResponse{200, std::move(body), {}, false, false};
}

}  // namespace

LoopbackHttps::LoopbackHttps(const std::filesystem::path& cert, const std::filesystem::path& key,
                             const std::filesystem::path& client_ca, bool require_client_cert,
                             Handler handler)
    : handler_(std::move(handler)) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (SSL_CTX_use_certificate_file(ctx, cert.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_load_verify_locations(ctx, client_ca.c_str(), nullptr) != 1) {
    SSL_CTX_free(ctx);
    throw std::runtime_error("LoopbackHttps: cannot load the server's certificate");
  }
  SSL_CTX_set_verify(
      ctx,
      require_client_cert ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT : SSL_VERIFY_PEER,
      nullptr);
  ctx_ = ctx;
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
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

LoopbackHttps::~LoopbackHttps() {
  stopping_ = true;
  ::shutdown(listener_, SHUT_RDWR);
  if (thread_.joinable()) thread_.join();
  ::close(listener_);
  SSL_CTX_free(static_cast<SSL_CTX*>(ctx_));
}

void LoopbackHttps::serve() {
  while (!stopping_) {
    pollfd p{listener_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    SSL* ssl = SSL_new(static_cast<SSL_CTX*>(ctx_));
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) > 0) {
      answer(ssl);
      SSL_shutdown(ssl);
    }
    ERR_clear_error();
    SSL_free(ssl);
    ::close(fd);
  }
}

void LoopbackHttps::answer(void* raw) {
  auto* ssl = static_cast<SSL*>(raw);
  HttpRequest request;
  request.client_cert_pem = peer_certificate_pem(ssl);
  std::string data;
  char buf[4096];
  std::size_t header_end = std::string::npos;
  std::size_t content_length = 0;
  for (;;) {
    int n = SSL_read(ssl, buf, sizeof buf);
    if (n <= 0) return;
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
        for (char c : head) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (auto at = lower.find("\r\ncontent-length:"); at != std::string::npos) {
          content_length = std::strtoul(head.c_str() + at + 17, nullptr, 10);
        }
      }
    }
    if (header_end != std::string::npos && data.size() >= header_end + 4 + content_length) break;
  }
  request.body = data.substr(header_end + 4, content_length);
  HttpResponse response = handler_(request);
  if (response.hang) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!stopping_ && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return;
  }
  std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " + reason(response.status) +
                    "\r\nContent-Type: application/json\r\n";
  for (const auto& h : response.headers) out += h + "\r\n";
  out +=
      "Content-Length: " + std::to_string(response.body.size()) + "\r\nConnection: close\r\n\r\n";
  out += response.cut_short ? response.body.substr(0, response.body.size() / 2) : response.body;
  SSL_write(ssl, out.data(), static_cast<int>(out.size()));
}

FakeController::FakeController(const std::filesystem::path& dir) : dir_(dir) {
  if (auto made = provisioning::init_dev_pki(dir); !made) {
    throw std::runtime_error("FakeController: " + made.error().describe());
  }
  auto ca = provisioning::load_dev_ca(dir);
  if (!ca) throw std::runtime_error("FakeController: " + ca.error().describe());
  ca_ = *ca;
  provisioning::DevPkiPaths paths{dir};
  public_ = std::make_unique<LoopbackHttps>(
      paths.controller_cert(), paths.controller_key(), paths.ca_cert(), false,
      [this](const HttpRequest& r) { return handle_public(r); });
  device_ = std::make_unique<LoopbackHttps>(
      paths.controller_cert(), paths.controller_key(), paths.ca_cert(), true,
      [this](const HttpRequest& r) { return handle_device(r); });
}

FakeController::~FakeController() {
  public_.reset();
  device_.reset();
}

void FakeController::add_token(const std::string& token, TokenGrant grant) {
  std::lock_guard lock(mutex_);
  tokens_[token] = TokenState{std::move(grant), {}, {}};
}

std::string FakeController::token_key(const std::string& token) {
  std::lock_guard lock(mutex_);
  auto it = tokens_.find(token);
  return it == tokens_.end() ? std::string{} : it->second.key_der;
}

void FakeController::revoke(const std::string& device_id) {
  std::lock_guard lock(mutex_);
  for (const auto& serial : serials_[device_id]) revoked_serials_.insert(serial);
}

void FakeController::override_answer(std::string target_prefix, Override handler) {
  std::lock_guard lock(mutex_);
  overrides_.emplace_back(std::move(target_prefix), std::move(handler));
}

void FakeController::clear_overrides() {
  std::lock_guard lock(mutex_);
  overrides_.clear();
}

std::vector<std::string> FakeController::renew_csrs() {
  std::lock_guard lock(mutex_);
  return renew_csrs_;
}

wire::ProvisionedConfig FakeController::config_for(const std::string& device_id,
                                                   const std::string& site) const {
  wire::ProvisionedConfig c;
  c.device_id = device_id;
  c.site = site;
  c.cabinet = "kerong-12";
  c.controller_url = device_url();
  c.institution = "Primăria Cluj-Napoca";
  c.languages = {"ro", "hu", "en"};
  c.default_language = "ro";
  c.document_kinds = {"request", "complaint"};
  return c;
}

std::string FakeController::sign(const provisioning::CaCredentials& ca, const std::string& csr_pem,
                                 const std::string& cn, std::chrono::seconds validity) {
  provisioning::CertProfile profile;
  profile.role = provisioning::CertRole::client;
  profile.common_name = cn;
  auto now = std::chrono::system_clock::now();
  profile.not_before = std::chrono::floor<std::chrono::seconds>(now);
  profile.not_after = profile.not_before + validity;
  auto pem = provisioning::sign_csr(ca, csr_pem, profile);
  if (!pem) throw std::runtime_error("FakeController::sign: " + pem.error().describe());
  return *pem;
}

wire::CertificateIssued FakeController::issued(const std::string& cert_pem,
                                               const std::string& chain_pem) {
  auto facts = provisioning::read_certificate_facts(cert_pem);
  if (!facts) throw std::runtime_error("FakeController::issued: " + facts.error().describe());
  return wire::CertificateIssued{cert_pem, chain_pem, facts->serial_hex, facts->not_before_ms,
                                 facts->not_after_ms};
}

HttpResponse FakeController::refusal(int status, const std::string& word,
                                     const std::string& message) {
  return HttpResponse{status, wire::to_json(wire::ErrorBody{word, message}), {}, false, false};
}

std::optional<HttpResponse> FakeController::overridden(const HttpRequest& request) {
  std::vector<Override> matching;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [prefix, handler] : overrides_) {
      if (request.target.starts_with(prefix)) matching.push_back(handler);
    }
  }
  for (const auto& handler : matching) {
    if (auto answer = handler(request)) return answer;
  }
  return std::nullopt;
}

HttpResponse FakeController::handle_public(const HttpRequest& request) {
  if (auto answer = overridden(request)) return *answer;
  if (request.target == "/healthz") return json_ok(R"({"status":"ok"})");
  if (request.target == "/v1/enrol" && request.method == "POST") return enrol(request);
  return refusal(404, "not_found", "no such route");
}

HttpResponse FakeController::handle_device(const HttpRequest& request) {
  if (request.target == "/healthz") ++probe_calls_;
  if (auto answer = overridden(request)) return *answer;
  if (is_revoked(request.client_cert_pem)) {
    return refusal(403, "revoked", "this box's certificate was revoked");
  }
  if (request.target == "/healthz") return json_ok(R"({"status":"ok"})");
  if (request.target == "/v1/device/renew" && request.method == "POST") return renew(request);
  return refusal(404, "not_found", "no such route");
}

bool FakeController::is_revoked(const std::string& client_cert_pem) {
  auto facts = provisioning::read_certificate_facts(client_cert_pem);
  if (!facts) return true;
  std::lock_guard lock(mutex_);
  return revoked_serials_.count(facts->serial_hex) != 0;
}

HttpResponse FakeController::enrol(const HttpRequest& request) {
  ++enrol_calls_;
  auto parsed = wire::parse_enrol_request(request.body);
  if (!parsed) return refusal(400, "bad_request", parsed.error().message);
  auto key = provisioning::csr_public_key(parsed->csr_pem);
  auto asked = provisioning::csr_requested_name(parsed->csr_pem);
  if (!key || !asked) return refusal(400, "bad_csr", "the CSR cannot be read");

  std::lock_guard lock(mutex_);
  auto it = tokens_.find(parsed->token);
  if (it == tokens_.end()) return refusal(403, "token_unknown", "no such enrolment token");
  TokenState& state = it->second;
  if (!state.key_der.empty()) {
    if (state.key_der == *key) return json_ok(state.answer);  // a replay: the same answer
    return refusal(403, "token_used", "this token was used by another box");
  }
  if (state.grant.expires_ms != 0 && state.grant.expires_ms <= now_ms()) {
    return refusal(403, "token_expired", "this token expired");
  }
  if (parsed->site && *parsed->site != state.grant.site) {
    return refusal(403, "wrong_site", "this token is for " + state.grant.site);
  }
  if (!asked->empty() && *asked != state.grant.device_id) {
    return refusal(400, "subject_mismatch", "this token is for " + state.grant.device_id);
  }
  std::string cert = sign(ca_, parsed->csr_pem, state.grant.device_id, validity_);
  wire::EnrolResponse response{issued(cert, ca_.cert_pem),
                               config_for(state.grant.device_id, state.grant.site)};
  state.key_der = *key;
  state.answer = wire::to_json(response);
  serials_[state.grant.device_id].push_back(response.certificate.serial_hex);
  return json_ok(state.answer);
}

HttpResponse FakeController::renew(const HttpRequest& request) {
  ++renew_calls_;
  auto parsed = wire::parse_renew_request(request.body);
  if (!parsed) return refusal(400, "bad_request", parsed.error().message);
  auto client = provisioning::read_certificate_facts(request.client_cert_pem);
  auto client_key = provisioning::certificate_public_key(request.client_cert_pem);
  auto key = provisioning::csr_public_key(parsed->csr_pem);
  auto asked = provisioning::csr_requested_name(parsed->csr_pem);
  if (!client || !client_key) return refusal(401, "unauthenticated", "no client certificate");
  if (!key || !asked) return refusal(400, "bad_csr", "the CSR cannot be read");
  if (*key == *client_key) return refusal(400, "same_key", "a renewal needs a new key");
  if (*asked != client->common_name) {
    return refusal(400, "subject_mismatch", "the CSR must name " + client->common_name);
  }
  {
    std::lock_guard lock(mutex_);
    renew_csrs_.push_back(parsed->csr_pem);
  }
  std::string cert = sign(ca_, parsed->csr_pem, client->common_name, validity_);
  auto answer = issued(cert, ca_.cert_pem);
  std::lock_guard lock(mutex_);
  serials_[client->common_name].push_back(answer.serial_hex);
  return json_ok(wire::to_json(answer));
}

}  // namespace civicbox::testing
