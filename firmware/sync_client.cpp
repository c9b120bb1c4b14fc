#include "firmware/sync_client.hpp"

#include <algorithm>
#include <memory>
#include <mutex>

#include "common/curl_support.hpp"
#include "common/json_strict.hpp"

namespace civicbox::firmware {

bool is_retryable(const Error& error) {
  return error.code == ErrorCode::unavailable;
}

SyncClient::SyncClient(SyncClientOptions options) : options_(std::move(options)) {
  curl::global_init();
  while (!options_.url.empty() && options_.url.back() == '/') options_.url.pop_back();
}

void SyncClient::set_tls_files(std::filesystem::path ca, std::filesystem::path cert,
                               std::filesystem::path key) {
  std::lock_guard lock(tls_mutex_);
  options_.ca = std::move(ca);
  options_.cert = std::move(cert);
  options_.key = std::move(key);
}

SyncClient::TlsPaths SyncClient::tls_paths() const {
  std::lock_guard lock(tls_mutex_);
  return {options_.ca, options_.cert, options_.key};
}

Expected<SyncClient::Reply> SyncClient::call(const char* method, const std::string& path,
                                             const std::string* body, long timeout_ms) {
  // The files of one identity generation, taken together: a renewal may switch them meanwhile.
  const TlsPaths tls = tls_paths();
  curl::Exchange exchange{method,  options_.url + path, body,      tls.ca, tls.cert,
                          tls.key, timeout_ms,          timeout_ms};
  auto outcome = curl::perform(exchange);
  if (!outcome) return make_error(ErrorCode::internal, "curl_easy_init failed");
  if (outcome->overflow) {
    return make_error(ErrorCode::too_large, std::string(method) + " " + path +
                                                ": the controller's answer is over " +
                                                std::to_string(wire::kMaxBodyBytes) + " bytes");
  }
  if (outcome->rc != CURLE_OK) {
    return make_error(ErrorCode::unavailable,
                      std::string(method) + " " + exchange.url + ": " + outcome->detail);
  }
  return Reply{outcome->status, std::move(outcome->body)};
}

Expected<std::string> SyncClient::expect_ok(const Reply& reply, const char* what) {
  if (reply.status >= 200 && reply.status < 300) return reply.body;
  std::string detail = "the controller answered " + std::to_string(reply.status);
  ErrorCode code = curl::error_code_for_status(reply.status);
  if (auto body = wire::parse_error_body(reply.body)) {
    detail += " " + body->error + ": " + body->message;
    // The one refusal the box acts on by itself: it is out of service until re-enrolled.
    if (reply.status == 403 && body->error == "revoked") code = ErrorCode::revoked;
  } else {
    detail += " without a readable error body";
  }
  return make_error(code, std::string(what) + ": " + detail);
}

Expected<wire::PushResponse> SyncClient::push(const wire::PushRequest& request) {
  return push_within(request, std::chrono::milliseconds(options_.timeout_ms));
}

Expected<wire::PushResponse> SyncClient::push_within(const wire::PushRequest& request,
                                                     std::chrono::milliseconds timeout) {
  std::string body = wire::to_json(request);
  CIVICBOX_TRY(
      auto reply,
      call("POST", "/v1/device/events", &body,
           static_cast<long>(std::min<std::int64_t>(timeout.count(), options_.timeout_ms))));
  CIVICBOX_TRY(auto text, expect_ok(reply, "pushing events"));
  auto parsed = wire::parse_push_response(text);
  if (!parsed) return parsed.error().context("the controller's answer to a push");
  return parsed;
}

Expected<wire::PullResponse> SyncClient::pull(std::uint64_t cursor) {
  CIVICBOX_TRY(auto reply, call("GET", "/v1/device/sync?cursor=" + std::to_string(cursor), nullptr,
                                options_.timeout_ms));
  CIVICBOX_TRY(auto text, expect_ok(reply, "pulling assignments"));
  auto parsed = wire::parse_pull_response(text);
  if (!parsed) return parsed.error().context("the controller's answer to a pull");
  return parsed;
}

Expected<void> SyncClient::report_self_test(const wire::SelfTestReport& report) {
  std::string body = wire::to_json(report);
  CIVICBOX_TRY(auto reply, call("POST", "/v1/device/selftest", &body, options_.timeout_ms));
  CIVICBOX_TRY(auto text, expect_ok(reply, "sending a self-test report"));
  // {"recorded": true}, strictly: anything else is not a controller that kept the report.
  auto answer = [&]() -> Expected<void> {
    CIVICBOX_TRY(auto root, civicbox::json::parse(text, 4096));
    CIVICBOX_TRY(auto r, civicbox::json::ObjectReader::open(root, ""));
    CIVICBOX_TRY(bool recorded, r.boolean("recorded"));
    CIVICBOX_CHECK(r.finish());
    if (!recorded) return make_error(ErrorCode::parse, "'recorded' is false");
    return {};
  }();
  if (!answer) return answer.error().context("the controller's answer to a self-test report");
  return {};
}

Expected<void> SyncClient::report_status(const wire::BoxStatus& status) {
  std::string body = wire::to_json(status);
  CIVICBOX_TRY(auto reply, call("POST", "/v1/device/status", &body, options_.timeout_ms));
  CIVICBOX_TRY(auto text, expect_ok(reply, "sending the box's status"));
  // {"status": "ok"}, strictly.
  auto answer = [&]() -> Expected<void> {
    CIVICBOX_TRY(auto root, civicbox::json::parse(text, 4096));
    CIVICBOX_TRY(auto r, civicbox::json::ObjectReader::open(root, ""));
    CIVICBOX_TRY(auto word, r.string("status", 64));
    CIVICBOX_CHECK(r.finish());
    if (word != "ok") return make_error(ErrorCode::parse, "'status' is not \"ok\"");
    return {};
  }();
  if (!answer) return answer.error().context("the controller's answer to a status report");
  return {};
}

}  // namespace civicbox::firmware
