// A real browser for tests of the controller's web pages (the tracking page, the dashboard):
// Debian's chromium, headless, driven over the Chrome DevTools Protocol on a WebSocket.
//
// The browser gets a fresh profile in a temporary folder, may resolve and reach only 127.0.0.1
// (nothing leaves the machine), and trusts the controller's self-signed fleet certificate by its
// public key only (--ignore-certificate-errors-spki-list). It runs in its own process group,
// killed with everything it started when the object goes, also when a test fails half-way.
//
// Every call blocks until the browser answers or a timeout (generous: a browser starting on a
// busy machine takes seconds); a timeout or a protocol error throws std::runtime_error, which
// GoogleTest reports as the test's failure with the message. Not thread-safe: one test thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <deque>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace civicbox::testing {

struct ChromiumOptions {
  std::filesystem::path executable = "/usr/bin/chromium";
  // Base64 SHA-256 of the public keys (SubjectPublicKeyInfo) whose certificates are accepted
  // though no trusted CA signed them; see spki_sha256_base64().
  std::vector<std::string> trusted_spki{};
  // Accept any certificate (when the key is not at hand). Prefer trusted_spki.
  bool ignore_certificate_errors = false;
  // The phone's languages, sent as Accept-Language ("ro-RO,ro"); empty: the browser's own.
  std::string accept_language{};
  std::chrono::milliseconds start_timeout{60'000};
  std::chrono::milliseconds command_timeout{30'000};
  std::vector<std::string> extra_args{};
};

struct Viewport {
  int width = 390;  // CSS pixels; 390x844 is a common phone
  int height = 844;
  double device_scale_factor = 2;
  bool mobile = true;
};

// What Runtime.evaluate found: the value (returnByValue), or the exception's description.
struct Evaluation {
  nlohmann::json value{};
  std::string exception{};  // empty: no exception
};

class Chromium {
 public:
  // Whether the browser is installed (a test skips otherwise).
  static bool available(const ChromiumOptions& options = {});

  // Starts the browser and opens one page (tab) to drive. Throws when it cannot.
  explicit Chromium(ChromiumOptions options = {});
  ~Chromium();
  Chromium(const Chromium&) = delete;
  Chromium& operator=(const Chromium&) = delete;

  // Emulation.setDeviceMetricsOverride (and touch emulation when mobile).
  void set_viewport(const Viewport& viewport);
  // Emulation.setScriptExecutionDisabled: the page's own scripts stop running (evaluate() still
  // works: it is the test's, not the page's).
  void set_javascript_enabled(bool enabled);
  // Page.navigate, then waits for the load event. Throws on a network error (the errorText).
  void navigate(const std::string& url);
  // A mouse click (press and release) at CSS pixel (x, y) of the viewport, then waits for the
  // load event of the navigation it starts.
  void click_and_wait_for_load(double x, double y);
  // Runtime.evaluate with returnByValue; awaits a promise.
  Evaluation evaluate(const std::string& expression);
  // evaluate(), throwing on an exception.
  nlohmann::json value_of(const std::string& expression);
  // Page.captureScreenshot as PNG: the viewport, or the whole page when `full_page`.
  void screenshot(const std::filesystem::path& png, bool full_page = true);

  // The browser's own output so far (for a failure message).
  [[nodiscard]] std::string log() const;

  // Sends a DevTools command to the page's session and returns its result; throws on an error
  // answer. For what the methods above do not cover.
  nlohmann::json command(const std::string& method, const nlohmann::json& params = {});

 private:
  struct Connection;
  nlohmann::json wait_for_event(const std::string& method, std::chrono::milliseconds timeout);
  nlohmann::json read_message(std::chrono::steady_clock::time_point deadline);
  nlohmann::json send(const std::string& method, const nlohmann::json& params,
                      const std::string& session);
  void kill();

  ChromiumOptions options_;
  std::filesystem::path profile_;
  pid_t pid_ = -1;
  std::unique_ptr<Connection> connection_;
  std::string session_;
  int next_id_ = 1;
  std::deque<nlohmann::json> events_;
};

// Base64 of the SHA-256 of a PEM certificate's SubjectPublicKeyInfo, as chromium's
// --ignore-certificate-errors-spki-list wants it. Throws when the file is not a certificate.
std::string spki_sha256_base64(const std::filesystem::path& certificate_pem);

}  // namespace civicbox::testing
