// One TLS connection kept open across requests (HTTP/1.1 keep-alive), for tests that must see
// the server close it: Boost.Asio + Beast, blocking calls bounded by a deadline.
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "tests/support/https_client.hpp"

namespace civicbox::testing {

class KeepAliveClient {
 public:
  KeepAliveClient(std::uint16_t port, const TlsFiles& tls)
      : ctx_(boost::asio::ssl::context::tls_client), stream_(io_, make_context(tls)) {
    stream_.next_layer().connect({boost::asio::ip::make_address("127.0.0.1"), port});
    stream_.handshake(boost::asio::ssl::stream_base::client);
  }

  // One request on the open connection; nullopt when the connection is gone.
  std::optional<boost::beast::http::response<boost::beast::http::string_body>> request(
      boost::beast::http::verb method, const std::string& target, const std::string& body = "") {
    namespace http = boost::beast::http;
    http::request<http::string_body> req(method, target, 11);
    req.set(http::field::host, "127.0.0.1");
    req.keep_alive(true);
    if (!body.empty()) {
      req.set(http::field::content_type, "application/json");
      req.body() = body;
    }
    req.prepare_payload();
    boost::beast::error_code ec;
    http::write(stream_, req, ec);
    if (ec) return std::nullopt;
    http::response<http::string_body> res;
    http::read(stream_, buffer_, res, ec);
    if (ec) return std::nullopt;
    return res;
  }

  // Waits for the server to close the connection (a read ends); false at the deadline.
  bool closed_within(std::chrono::milliseconds deadline) {
    bool ended = false;
    char byte = 0;
    stream_.async_read_some(boost::asio::buffer(&byte, 1),
                            [&](boost::beast::error_code ec, std::size_t) { ended = ec.failed(); });
    io_.restart();
    io_.run_for(deadline);
    if (!io_.stopped()) {
      stream_.next_layer().cancel();
      io_.restart();
      io_.run();
      return false;
    }
    return ended;
  }

 private:
  boost::asio::ssl::context& make_context(const TlsFiles& tls) {
    ctx_.load_verify_file(tls.ca.string());
    ctx_.set_verify_mode(boost::asio::ssl::verify_peer);
    if (!tls.cert.empty()) {
      ctx_.use_certificate_chain_file(tls.cert.string());
      ctx_.use_private_key_file(tls.key.string(), boost::asio::ssl::context::pem);
    }
    return ctx_;
  }

  boost::asio::io_context io_;
  boost::asio::ssl::context ctx_;
  boost::asio::ssl::stream<boost::asio::ip::tcp::socket> stream_;
  boost::beast::flat_buffer buffer_;
};

}  // namespace civicbox::testing
