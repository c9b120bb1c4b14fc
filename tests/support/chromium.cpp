#include "tests/support/chromium.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

namespace civicbox::testing {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

struct Chromium::Connection {
  net::io_context io;
  websocket::stream<tcp::socket> ws{io};
  beast::flat_buffer buffer;

  // Runs one asynchronous operation until it completes or `deadline`; on the deadline the
  // socket is closed (the connection is then unusable) and timed_out returned.
  template <class Start>
  beast::error_code run(Clock::time_point deadline, Start start) {
    bool done = false;
    beast::error_code result;
    start([&](beast::error_code ec, auto&&...) {
      result = ec;
      done = true;
    });
    io.restart();
    io.run_until(deadline);
    if (done) return result;
    beast::error_code ignored;
    beast::get_lowest_layer(ws).close(ignored);
    io.restart();
    io.run();
    return net::error::timed_out;
  }
};

namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string base64(const unsigned char* data, std::size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string unbase64(const std::string& text) {
  std::string out(3 * (text.size() / 4) + 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) throw std::runtime_error("Chromium: a screenshot that is not base64");
  std::size_t size = static_cast<std::size_t>(n);
  // EVP_DecodeBlock counts the padding as zero bytes.
  for (auto it = text.rbegin(); it != text.rend() && *it == '=' && size > 0; ++it) --size;
  out.resize(size);
  return out;
}

// The pids whose command line holds `needle` (our own profile folder: only our processes).
std::vector<pid_t> pids_with_argument(const std::string& needle) {
  std::vector<pid_t> out;
  DIR* proc = ::opendir("/proc");
  if (!proc) return out;
  while (dirent* entry = ::readdir(proc)) {
    char* end = nullptr;
    const long pid = std::strtol(entry->d_name, &end, 10);
    if (pid <= 0 || *end != '\0') continue;
    std::string cmdline = read_file(std::filesystem::path("/proc") / entry->d_name / "cmdline");
    if (cmdline.find(needle) != std::string::npos) out.push_back(static_cast<pid_t>(pid));
  }
  ::closedir(proc);
  return out;
}

}  // namespace

bool Chromium::available(const ChromiumOptions& options) {
  return ::access(options.executable.c_str(), X_OK) == 0;
}

Chromium::Chromium(ChromiumOptions options) : options_(std::move(options)) {
  ::signal(SIGPIPE, SIG_IGN);
  std::string pattern =
      (std::filesystem::temp_directory_path() / "civicbox-chromium-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) {
    throw std::runtime_error(std::string("Chromium: mkdtemp: ") + std::strerror(errno));
  }
  profile_ = pattern;
  const std::filesystem::path data = profile_ / "profile";
  const std::filesystem::path log_file = profile_ / "chromium.log";
  std::filesystem::create_directories(data);

  std::vector<std::string> args = {
      options_.executable.string(),
      "--headless=new",
      "--no-sandbox",  // the tests run as root
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--no-first-run",
      "--no-default-browser-check",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-default-apps",
      "--disable-extensions",
      "--disable-sync",
      "--mute-audio",
      "--hide-scrollbars",
      // Only loopback: every other name fails to resolve, so nothing leaves the machine.
      "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
      "--user-data-dir=" + data.string(),
      "--remote-debugging-address=127.0.0.1",
      "--remote-debugging-port=0",
  };
  if (!options_.trusted_spki.empty()) {
    std::string list;
    for (const auto& spki : options_.trusted_spki) list += (list.empty() ? "" : ",") + spki;
    args.push_back("--ignore-certificate-errors-spki-list=" + list);
  }
  if (options_.ignore_certificate_errors) args.emplace_back("--ignore-certificate-errors");
  if (!options_.accept_language.empty()) {
    args.push_back("--accept-lang=" + options_.accept_language);
  }
  for (const auto& arg : options_.extra_args) args.push_back(arg);
  args.emplace_back("about:blank");

  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const int log_fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (log_fd < 0 || null_fd < 0) {
    throw std::runtime_error(std::string("Chromium: opening its log: ") + std::strerror(errno));
  }
  pid_ = ::fork();
  if (pid_ == 0) {
    // Its own process group: kill() ends the browser and every process it started.
    ::setpgid(0, 0);
    ::dup2(null_fd, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(log_fd);
  ::close(null_fd);
  if (pid_ < 0) {
    throw std::runtime_error(std::string("Chromium: fork: ") + std::strerror(errno));
  }
  ::setpgid(pid_, pid_);  // also here: no race with a kill() right after the fork

  try {
    // The browser writes its DevTools port and path once it listens.
    const auto deadline = Clock::now() + options_.start_timeout;
    std::string port;
    std::string path;
    for (;;) {
      std::istringstream lines(read_file(data / "DevToolsActivePort"));
      if (std::getline(lines, port) && std::getline(lines, path) && !path.empty()) break;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("Chromium: the browser ended at start:\n" + log());
      }
      if (Clock::now() > deadline) {
        throw std::runtime_error("Chromium: no DevToolsActivePort in time:\n" + log());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }

    connection_ = std::make_unique<Connection>();
    auto& ws = connection_->ws;
    const auto connect_deadline = Clock::now() + options_.command_timeout;
    tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"),
                           static_cast<unsigned short>(std::stoi(port)));
    auto ec = connection_->run(connect_deadline, [&](auto handler) {
      beast::get_lowest_layer(ws).async_connect(endpoint, std::move(handler));
    });
    if (ec) throw std::runtime_error("Chromium: connecting to DevTools: " + ec.message());
    ws.read_message_max(256 * 1024 * 1024);  // full-page screenshots are large
    const std::string host = "127.0.0.1:" + port;
    ec = connection_->run(connect_deadline, [&](auto handler) {
      ws.async_handshake(host, path, std::move(handler));
    });
    if (ec) throw std::runtime_error("Chromium: DevTools handshake: " + ec.message());
    ws.text(true);

    // One page of our own, driven through a flat session on the browser's connection.
    const Json target = send("Target.createTarget", {{"url", "about:blank"}}, "");
    const Json attached =
        send("Target.attachToTarget", {{"targetId", target.at("targetId")}, {"flatten", true}}, "");
    session_ = attached.at("sessionId").get<std::string>();
    command("Page.enable");
  } catch (...) {
    kill();
    throw;
  }
}

Chromium::~Chromium() {
  kill();
}

void Chromium::kill() {
  if (connection_) {
    beast::error_code ignored;
    beast::get_lowest_layer(connection_->ws).close(ignored);
    connection_.reset();
  }
  if (pid_ > 0) {
    ::kill(-pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  if (!profile_.empty()) {
    // A helper that left the group (a zygote may) still names our profile folder.
    for (pid_t pid : pids_with_argument("--user-data-dir=" + (profile_ / "profile").string())) {
      ::kill(pid, SIGKILL);
    }
    std::error_code ignored;
    std::filesystem::remove_all(profile_, ignored);
    profile_.clear();
  }
}

std::string Chromium::log() const {
  return read_file(profile_ / "chromium.log");
}

Json Chromium::read_message(Clock::time_point deadline) {
  auto& c = *connection_;
  c.buffer.clear();
  auto ec = c.run(deadline, [&](auto handler) { c.ws.async_read(c.buffer, std::move(handler)); });
  if (ec == net::error::timed_out) {
    throw std::runtime_error("Chromium: the browser did not answer in time");
  }
  if (ec) throw std::runtime_error("Chromium: reading from DevTools: " + ec.message());
  return Json::parse(beast::buffers_to_string(c.buffer.data()));
}

Json Chromium::send(const std::string& method, const Json& params, const std::string& session) {
  if (!connection_) throw std::runtime_error("Chromium: not connected");
  const int id = next_id_++;
  Json message = {
      {"id", id}, {"method", method}, {"params", params.is_null() ? Json::object() : params}};
  if (!session.empty()) message["sessionId"] = session;
  const std::string text = message.dump();
  beast::error_code ec;
  connection_->ws.write(net::buffer(text), ec);
  if (ec) throw std::runtime_error("Chromium: sending " + method + ": " + ec.message());
  const auto deadline = Clock::now() + options_.command_timeout;
  for (;;) {
    Json reply = read_message(deadline);
    if (reply.contains("id") && reply.at("id") == id) {
      if (reply.contains("error")) {
        throw std::runtime_error("Chromium: " + method + " failed: " + reply.at("error").dump());
      }
      return reply.value("result", Json::object());
    }
    if (reply.contains("method")) events_.push_back(std::move(reply));
  }
}

Json Chromium::command(const std::string& method, const Json& params) {
  return send(method, params, session_);
}

Json Chromium::wait_for_event(const std::string& method, std::chrono::milliseconds timeout) {
  auto matches = [&](const Json& event) {
    return event.value("method", "") == method && event.value("sessionId", "") == session_;
  };
  for (auto it = events_.begin(); it != events_.end(); ++it) {
    if (matches(*it)) {
      Json event = std::move(*it);
      events_.erase(it);
      return event;
    }
  }
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    Json message = read_message(deadline);
    if (matches(message)) return message;
    if (message.contains("method")) events_.push_back(std::move(message));
  }
}

void Chromium::set_viewport(const Viewport& v) {
  command("Emulation.setDeviceMetricsOverride", {{"width", v.width},
                                                 {"height", v.height},
                                                 {"deviceScaleFactor", v.device_scale_factor},
                                                 {"mobile", v.mobile}});
}

void Chromium::set_javascript_enabled(bool enabled) {
  command("Emulation.setScriptExecutionDisabled", {{"value", !enabled}});
}

void Chromium::navigate(const std::string& url) {
  events_.clear();
  const Json result = command("Page.navigate", {{"url", url}});
  if (result.contains("errorText") && !result.at("errorText").get<std::string>().empty()) {
    throw std::runtime_error("Chromium: opening " + url + ": " +
                             result.at("errorText").get<std::string>());
  }
  wait_for_event("Page.loadEventFired", options_.command_timeout);
}

void Chromium::click_and_wait_for_load(double x, double y) {
  events_.clear();
  for (const char* type : {"mousePressed", "mouseReleased"}) {
    command("Input.dispatchMouseEvent",
            {{"type", type}, {"x", x}, {"y", y}, {"button", "left"}, {"clickCount", 1}});
  }
  wait_for_event("Page.loadEventFired", options_.command_timeout);
}

Evaluation Chromium::evaluate(const std::string& expression) {
  const Json result =
      command("Runtime.evaluate",
              {{"expression", expression}, {"returnByValue", true}, {"awaitPromise", true}});
  Evaluation out;
  if (result.contains("exceptionDetails")) {
    const Json& details = result.at("exceptionDetails");
    out.exception = details.contains("exception")
                        ? details.at("exception").value("description", details.dump())
                        : details.dump();
    return out;
  }
  out.value = result.at("result").value("value", Json());
  return out;
}

Json Chromium::value_of(const std::string& expression) {
  Evaluation e = evaluate(expression);
  if (!e.exception.empty()) {
    throw std::runtime_error("Chromium: evaluating " + expression + ": " + e.exception);
  }
  return e.value;
}

void Chromium::screenshot(const std::filesystem::path& png, bool full_page) {
  Json params = {{"format", "png"}};
  if (full_page) {
    const Json metrics = command("Page.getLayoutMetrics");
    const Json& size = metrics.at("cssContentSize");
    params["captureBeyondViewport"] = true;
    params["clip"] = {{"x", 0},
                      {"y", 0},
                      {"width", size.at("width")},
                      {"height", size.at("height")},
                      {"scale", 1}};
  }
  const Json shot = command("Page.captureScreenshot", params);
  const std::string bytes = unbase64(shot.at("data").get<std::string>());
  std::filesystem::create_directories(png.parent_path());
  std::ofstream out(png, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("Chromium: writing " + png.string());
}

std::string spki_sha256_base64(const std::filesystem::path& certificate_pem) {
  const std::string pem = read_file(certificate_pem);
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = bio ? PEM_read_bio_X509(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  if (!cert) throw std::runtime_error("not a PEM certificate: " + certificate_pem.string());
  unsigned char* der = nullptr;
  const int size = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
  X509_free(cert);
  if (size <= 0) throw std::runtime_error("no public key in " + certificate_pem.string());
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(der, static_cast<std::size_t>(size), digest);
  OPENSSL_free(der);
  return base64(digest, sizeof digest);
}

}  // namespace civicbox::testing
