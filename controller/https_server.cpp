#include "controller/https_server.hpp"

#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "common/wire.hpp"
#include "controller/certificate_facts.hpp"

namespace civicbox::controller {

namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

constexpr auto kHandshakeTimeout = 10s;
constexpr std::uint32_t kHeaderLimit = 16 * 1024;
constexpr int kMaxRequestsPerConnection = 1000;
constexpr auto kAcceptRetryDelay = 100ms;
// How often the revocation version in storage is looked at: a box revoked from the command line
// (another process) or by another instance loses its open connections within about this long.
constexpr auto kRevocationPoll = 1s;
// An enrolment request is a token and a CSR: far below the general body limit, which a stranger
// on the public listener should not get to fill.
constexpr std::uint64_t kMaxEnrolBodyBytes = 64 * 1024;

struct Counters {
  std::atomic<std::uint64_t> refused_connections{0};
  std::atomic<std::uint64_t> handshakes{0};
  std::atomic<std::uint64_t> handshake_failures{0};
  std::atomic<std::uint64_t> requests{0};
};

std::string openssl_error() {
  unsigned long code = ERR_get_error();
  if (code == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

// TLS 1.2 and 1.3 only, our certificate and key; on the device listener also the fleet CA and a
// required client certificate.
Expected<std::unique_ptr<ssl::context>> make_tls_context(const Config& config, bool mutual) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                   ssl::context::single_dh_use);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  // Forward-secret AEAD suites only for TLS 1.2 (1.3's defaults are all good).
  SSL_CTX_set_cipher_list(native,
                          "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
                          "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:"
                          "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305");
  if (SSL_CTX_use_certificate_chain_file(native, config.tls_cert.c_str()) != 1) {
    return make_error(ErrorCode::crypto, "loading the server certificate " +
                                             config.tls_cert.string() + ": " + openssl_error());
  }
  if (SSL_CTX_use_PrivateKey_file(native, config.tls_key.c_str(), SSL_FILETYPE_PEM) != 1) {
    return make_error(ErrorCode::crypto,
                      "loading the server key " + config.tls_key.string() + ": " + openssl_error());
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    return make_error(ErrorCode::crypto, "the server key " + config.tls_key.string() +
                                             " does not belong to " + config.tls_cert.string());
  }
  if (mutual) {
    if (SSL_CTX_load_verify_locations(native, config.fleet_ca.c_str(), nullptr) != 1) {
      return make_error(ErrorCode::crypto, "loading the fleet CA " + config.fleet_ca.string() +
                                               ": " + openssl_error());
    }
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(config.fleet_ca.c_str())) {
      SSL_CTX_set_client_CA_list(native, names);
    }
    SSL_CTX_set_verify(native, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    SSL_CTX_set_verify_depth(native, 4);
    static const unsigned char kSessionContext[] = "civicbox-device";
    SSL_CTX_set_session_id_context(native, kSessionContext, sizeof kSessionContext - 1);
  }
  return ctx;
}

// The device id is the common name of the verified client certificate; with it come the facts
// revocation is decided on (serial, validity, key).
std::optional<DeviceIdentity> identity_of(SSL* ssl) {
  if (SSL_get_verify_result(ssl) != X509_V_OK) return std::nullopt;
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (cert == nullptr) return std::nullopt;
  auto facts = read_certificate(cert);
  X509_free(cert);
  if (!facts) return std::nullopt;
  auto id = DeviceId::parse(facts->common_name);
  if (!id) return std::nullopt;
  return DeviceIdentity{*id, std::move(*facts)};
}

class Session;

// The device sessions open now, by (device id, certificate serial), so the connections of a
// box revoked elsewhere can be found and closed. Shared with the sessions, which may outlive
// the server (see Session::live_).
class SessionRegistry {
 public:
  void add(const Session* key, std::weak_ptr<Session> session, const DeviceIdentity& identity) {
    std::lock_guard lock(mutex_);
    auto& box = boxes_
                    .try_emplace({identity.device.str(), identity.certificate.serial_hex},
                                 LiveBox{identity, {}})
                    .first->second;
    box.sessions[key] = std::move(session);
  }

  void remove(const Session* key, const DeviceIdentity& identity) {
    std::lock_guard lock(mutex_);
    auto it = boxes_.find({identity.device.str(), identity.certificate.serial_hex});
    if (it == boxes_.end()) return;
    it->second.sessions.erase(key);
    if (it->second.sessions.empty()) boxes_.erase(it);
  }

  struct Entry {
    DeviceIdentity identity;
    std::vector<std::weak_ptr<Session>> sessions;
  };
  // A copy: deciding and closing happen outside the lock (a session's destructor takes it).
  std::vector<Entry> snapshot() const {
    std::lock_guard lock(mutex_);
    std::vector<Entry> out;
    out.reserve(boxes_.size());
    for (const auto& [key, box] : boxes_) {
      Entry entry{box.identity, {}};
      for (const auto& [session_key, session] : box.sessions) entry.sessions.push_back(session);
      out.push_back(std::move(entry));
    }
    return out;
  }

 private:
  struct LiveBox {
    DeviceIdentity identity;
    std::map<const Session*, std::weak_ptr<Session>> sessions;
  };
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, LiveBox> boxes_;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, ssl::context& ctx, Service& service, const Config& config,
          Counters& counters, std::shared_ptr<std::atomic<int>> live,
          std::shared_ptr<SessionRegistry> registry, bool device)
      : stream_(std::move(socket), ctx),
        service_(service),
        config_(config),
        counters_(counters),
        live_(std::move(live)),
        registry_(std::move(registry)),
        device_listener_(device) {
    ++*live_;
    beast::error_code ec;
    auto ep = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
    if (!ec) {
      peer_address_ = ep.address().to_string();
      peer_ = peer_address_ + ":" + std::to_string(ep.port());
    }
  }
  ~Session() {
    if (identity_) registry_->remove(this, *identity_);
    --*live_;
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void run() {
    beast::get_lowest_layer(stream_).expires_after(kHandshakeTimeout);
    stream_.async_handshake(
        ssl::stream_base::server,
        [self = shared_from_this()](beast::error_code ec) { self->on_handshake(ec); });
  }

  // The box's certificate was revoked: close at once, whatever is under way. Runs on the
  // session's strand (posted by the server's revocation sweep).
  void close_revoked(const std::string& reason) {
    spdlog::warn("closing the connection of box {} from {}: certificate {} revoked: {}",
                 identity_ ? identity_->device.str() : "?", peer(),
                 identity_ ? identity_->certificate.serial_hex : "?", reason);
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(stream_).close();
  }
  [[nodiscard]] net::any_io_executor executor() { return stream_.get_executor(); }

 private:
  void on_handshake(beast::error_code ec) {
    if (ec) {
      counters_.handshake_failures++;
      spdlog::debug("TLS handshake refused from {}: {}", peer(), ec.message());
      return;  // the socket closes with the session
    }
    counters_.handshakes++;
    if (device_listener_) {
      identity_ = identity_of(stream_.native_handle());
      if (!identity_) {
        spdlog::warn("device certificate from {} names no valid device id", peer());
        respond_error(403, "forbidden", "the client certificate names no valid device", false);
        return;
      }
      registry_->add(this, weak_from_this(), *identity_);
    }
    read();
  }

  static bool is_disconnect(beast::error_code ec) {
    return ec == http::error::end_of_stream || ec == net::error::eof ||
           ec == ssl::error::stream_truncated || ec == beast::error::timeout ||
           ec == net::error::operation_aborted || ec == net::error::connection_reset;
  }

  // The header first: a back-office request without its token, or a body where none belongs,
  // is answered before a single byte of the body is read, so a stranger cannot make the
  // controller buffer megabytes.
  void read() {
    parser_.emplace();
    parser_->body_limit(config_.max_body_bytes);
    parser_->header_limit(kHeaderLimit);
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(config_.idle_timeout_s));
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    if (is_disconnect(ec)) return close();
    if (ec == http::error::body_limit) return body_too_large();  // by its Content-Length
    if (ec) {
      return respond_error(400, "bad_request", "the request is not valid HTTP: " + ec.message(),
                           false);
    }
    const auto& msg = parser_->get();
    const std::string_view target(msg.target().data(), msg.target().size());
    if (!device_listener_ && (target == "/v1/enrol" || target.starts_with("/v1/enrol?"))) {
      if (parser_->content_length().value_or(0) > kMaxEnrolBodyBytes) return body_too_large();
      parser_->body_limit(kMaxEnrolBodyBytes);  // a chunked body stops at the same limit
    }
    if (!device_listener_ &&
        std::string_view(msg.target().data(), msg.target().size()).starts_with("/v1/backoffice/") &&
        !service_.backoffice_authorized(std::string(msg[http::field::authorization]))) {
      counters_.requests++;
      return respond_error(401, "unauthenticated", "a valid back-office bearer token is required",
                           false);
    }
    if (msg.method() != http::verb::post &&
        (parser_->chunked() || parser_->content_length().value_or(0) > 0)) {
      return body_too_large();  // no other route takes a body
    }
    if (msg.method() == http::verb::post &&
        beast::iequals(msg[http::field::expect], "100-continue")) {
      auto go_on = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      http::async_write(stream_, *go_on,
                        [self = shared_from_this(), go_on](beast::error_code wec, std::size_t) {
                          if (wec) return self->close();
                          self->read_body();
                        });
      return;
    }
    read_body();
  }

  void read_body() {
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (is_disconnect(ec)) return close();
    if (ec == http::error::body_limit) return body_too_large();
    if (ec) {
      return respond_error(400, "bad_request", "the request is not valid HTTP: " + ec.message(),
                           false);
    }
    counters_.requests++;
    const auto& msg = parser_->get();
    Request request;
    request.method = std::string(msg.method_string());
    request.target = std::string(msg.target());
    request.content_type = std::string(msg[http::field::content_type]);
    request.authorization = std::string(msg[http::field::authorization]);
    request.accept_language = std::string(msg[http::field::accept_language]);
    request.body = msg.body();
    request.peer_address = peer_address_;
    Response response;
    try {
      response = device_listener_ ? service_.handle_device(*identity_, request)
                                  : service_.handle_public(request);
    } catch (const std::exception& e) {
      spdlog::error("handler failed on {} {}: {}", request.method, request.target, e.what());
      response = {500, wire::to_json(wire::ErrorBody{"internal", "the controller failed"}), {}};
    }
    spdlog::debug("{} {} {} -> {}", identity_ ? identity_->device.str() : peer(), request.method,
                  request.target, response.status);
    const bool keep_alive =
        msg.keep_alive() && !response.close_connection && ++served_ < kMaxRequestsPerConnection;
    write(std::move(response), keep_alive, msg.version());
  }

  void body_too_large() {
    respond_error(413, "too_large",
                  "the body is over the limit of " + std::to_string(config_.max_body_bytes) +
                      " bytes (or this route takes no body)",
                  false);
  }

  void respond_error(int status, std::string word, std::string message, bool keep_alive) {
    write({status, wire::to_json(wire::ErrorBody{std::move(word), std::move(message)}), {}},
          keep_alive, 11);
  }

  void write(Response response, bool keep_alive, unsigned version) {
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(response.status), version);
    res->set(http::field::server, "civicbox-controller");
    res->set(http::field::content_type, response.content_type);
    res->set(http::field::cache_control, "no-store");
    if (!response.allow.empty()) res->set(http::field::allow, response.allow);
    for (const auto& [name, value] : response.headers) res->set(name, value);
    if (response.status == 401) res->set(http::field::www_authenticate, "Bearer");
    if (response.retry_after_s > 0) {
      res->set(http::field::retry_after, std::to_string(response.retry_after_s));
    }
    res->keep_alive(keep_alive);
    res->body() = std::move(response.body);
    res->prepare_payload();
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(config_.idle_timeout_s));
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
                        if (ec) return self->close();
                        if (!res->keep_alive()) return self->close();
                        self->read();
                      });
  }

  void close() {
    beast::get_lowest_layer(stream_).expires_after(2s);
    stream_.async_shutdown([self = shared_from_this()](beast::error_code) {
      beast::error_code ignored;
      beast::get_lowest_layer(self->stream_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    });
  }

  const std::string& peer() const { return peer_; }

  beast::ssl_stream<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Service& service_;
  const Config& config_;
  Counters& counters_;
  // Sessions open on this listener; shared, because a session may outlive its listener when the
  // server stops and the I/O context destroys what is still pending.
  std::shared_ptr<std::atomic<int>> live_;
  std::shared_ptr<SessionRegistry> registry_;
  bool device_listener_;
  std::optional<DeviceIdentity> identity_;
  std::string peer_address_;           // the IP address alone, for throttling
  std::string peer_ = "unknown peer";  // address:port, for the log
  int served_ = 0;
};

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(net::io_context& io, ssl::context& ctx, Service& service, const Config& config,
           Counters& counters, std::shared_ptr<SessionRegistry> registry, bool device)
      : io_(io),
        acceptor_(net::make_strand(io)),
        retry_(acceptor_.get_executor()),
        ctx_(ctx),
        service_(service),
        config_(config),
        counters_(counters),
        registry_(std::move(registry)),
        device_(device) {}

  Expected<Endpoint> bind(const Endpoint& where) {
    beast::error_code ec;
    auto address = net::ip::make_address(where.host, ec);
    if (ec) return make_error(ErrorCode::invalid_argument, "not an IP address: " + where.host);
    tcp::endpoint endpoint(address, where.port);
    const std::string name = where.host + ":" + std::to_string(where.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) return make_error(ErrorCode::io, "cannot listen on " + name + ": " + ec.message());
    auto local = acceptor_.local_endpoint(ec);
    return Endpoint{where.host, local.port()};
  }

  void accept() {
    acceptor_.async_accept(net::make_strand(io_),
                           [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
                             self->on_accept(ec, std::move(socket));
                           });
  }

  // Stops accepting; returns once the acceptor is closed (it lives on its own strand).
  void close() {
    std::promise<void> closed;
    net::dispatch(acceptor_.get_executor(), [this, &closed] {
      beast::error_code ignored;
      acceptor_.close(ignored);
      retry_.cancel();
      closed.set_value();
    });
    closed.get_future().wait();
  }

 private:
  void on_accept(beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      // Out of file handles, say: wait a little instead of spinning on the same error.
      if (++accept_errors_ % 100 == 1) {
        spdlog::warn("accepting connections failed ({} times): {}", accept_errors_, ec.message());
      }
      retry_.expires_after(kAcceptRetryDelay);
      retry_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
        if (!wait_ec) self->accept();
      });
      return;
    }
    if (live_->load() >= config_.max_connections) {
      // Full: close at once, so the connections already open keep being served.
      if (++counters_.refused_connections % 100 == 1) {
        spdlog::warn("{} connections open on the {} listener, the limit: refusing new ones",
                     config_.max_connections, device_ ? "device" : "public");
      }
      beast::error_code ignored;
      socket.close(ignored);
    } else {
      std::make_shared<Session>(std::move(socket), ctx_, service_, config_, counters_, live_,
                                registry_, device_)
          ->run();
    }
    accept();
  }

 private:
  net::io_context& io_;
  tcp::acceptor acceptor_;
  net::steady_timer retry_;
  std::uint64_t accept_errors_ = 0;
  // Each listener has its own limit, so strangers filling the public one never lock boxes out.
  std::shared_ptr<std::atomic<int>> live_ = std::make_shared<std::atomic<int>>(0);
  ssl::context& ctx_;
  Service& service_;
  const Config& config_;
  Counters& counters_;
  std::shared_ptr<SessionRegistry> registry_;
  bool device_;
};

class BeastServer final : public HttpsServer {
 public:
  BeastServer(const Config& config, Service& service)
      : config_(config),
        service_(service),
        io_(config.threads),
        revocation_timer_(net::make_strand(io_)) {}

  ~BeastServer() override { stop(); }

  Expected<void> start(const std::function<void(const Endpoint&, const Endpoint&)>& on_bound) {
    CIVICBOX_TRY(device_ctx_, make_tls_context(config_, true));
    CIVICBOX_TRY(public_ctx_, make_tls_context(config_, false));
    device_listener_ = std::make_shared<Listener>(io_, *device_ctx_, service_, config_, counters_,
                                                  registry_, true);
    public_listener_ = std::make_shared<Listener>(io_, *public_ctx_, service_, config_, counters_,
                                                  registry_, false);
    CIVICBOX_TRY(device_endpoint_, device_listener_->bind(config_.device_listen));
    CIVICBOX_TRY(public_endpoint_, public_listener_->bind(config_.public_listen));
    if (auto loaded = service_.identity().refresh_revocations(); !loaded) {
      return loaded.error().context("reading the revocations");
    }
    swept_version_ = service_.identity().revocations_version();
    // Before anything is accepted or any I/O thread runs: the caller may still change the
    // configuration (the URL boxes are told, when the port was picked here).
    if (on_bound) on_bound(device_endpoint_, public_endpoint_);
    device_listener_->accept();
    public_listener_->accept();
    poll_revocations();
    for (int i = 0; i < std::max(1, config_.threads); ++i) {
      threads_.emplace_back([this] {
        for (;;) {
          try {
            io_.run();
            return;
          } catch (const std::exception& e) {
            spdlog::error("I/O thread caught: {}", e.what());
          }
        }
      });
    }
    return {};
  }

  Endpoint device_endpoint() const override { return device_endpoint_; }
  Endpoint public_endpoint() const override { return public_endpoint_; }

  ServerStats stats() const override {
    return {counters_.handshakes.load(), counters_.handshake_failures.load(),
            counters_.requests.load()};
  }

  void stop() override {
    std::lock_guard lock(stop_mutex_);
    if (threads_.empty()) return;
    if (device_listener_) device_listener_->close();
    if (public_listener_) public_listener_->close();
    std::promise<void> cancelled;
    net::dispatch(revocation_timer_.get_executor(), [this, &cancelled] {
      stopping_ = true;
      revocation_timer_.cancel();
      cancelled.set_value();
    });
    cancelled.get_future().wait();
    io_.stop();
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

 private:
  // Every kRevocationPoll: reload the revocations if storage's version moved (another process
  // or instance revoked or enrolled a box), and close the sessions of certificates now refused.
  void poll_revocations() {
    revocation_timer_.expires_after(kRevocationPoll);
    revocation_timer_.async_wait([this](beast::error_code ec) {
      if (ec || stopping_) return;
      FleetIdentity& identity = service_.identity();
      if (auto refreshed = identity.refresh_revocations(); !refreshed) {
        spdlog::error("reading the revocations: {}", refreshed.error().describe());
      }
      const std::int64_t version = identity.revocations_version();
      if (version != swept_version_) {
        swept_version_ = version;
        sweep(identity);
      }
      poll_revocations();
    });
  }

  void sweep(FleetIdentity& identity) {
    for (const auto& entry : registry_->snapshot()) {
      auto reason = identity.refusal_in_memory(entry.identity);
      if (!reason) continue;
      for (const auto& weak : entry.sessions) {
        if (auto session = weak.lock()) {
          net::post(session->executor(), [session, why = *reason] { session->close_revoked(why); });
        }
      }
    }
  }

  const Config& config_;
  Service& service_;
  net::io_context io_;
  std::shared_ptr<SessionRegistry> registry_ = std::make_shared<SessionRegistry>();
  net::steady_timer revocation_timer_;  // on its own strand
  std::int64_t swept_version_ = -1;
  bool stopping_ = false;
  std::unique_ptr<ssl::context> device_ctx_;
  std::unique_ptr<ssl::context> public_ctx_;
  std::shared_ptr<Listener> device_listener_;
  std::shared_ptr<Listener> public_listener_;
  Endpoint device_endpoint_;
  Endpoint public_endpoint_;
  Counters counters_;
  std::vector<std::thread> threads_;
  std::mutex stop_mutex_;
};

}  // namespace

Expected<std::unique_ptr<HttpsServer>> HttpsServer::start(
    const Config& config, Service& service,
    const std::function<void(const Endpoint&, const Endpoint&)>& on_bound) {
  auto server = std::make_unique<BeastServer>(config, service);
  CIVICBOX_CHECK(server->start(on_bound));
  return std::unique_ptr<HttpsServer>(std::move(server));
}

}  // namespace civicbox::controller
