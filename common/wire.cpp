#include "common/wire.hpp"

#include <initializer_list>

#include "common/json_strict.hpp"

namespace civicbox::wire {

using civicbox::json::ObjectReader;
using nlohmann::json;

namespace {

constexpr std::int64_t kMaxTimeMs = 253402300799999;  // year 9999
constexpr std::uint64_t kMaxSeq = (1ULL << 53);       // exact in every JSON reader

std::string item_path(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

Expected<TrackingCode> read_tracking(ObjectReader& r, std::string_view key) {
  CIVICBOX_TRY(auto text, r.string(key, 64));
  auto code = TrackingCode::parse(text);
  if (!code) return code.error().context("'" + r.path_of(key) + "'");
  return code;
}

Expected<int> read_compartment(ObjectReader& r) {
  CIVICBOX_TRY(auto c, r.integer("compartment", 1, kMaxCompartment));
  return static_cast<int>(c);
}

// A string field that must be one of `words`.
Expected<std::string> read_word(ObjectReader& r, std::string_view key,
                                std::initializer_list<std::string_view> words) {
  CIVICBOX_TRY(auto text, r.string(key, 64));
  for (auto word : words) {
    if (text == word) return text;
  }
  std::string list;
  for (auto word : words) list += (list.empty() ? "\"" : ", \"") + std::string(word) + "\"";
  return make_error(ErrorCode::parse, "'" + r.path_of(key) + "' must be one of " + list);
}

// A string field of min..max bytes.
Expected<std::string> read_sized(ObjectReader& r, std::string_view key, std::size_t min,
                                 std::size_t max) {
  CIVICBOX_TRY(auto text, r.string(key, max));
  if (text.size() < min) {
    return make_error(ErrorCode::parse, "'" + r.path_of(key) + "' is shorter than " +
                                            std::to_string(min) + " characters");
  }
  return text;
}

Expected<std::optional<std::string>> read_optional_sized(ObjectReader& r, std::string_view key,
                                                         std::size_t min, std::size_t max) {
  CIVICBOX_TRY(auto text, r.optional_string(key, max));
  if (text && text->size() < min) {
    return make_error(ErrorCode::parse, "'" + r.path_of(key) + "' is shorter than " +
                                            std::to_string(min) + " characters");
  }
  return text;
}

// A UI language code: 2..16 of a-z and '-'.
Expected<std::optional<std::string>> read_language(ObjectReader& r) {
  CIVICBOX_TRY(auto text, r.optional_string("language", 16));
  if (!text) return text;
  bool ok = text->size() >= 2;
  for (char c : *text) ok = ok && ((c >= 'a' && c <= 'z') || c == '-');
  if (!ok) {
    return make_error(ErrorCode::parse,
                      "'" + r.path_of("language") + "' must be 2 to 16 of a-z and -");
  }
  return text;
}

Expected<EventBody> parse_body(std::string_view type, const json& data, const std::string& path) {
  CIVICBOX_TRY(auto r, ObjectReader::open(data, path));
  EventBody body;
  if (type == "submission.filed") {
    CIVICBOX_TRY(auto code, read_tracking(r, "tracking_code"));
    SubmissionFiled s{std::move(code), {}, 0, {}, {}, false, {}};
    CIVICBOX_TRY(s.kind, r.string("kind", kMaxTextBytes));
    CIVICBOX_TRY(s.compartment, read_compartment(r));
    CIVICBOX_TRY(s.provisional_number, r.string("provisional_number", kMaxTextBytes));
    CIVICBOX_TRY(s.contact, r.optional_string("contact", kMaxTextBytes));
    CIVICBOX_TRY(s.interrupted, r.optional_boolean("interrupted", false));
    CIVICBOX_TRY(s.language, read_language(r));
    if (s.kind.empty()) return make_error(ErrorCode::parse, "'" + r.path_of("kind") + "' is empty");
    body = std::move(s);
  } else if (type == "parcel.loaded") {
    ParcelLoaded p;
    CIVICBOX_TRY(p.parcel_id, r.string("parcel_id", kMaxTextBytes));
    CIVICBOX_TRY(p.compartment, read_compartment(r));
    body = std::move(p);
  } else if (type == "parcel.collected") {
    ParcelCollected p;
    CIVICBOX_TRY(p.parcel_id, r.string("parcel_id", kMaxTextBytes));
    CIVICBOX_TRY(p.compartment, read_compartment(r));
    CIVICBOX_TRY(p.interrupted, r.optional_boolean("interrupted", false));
    body = std::move(p);
  } else if (type == "dropoff.emptied") {
    DropoffEmptied d;
    CIVICBOX_TRY(d.compartment, read_compartment(r));
    CIVICBOX_TRY(const json* codes, r.array("tracking_codes", kMaxListItems));
    for (std::size_t i = 0; i < codes->size(); ++i) {
      auto p = r.path_of("tracking_codes") + "[" + std::to_string(i) + "]";
      CIVICBOX_TRY(auto text, civicbox::json::string_item((*codes)[i], p, 64));
      auto code = TrackingCode::parse(text);
      if (!code) return code.error().context("'" + p + "'");
      d.tracking_codes.push_back(code->str());
    }
    body = std::move(d);
  } else if (type == "alarm") {
    Alarm a;
    CIVICBOX_TRY(a.what, r.string("what", 64));
    CIVICBOX_TRY(a.detail, r.string("detail", kMaxTextBytes * 4));
    CIVICBOX_TRY(auto c, r.optional_integer("compartment", 1, kMaxCompartment));
    if (c) a.compartment = static_cast<int>(*c);
    body = std::move(a);
  } else if (type == "door.opened") {
    DoorOpened d;
    CIVICBOX_TRY(d.compartment, read_compartment(r));
    CIVICBOX_TRY(d.by,
                 read_word(r, "by", {"citizen", "clerk", "technician", "remote", "self_test"}));
    CIVICBOX_TRY(d.badge, read_optional_sized(r, "badge", 1, 32));
    CIVICBOX_TRY(d.command, read_optional_sized(r, "command", 1, 64));
    CIVICBOX_TRY(d.ref, read_optional_sized(r, "ref", 1, 64));
    CIVICBOX_TRY(d.why, r.string("why", kMaxTextBytes));
    body = std::move(d);
  } else if (type == "command.done") {
    CommandDone c;
    CIVICBOX_TRY(c.command, read_sized(r, "command", 1, 64));
    CIVICBOX_TRY(c.outcome, read_word(r, "outcome", {"opened", "refused", "expired", "failed"}));
    CIVICBOX_TRY(c.detail, r.string("detail", kMaxTextBytes));
    body = std::move(c);
  } else {
    return make_error(ErrorCode::parse,
                      "unknown event type '" + std::string(type).substr(0, 64) + "'");
  }
  CIVICBOX_CHECK(r.finish());
  return body;
}

Expected<Event> parse_event_value(const json& value, const std::string& path) {
  CIVICBOX_TRY(auto r, ObjectReader::open(value, path));
  Event e;
  CIVICBOX_TRY(e.seq, r.unsigned_integer("seq", kMaxSeq));
  if (e.seq == 0) return make_error(ErrorCode::parse, "'" + r.path_of("seq") + "' starts at 1");
  CIVICBOX_TRY(auto id_text, r.string("id", 64));
  auto id = EventId::parse(id_text);
  if (!id) return id.error().context("'" + r.path_of("id") + "'");
  e.id = *id;
  CIVICBOX_TRY(e.at_ms, r.integer("at", 0, kMaxTimeMs));
  CIVICBOX_TRY(auto type, r.string("type", 64));
  CIVICBOX_TRY(const json* data, r.object("data"));
  CIVICBOX_TRY(e.body, parse_body(type, *data, r.path_of("data")));
  CIVICBOX_CHECK(r.finish());
  return e;
}

json body_json(const EventBody& body) {
  struct Visitor {
    json operator()(const SubmissionFiled& s) const {
      json j{{"tracking_code", s.tracking_code.str()},
             {"kind", s.kind},
             {"compartment", s.compartment},
             {"provisional_number", s.provisional_number}};
      if (s.contact) j["contact"] = *s.contact;
      if (s.interrupted) j["interrupted"] = true;
      if (s.language) j["language"] = *s.language;
      return j;
    }
    json operator()(const ParcelLoaded& p) const {
      return json{{"parcel_id", p.parcel_id}, {"compartment", p.compartment}};
    }
    json operator()(const ParcelCollected& p) const {
      json j{{"parcel_id", p.parcel_id}, {"compartment", p.compartment}};
      if (p.interrupted) j["interrupted"] = true;
      return j;
    }
    json operator()(const DropoffEmptied& d) const {
      return json{{"compartment", d.compartment}, {"tracking_codes", d.tracking_codes}};
    }
    json operator()(const Alarm& a) const {
      json j{{"what", a.what}, {"detail", a.detail}};
      if (a.compartment) j["compartment"] = *a.compartment;
      return j;
    }
    json operator()(const DoorOpened& d) const {
      json j{{"compartment", d.compartment}, {"by", d.by}, {"why", d.why}};
      if (d.badge) j["badge"] = *d.badge;
      if (d.command) j["command"] = *d.command;
      if (d.ref) j["ref"] = *d.ref;
      return j;
    }
    json operator()(const CommandDone& c) const {
      return json{{"command", c.command}, {"outcome", c.outcome}, {"detail", c.detail}};
    }
  };
  return std::visit(Visitor{}, body);
}

json event_json(const Event& e) {
  return json{{"seq", e.seq},
              {"id", e.id.str()},
              {"at", e.at_ms},
              {"type", std::string(event_type(e.body))},
              {"data", body_json(e.body)}};
}

Expected<json> parse_root(std::string_view text) {
  return civicbox::json::parse(text, kMaxBodyBytes);
}

}  // namespace

std::string_view event_type(const EventBody& body) {
  struct Visitor {
    std::string_view operator()(const SubmissionFiled&) const { return "submission.filed"; }
    std::string_view operator()(const ParcelLoaded&) const { return "parcel.loaded"; }
    std::string_view operator()(const ParcelCollected&) const { return "parcel.collected"; }
    std::string_view operator()(const DropoffEmptied&) const { return "dropoff.emptied"; }
    std::string_view operator()(const Alarm&) const { return "alarm"; }
    std::string_view operator()(const DoorOpened&) const { return "door.opened"; }
    std::string_view operator()(const CommandDone&) const { return "command.done"; }
  };
  return std::visit(Visitor{}, body);
}

Expected<Event> parse_event(std::string_view text) {
  CIVICBOX_TRY(auto root, parse_root(text));
  return parse_event_value(root, "");
}

std::string to_json(const Event& value) {
  return civicbox::json::dump(event_json(value));
}

Expected<PushRequest> parse_push_request(std::string_view text) {
  CIVICBOX_TRY(auto root, parse_root(text));
  CIVICBOX_TRY(auto r, ObjectReader::open(root, ""));
  CIVICBOX_TRY(const json* events, r.array("events", kMaxBatchEvents));
  CIVICBOX_CHECK(r.finish());
  if (events->empty()) return make_error(ErrorCode::parse, "'events' is empty");
  PushRequest req;
  for (std::size_t i = 0; i < events->size(); ++i) {
    CIVICBOX_TRY(auto e, parse_event_value((*events)[i], item_path("events", i)));
    if (!req.events.empty() && e.seq <= req.events.back().seq) {
      return make_error(ErrorCode::parse, "'" + item_path("events", i) +
                                              ".seq' must be greater than the one before it");
    }
    req.events.push_back(std::move(e));
  }
  return req;
}

std::string to_json(const PushRequest& value) {
  json events = json::array();
  for (const auto& e : value.events) events.push_back(event_json(e));
  return civicbox::json::dump(json{{"events", events}});
}

Expected<PushResponse> parse_push_response(std::string_view text) {
  CIVICBOX_TRY(auto root, parse_root(text));
  CIVICBOX_TRY(auto r, ObjectReader::open(root, ""));
  PushResponse resp;
  CIVICBOX_TRY(resp.applied_through, r.unsigned_integer("applied_through", kMaxSeq));
  CIVICBOX_TRY(const json* regs, r.array("registrations", kMaxBatchEvents));
  CIVICBOX_CHECK(r.finish());
  for (std::size_t i = 0; i < regs->size(); ++i) {
    CIVICBOX_TRY(auto rr, ObjectReader::open((*regs)[i], item_path("registrations", i)));
    CIVICBOX_TRY(auto code, read_tracking(rr, "tracking_code"));
    CIVICBOX_TRY(auto number, rr.string("registration_number", 64));
    CIVICBOX_CHECK(rr.finish());
    resp.registrations.push_back(Registration{std::move(code), std::move(number)});
  }
  return resp;
}

std::string to_json(const PushResponse& value) {
  json regs = json::array();
  for (const auto& r : value.registrations) {
    regs.push_back(
        {{"tracking_code", r.tracking_code.str()}, {"registration_number", r.registration_number}});
  }
  return civicbox::json::dump(
      json{{"applied_through", value.applied_through}, {"registrations", regs}});
}

Expected<PullResponse> parse_pull_response(std::string_view text) {
  CIVICBOX_TRY(auto root, parse_root(text));
  CIVICBOX_TRY(auto r, ObjectReader::open(root, ""));
  PullResponse resp;
  CIVICBOX_TRY(resp.cursor, r.unsigned_integer("cursor", kMaxSeq));
  CIVICBOX_TRY(const json* items, r.array("assignments", kMaxListItems));
  CIVICBOX_TRY(const json* config, r.object("config"));
  CIVICBOX_TRY(const json* commands, r.array("commands", kMaxCommands));
  CIVICBOX_TRY(const json* staff, r.object("staff"));
  CIVICBOX_CHECK(r.finish());
  for (std::size_t i = 0; i < items->size(); ++i) {
    CIVICBOX_TRY(auto ar, ObjectReader::open((*items)[i], item_path("assignments", i)));
    Assignment a;
    CIVICBOX_TRY(a.parcel_id, ar.string("parcel_id", kMaxTextBytes));
    CIVICBOX_TRY(a.salt_hex, ar.string("salt", 64));
    CIVICBOX_TRY(auto iterations, ar.integer("iterations", 1, 1'000'000));
    a.iterations = static_cast<std::uint32_t>(iterations);
    CIVICBOX_TRY(a.hash_hex, ar.string("hash", 128));
    CIVICBOX_TRY(a.expires_at_ms, ar.integer("expires_at", 0, kMaxTimeMs));
    CIVICBOX_TRY(a.active, ar.boolean("active"));
    CIVICBOX_CHECK(ar.finish());
    resp.assignments.push_back(std::move(a));
  }
  CIVICBOX_TRY(auto cr, ObjectReader::open(*config, "config"));
  CIVICBOX_TRY(resp.config.institution, cr.string("institution", kMaxTextBytes));
  CIVICBOX_TRY(const json* kinds, cr.array("document_kinds", 100));
  CIVICBOX_TRY(resp.config.track_url, cr.string("track_url", kMaxTextBytes));
  CIVICBOX_CHECK(cr.finish());
  for (std::size_t i = 0; i < kinds->size(); ++i) {
    CIVICBOX_TRY(auto kind, civicbox::json::string_item(
                                (*kinds)[i], item_path("config.document_kinds", i), kMaxTextBytes));
    resp.config.document_kinds.push_back(std::move(kind));
  }
  for (std::size_t i = 0; i < commands->size(); ++i) {
    CIVICBOX_TRY(auto cmd, ObjectReader::open((*commands)[i], item_path("commands", i)));
    Command c;
    CIVICBOX_TRY(c.id, read_sized(cmd, "id", 1, 64));
    CIVICBOX_TRY(c.kind, read_word(cmd, "kind", {"open"}));
    CIVICBOX_TRY(c.compartment, read_compartment(cmd));
    CIVICBOX_TRY(c.reason, cmd.string("reason", kMaxTextBytes));
    CIVICBOX_TRY(c.by, cmd.string("by", 64));
    CIVICBOX_TRY(c.expires_at_ms, cmd.integer("expires_at", 0, kMaxTimeMs));
    CIVICBOX_CHECK(cmd.finish());
    resp.commands.push_back(std::move(c));
  }
  CIVICBOX_TRY(auto sr, ObjectReader::open(*staff, "staff"));
  CIVICBOX_TRY(resp.staff.version, sr.unsigned_integer("version", kMaxSeq));
  CIVICBOX_TRY(const json* clerks, sr.array("clerks", kMaxListItems));
  CIVICBOX_CHECK(sr.finish());
  for (std::size_t i = 0; i < clerks->size(); ++i) {
    CIVICBOX_TRY(auto kr, ObjectReader::open((*clerks)[i], item_path("staff.clerks", i)));
    StaffClerk k;
    CIVICBOX_TRY(k.badge, read_sized(kr, "badge", 1, 32));
    CIVICBOX_TRY(k.name, kr.string("name", kMaxTextBytes));
    CIVICBOX_TRY(k.pin_hash, read_sized(kr, "pin_hash", 1, kMaxTextBytes));
    CIVICBOX_CHECK(kr.finish());
    resp.staff.clerks.push_back(std::move(k));
  }
  return resp;
}

std::string to_json(const PullResponse& value) {
  json items = json::array();
  for (const auto& a : value.assignments) {
    items.push_back({{"parcel_id", a.parcel_id},
                     {"salt", a.salt_hex},
                     {"iterations", a.iterations},
                     {"hash", a.hash_hex},
                     {"expires_at", a.expires_at_ms},
                     {"active", a.active}});
  }
  json config{{"institution", value.config.institution},
              {"document_kinds", value.config.document_kinds},
              {"track_url", value.config.track_url}};
  json commands = json::array();
  for (const auto& c : value.commands) {
    commands.push_back({{"id", c.id},
                        {"kind", c.kind},
                        {"compartment", c.compartment},
                        {"reason", c.reason},
                        {"by", c.by},
                        {"expires_at", c.expires_at_ms}});
  }
  json clerks = json::array();
  for (const auto& k : value.staff.clerks) {
    clerks.push_back({{"badge", k.badge}, {"name", k.name}, {"pin_hash", k.pin_hash}});
  }
  return civicbox::json::dump(
      json{{"cursor", value.cursor},
           {"assignments", items},
           {"config", config},
           {"commands", commands},
           {"staff", {{"version", value.staff.version}, {"clerks", clerks}}}});
}

Expected<ErrorBody> parse_error_body(std::string_view text) {
  CIVICBOX_TRY(auto root, civicbox::json::parse(text, 64 * 1024));
  CIVICBOX_TRY(auto r, ObjectReader::open(root, ""));
  ErrorBody b;
  CIVICBOX_TRY(b.error, r.string("error", 64));
  CIVICBOX_TRY(b.message, r.string("message", 4096));
  CIVICBOX_CHECK(r.finish());
  return b;
}

std::string to_json(const ErrorBody& value) {
  return civicbox::json::dump(json{{"error", value.error}, {"message", value.message}});
}

Expected<BoxStatus> parse_box_status(std::string_view text) {
  CIVICBOX_TRY(auto root, parse_root(text));
  CIVICBOX_TRY(auto r, ObjectReader::open(root, ""));
  BoxStatus s;
  CIVICBOX_TRY(s.at_ms, r.integer("at", 0, kMaxTimeMs));
  CIVICBOX_TRY(const json* compartments, r.array("compartments", kMaxListItems));
  CIVICBOX_TRY(s.paper, read_word(r, "paper", {"ok", "low", "out", "unknown"}));
  CIVICBOX_TRY(const json* faults, r.array("faults", kMaxListItems));
  CIVICBOX_TRY(s.version, r.string("version", 64));
  CIVICBOX_CHECK(r.finish());
  for (std::size_t i = 0; i < compartments->size(); ++i) {
    CIVICBOX_TRY(auto cr, ObjectReader::open((*compartments)[i], item_path("compartments", i)));
    CompartmentStatus c;
    CIVICBOX_TRY(auto number, cr.integer("number", 1, kMaxCompartment));
    c.number = static_cast<int>(number);
    CIVICBOX_TRY(c.size, read_word(cr, "size", {"S", "M", "L"}));
    CIVICBOX_TRY(c.use, read_word(cr, "use", {"dropoff", "pickup"}));
    CIVICBOX_TRY(c.state, read_word(cr, "state", {"free", "occupied", "open", "fault"}));
    CIVICBOX_CHECK(cr.finish());
    s.compartments.push_back(std::move(c));
  }
  for (std::size_t i = 0; i < faults->size(); ++i) {
    CIVICBOX_TRY(auto fr, ObjectReader::open((*faults)[i], item_path("faults", i)));
    BoxFault f;
    CIVICBOX_TRY(f.what, read_sized(fr, "what", 1, 64));
    CIVICBOX_TRY(f.detail, fr.string("detail", kMaxTextBytes * 4));
    CIVICBOX_CHECK(fr.finish());
    s.faults.push_back(std::move(f));
  }
  return s;
}

std::string to_json(const BoxStatus& value) {
  json compartments = json::array();
  for (const auto& c : value.compartments) {
    compartments.push_back(
        {{"number", c.number}, {"size", c.size}, {"use", c.use}, {"state", c.state}});
  }
  json faults = json::array();
  for (const auto& f : value.faults) faults.push_back({{"what", f.what}, {"detail", f.detail}});
  return civicbox::json::dump(json{{"at", value.at_ms},
                                   {"compartments", compartments},
                                   {"paper", value.paper},
                                   {"faults", faults},
                                   {"version", value.version}});
}

}  // namespace civicbox::wire
