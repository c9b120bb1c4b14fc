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
#include "controller/dashboard.hpp"
#include "controller/encoding.hpp"
#include "controller/qr_png.hpp"
#include "controller/revocation.hpp"
#include "controller/track_page.hpp"

namespace civicbox::controller {

Service::Service(Storage& storage, const Config& config, Random& random, Clock clock,
                 std::optional<provisioning::CaCredentials> ca)
    : storage_(storage),
      config_(config),
      random_(random),
      clock_(std::move(clock)),
      identity_(storage, config, random, clock_, std::move(ca)),
      backoffice_(storage, config, random, clock_, identity_),
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

bool Service::backoffice_authorized(std::string_view authorization) {
  auto caller = backoffice_.authenticate(authorization);
  return caller || caller.error().code != ErrorCode::unauthenticated;
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
  if (path == "/v1/device/status") {
    if (request.method != "POST") return method_not_allowed("POST");
    return record_status(device, request);
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
    if (auto caller = backoffice_.authenticate(request.authorization); !caller) {
      return from_error(caller.error());
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
  if (auto file = dashboard_file(path)) {
    if (request.method != "GET") return method_not_allowed("GET");
    Response r{200, std::string(file->body), {}};
    r.content_type = std::string(file->content_type);
    r.headers = {
        {"Content-Security-Policy",
         "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; "
         "script-src 'self'; frame-ancestors 'none'"},
        {"Cache-Control", "no-cache"},
        {"X-Content-Type-Options", "nosniff"},
        {"Referrer-Policy", "no-referrer"},
    };
    return r;
  }
  constexpr std::string_view kBackoffice = "/v1/backoffice/";
  if (path.starts_with(kBackoffice)) {
    return backoffice_.handle(request, *target, path.substr(kBackoffice.size()));
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

Response Service::record_status(const DeviceId& device, const Request& request) {
  if (!is_json(request.content_type)) return unsupported_media();
  if (request.body.size() > config_.max_body_bytes) return body_too_large(config_.max_body_bytes);
  auto status = wire::parse_box_status(request.body);
  if (!status) return from_error(status.error().context("reading the status report"));
  if (auto stored = storage_.record_box_status(device, *status, clock_()); !stored) {
    return from_error(stored.error());
  }
  return json_response(200, {{"status", "ok"}});
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

}  // namespace civicbox::controller

namespace civicbox::controller {

namespace {

Response refusal_response(const Refusal& refusal) {
  return error_response(refusal.status, refusal.word, refusal.message);
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

}  // namespace civicbox::controller
