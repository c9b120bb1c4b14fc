#include "controller/service.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "common/codes.hpp"
#include "common/identity_wire.hpp"
#include "common/json_strict.hpp"
#include "common/pickup_hash.hpp"
#include "common/wire.hpp"
#include "controller/encoding.hpp"
#include "controller/qr_png.hpp"
#include "controller/revocation.hpp"
#include "controller/track_page.hpp"

namespace civicbox::controller {

// A request target split once, at routing: the decoded path and its query parameters.
struct Target {
  std::string path;
  std::map<std::string, std::string, std::less<>> query;
};

namespace {

using Json = nlohmann::json;

Response json_response(int status, const Json& body) {
  return {status, json::dump(body), {}};
}

Response error_response(int status, std::string word, std::string message) {
  return {status, wire::to_json(wire::ErrorBody{std::move(word), std::move(message)}), {}};
}

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

Json submission_json(const SubmissionRecord& r) {
  auto code = TrackingCode::parse(r.tracking_code);
  Json out = {
      {"tracking_code", code ? code->display() : r.tracking_code},
      {"registration_number", r.registration_number},
      {"provisional_number", r.provisional_number},
      {"state", to_string(r.state)},
      {"kind", r.kind},
      {"box", r.device_id},
      {"compartment", r.compartment},
      {"filed_at", rfc3339(r.filed_at_ms)},
      {"history", history_json(r)},
  };
  out["contact"] = r.contact ? Json(*r.contact) : Json(nullptr);
  return out;
}

Json parcel_json(const ParcelRecord& p) {
  Json out = {{"parcel_id", p.parcel_id},
              {"box", p.device_id},
              {"reference", p.reference},
              {"state", p.state},
              {"expires_at", rfc3339(p.expires_at_ms)}};
  out["compartment"] = p.compartment ? Json(*p.compartment) : Json(nullptr);
  return out;
}

bool token_matches(std::string_view presented, const std::string& expected) {
  if (presented.size() != expected.size() || expected.empty()) return false;
  return CRYPTO_memcmp(presented.data(), expected.data(), expected.size()) == 0;
}

}  // namespace

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

Service::Service(Storage& storage, const Config& config, Random& random, Clock clock,
                 std::optional<provisioning::CaCredentials> ca)
    : storage_(storage),
      config_(config),
      random_(random),
      clock_(std::move(clock)),
      identity_(storage, config, random, clock_, std::move(ca)),
      throttle_(ThrottleLimits{static_cast<double>(config.enrol_failures_per_minute),
                               static_cast<double>(config.enrol_failure_burst), 10'000}),
      metrics_(clock_()) {}

namespace {

// The path of a request target, for the metrics' route.
std::string_view path_of(std::string_view target) {
  return target.substr(0, target.find('?'));
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

Response Service::handle_device(const DeviceIdentity& box, const Request& request) {
  const auto start = std::chrono::steady_clock::now();
  Response response = route_device(box, request);
  metrics_.request(Listener::device, route_template(Listener::device, path_of(request.target)),
                   response.status, seconds_since(start));
  return response;
}

Response Service::handle_public(const Request& request) {
  const auto start = std::chrono::steady_clock::now();
  Response response = route_public(request);
  metrics_.request(Listener::public_, route_template(Listener::public_, path_of(request.target)),
                   response.status, seconds_since(start));
  return response;
}

Response Service::ready() {
  Json reasons = Json::array();
  if (auto db = storage_.revocation_version(); !db) {
    // The detail (host, user) is for the log, not for whoever asks on the public listener.
    spdlog::warn("not ready: the database: {}", db.error().describe());
    reasons.push_back("the database does not answer");
  }
  if (!identity_.has_ca()) reasons.push_back("no fleet CA (civicbox-controller ca init)");
  if (!reasons.empty()) return json_response(503, {{"status", "not_ready"}, {"reasons", reasons}});
  return json_response(200, {{"status", "ready"}});
}

Response Service::route_device(const DeviceIdentity& box, const Request& request) {
  if (auto reason = identity_.refusal(box)) {
    spdlog::warn("box {} from {} presented revoked certificate {}: {}", box.device.str(),
                 request.peer_address, box.certificate.serial_hex, *reason);
    Response refused = error_response(403, "revoked", revoked_message(*reason));
    refused.close_connection = true;
    return refused;
  }
  const DeviceId& device = box.device;
  auto target = parse_target(request.target);
  if (!target) return from_error(target.error());
  const std::string& path = target->path;
  if (path == "/v1/device/renew") {
    if (request.method != "POST") return method_not_allowed("POST");
    return renew(box, request);
  }
  if (path == "/v1/device/selftest") {
    if (request.method != "POST") return method_not_allowed("POST");
    return record_self_test(box, request);
  }
  if (path == "/v1/device/events") {
    if (request.method != "POST") return method_not_allowed("POST");
    return push_events(device, request);
  }
  if (path == "/v1/device/sync") {
    if (request.method != "GET") return method_not_allowed("GET");
    return pull(device, *target);
  }
  if (path == "/healthz") return json_response(200, {{"status", "ok"}});
  if (path == "/readyz") return ready();
  return not_found_route();
}

Response Service::route_public(const Request& request) {
  constexpr std::string_view kTrackPage = "/track/";
  auto target = parse_target(request.target);
  if (!target) {
    // A citizen's garbled link still gets a page that says what to do, not JSON.
    if (std::string_view(request.target).starts_with(kTrackPage)) {
      if (request.method != "GET") return method_not_allowed("GET");
      return track_page(request, nullptr, "");
    }
    return from_error(target.error());
  }
  std::string_view path = target->path;
  if (path == "/healthz") return json_response(200, {{"status", "ok"}});
  if (path == "/readyz") return ready();
  if (path == "/metrics") {
    if (request.method != "GET") return method_not_allowed("GET");
    if (!backoffice_authorized(request.authorization)) {
      return error_response(401, "unauthenticated", "a valid back-office bearer token is required");
    }
    Response r{200, metrics_.render(), {}};
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    return r;
  }
  if (path == "/v1/enrol") {
    if (request.method != "POST") return method_not_allowed("POST");
    return enrol(request);
  }
  constexpr std::string_view kTrack = "/v1/track/";
  if (path.starts_with(kTrack)) {
    if (request.method != "GET") return method_not_allowed("GET");
    return track(path.substr(kTrack.size()));
  }
  if (path.starts_with(kTrackPage)) {
    if (request.method != "GET") return method_not_allowed("GET");
    return track_page(request, &*target, path.substr(kTrackPage.size()));
  }
  constexpr std::string_view kBackoffice = "/v1/backoffice/";
  if (path.starts_with(kBackoffice)) {
    return backoffice(request, *target, path.substr(kBackoffice.size()));
  }
  return not_found_route();
}

Response Service::push_events(const DeviceId& device, const Request& request) {
  if (!is_json(request.content_type)) return unsupported_media();
  if (request.body.size() > config_.max_body_bytes) return body_too_large(config_.max_body_bytes);
  auto push = wire::parse_push_request(request.body);
  if (!push) return from_error(push.error().context("reading the events"));
  auto applied = storage_.apply_events(device, push->events, clock_());
  if (!applied) return from_error(applied.error());
  metrics_.events_applied(applied->newly_applied);
  metrics_.registrations(applied->newly_registered);
  wire::PushResponse response{applied->applied_through, std::move(applied->registrations)};
  spdlog::debug("device {}: {} events offered, applied through {}", device.str(),
                push->events.size(), response.applied_through);
  return {200, wire::to_json(response), {}};
}

Response Service::pull(const DeviceId& device, const Target& target) {
  if (auto ok = only_params(target, {"cursor"}); !ok) return from_error(ok.error());
  std::uint64_t cursor = 0;
  if (auto text = param(target, "cursor")) {
    auto value = parse_u64("cursor", *text);
    if (!value) return from_error(value.error());
    cursor = *value;
  }
  auto pulled = storage_.assignments_since(device, cursor, clock_());
  if (!pulled) return from_error(pulled.error());
  pulled->config =
      wire::BoxConfig{config_.institution_name, config_.document_kinds, config_.track_url};
  return {200, wire::to_json(*pulled), {}};
}

Response Service::track(std::string_view text) {
  auto code = TrackingCode::parse(text);
  if (!code) {
    if (code.error().code == ErrorCode::bad_check) {
      return error_response(400, "mistyped_code",
                            "this tracking code has a typing mistake: compare it with your "
                            "receipt, character by character");
    }
    return error_response(400, "malformed_code",
                          "this is not a tracking code: a tracking code has 12 letters and "
                          "digits, as printed on your receipt");
  }
  auto found = storage_.find_submission(*code);
  if (!found) return from_error(found.error());
  if (!*found) {
    return error_response(404, "unknown_code",
                          "no document has this tracking code yet; if you filed it just now "
                          "at a box that was offline, try again later");
  }
  const SubmissionRecord& r = **found;
  // Only what the receipt already shows: no contact, no box, no compartment. The kind is free
  // text from a box: published only when it is one the town hall configured.
  const auto& kinds = config_.document_kinds;
  const bool known_kind = std::find(kinds.begin(), kinds.end(), r.kind) != kinds.end();
  return json_response(200, {{"tracking_code", code->display()},
                             {"registration_number", r.registration_number},
                             {"state", to_string(r.state)},
                             {"kind", known_kind ? r.kind : std::string("other")},
                             {"filed_at", rfc3339(r.filed_at_ms)},
                             {"history", history_json(r)}});
}

// The HTML twin of track(): the same three problems with the same statuses, as pages a citizen
// understands. Unknown query parameters are ignored (a QR reader or a messenger may add some).
Response Service::track_page(const Request& request, const Target* target, std::string_view text) {
  TrackPageSettings settings{config_.institution_name, config_.document_kinds, config_.languages,
                             config_.timezone};
  std::string_view asked;
  if (target) asked = param(*target, "lang").value_or("");
  const std::string fallback = default_language_of(config_);
  auto page = [](int status, std::string html, const std::string& language) {
    Response r{status, std::move(html), {}};
    r.content_type = "text/html; charset=utf-8";
    r.headers = {
        {"Content-Security-Policy",
         "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
         "frame-ancestors 'none'"},
        {"X-Content-Type-Options", "nosniff"},
        {"Referrer-Policy", "no-referrer"},
        {"Content-Language", language},
        {"Vary", "Accept-Language"},
    };
    return r;
  };
  auto problem = [&](int status, TrackProblem what) {
    const std::string language =
        choose_track_language(asked, "", request.accept_language, fallback);
    return page(status, render_track_problem(what, text, settings, language), language);
  };
  auto code = TrackingCode::parse(text);
  if (!code) {
    return problem(400, code.error().code == ErrorCode::bad_check ? TrackProblem::mistyped_code
                                                                  : TrackProblem::malformed_code);
  }
  auto found = storage_.find_submission(*code);
  if (!found) {
    const Response answer = from_error(found.error());  // logs it
    return problem(answer.status >= 500 ? answer.status : 500, TrackProblem::unavailable);
  }
  if (!*found) return problem(404, TrackProblem::unknown_code);
  const SubmissionRecord& record = **found;
  const std::string language =
      choose_track_language(asked, record.language, request.accept_language, fallback);
  return page(200, render_track_page(record, settings, language), language);
}

bool Service::backoffice_authorized(std::string_view authorization) const {
  constexpr std::string_view kBearer = "Bearer ";
  return authorization.starts_with(kBearer) &&
         token_matches(authorization.substr(kBearer.size()), config_.backoffice_token);
}

Response Service::backoffice(const Request& request, const Target& target, std::string_view path) {
  if (!backoffice_authorized(request.authorization)) {
    return error_response(401, "unauthenticated", "a valid back-office bearer token is required");
  }
  if (path == "parcels") {
    if (request.method == "POST") return issue_parcel(request);
    if (request.method == "GET") return list_parcels(target);
    return method_not_allowed("GET, POST");
  }
  if (path == "submissions") {
    if (request.method != "GET") return method_not_allowed("GET");
    return list_submissions(target);
  }
  constexpr std::string_view kSubmissions = "submissions/";
  constexpr std::string_view kState = "/state";
  if (path.starts_with(kSubmissions) && path.ends_with(kState) &&
      path.size() > kSubmissions.size() + kState.size()) {
    if (request.method != "POST") return method_not_allowed("POST");
    return move_submission(request, path.substr(kSubmissions.size(),
                                                path.size() - kSubmissions.size() - kState.size()));
  }
  if (path == "tokens") {
    if (request.method == "POST") return create_token(request);
    if (request.method == "GET") return list_tokens(target);
    return method_not_allowed("GET, POST");
  }
  if (path == "certificates") {
    if (request.method != "GET") return method_not_allowed("GET");
    return list_certificates(target);
  }
  constexpr std::string_view kBoxes = "boxes/";
  if (path.starts_with(kBoxes)) return box_route(request, path.substr(kBoxes.size()));
  return not_found_route();
}

Response Service::issue_parcel(const Request& request) {
  if (!is_json(request.content_type)) return unsupported_media();
  if (request.body.size() > config_.max_body_bytes) return body_too_large(config_.max_body_bytes);
  auto parsed = json::parse(request.body, config_.max_body_bytes);
  if (!parsed) return from_error(parsed.error());
  auto reader = json::ObjectReader::open(*parsed, "");
  if (!reader) return from_error(reader.error());
  auto box = reader->string("box", 63);
  if (!box) return from_error(box.error());
  auto reference = reader->string("reference", wire::kMaxTextBytes);
  if (!reference) return from_error(reference.error());
  auto hold_days = reader->optional_integer("hold_days", 1, 365);
  if (!hold_days) return from_error(hold_days.error());
  if (auto done = reader->finish(); !done) return from_error(done.error());

  auto device = DeviceId::parse(*box);
  if (!device) return from_error(device.error().context("box"));
  auto known = storage_.device_known(*device);
  if (!known) return from_error(known.error());
  if (!*known) {
    return error_response(404, "unknown_box",
                          "no box called " + device->str() + " has ever connected");
  }

  const std::int64_t now = clock_();
  const std::int64_t days = hold_days->value_or(config_.pickup_hold_days);
  PickupCode code = PickupCode::generate(random_);
  NewParcel parcel;
  parcel.parcel_id = TrackingCode::generate(random_).str();
  parcel.device_id = device->str();
  parcel.reference = *reference;
  parcel.code_hash = hash_pickup_code(code, random_);
  parcel.expires_at_ms = now + days * 24 * 3600 * 1000;
  if (auto added = storage_.add_parcel(parcel, now); !added) return from_error(added.error());
  spdlog::info("parcel {} issued for box {} (reference {})", parcel.parcel_id, parcel.device_id,
               parcel.reference);
  // The only time the pickup code leaves the controller: it keeps the salted hash alone.
  return json_response(201, {{"parcel_id", parcel.parcel_id},
                             {"box", parcel.device_id},
                             {"reference", parcel.reference},
                             {"pickup_code", code.display()},
                             {"expires_at", rfc3339(parcel.expires_at_ms)}});
}

Response Service::list_parcels(const Target& target) {
  if (auto ok = only_params(target, {"box"}); !ok) return from_error(ok.error());
  std::optional<std::string> box;
  if (auto b = param(target, "box")) box = std::string(*b);
  auto parcels = storage_.list_parcels(box);
  if (!parcels) return from_error(parcels.error());
  Json items = Json::array();
  for (const auto& p : *parcels) items.push_back(parcel_json(p));
  return json_response(200, {{"parcels", items}});
}

Response Service::list_submissions(const Target& target) {
  if (auto ok = only_params(target, {"state", "box", "limit"}); !ok) return from_error(ok.error());
  SubmissionFilter filter;
  if (auto s = param(target, "state")) {
    auto state = parse_submission_state(*s);
    if (!state) return from_error(state.error());
    filter.state = *state;
  }
  if (auto b = param(target, "box")) filter.device_id = std::string(*b);
  if (auto l = param(target, "limit")) {
    auto limit = parse_u64("limit", *l);
    if (!limit) return from_error(limit.error());
    if (*limit < 1 || *limit > wire::kMaxListItems) {
      return error_response(400, "invalid_argument", "limit must be between 1 and 1000");
    }
    filter.limit = static_cast<int>(*limit);
  }
  auto found = storage_.list_submissions(filter);
  if (!found) return from_error(found.error());
  Json items = Json::array();
  for (const auto& r : *found) items.push_back(submission_json(r));
  return json_response(200, {{"submissions", items}});
}

Response Service::move_submission(const Request& request, std::string_view code_text) {
  if (!is_json(request.content_type)) return unsupported_media();
  auto code = TrackingCode::parse(code_text);
  if (!code) return from_error(code.error().context("tracking code"));
  auto parsed = json::parse(request.body, config_.max_body_bytes);
  if (!parsed) return from_error(parsed.error());
  auto reader = json::ObjectReader::open(*parsed, "");
  if (!reader) return from_error(reader.error());
  auto state_text = reader->string("state", 32);
  if (!state_text) return from_error(state_text.error());
  if (auto done = reader->finish(); !done) return from_error(done.error());
  auto state = parse_submission_state(*state_text);
  if (!state) return from_error(state.error());
  auto moved = storage_.move_submission(*code, *state, clock_());
  if (!moved) return from_error(moved.error());
  spdlog::info("submission {} moved to {}", moved->registration_number, to_string(*state));
  return json_response(200, submission_json(*moved));
}

}  // namespace civicbox::controller

namespace civicbox::controller {

namespace {

// Reads a JSON object body with the reader handed to `read`, which asks for each field.
template <typename Read>
Expected<void> read_object(const Request& request, std::size_t max_bytes, Read&& read) {
  CIVICBOX_TRY(auto parsed, json::parse(request.body, max_bytes));
  CIVICBOX_TRY(auto reader, json::ObjectReader::open(parsed, ""));
  CIVICBOX_CHECK(read(reader));
  return reader.finish();
}

Response refusal_response(const Refusal& refusal) {
  return error_response(refusal.status, refusal.word, refusal.message);
}

Json certificate_json(const CertificateRecord& c, std::int64_t now_ms) {
  std::string state = c.revoked_at_ms ? "revoked" : now_ms >= c.not_after_ms ? "expired" : "valid";
  Json out = {{"serial", c.serial_hex},
              {"box", c.device_id},
              {"kind", c.kind},
              {"state", state},
              {"not_before", rfc3339(c.not_before_ms)},
              {"not_after", rfc3339(c.not_after_ms)},
              {"issued_at", rfc3339(c.issued_at_ms)},
              {"key_sha256", c.key_sha256_hex},
              {"certificate", c.pem}};
  out["revoked_at"] = c.revoked_at_ms ? Json(rfc3339(*c.revoked_at_ms)) : Json(nullptr);
  out["revoked_reason"] = c.revoked_reason ? Json(*c.revoked_reason) : Json(nullptr);
  return out;
}

Json token_json(const EnrolmentTokenRecord& t, std::int64_t now_ms) {
  // The hash's first 16 hex digits name a token in lists; the token itself is never shown again.
  Json out = {{"token_id", t.token_sha256_hex.substr(0, 16)},
              {"box", t.device_id},
              {"site", t.site},
              {"cabinet", t.cabinet},
              {"state", token_state(t, now_ms)},
              {"created_at", rfc3339(t.created_at_ms)},
              {"expires_at", rfc3339(t.expires_at_ms)}};
  out["used_at"] = t.used_at_ms ? Json(rfc3339(*t.used_at_ms)) : Json(nullptr);
  out["serial"] = t.serial_hex ? Json(*t.serial_hex) : Json(nullptr);
  return out;
}

}  // namespace

Response Service::enrol(const Request& request) {
  const std::int64_t now = clock_();
  if (auto wait = throttle_.wait_seconds(request.peer_address, now)) {
    spdlog::warn("enrolment from {} refused: rate_limited (retry after {} s)", request.peer_address,
                 *wait);
    Response limited =
        error_response(429, "rate_limited",
                       "too many failed enrolments from this address: try again in " +
                           std::to_string(*wait) + " s");
    limited.retry_after_s = *wait;
    return limited;
  }
  Response response = [&]() -> Response {
    if (!is_json(request.content_type)) {
      spdlog::warn("enrolment from {} refused: unsupported_media_type", request.peer_address);
      return unsupported_media();
    }
    auto parsed = wire::parse_enrol_request(request.body);
    if (!parsed) {
      // Only the word: a JSON parser's message may quote the bytes around the error, which can
      // be the token.
      spdlog::warn("enrolment from {} refused: {} (malformed request)", request.peer_address,
                   to_string(parsed.error().code));
      return from_error(parsed.error().context("reading the enrolment request"));
    }
    auto decided = identity_.enrol(*parsed, request.peer_address);
    if (auto* refusal = std::get_if<Refusal>(&decided)) return refusal_response(*refusal);
    metrics_.enrolment();
    return {200, wire::to_json(std::get<wire::EnrolResponse>(decided)), {}};
  }();
  // Any refusal of the request's content counts as a guess; a success never does.
  if (response.status >= 400 && response.status < 500) {
    throttle_.failed(request.peer_address, now);
  }
  return response;
}

Response Service::renew(const DeviceIdentity& box, const Request& request) {
  if (!is_json(request.content_type)) return unsupported_media();
  auto parsed = wire::parse_renew_request(request.body);
  if (!parsed) return from_error(parsed.error().context("reading the renewal request"));
  auto decided = identity_.renew(box, *parsed, request.peer_address);
  if (auto* refusal = std::get_if<Refusal>(&decided)) return refusal_response(*refusal);
  return {200, wire::to_json(std::get<wire::CertificateIssued>(decided)), {}};
}

Response Service::record_self_test(const DeviceIdentity& box, const Request& request) {
  if (!is_json(request.content_type)) return unsupported_media();
  if (request.body.size() > config_.max_body_bytes) return body_too_large(config_.max_body_bytes);
  auto report = wire::parse_self_test_report(request.body);
  if (!report) return from_error(report.error().context("reading the self-test report"));
  SelfTestRecord record{box.device.str(),      clock_(),       report->started_ms,
                        report->finished_ms,   report->reason, report->passed(),
                        wire::to_json(*report)};
  if (auto added = storage_.add_self_test(record); !added) return from_error(added.error());
  spdlog::info("box {}: self-test ({}) {} with {} checks", record.device_id, record.reason,
               record.passed ? "passed" : "FAILED", report->checks.size());
  return json_response(200, {{"recorded", true}});
}

Response Service::create_token(const Request& request) {
  if (!is_json(request.content_type)) return unsupported_media();
  TokenOrder order;
  order.valid_hours = config_.token_hours;
  auto read =
      read_object(request, config_.max_body_bytes, [&](json::ObjectReader& r) -> Expected<void> {
        CIVICBOX_TRY(order.site, r.string("site", 64));
        CIVICBOX_TRY(order.device_id, r.string("box", 63));
        CIVICBOX_TRY(order.cabinet, r.string("cabinet", 64));
        CIVICBOX_TRY(auto hours, r.optional_integer("valid_hours", 1, 24 * 30));
        if (hours) order.valid_hours = static_cast<int>(*hours);
        return Expected<void>{};
      });
  if (!read) return from_error(read.error());
  auto issued = identity_.create_token(order);
  if (!issued) return from_error(issued.error());
  auto png = qr_png(issued->qr_text());
  if (!png) return from_error(png.error());
  // The only time the token leaves the controller: it keeps the hash alone.
  return json_response(201, {{"token", issued->token},
                             {"token_id", issued->record.token_sha256_hex.substr(0, 16)},
                             {"box", issued->record.device_id},
                             {"site", issued->record.site},
                             {"cabinet", issued->record.cabinet},
                             {"expires_at", rfc3339(issued->record.expires_at_ms)},
                             {"qr_text", issued->qr_text()},
                             {"qr_png_base64", base64(*png)}});
}

Response Service::list_tokens(const Target& target) {
  if (auto ok = only_params(target, {"box"}); !ok) return from_error(ok.error());
  std::optional<std::string> box;
  if (auto b = param(target, "box")) box = std::string(*b);
  auto tokens = storage_.list_enrolment_tokens(box);
  if (!tokens) return from_error(tokens.error());
  const std::int64_t now = clock_();
  Json items = Json::array();
  for (const auto& t : *tokens) items.push_back(token_json(t, now));
  return json_response(200, {{"tokens", items}});
}

Response Service::list_certificates(const Target& target) {
  if (auto ok = only_params(target, {"box"}); !ok) return from_error(ok.error());
  std::optional<std::string> box;
  if (auto b = param(target, "box")) box = std::string(*b);
  auto certificates = storage_.list_certificates(box);
  if (!certificates) return from_error(certificates.error());
  const std::int64_t now = clock_();
  Json items = Json::array();
  for (const auto& c : *certificates) items.push_back(certificate_json(c, now));
  return json_response(200, {{"certificates", items}});
}

// boxes/{id}/revoke (POST) and boxes/{id}/selftests (GET).
Response Service::box_route(const Request& request, std::string_view rest) {
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos) return not_found_route();
  const std::string_view action = rest.substr(slash + 1);
  if (action != "revoke" && action != "selftests") return not_found_route();
  auto device = DeviceId::parse(rest.substr(0, slash));
  if (!device) return from_error(device.error().context("box"));
  if (action == "selftests") {
    if (request.method != "GET") return method_not_allowed("GET");
    auto tests = storage_.list_self_tests(*device, 20);
    if (!tests) return from_error(tests.error());
    Json items = Json::array();
    for (const auto& t : *tests) {
      items.push_back({{"received_at", rfc3339(t.received_at_ms)},
                       {"started_at", rfc3339(t.started_ms)},
                       {"finished_at", rfc3339(t.finished_ms)},
                       {"reason", t.reason},
                       {"passed", t.passed},
                       {"report", Json::parse(t.report_json, nullptr, false)}});
    }
    return json_response(200, {{"box", device->str()}, {"selftests", items}});
  }
  if (request.method != "POST") return method_not_allowed("POST");
  if (!is_json(request.content_type)) return unsupported_media();
  std::string reason;
  auto read =
      read_object(request, config_.max_body_bytes, [&](json::ObjectReader& r) -> Expected<void> {
        CIVICBOX_TRY(auto given, r.optional_string("reason", 200));
        reason = given.value_or("");
        return Expected<void>{};
      });
  if (!read) return from_error(read.error());
  auto revoked = identity_.revoke(*device, reason);
  if (!revoked) return from_error(revoked.error());
  return json_response(200, {{"box", device->str()},
                             {"revoked_certificates", *revoked},
                             {"revoked_at", rfc3339(clock_())}});
}

}  // namespace civicbox::controller
