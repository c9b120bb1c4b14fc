// What the controller's two faces share to answer HTTP: the request and the response as the
// HTTPS server hands them over (https_server.hpp), a target split into path and query, JSON
// answers and errors, strict query parameters. For service.cpp and backoffice.cpp.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/json_strict.hpp"
#include "controller/storage.hpp"

namespace civicbox::controller {

struct Request {
  std::string method;         // "GET", "POST", ...
  std::string target;         // path and query, e.g. "/v1/device/sync?cursor=3"
  std::string content_type;   // the Content-Type header, may be empty
  std::string authorization;  // the Authorization header, may be empty
  std::string body;
  std::string peer_address{};     // the source IP address, e.g. "203.0.113.7" (for throttling)
  std::string accept_language{};  // the Accept-Language header, may be empty (/track/{code})
};

struct Response {
  int status = 200;
  std::string body;                               // JSON, always
  std::string allow;                              // for 405: the methods the route accepts
  int retry_after_s = 0;                          // for 429: the Retry-After header
  bool close_connection = false;                  // answer, then close (a revoked certificate)
  std::string content_type = "application/json";  // /metrics: Prometheus' text format
  // Further headers, written as they are (the tracking page's Content-Security-Policy...).
  std::vector<std::pair<std::string, std::string>> headers{};
};

// A request target split once, at routing: the decoded path and its query parameters.
struct Target {
  std::string path;
  std::map<std::string, std::string, std::less<>> query;
};

using Json = nlohmann::json;

Response json_response(int status, const Json& body);
Response error_response(int status, std::string word, std::string message);
Response body_too_large(std::size_t limit);
// Maps an error from parsing or storage to an HTTP answer. Internal failures are logged in full
// and answered without detail: a stranger learns nothing about the server.
Response from_error(const Error& error);
Response method_not_allowed(std::string allow);
Response not_found_route();
bool is_json(std::string_view content_type);
Response unsupported_media();

// Splits "/a/b?x=1&y=2". A parameter given twice, or too long, is an error.
Expected<Target> parse_target(std::string_view target);
// Refuses query parameters the route does not know (a typo would otherwise silently widen a
// filter).
Expected<void> only_params(const Target& target, std::initializer_list<std::string_view> known);
std::optional<std::string_view> param(const Target& target, std::string_view key);
Expected<std::uint64_t> parse_u64(std::string_view name, std::string_view text);

// Reads a JSON object body with the reader handed to `read`, which asks for each field.
template <typename Read>
Expected<void> read_object(const Request& request, std::size_t max_bytes, Read&& read) {
  CIVICBOX_TRY(auto parsed, json::parse(request.body, max_bytes));
  CIVICBOX_TRY(auto reader, json::ObjectReader::open(parsed, ""));
  CIVICBOX_CHECK(read(reader));
  return reader.finish();
}

// A submission's steps, [{"state", "at"}].
Json history_json(const SubmissionRecord& record);
// Constant-time comparison; an empty `expected` matches nothing.
bool token_matches(std::string_view presented, const std::string& expected);

// Formats Unix milliseconds as RFC 3339 UTC, e.g. "2026-11-23T16:12:40.123Z".
std::string rfc3339(std::int64_t unix_ms);

}  // namespace civicbox::controller
