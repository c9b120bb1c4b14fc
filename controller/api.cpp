#include "controller/api.hpp"

#include <cctype>
#include <cstdio>
#include <ctime>

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include "common/wire.hpp"

namespace civicbox::controller {

namespace {

std::string_view error_word(ErrorCode code) {
  switch (code) {
    case ErrorCode::parse:
      return "parse";
    case ErrorCode::missing_field:
      return "missing_field";
    case ErrorCode::wrong_type:
      return "wrong_type";
    case ErrorCode::unknown_field:
      return "unknown_field";
    case ErrorCode::bad_check:
      return "bad_check";
    default:
      return "invalid_argument";
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Expected<std::string> percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%') {
      if (i + 2 >= text.size()) {
        return make_error(ErrorCode::parse, "a truncated %-escape in the URL");
      }
      int hi = hex_value(text[i + 1]);
      int lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) return make_error(ErrorCode::parse, "a bad %-escape in the URL");
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (text[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

}  // namespace

Response json_response(int status, const Json& body) {
  return {status, json::dump(body), {}};
}

Response error_response(int status, std::string word, std::string message) {
  return {status, wire::to_json(wire::ErrorBody{std::move(word), std::move(message)}), {}};
}

Response body_too_large(std::size_t limit) {
  return error_response(413, "too_large",
                        "the body is over the limit of " + std::to_string(limit) + " bytes");
}

// Maps an error from parsing or storage to an HTTP answer. Internal failures are logged in full
// and answered without detail: a stranger learns nothing about the server.
Response from_error(const Error& error) {
  switch (error.code) {
    case ErrorCode::parse:
    case ErrorCode::missing_field:
    case ErrorCode::wrong_type:
    case ErrorCode::unknown_field:
    case ErrorCode::invalid_argument:
    case ErrorCode::bad_check:
      return error_response(400, std::string(error_word(error.code)), error.message);
    case ErrorCode::too_large:  // a value over its limit; a body over the limit is 413 earlier
      return error_response(400, "too_large", error.message);
    case ErrorCode::not_found:
      return error_response(404, "not_found", error.message);
    case ErrorCode::conflict:
    case ErrorCode::state:
      return error_response(409, "conflict", error.message);
    case ErrorCode::forbidden:
      return error_response(403, "forbidden", error.message);
    case ErrorCode::revoked:
      return error_response(403, "revoked", error.message);
    case ErrorCode::unauthenticated:
      return error_response(401, "unauthenticated", error.message);
    case ErrorCode::locked_out:
      return error_response(429, "locked_out", error.message);
    case ErrorCode::unavailable:
      return error_response(503, "unavailable", "the service is busy; try again shortly");
    case ErrorCode::io:
    case ErrorCode::crypto:
    case ErrorCode::internal:
      break;
  }
  spdlog::error("request failed: {}", error.describe());
  return error_response(500, "internal", "the controller could not complete the request");
}

Response method_not_allowed(std::string allow) {
  Response r = error_response(405, "method_not_allowed", "this route accepts " + allow);
  r.allow = std::move(allow);
  return r;
}

Response not_found_route() {
  return error_response(404, "no_route", "there is no such route");
}

bool is_json(std::string_view content_type) {
  auto semi = content_type.find(';');
  std::string_view media = content_type.substr(0, semi);
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  std::string lower(media);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower == "application/json";
}

Response unsupported_media() {
  return error_response(415, "unsupported_media_type", "send the body as application/json");
}

// Splits "/a/b?x=1&y=2". A parameter given twice, or too long, is an error.
Expected<Target> parse_target(std::string_view target) {
  Target out;
  auto q = target.find('?');
  CIVICBOX_TRY(out.path, percent_decode(target.substr(0, q)));
  if (q == std::string_view::npos) return out;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    CIVICBOX_TRY(std::string key, percent_decode(pair.substr(0, eq)));
    CIVICBOX_TRY(std::string value,
                 percent_decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1)));
    if (value.size() > wire::kMaxTextBytes) {
      return make_error(ErrorCode::too_large, "query parameter " + key + " is too long");
    }
    if (!out.query.emplace(key, std::move(value)).second) {
      return make_error(ErrorCode::invalid_argument, "query parameter " + key + " given twice");
    }
  }
  return out;
}

// Refuses query parameters the route does not know (a typo would otherwise silently widen a
// filter).
Expected<void> only_params(const Target& target, std::initializer_list<std::string_view> known) {
  for (const auto& [key, value] : target.query) {
    bool ok = false;
    for (auto k : known) ok = ok || key == k;
    if (!ok) return make_error(ErrorCode::unknown_field, "unknown query parameter: " + key);
  }
  return {};
}

std::optional<std::string_view> param(const Target& target, std::string_view key) {
  auto it = target.query.find(key);
  if (it == target.query.end()) return std::nullopt;
  return std::string_view(it->second);
}

Expected<std::uint64_t> parse_u64(std::string_view name, std::string_view text) {
  if (text.empty() || text.size() > 19) {
    return make_error(ErrorCode::invalid_argument, std::string(name) + " must be a whole number");
  }
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return make_error(ErrorCode::invalid_argument, std::string(name) + " must be a whole number");
    }
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

Json history_json(const SubmissionRecord& record) {
  Json steps = Json::array();
  for (const auto& step : record.history) {
    steps.push_back({{"state", to_string(step.state)}, {"at", rfc3339(step.at_ms)}});
  }
  return steps;
}

bool token_matches(std::string_view presented, const std::string& expected) {
  if (presented.size() != expected.size() || expected.empty()) return false;
  return CRYPTO_memcmp(presented.data(), expected.data(), expected.size()) == 0;
}

std::string rfc3339(std::int64_t unix_ms) {
  std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(unix_ms % 1000));
  return buf;
}

}  // namespace civicbox::controller
