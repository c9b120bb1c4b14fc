#include "controller/backoffice.hpp"

#include <array>
#include <ctime>

#include <spdlog/spdlog.h>

#include "common/codes.hpp"
#include "common/ids.hpp"
#include "common/pickup_hash.hpp"
#include "common/pin_hash.hpp"
#include "common/wire.hpp"
#include "controller/encoding.hpp"
#include "controller/qr_png.hpp"

namespace civicbox::controller {

namespace {

constexpr std::size_t kMaxReason = 200;
constexpr std::size_t kMaxName = 64;
constexpr std::int64_t kDayMs = 24 * 3600 * 1000;

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
      {"reference", r.reference},
      {"language", r.language},
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

Json optional_json(const std::optional<std::string>& value) {
  return value ? Json(*value) : Json(nullptr);
}

// A box's health as the dashboard shows it: online, last seen, its own report (compartments
// free and used, paper, faults) and its latest alarms.
Json box_json(const BoxRecord& b, std::int64_t now_ms, int offline_after_s, bool compartments) {
  Json out = {{"box", b.device_id},
              {"first_seen", rfc3339(b.first_seen_ms)},
              {"last_seen", rfc3339(b.last_seen_ms)},
              {"online", !b.revoked && now_ms - b.last_seen_ms <= offline_after_s * 1000LL},
              {"revoked", b.revoked},
              {"applied_through", b.applied_through}};
  if (b.status) {
    const wire::BoxStatus& s = b.status->status;
    int free = 0, used = 0, open = 0, fault = 0;
    Json list = Json::array();
    for (const auto& c : s.compartments) {
      if (c.state == "free") ++free;
      if (c.state == "occupied") ++used;
      if (c.state == "open") ++open;
      if (c.state == "fault") ++fault;
      list.push_back({{"number", c.number}, {"size", c.size}, {"use", c.use}, {"state", c.state}});
    }
    Json faults = Json::array();
    for (const auto& f : s.faults) faults.push_back({{"what", f.what}, {"detail", f.detail}});
    Json status = {{"reported_at", rfc3339(b.status->received_at_ms)},
                   {"box_time", rfc3339(s.at_ms)},
                   {"version", s.version},
                   {"paper", s.paper},
                   {"faults", faults},
                   {"compartments",
                    {{"total", s.compartments.size()},
                     {"free", free},
                     {"occupied", used},
                     {"open", open},
                     {"fault", fault}}}};
    if (compartments) status["compartment_list"] = list;
    out["status"] = status;
  } else {
    out["status"] = nullptr;
  }
  Json alarms = Json::array();
  for (const auto& a : b.alarms) {
    Json alarm = {{"at", rfc3339(a.at_ms)}, {"what", a.what}, {"detail", a.detail}};
    alarm["compartment"] = a.compartment ? Json(*a.compartment) : Json(nullptr);
    alarms.push_back(alarm);
  }
  out["alarms"] = alarms;
  return out;
}

// A command never reported and past its time is "expired": the box will not get it any more.
Json command_json(const CommandRecord& c, std::int64_t now_ms) {
  Json out = {{"id", c.id},
              {"box", c.device_id},
              {"kind", c.kind},
              {"compartment", c.compartment},
              {"reason", c.reason},
              {"issued_by", c.issued_by},
              {"created_at", rfc3339(c.created_at_ms)},
              {"expires_at", rfc3339(c.expires_at_ms)}};
  out["outcome"] =
      !c.outcome && c.expires_at_ms <= now_ms ? Json("expired") : optional_json(c.outcome);
  out["detail"] = optional_json(c.detail);
  out["done_at"] = c.done_at_ms ? Json(rfc3339(*c.done_at_ms)) : Json(nullptr);
  return out;
}

// "2026-11-23" (the town hall's midnight, or the next one with `day_after`) or
// "2026-11-23T08:00:00Z". mktime counts a day of 23 or 25 hours (a clock change) right.
Expected<std::int64_t> parse_time(std::string_view name, std::string_view text,
                                  bool day_after = false) {
  std::tm tm{};
  const std::string s(text);
  const bool date_only = s.size() == 10;
  const char* end = strptime(s.c_str(), date_only ? "%Y-%m-%d" : "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (end == nullptr || *end != '\0') {
    return make_error(ErrorCode::invalid_argument, std::string(name) +
                                                       " must be a date (2026-11-23) or a UTC time "
                                                       "(2026-11-23T08:00:00Z)");
  }
  if (date_only) {
    if (day_after) ++tm.tm_mday;  // mktime normalises the 32nd
    tm.tm_isdst = -1;
    return static_cast<std::int64_t>(std::mktime(&tm)) * 1000;
  }
  return static_cast<std::int64_t>(timegm(&tm)) * 1000;
}

Expected<int> parse_limit(const Target& target) {
  auto text = param(target, "limit");
  if (!text) return 100;
  CIVICBOX_TRY(auto limit, parse_u64("limit", *text));
  if (limit < 1 || limit > wire::kMaxListItems) {
    return make_error(ErrorCode::invalid_argument, "limit must be between 1 and 1000");
  }
  return static_cast<int>(limit);
}

Expected<std::optional<std::int64_t>> optional_time(const Target& target, std::string_view name) {
  auto text = param(target, name);
  if (!text) return std::optional<std::int64_t>{};
  CIVICBOX_TRY(auto at, parse_time(name, *text));
  return std::optional<std::int64_t>{at};
}

// "to": a day counts whole (before the next local midnight); an instant is included.
Expected<std::optional<std::int64_t>> optional_until(const Target& target) {
  auto text = param(target, "to");
  if (!text) return std::optional<std::int64_t>{};
  CIVICBOX_TRY(auto until, parse_time("to", *text, true));
  const bool whole_day = text->size() == 10;
  return std::optional<std::int64_t>{whole_day ? until : until + 1};
}

// The from, to and limit query parameters of a list.
struct Window {
  std::optional<std::int64_t> from;
  std::optional<std::int64_t> before;
  int limit = 100;
};

Expected<Window> parse_window(const Target& target) {
  Window w;
  CIVICBOX_TRY(w.from, optional_time(target, "from"));
  CIVICBOX_TRY(w.before, optional_until(target));
  CIVICBOX_TRY(w.limit, parse_limit(target));
  return w;
}

std::optional<std::string> optional_param(const Target& target, std::string_view name) {
  auto text = param(target, name);
  if (!text) return std::nullopt;
  return std::string(*text);
}

// A badge as printed on it: 4..32 of A-Z 0-9 - (firmware/staff.hpp).
Expected<void> check_badge(std::string_view badge) {
  bool ok = badge.size() >= 4 && badge.size() <= 32;
  for (char c : badge) ok = ok && ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-');
  if (!ok) {
    return make_error(ErrorCode::invalid_argument,
                      "a badge has 4 to 32 capital letters, digits and dashes");
  }
  return {};
}

// A PIN of 6 digits, for a clerk to change at no box (they have no way to): given once to the
// back office, which hands it to the clerk.
std::string new_pin(Random& random) {
  std::string pin;
  std::array<std::uint8_t, 1> byte{};
  while (pin.size() < 6) {
    random.fill(byte);
    if (byte[0] < 250) pin.push_back(static_cast<char>('0' + byte[0] % 10));
  }
  return pin;
}

Expected<TrackingCode> code_param(const BackOffice::Params& params) {
  auto code = TrackingCode::parse(params[0]);
  if (!code) return code.error().context("tracking code");
  return *code;
}

Expected<DeviceId> box_param(const BackOffice::Params& params) {
  auto device = DeviceId::parse(params[0]);
  if (!device) return device.error().context("box");
  return *device;
}

Response forbidden_role(const Actor& by) {
  return error_response(403, "forbidden",
                        "the " + by.role + " role may not do this: ask an operator");
}

// Splits a path into segments; a route's "{x}" matches any one non-empty segment.
bool match(std::string_view pattern, std::string_view path, std::vector<std::string>& params) {
  params.clear();
  while (true) {
    const auto p_end = pattern.find('/');
    const auto s_end = path.find('/');
    const std::string_view p = pattern.substr(0, p_end);
    const std::string_view s = path.substr(0, s_end);
    if (p.starts_with('{')) {
      if (s.empty()) return false;
      params.emplace_back(s);
    } else if (p != s) {
      return false;
    }
    if ((p_end == std::string_view::npos) != (s_end == std::string_view::npos)) return false;
    if (p_end == std::string_view::npos) return true;
    pattern.remove_prefix(p_end + 1);
    path.remove_prefix(s_end + 1);
  }
}

using B = BackOffice;
constexpr unsigned kWriters = kOperator | kClerk;
constexpr unsigned kOversight = kOperator | kAuditor;

constexpr BackOfficeRoute kRoutes[] = {
    {"GET", "submissions", kAnyRole, &B::list_submissions},
    {"GET", "submissions/{code}", kAnyRole, &B::get_submission},
    {"POST", "submissions/{code}/state", kWriters, &B::move_submission},
    {"POST", "submissions/{code}/reference", kWriters, &B::set_reference},
    {"GET", "parcels", kAnyRole, &B::list_parcels},
    {"POST", "parcels", kWriters, &B::issue_parcel},
    {"GET", "parcels/{id}", kAnyRole, &B::get_parcel},
    {"POST", "parcels/{id}/cancel", kWriters, &B::cancel_parcel},
    {"POST", "parcels/{id}/extend", kWriters, &B::extend_parcel},
    {"POST", "parcels/{id}/returned", kWriters, &B::return_parcel},
    {"GET", "boxes", kAnyRole, &B::list_boxes},
    {"GET", "boxes/{id}", kAnyRole, &B::get_box},
    {"POST", "boxes/{id}/open", kOperator, &B::open_door},
    {"GET", "boxes/{id}/commands", kOversight, &B::list_commands},
    {"POST", "boxes/{id}/revoke", kOperator, &B::revoke_box},
    {"GET", "boxes/{id}/selftests", kAnyRole, &B::list_self_tests},
    {"GET", "doors", kOversight, &B::list_doors},
    {"GET", "audit", kOversight, &B::list_audit},
    {"GET", "clerks", kOversight, &B::list_clerks},
    {"POST", "clerks", kOperator, &B::add_clerk},
    {"POST", "clerks/{badge}/pin", kOperator, &B::reset_pin},
    {"DELETE", "clerks/{badge}", kOperator, &B::remove_clerk},
    {"GET", "tokens", kOversight, &B::list_tokens},
    {"POST", "tokens", kOperator, &B::create_token},
    {"GET", "certificates", kOversight, &B::list_certificates},
    {"GET", "api-tokens", kOversight, &B::list_api_tokens},
    {"POST", "api-tokens", kOperator, &B::create_api_token},
    {"DELETE", "api-tokens/{name}", kOperator, &B::revoke_api_token},
    {"GET", "stats", kAnyRole, &B::statistics},
};

}  // namespace

Expected<unsigned> parse_role(std::string_view text) {
  if (text == "operator") return unsigned{kOperator};
  if (text == "clerk") return unsigned{kClerk};
  if (text == "auditor") return unsigned{kAuditor};
  return make_error(ErrorCode::invalid_argument,
                    "a role is \"operator\", \"clerk\" or \"auditor\"");
}

Expected<void> check_api_token_name(std::string_view name) {
  bool ok = !name.empty() && name.size() <= kMaxName && name != "config";
  for (char c : name) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '_' || c == '-');
  }
  if (!ok) {
    return make_error(ErrorCode::invalid_argument,
                      "an API token's name has 1 to 64 letters, digits, dots, dashes and "
                      "underscores (and is not \"config\")");
  }
  return {};
}

NewApiToken make_api_token(Random& random) {
  std::array<std::uint8_t, 32> secret{};
  random.fill(secret);
  NewApiToken made;
  made.token = base64url(secret);
  made.sha256_hex = sha256_hex(made.token);
  return made;
}

BackOffice::BackOffice(Storage& storage, const Config& config, Random& random, const Clock& clock,
                       FleetIdentity& identity)
    : storage_(storage), config_(config), random_(random), clock_(clock), identity_(identity) {}

std::span<const BackOfficeRoute> BackOffice::routes() {
  return kRoutes;
}

Expected<Actor> BackOffice::authenticate(std::string_view authorization) {
  constexpr std::string_view kBearer = "Bearer ";
  if (!authorization.starts_with(kBearer)) {
    return make_error(ErrorCode::unauthenticated, "a valid back-office bearer token is required");
  }
  const std::string_view token = authorization.substr(kBearer.size());
  if (token_matches(token, config_.backoffice_token)) return Actor{"config", "operator"};
  if (token.empty() || token.size() > 256) {
    return make_error(ErrorCode::unauthenticated, "a valid back-office bearer token is required");
  }
  // Looked up by its hash: equal hashes mean equal tokens, and no comparison leaks a prefix.
  CIVICBOX_TRY(auto found, storage_.find_api_token(sha256_hex(token)));
  if (!found) {
    return make_error(ErrorCode::unauthenticated, "a valid back-office bearer token is required");
  }
  return Actor{found->name, found->role};
}

Response BackOffice::handle(const Request& request, const Target& target, std::string_view path) {
  auto actor = authenticate(request.authorization);
  if (!actor) return from_error(actor.error());
  std::vector<std::string> params;
  std::string allowed;
  for (const BackOfficeRoute& route : kRoutes) {
    if (!match(route.path, path, params)) continue;
    if (route.method != request.method) {
      if (!allowed.empty()) allowed += ", ";
      allowed += route.method;
      continue;
    }
    auto role = parse_role(actor->role);
    if (!role || (*role & route.roles) == 0) return forbidden_role(*actor);
    return (this->*route.handler)(request, target, params, *actor);
  }
  if (!allowed.empty()) return method_not_allowed(allowed);
  return not_found_route();
}

// ---- submissions

Response BackOffice::list_submissions(const Request&, const Target& target, Params, const Actor&) {
  if (auto ok = only_params(target, {"state", "box", "kind", "from", "to", "limit"}); !ok) {
    return from_error(ok.error());
  }
  SubmissionFilter filter;
  if (auto s = param(target, "state")) {
    auto state = parse_submission_state(*s);
    if (!state) return from_error(state.error());
    filter.state = *state;
  }
  filter.device_id = optional_param(target, "box");
  filter.kind = optional_param(target, "kind");
  auto window = parse_window(target);
  if (!window) return from_error(window.error());
  filter.filed_from_ms = window->from;
  filter.filed_before_ms = window->before;
  filter.limit = window->limit;
  auto found = storage_.list_submissions(filter);
  if (!found) return from_error(found.error());
  Json items = Json::array();
  for (const auto& r : *found) items.push_back(submission_json(r));
  return json_response(200, {{"submissions", items}});
}

Response BackOffice::get_submission(const Request&, const Target& target, Params params,
                                    const Actor&) {
  if (auto ok = only_params(target, {}); !ok) return from_error(ok.error());
  auto code = code_param(params);
  if (!code) return from_error(code.error());
  auto found = storage_.find_submission(*code);
  if (!found) return from_error(found.error());
  if (!*found) return error_response(404, "not_found", "no submission with this tracking code");
  return json_response(200, submission_json(**found));
}

Response BackOffice::move_submission(const Request& request, const Target&, Params params,
                                     const Actor& by) {
  if (!is_json(request.content_type)) return unsupported_media();
  auto code = code_param(params);
  if (!code) return from_error(code.error());
  std::string state_text;
  auto read =
      read_object(request, config_.max_body_bytes, [&](json::ObjectReader& r) -> Expected<void> {
        CIVICBOX_TRY(state_text, r.string("state", 32));
        return Expected<void>{};
      });
  if (!read) return from_error(read.error());
  auto state = parse_submission_state(state_text);
  if (!state) return from_error(state.error());
  auto moved = storage_.move_submission(*code, *state, clock_(), by);
  if (!moved) return from_error(moved.error());
  spdlog::info("submission {} moved to {} by {}", moved->registration_number, to_string(*state),
               by.name);
  return json_response(200, submission_json(*moved));
}

Response BackOffice::set_reference(const Request& request, const Target&, Params params,
                                   const Actor& by) {
  if (!is_json(request.content_type)) return unsupported_media();
  auto code = code_param(params);
  if (!code) return from_error(code.error());
  std::string reference;
  auto read =
      read_object(request, config_.max_body_bytes, [&](json::ObjectReader& r) -> Expected<void> {
        CIVICBOX_TRY(reference, r.string("reference", wire::kMaxTextBytes));
        return Expected<void>{};
      });
  if (!read) return from_error(read.error());
  auto set = storage_.set_submission_reference(*code, reference, clock_(), by);
  if (!set) return from_error(set.error());
  return json_response(200, submission_json(*set));
}

// ---- parcels

Response BackOffice::list_parcels(const Request&, const Target& target, Params, const Actor&) {
  if (auto ok = only_params(target, {"box"}); !ok) return from_error(ok.error());
  auto parcels = storage_.list_parcels(optional_param(target, "box"));
  if (!parcels) return from_error(parcels.error());
  Json items = Json::array();
  for (const auto& p : *parcels) items.push_back(parcel_json(p));
  return json_response(200, {{"parcels", items}});
}

Response BackOffice::issue_parcel(const Request& request, const Target&, Params, const Actor& by) {
  if (!is_json(request.content_type)) return unsupported_media();
  if (request.body.size() > config_.max_body_bytes) return body_too_large(config_.max_body_bytes);
  std::string box;
  std::string reference;
  std::optional<std::int64_t> hold_days;
  auto read =
      read_object(request, config_.max_body_bytes, [&](json::ObjectReader& r) -> Expected<void> {
        CIVICBOX_TRY(box, r.string("box", 63));
        CIVICBOX_TRY(reference, r.string("reference", wire::kMaxTextBytes));
        CIVICBOX_TRY(hold_days, r.optional_integer("hold_days", 1, 365));
        return Expected<void>{};
      });
  if (!read) return from_error(read.error());
  auto device = DeviceId::parse(box);
  if (!device) return from_error(device.error().context("box"));
  auto known = storage_.device_known(*device);
  if (!known) return from_error(known.error());
  if (!*known) {
    return error_response(404, "unknown_box",
                          "no box called " + device->str() + " has ever connected");
  }

  const std::int64_t now = clock_();
  const std::int64_t days = hold_days.value_or(config_.pickup_hold_days);
  PickupCode code = PickupCode::generate(random_);
  NewParcel parcel;
  parcel.parcel_id = TrackingCode::generate(random_).str();
  parcel.device_id = device->str();
  parcel.reference = reference;
  parcel.code_hash = hash_pickup_code(code, random_);
  parcel.expires_at_ms = now + days * kDayMs;
  parcel.pickup_code_for_notice = code.display();  // for the gateway's parcel.ready, if any
  if (auto added = storage_.add_parcel(parcel, now, by); !added) {
    return from_error(added.error());
  }
  spdlog::info("parcel {} issued for box {} (reference {}) by {}", parcel.parcel_id,
               parcel.device_id, parcel.reference, by.name);
  // The only time the pickup code leaves the controller: it keeps the salted hash alone.
  return json_response(201, {{"parcel_id", parcel.parcel_id},
                             {"box", parcel.device_id},
                             {"reference", parcel.reference},
                             {"pickup_code", code.display()},
                             {"expires_at", rfc3339(parcel.expires_at_ms)}});
}

Response BackOffice::get_parcel(const Request&, const Target& target, Params params, const Actor&) {
  if (auto ok = only_params(target, {}); !ok) return from_error(ok.error());
  auto found = storage_.find_parcel(params[0]);
  if (!found) return from_error(found.error());
  if (!*found) return error_response(404, "not_found", "no parcel " + params[0]);
  return json_response(200, parcel_json(**found));
}

Response BackOffice::parcel_change(const Request& request, const std::string& id,
                                   ParcelChange change, const Actor& by) {
  if (!is_json(request.content_type)) return unsupported_media();
  std::int64_t days = 0;
  std::optional<std::string> reason;
  auto read =
      read_object(request, config_.max_body_bytes, [&](json::ObjectReader& r) -> Expected<void> {
        if (change == ParcelChange::extend) {
          CIVICBOX_TRY(days, r.integer("days", 1, 365));
        }
        CIVICBOX_TRY(reason, r.optional_string("reason", kMaxReason));
        return Expected<void>{};
      });
  if (!read) return from_error(read.error());
  auto changed =
      storage_.change_parcel(id, change, static_cast<int>(days), reason.value_or(""), clock_(), by);
  if (!changed) return from_error(changed.error());
  spdlog::info("parcel {} is now {} (by {}{}{})", id, changed->state, by.name, reason ? ": " : "",
               reason.value_or(""));
  return json_response(200, parcel_json(*changed));
}

Response BackOffice::cancel_parcel(const Request& request, const Target&, Params params,
                                   const Actor& by) {
  return parcel_change(request, params[0], ParcelChange::cancel, by);
}

Response BackOffice::extend_parcel(const Request& request, const Target&, Params params,
                                   const Actor& by) {
  return parcel_change(request, params[0], ParcelChange::extend, by);
}

Response BackOffice::return_parcel(const Request& request, const Target&, Params params,
                                   const Actor& by) {
  return parcel_change(request, params[0], ParcelChange::returned, by);
}

// ---- boxes

Response BackOffice::list_boxes(const Request&, const Target& target, Params, const Actor&) {
  if (auto ok = only_params(target, {}); !ok) return from_error(ok.error());
  auto boxes = storage_.list_boxes();
  if (!boxes) return from_error(boxes.error());
  const std::int64_t now = clock_();
  Json items = Json::array();
  for (const auto& b : *boxes) {
    items.push_back(box_json(b, now, config_.box_offline_after_s, false));
  }
  return json_response(200, {{"boxes", items}, {"offline_after_s", config_.box_offline_after_s}});
}

Response BackOffice::get_box(const Request&, const Target& target, Params params, const Actor&) {
  if (auto ok = only_params(target, {}); !ok) return from_error(ok.error());
  auto device = box_param(params);
  if (!device) return from_error(device.error());
  auto found = storage_.find_box(*device);
  if (!found) return from_error(found.error());
  if (!*found) {
    return error_response(404, "unknown_box",
                          "no box called " + device->str() + " has ever connected");
  }
  return json_response(200, box_json(**found, clock_(), config_.box_offline_after_s, true));
}

Response BackOffice::open_door(const Request& request, const Target&, Params params,
                               const Actor& by) {
  if (!is_json(request.content_type)) return unsupported_media();
  auto device = box_param(params);
  if (!device) return from_error(device.error());
  NewCommand command;
  auto read =
      read_object(request, config_.max_body_bytes, [&](json::ObjectReader& r) -> Expected<void> {
        CIVICBOX_TRY(auto compartment, r.integer("compartment", 1, wire::kMaxCompartment));
        command.compartment = static_cast<int>(compartment);
        CIVICBOX_TRY(command.reason, r.string("reason", kMaxReason));
        return Expected<void>{};
      });
  if (!read) return from_error(read.error());
  if (command.reason.empty()) {
    return error_response(400, "invalid_argument",
                          "reason: say why the door is opened; it is kept in the audit trail");
  }
  const std::int64_t now = clock_();
  command.id = "open-" + TrackingCode::generate(random_).str();
  command.device_id = device->str();
  command.expires_at_ms = now + std::int64_t{config_.remote_open_valid_minutes} * 60'000;
  if (auto added = storage_.add_command(command, now, by); !added) {
    return from_error(added.error());
  }
  spdlog::warn("remote open of box {} compartment {} by {}: {} (command {})", command.device_id,
               command.compartment, by.name, command.reason, command.id);
  // Accepted: the box opens at its next pull, and reports with command.done.
  return json_response(202, {{"command", command.id},
                             {"box", command.device_id},
                             {"compartment", command.compartment},
                             {"expires_at", rfc3339(command.expires_at_ms)}});
}

Response BackOffice::list_commands(const Request&, const Target& target, Params params,
                                   const Actor&) {
  if (auto ok = only_params(target, {}); !ok) return from_error(ok.error());
  auto device = box_param(params);
  if (!device) return from_error(device.error());
  auto commands = storage_.list_commands(*device);
  if (!commands) return from_error(commands.error());
  Json items = Json::array();
  const std::int64_t now = clock_();
  for (const auto& c : *commands) items.push_back(command_json(c, now));
  return json_response(200, {{"box", device->str()}, {"commands", items}});
}

Response BackOffice::revoke_box(const Request& request, const Target&, Params params,
                                const Actor& by) {
  if (!is_json(request.content_type)) return unsupported_media();
  auto device = box_param(params);
  if (!device) return from_error(device.error());
  std::optional<std::string> reason;
  auto read =
      read_object(request, config_.max_body_bytes, [&](json::ObjectReader& r) -> Expected<void> {
        CIVICBOX_TRY(reason, r.optional_string("reason", kMaxReason));
        return Expected<void>{};
      });
  if (!read) return from_error(read.error());
  auto revoked = identity_.revoke(*device, reason.value_or(""), by);
  if (!revoked) return from_error(revoked.error());
  return json_response(200, {{"box", device->str()},
                             {"revoked_certificates", *revoked},
                             {"revoked_at", rfc3339(clock_())}});
}

Response BackOffice::list_self_tests(const Request&, const Target& target, Params params,
                                     const Actor&) {
  if (auto ok = only_params(target, {}); !ok) return from_error(ok.error());
  auto device = box_param(params);
  if (!device) return from_error(device.error());
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

// ---- the trails

Response BackOffice::list_doors(const Request&, const Target& target, Params, const Actor&) {
  if (auto ok = only_params(target, {"box", "from", "to", "limit"}); !ok) {
    return from_error(ok.error());
  }
  auto window = parse_window(target);
  if (!window) return from_error(window.error());
  DoorFilter filter{optional_param(target, "box"), window->from, window->before, window->limit};
  auto doors = storage_.list_door_openings(filter);
  if (!doors) return from_error(doors.error());
  Json items = Json::array();
  for (const auto& d : *doors) {
    items.push_back({{"box", d.device_id},
                     {"seq", d.seq},
                     {"at", rfc3339(d.at_ms)},
                     {"compartment", d.compartment},
                     {"by", d.by},
                     {"badge", optional_json(d.badge)},
                     {"command", optional_json(d.command)},
                     {"ref", optional_json(d.ref)},
                     {"why", d.why}});
  }
  return json_response(200, {{"doors", items}});
}

Response BackOffice::list_audit(const Request&, const Target& target, Params, const Actor&) {
  if (auto ok = only_params(target, {"actor", "target", "from", "to", "limit"}); !ok) {
    return from_error(ok.error());
  }
  auto window = parse_window(target);
  if (!window) return from_error(window.error());
  AuditFilter filter{optional_param(target, "actor"), optional_param(target, "target"),
                     window->from, window->before, window->limit};
  auto entries = storage_.list_audit(filter);
  if (!entries) return from_error(entries.error());
  Json items = Json::array();
  for (const auto& e : *entries) {
    items.push_back({{"id", e.id},
                     {"at", rfc3339(e.at_ms)},
                     {"actor", e.actor},
                     {"role", e.role},
                     {"action", e.action},
                     {"target", e.target},
                     {"detail", Json::parse(e.detail, nullptr, false)}});
  }
  return json_response(200, {{"audit", items}});
}

// ---- clerks

Response BackOffice::list_clerks(const Request&, const Target& target, Params, const Actor&) {
  if (auto ok = only_params(target, {}); !ok) return from_error(ok.error());
  auto clerks = storage_.list_clerks();
  if (!clerks) return from_error(clerks.error());
  Json items = Json::array();
  for (const auto& c : *clerks) {
    items.push_back(
        {{"badge", c.badge}, {"name", c.name}, {"updated_at", rfc3339(c.updated_at_ms)}});
  }
  return json_response(200, {{"clerks", items}});
}

Response BackOffice::add_clerk(const Request& request, const Target&, Params, const Actor& by) {
  if (!is_json(request.content_type)) return unsupported_media();
  std::string badge;
  std::string name;
  auto read =
      read_object(request, config_.max_body_bytes, [&](json::ObjectReader& r) -> Expected<void> {
        CIVICBOX_TRY(badge, r.string("badge", 32));
        CIVICBOX_TRY(name, r.string("name", kMaxName));
        return Expected<void>{};
      });
  if (!read) return from_error(read.error());
  if (auto ok = check_badge(badge); !ok) return from_error(ok.error().context("badge"));
  if (name.empty()) return error_response(400, "invalid_argument", "name: give the clerk's name");
  const std::string pin = new_pin(random_);
  auto added = storage_.add_clerk(badge, name, hash_pin(pin, random_), clock_(), by);
  if (!added) return from_error(added.error());
  spdlog::info("clerk {} ({}) added by {}", badge, name, by.name);
  // The only time the PIN leaves the controller.
  return json_response(201, {{"badge", badge}, {"name", name}, {"pin", pin}});
}

Response BackOffice::reset_pin(const Request&, const Target&, Params params, const Actor& by) {
  if (auto ok = check_badge(params[0]); !ok) return from_error(ok.error().context("badge"));
  const std::string pin = new_pin(random_);
  auto set = storage_.set_clerk_pin(params[0], hash_pin(pin, random_), clock_(), by);
  if (!set) return from_error(set.error());
  spdlog::info("clerk {}: PIN reset by {}", params[0], by.name);
  return json_response(200, {{"badge", params[0]}, {"pin", pin}});
}

Response BackOffice::remove_clerk(const Request&, const Target&, Params params, const Actor& by) {
  if (auto ok = check_badge(params[0]); !ok) return from_error(ok.error().context("badge"));
  auto removed = storage_.remove_clerk(params[0], clock_(), by);
  if (!removed) return from_error(removed.error());
  spdlog::info("clerk {} removed by {}", params[0], by.name);
  return json_response(200, {{"badge", params[0]}, {"removed", true}});
}

// ---- identity: enrolment tokens, certificates, API tokens

Response BackOffice::list_tokens(const Request&, const Target& target, Params, const Actor&) {
  if (auto ok = only_params(target, {"box"}); !ok) return from_error(ok.error());
  auto tokens = storage_.list_enrolment_tokens(optional_param(target, "box"));
  if (!tokens) return from_error(tokens.error());
  const std::int64_t now = clock_();
  Json items = Json::array();
  for (const auto& t : *tokens) items.push_back(token_json(t, now));
  return json_response(200, {{"tokens", items}});
}

Response BackOffice::create_token(const Request& request, const Target&, Params, const Actor& by) {
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
  auto issued = identity_.create_token(order, by);
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

Response BackOffice::list_certificates(const Request&, const Target& target, Params, const Actor&) {
  if (auto ok = only_params(target, {"box"}); !ok) return from_error(ok.error());
  auto certificates = storage_.list_certificates(optional_param(target, "box"));
  if (!certificates) return from_error(certificates.error());
  const std::int64_t now = clock_();
  Json items = Json::array();
  for (const auto& c : *certificates) items.push_back(certificate_json(c, now));
  return json_response(200, {{"certificates", items}});
}

Response BackOffice::list_api_tokens(const Request&, const Target& target, Params, const Actor&) {
  if (auto ok = only_params(target, {}); !ok) return from_error(ok.error());
  auto tokens = storage_.list_api_tokens();
  if (!tokens) return from_error(tokens.error());
  Json items = Json::array();
  for (const auto& t : *tokens) {
    items.push_back(
        {{"name", t.name},
         {"role", t.role},
         {"created_at", rfc3339(t.created_at_ms)},
         {"revoked_at", t.revoked_at_ms ? Json(rfc3339(*t.revoked_at_ms)) : Json(nullptr)}});
  }
  return json_response(200, {{"api_tokens", items}});
}

Response BackOffice::create_api_token(const Request& request, const Target&, Params,
                                      const Actor& by) {
  if (!is_json(request.content_type)) return unsupported_media();
  std::string name;
  std::string role;
  auto read =
      read_object(request, config_.max_body_bytes, [&](json::ObjectReader& r) -> Expected<void> {
        CIVICBOX_TRY(name, r.string("name", kMaxName));
        CIVICBOX_TRY(role, r.string("role", 16));
        return Expected<void>{};
      });
  if (!read) return from_error(read.error());
  if (auto ok = check_api_token_name(name); !ok) return from_error(ok.error());
  if (auto ok = parse_role(role); !ok) return from_error(ok.error().context("role"));
  NewApiToken made = make_api_token(random_);
  auto added = storage_.add_api_token(made.sha256_hex, name, role, clock_(), by);
  if (!added) return from_error(added.error());
  spdlog::info("API token {} ({}) created by {}", name, role, by.name);
  // The only time the token leaves the controller.
  return json_response(201, {{"name", name}, {"role", role}, {"token", made.token}});
}

Response BackOffice::revoke_api_token(const Request&, const Target&, Params params,
                                      const Actor& by) {
  auto revoked = storage_.revoke_api_token(params[0], clock_(), by);
  if (!revoked) return from_error(revoked.error());
  spdlog::info("API token {} revoked by {}", params[0], by.name);
  return json_response(200, {{"name", params[0]}, {"revoked", true}});
}

// ---- the dashboard's figures

Response BackOffice::statistics(const Request&, const Target& target, Params, const Actor&) {
  if (auto ok = only_params(target, {"days"}); !ok) return from_error(ok.error());
  std::uint64_t days = 30;
  if (auto text = param(target, "days")) {
    auto parsed = parse_u64("days", *text);
    if (!parsed) return from_error(parsed.error());
    if (*parsed < 1 || *parsed > 366) {
      return error_response(400, "invalid_argument", "days must be between 1 and 366");
    }
    days = *parsed;
  }
  const std::int64_t now = clock_();
  auto figures = storage_.statistics(now, static_cast<int>(days), config_.waiting_too_long_days);
  if (!figures) return from_error(figures.error());
  Json per_day = Json::array();
  for (const auto& d : figures->days) {
    per_day.push_back({{"date", d.date}, {"filed", d.filed}, {"collected", d.collected}});
  }
  Json resolution = Json::array();
  for (const auto& r : figures->resolution) {
    resolution.push_back({{"kind", r.kind},
                          {"count", r.count},
                          {"median_hours", r.median_hours},
                          {"p90_hours", r.p90_hours}});
  }
  Json waiting = Json::array();
  for (const auto& s : figures->waiting) {
    Json item = submission_json(s);
    item["waiting_days"] = (now - s.filed_at_ms) / kDayMs;
    waiting.push_back(item);
  }
  return json_response(200, {{"days", per_day},
                             {"resolution", resolution},
                             {"waiting", waiting},
                             {"waiting_after_days", config_.waiting_too_long_days}});
}

}  // namespace civicbox::controller
