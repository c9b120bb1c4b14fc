// The sync protocol's wire types: everything a box sends reads back the same on the controller
// (and the other way), and anything malformed, mistyped, unknown or oversized is refused with a
// typed error that names the field.
#include "common/wire.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/seeded_random.hpp"

namespace civicbox::wire {
namespace {

using nlohmann::json;
using testing::SeededRandom;

constexpr std::int64_t kT0 = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

TrackingCode tracking(std::uint64_t seed) {
  SeededRandom random(seed);
  return TrackingCode::generate(random);
}

Event make_event(std::uint64_t seq, EventBody body) {
  SeededRandom random(1000 + seq);
  auto at = kT0 + static_cast<std::int64_t>(seq) * 1000;
  return Event{seq, EventId::generate(at, random), at, std::move(body)};
}

// One event of each kind, with every optional field set on some and unset on others.
PushRequest all_kinds() {
  PushRequest req;
  req.events.push_back(
      make_event(1, SubmissionFiled{tracking(1), "building permit", 7, "P-box-0001-000007",
                                    std::string("+40 721 000 000"), false, std::string("ro")}));
  req.events.push_back(
      make_event(2, SubmissionFiled{tracking(2), "cerere \xc8\x99i \"formular\"", 8,
                                    "P-box-0001-000008", std::nullopt, true, std::nullopt}));
  req.events.push_back(make_event(3, ParcelLoaded{"parcel-42", 12}));
  req.events.push_back(make_event(4, ParcelCollected{"parcel-42", 12, false}));
  req.events.push_back(make_event(5, ParcelCollected{"parcel-43", 13, true}));
  req.events.push_back(make_event(6, DropoffEmptied{7, {tracking(1).str(), tracking(2).str()}}));
  req.events.push_back(make_event(7, DropoffEmptied{9, {}}));
  req.events.push_back(make_event(8, Alarm{"door_left_open", "door 7 open for 120 s", 7}));
  req.events.push_back(make_event(9, Alarm{"keypad_locked", "5 wrong codes", std::nullopt}));
  req.events.push_back(make_event(
      10, DoorOpened{7, "citizen", std::nullopt, std::nullopt, tracking(1).str(), "filing"}));
  req.events.push_back(make_event(11, DoorOpened{12, "clerk", std::string("CLERK-7"), std::nullopt,
                                                 std::string("parcel-42"), "loading"}));
  req.events.push_back(make_event(12, DoorOpened{3, "remote", std::nullopt, std::string("cmd-1"),
                                                 std::nullopt, "citizen forgot a bag"}));
  req.events.push_back(make_event(13, CommandDone{"cmd-1", "opened", ""}));
  req.events.push_back(make_event(14, CommandDone{"cmd-2", "refused", "no compartment 99"}));
  return req;
}

void expect_same(const EventBody& a, const EventBody& b) {
  ASSERT_EQ(a.index(), b.index());
  if (const auto* x = std::get_if<SubmissionFiled>(&a)) {
    const auto& y = std::get<SubmissionFiled>(b);
    EXPECT_EQ(x->tracking_code, y.tracking_code);
    EXPECT_EQ(x->kind, y.kind);
    EXPECT_EQ(x->compartment, y.compartment);
    EXPECT_EQ(x->provisional_number, y.provisional_number);
    EXPECT_EQ(x->contact, y.contact);
    EXPECT_EQ(x->interrupted, y.interrupted);
    EXPECT_EQ(x->language, y.language);
  } else if (const auto* x = std::get_if<ParcelLoaded>(&a)) {
    const auto& y = std::get<ParcelLoaded>(b);
    EXPECT_EQ(x->parcel_id, y.parcel_id);
    EXPECT_EQ(x->compartment, y.compartment);
  } else if (const auto* x = std::get_if<ParcelCollected>(&a)) {
    const auto& y = std::get<ParcelCollected>(b);
    EXPECT_EQ(x->parcel_id, y.parcel_id);
    EXPECT_EQ(x->compartment, y.compartment);
    EXPECT_EQ(x->interrupted, y.interrupted);
  } else if (const auto* x = std::get_if<DropoffEmptied>(&a)) {
    const auto& y = std::get<DropoffEmptied>(b);
    EXPECT_EQ(x->compartment, y.compartment);
    EXPECT_EQ(x->tracking_codes, y.tracking_codes);
  } else if (const auto* x = std::get_if<DoorOpened>(&a)) {
    const auto& y = std::get<DoorOpened>(b);
    EXPECT_EQ(x->compartment, y.compartment);
    EXPECT_EQ(x->by, y.by);
    EXPECT_EQ(x->badge, y.badge);
    EXPECT_EQ(x->command, y.command);
    EXPECT_EQ(x->ref, y.ref);
    EXPECT_EQ(x->why, y.why);
  } else if (const auto* x = std::get_if<CommandDone>(&a)) {
    const auto& y = std::get<CommandDone>(b);
    EXPECT_EQ(x->command, y.command);
    EXPECT_EQ(x->outcome, y.outcome);
    EXPECT_EQ(x->detail, y.detail);
  } else {
    const auto& alarm_a = std::get<Alarm>(a);
    const auto& alarm_b = std::get<Alarm>(b);
    EXPECT_EQ(alarm_a.what, alarm_b.what);
    EXPECT_EQ(alarm_a.detail, alarm_b.detail);
    EXPECT_EQ(alarm_a.compartment, alarm_b.compartment);
  }
}

void expect_same(const Event& a, const Event& b) {
  EXPECT_EQ(a.seq, b.seq);
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.at_ms, b.at_ms);
  expect_same(a.body, b.body);
}

// ---- round trips -------------------------------------------------------------------------------

TEST(common_wire, APushWithEveryEventKindReadsBackTheSame) {
  auto sent = all_kinds();
  auto received = parse_push_request(to_json(sent));
  ASSERT_TRUE(received) << received.error().describe();
  ASSERT_EQ(received->events.size(), sent.events.size());
  for (std::size_t i = 0; i < sent.events.size(); ++i) {
    SCOPED_TRACE(i);
    expect_same(received->events[i], sent.events[i]);
  }
}

TEST(common_wire, EventTypesHaveTheirDocumentedNames) {
  auto req = all_kinds();
  EXPECT_EQ(event_type(req.events[0].body), "submission.filed");
  EXPECT_EQ(event_type(req.events[2].body), "parcel.loaded");
  EXPECT_EQ(event_type(req.events[3].body), "parcel.collected");
  EXPECT_EQ(event_type(req.events[5].body), "dropoff.emptied");
  EXPECT_EQ(event_type(req.events[7].body), "alarm");
  EXPECT_EQ(event_type(req.events[9].body), "door.opened");
  EXPECT_EQ(event_type(req.events[12].body), "command.done");
  EXPECT_EQ(event_type(EventBody{}), "alarm");
}

TEST(common_wire, ASingleEventReadsBackTheSame) {
  for (const auto& sent : all_kinds().events) {
    SCOPED_TRACE(event_type(sent.body));
    auto received = parse_event(to_json(sent));
    ASSERT_TRUE(received) << received.error().describe();
    expect_same(*received, sent);
  }
}

TEST(common_wire, APushResponseReadsBackTheSame) {
  PushResponse sent{9, {{tracking(1), "2026/000123"}, {tracking(2), "2026/000124"}}};
  auto received = parse_push_response(to_json(sent));
  ASSERT_TRUE(received) << received.error().describe();
  EXPECT_EQ(received->applied_through, 9u);
  ASSERT_EQ(received->registrations.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(received->registrations[i].tracking_code, sent.registrations[i].tracking_code);
    EXPECT_EQ(received->registrations[i].registration_number,
              sent.registrations[i].registration_number);
  }
  auto empty = parse_push_response(to_json(PushResponse{}));
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->applied_through, 0u);
  EXPECT_TRUE(empty->registrations.empty());
}

PullResponse sample_pull() {
  PullResponse sent;
  sent.cursor = 77;
  sent.assignments.push_back(Assignment{"parcel-1", std::string(32, 'a'), 4096,
                                        std::string(64, 'b'), kT0 + 86'400'000, true});
  sent.assignments.push_back(
      Assignment{"parcel-2", std::string(32, 'c'), 1, std::string(64, 'd'), 0, false});
  sent.config = BoxConfig{
      "Primăria Cluj-Napoca", {"building permit", "cerere"}, "https://primarie.example/track/"};
  sent.commands.push_back(
      Command{"cmd-1", "open", 3, "citizen forgot a bag", "Ana Pop", kT0 + 600'000});
  sent.commands.push_back(Command{std::string(64, 'c'), "open", kMaxCompartment, "", "", 0});
  sent.staff.version = 4;
  sent.staff.clerks.push_back(
      StaffClerk{"CLERK-9", "Ioana",
                 "pbkdf2-sha256$100000$" + std::string(32, 'a') + "$" + std::string(64, 'b')});
  return sent;
}

TEST(common_wire, APullResponseReadsBackTheSame) {
  auto sent = sample_pull();
  auto received = parse_pull_response(to_json(sent));
  ASSERT_TRUE(received) << received.error().describe();
  EXPECT_EQ(received->cursor, sent.cursor);
  ASSERT_EQ(received->assignments.size(), sent.assignments.size());
  for (std::size_t i = 0; i < sent.assignments.size(); ++i) {
    const auto& a = received->assignments[i];
    const auto& b = sent.assignments[i];
    EXPECT_EQ(a.parcel_id, b.parcel_id);
    EXPECT_EQ(a.salt_hex, b.salt_hex);
    EXPECT_EQ(a.iterations, b.iterations);
    EXPECT_EQ(a.hash_hex, b.hash_hex);
    EXPECT_EQ(a.expires_at_ms, b.expires_at_ms);
    EXPECT_EQ(a.active, b.active);
  }
  EXPECT_EQ(received->config.institution, sent.config.institution);
  EXPECT_EQ(received->config.document_kinds, sent.config.document_kinds);
  EXPECT_EQ(received->config.track_url, sent.config.track_url);
  ASSERT_EQ(received->commands.size(), sent.commands.size());
  for (std::size_t i = 0; i < sent.commands.size(); ++i) {
    const auto& a = received->commands[i];
    const auto& b = sent.commands[i];
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.kind, b.kind);
    EXPECT_EQ(a.compartment, b.compartment);
    EXPECT_EQ(a.reason, b.reason);
    EXPECT_EQ(a.by, b.by);
    EXPECT_EQ(a.expires_at_ms, b.expires_at_ms);
  }
  EXPECT_EQ(received->staff.version, 4u);
  ASSERT_EQ(received->staff.clerks.size(), 1u);
  EXPECT_EQ(received->staff.clerks[0].badge, "CLERK-9");
  EXPECT_EQ(received->staff.clerks[0].name, "Ioana");
  EXPECT_EQ(received->staff.clerks[0].pin_hash, sent.staff.clerks[0].pin_hash);

  auto empty = parse_pull_response(to_json(PullResponse{}));
  ASSERT_TRUE(empty) << empty.error().describe();
  EXPECT_TRUE(empty->commands.empty());
  EXPECT_EQ(empty->staff.version, 0u);
  EXPECT_TRUE(empty->staff.clerks.empty());
}

TEST(common_wire, AnErrorBodyReadsBackTheSame) {
  ErrorBody sent{"conflict", "seq 5 was already applied with a different event"};
  auto received = parse_error_body(to_json(sent));
  ASSERT_TRUE(received) << received.error().describe();
  EXPECT_EQ(received->error, sent.error);
  EXPECT_EQ(received->message, sent.message);
}

TEST(common_wire, ATrackingCodeTypedSloppilyIsStoredCanonically) {
  auto code = tracking(5);
  std::string typed = code.display();
  for (char& c : typed) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  json body = json::parse(to_json(all_kinds()));
  body["events"][0]["data"]["tracking_code"] = typed;
  body["events"][5]["data"]["tracking_codes"][0] = typed;
  auto req = parse_push_request(body.dump());
  ASSERT_TRUE(req) << req.error().describe();
  EXPECT_EQ(std::get<SubmissionFiled>(req->events[0].body).tracking_code, code);
  EXPECT_EQ(std::get<DropoffEmptied>(req->events[5].body).tracking_codes[0], code.str());
}

// ---- strictness --------------------------------------------------------------------------------

// Parses `body` as a push request and checks the error's code and that its message names `path`.
void expect_refused(const json& body, ErrorCode code, const std::string& path) {
  auto req = parse_push_request(body.dump());
  ASSERT_FALSE(req) << "accepted: " << body.dump().substr(0, 300);
  EXPECT_EQ(req.error().code, code) << req.error().describe();
  EXPECT_NE(req.error().message.find(path), std::string::npos)
      << "message does not name '" << path << "': " << req.error().message;
}

json valid_body() {
  return json::parse(to_json(all_kinds()));
}

TEST(common_wire, AMissingFieldIsNamed) {
  auto body = valid_body();
  body["events"][0]["data"].erase("kind");
  expect_refused(body, ErrorCode::missing_field, "'events[0].data.kind'");

  body = valid_body();
  body["events"][3].erase("seq");
  expect_refused(body, ErrorCode::missing_field, "'events[3].seq'");

  body = valid_body();
  body.erase("events");
  expect_refused(body, ErrorCode::missing_field, "'events'");

  body = valid_body();
  body["events"][2].erase("data");
  expect_refused(body, ErrorCode::missing_field, "'events[2].data'");
}

TEST(common_wire, AWrongTypeIsNamed) {
  auto body = valid_body();
  body["events"][0]["data"]["compartment"] = "7";
  expect_refused(body, ErrorCode::wrong_type, "'events[0].data.compartment'");

  body = valid_body();
  body["events"][0]["data"]["interrupted"] = "yes";
  expect_refused(body, ErrorCode::wrong_type, "'events[0].data.interrupted'");

  body = valid_body();
  body["events"][5]["data"]["tracking_codes"][1] = 12;
  expect_refused(body, ErrorCode::wrong_type, "'events[5].data.tracking_codes[1]'");

  body = valid_body();
  body["events"][1]["data"] = json::array();
  expect_refused(body, ErrorCode::wrong_type, "'events[1].data'");

  body = valid_body();
  body["events"] = json::object();
  expect_refused(body, ErrorCode::wrong_type, "'events'");

  expect_refused(json::array(), ErrorCode::wrong_type, "the body");
}

TEST(common_wire, AnUnknownFieldIsNamed) {
  auto body = valid_body();
  body["events"][0]["data"]["colour"] = "red";
  expect_refused(body, ErrorCode::unknown_field, "'events[0].data.colour'");

  body = valid_body();
  body["events"][4]["device"] = "box-1";
  expect_refused(body, ErrorCode::unknown_field, "'events[4].device'");

  body = valid_body();
  body["version"] = 2;
  expect_refused(body, ErrorCode::unknown_field, "'version'");
}

TEST(common_wire, TextFieldsAreLimitedTo200Bytes) {
  auto body = valid_body();
  body["events"][0]["data"]["kind"] = std::string(200, 'x');
  EXPECT_TRUE(parse_push_request(body.dump()));
  body["events"][0]["data"]["kind"] = std::string(201, 'x');
  expect_refused(body, ErrorCode::too_large, "'events[0].data.kind'");

  body = valid_body();
  body["events"][2]["data"]["parcel_id"] = std::string(10'000, 'p');
  expect_refused(body, ErrorCode::too_large, "'events[2].data.parcel_id'");
}

TEST(common_wire, APushCarriesAtMost100Events) {
  PushRequest req;
  for (std::uint64_t seq = 1; seq <= kMaxBatchEvents; ++seq) {
    req.events.push_back(make_event(seq, ParcelLoaded{"p", 1}));
  }
  EXPECT_TRUE(parse_push_request(to_json(req)));
  req.events.push_back(make_event(kMaxBatchEvents + 1, ParcelLoaded{"p", 1}));
  auto refused = parse_push_request(to_json(req));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::too_large);
  EXPECT_NE(refused.error().message.find("'events'"), std::string::npos);
}

TEST(common_wire, AnEmptyPushIsRefused) {
  auto refused = parse_push_request(R"({"events": []})");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::parse);
}

TEST(common_wire, ABodyOver1MiBIsRefused) {
  std::string body = to_json(all_kinds());
  body.append(kMaxBodyBytes + 1 - body.size(), ' ');
  auto refused = parse_push_request(body);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::too_large);
  EXPECT_FALSE(parse_pull_response(body));
  EXPECT_EQ(parse_pull_response(body).error().code, ErrorCode::too_large);
  // The same body a byte shorter is fine.
  body.pop_back();
  EXPECT_TRUE(parse_push_request(body));
}

TEST(common_wire, DeepNestingIsRefused) {
  auto body = valid_body();
  json deep = json::array();
  for (int i = 0; i < 40; ++i) deep = json::array({deep});
  body["events"][0]["data"]["contact"] = deep;
  auto refused = parse_push_request(body.dump());
  ASSERT_FALSE(refused);
  EXPECT_TRUE(refused.error().code == ErrorCode::too_large ||
              refused.error().code == ErrorCode::parse)
      << refused.error().describe();

  std::string hostile = R"({"events": )" + std::string(200'000, '[');
  auto hostile_result = parse_push_request(hostile);
  ASSERT_FALSE(hostile_result);
  EXPECT_EQ(hostile_result.error().code, ErrorCode::too_large);
}

TEST(common_wire, InvalidUtf8IsAParseError) {
  std::string body = to_json(all_kinds());
  auto at = body.find("building permit");
  ASSERT_NE(at, std::string::npos);
  body[at] = '\xff';
  auto refused = parse_push_request(body);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::parse);
}

TEST(common_wire, NothingAfterANulByteIsIgnored) {
  std::string body = to_json(all_kinds());
  body += '\0';
  body += R"({"events": "smuggled"})";
  auto refused = parse_push_request(body);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::parse);
}

TEST(common_wire, EveryTruncatedBodyIsAParseError) {
  const std::string body = to_json(all_kinds());
  for (std::size_t size = 0; size < body.size(); ++size) {
    auto refused = parse_push_request(std::string_view(body).substr(0, size));
    ASSERT_FALSE(refused) << "accepted the first " << size << " bytes";
    ASSERT_EQ(refused.error().code, ErrorCode::parse) << size;
  }
  const std::string pull = to_json(sample_pull());
  for (std::size_t size = 0; size < pull.size(); ++size) {
    auto refused = parse_pull_response(std::string_view(pull).substr(0, size));
    ASSERT_FALSE(refused) << "accepted the first " << size << " bytes";
    ASSERT_EQ(refused.error().code, ErrorCode::parse) << size;
  }
}

TEST(common_wire, NegativeOrFractionalCountersAreTheWrongType) {
  for (const json& bad : {json(-1), json(1.5), json(1.0), json("1"), json(true), json(nullptr)}) {
    auto body = valid_body();
    body["events"][0]["seq"] = bad;
    SCOPED_TRACE(bad.dump());
    expect_refused(body, ErrorCode::wrong_type, "'events[0].seq'");
  }
  for (const char* text : {R"({"applied_through": -3, "registrations": []})",
                           R"({"applied_through": 3.5, "registrations": []})",
                           R"({"applied_through": 1e3, "registrations": []})"}) {
    auto refused = parse_push_response(text);
    ASSERT_FALSE(refused) << text;
    EXPECT_EQ(refused.error().code, ErrorCode::wrong_type) << text;
    EXPECT_NE(refused.error().message.find("'applied_through'"), std::string::npos);
  }
  auto pull = json::parse(to_json(sample_pull()));
  pull["cursor"] = -1;
  auto refused = parse_pull_response(pull.dump());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::wrong_type);
  EXPECT_NE(refused.error().message.find("'cursor'"), std::string::npos);
}

TEST(common_wire, SequenceNumbersMustStrictlyIncrease) {
  for (std::uint64_t second : {std::uint64_t{1}, std::uint64_t{2}}) {
    PushRequest req;
    req.events.push_back(make_event(2, ParcelLoaded{"p", 1}));
    req.events.push_back(make_event(second, ParcelLoaded{"p", 1}));
    auto refused = parse_push_request(to_json(req));
    ASSERT_FALSE(refused) << "seq 2 then " << second;
    EXPECT_EQ(refused.error().code, ErrorCode::parse);
    EXPECT_NE(refused.error().message.find("events[1].seq"), std::string::npos)
        << refused.error().message;
  }
  // Gaps are the controller's business, not the parser's.
  PushRequest gap;
  gap.events.push_back(make_event(2, ParcelLoaded{"p", 1}));
  gap.events.push_back(make_event(9, ParcelLoaded{"p", 1}));
  EXPECT_TRUE(parse_push_request(to_json(gap)));
}

TEST(common_wire, SequenceNumbersStartAtOne) {
  auto body = valid_body();
  body["events"][0]["seq"] = 0;
  expect_refused(body, ErrorCode::parse, "'events[0].seq'");
}

TEST(common_wire, AnUnknownEventTypeIsRefused) {
  auto body = valid_body();
  body["events"][2]["type"] = "parcel.lost";
  auto refused = parse_push_request(body.dump());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::parse);
  EXPECT_NE(refused.error().message.find("parcel.lost"), std::string::npos);
}

TEST(common_wire, ATypoInATrackingCodeIsReportedAsATypo) {
  auto body = valid_body();
  std::string code = body["events"][0]["data"]["tracking_code"];
  code[3] = code[3] == 'A' ? 'B' : 'A';
  body["events"][0]["data"]["tracking_code"] = code;
  expect_refused(body, ErrorCode::bad_check, "'events[0].data.tracking_code'");

  body = valid_body();
  body["events"][5]["data"]["tracking_codes"][1] = "not-a-code";
  expect_refused(body, ErrorCode::parse, "'events[5].data.tracking_codes[1]'");
}

TEST(common_wire, ABadEventIdOrCompartmentIsNamed) {
  auto body = valid_body();
  body["events"][1]["id"] = "0190A0B4-1C2D-7E3F-8A9B-0C1D2E3F4A5B";
  expect_refused(body, ErrorCode::parse, "'events[1].id'");

  body = valid_body();
  body["events"][2]["data"]["compartment"] = 0;
  expect_refused(body, ErrorCode::too_large, "'events[2].data.compartment'");

  body = valid_body();
  body["events"][2]["data"]["compartment"] = kMaxCompartment + 1;
  expect_refused(body, ErrorCode::too_large, "'events[2].data.compartment'");

  body = valid_body();
  body["events"][2]["at"] = -1;
  expect_refused(body, ErrorCode::too_large, "'events[2].at'");
}

TEST(common_wire, APullResponseNamesTheBadField) {
  auto body = json::parse(to_json(sample_pull()));
  body["assignments"][1]["salt"] = 5;
  auto refused = parse_pull_response(body.dump());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::wrong_type);
  EXPECT_NE(refused.error().message.find("'assignments[1].salt'"), std::string::npos);

  body = json::parse(to_json(sample_pull()));
  body["config"]["document_kinds"][1] = json::object();
  refused = parse_pull_response(body.dump());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::wrong_type);
  EXPECT_NE(refused.error().message.find("'config.document_kinds[1]'"), std::string::npos)
      << refused.error().message;

  body = json::parse(to_json(sample_pull()));
  body["config"]["theme"] = "dark";
  refused = parse_pull_response(body.dump());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::unknown_field);
  EXPECT_NE(refused.error().message.find("'config.theme'"), std::string::npos);

  body = json::parse(to_json(sample_pull()));
  body["assignments"][0]["iterations"] = 0;
  refused = parse_pull_response(body.dump());
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("'assignments[0].iterations'"), std::string::npos);

  body = json::parse(to_json(sample_pull()));
  body["assignments"][0].erase("active");
  refused = parse_pull_response(body.dump());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::missing_field);
  EXPECT_NE(refused.error().message.find("'assignments[0].active'"), std::string::npos);
}

TEST(common_wire, AnErrorBodyIsReadStrictly) {
  EXPECT_FALSE(parse_error_body(R"({"error": "x"})"));
  EXPECT_EQ(parse_error_body(R"({"error": "x", "message": "m", "code": 1})").error().code,
            ErrorCode::unknown_field);
  EXPECT_EQ(parse_error_body(R"({"error": 1, "message": "m"})").error().code,
            ErrorCode::wrong_type);
}

// ---- the back office: commands, staff, status, door openings ----------------------------------

BoxStatus sample_status() {
  BoxStatus s;
  s.at_ms = kT0 + 5000;
  s.compartments = {{1, "S", "dropoff", "free"},
                    {2, "M", "dropoff", "occupied"},
                    {3, "L", "pickup", "open"},
                    {4, "M", "pickup", "fault"}};
  s.paper = "low";
  s.faults = {{"board_silent", "board 2 on bus 0 did not answer in 1500 ms"},
              {"door_left_open", "door 3 open for 120 s"}};
  s.version = "1.4.0";
  return s;
}

TEST(common_wire, ABoxStatusReadsBackTheSame) {
  auto sent = sample_status();
  auto received = parse_box_status(to_json(sent));
  ASSERT_TRUE(received) << received.error().describe();
  EXPECT_EQ(received->at_ms, sent.at_ms);
  ASSERT_EQ(received->compartments.size(), sent.compartments.size());
  for (std::size_t i = 0; i < sent.compartments.size(); ++i) {
    EXPECT_EQ(received->compartments[i].number, sent.compartments[i].number);
    EXPECT_EQ(received->compartments[i].size, sent.compartments[i].size);
    EXPECT_EQ(received->compartments[i].use, sent.compartments[i].use);
    EXPECT_EQ(received->compartments[i].state, sent.compartments[i].state);
  }
  EXPECT_EQ(received->paper, "low");
  ASSERT_EQ(received->faults.size(), 2u);
  EXPECT_EQ(received->faults[1].what, "door_left_open");
  EXPECT_EQ(received->faults[1].detail, "door 3 open for 120 s");
  EXPECT_EQ(received->version, "1.4.0");
  EXPECT_EQ(to_json(*received), to_json(sent));

  BoxStatus bare;
  bare.paper = "unknown";
  EXPECT_TRUE(parse_box_status(to_json(bare)));
}

// Parses `text` with `parse` and checks the error's code and that its message names `path`.
template <typename Parse>
void expect_refused_by(Parse parse, const json& body, ErrorCode code, const std::string& path) {
  auto result = parse(body.dump());
  ASSERT_FALSE(result) << "accepted: " << body.dump().substr(0, 300);
  EXPECT_EQ(result.error().code, code) << result.error().describe();
  EXPECT_NE(result.error().message.find(path), std::string::npos)
      << "message does not name '" << path << "': " << result.error().message;
}

TEST(common_wire, ABoxStatusIsReadStrictly) {
  auto parse = [](std::string_view t) { return parse_box_status(t); };
  auto base = json::parse(to_json(sample_status()));

  auto body = base;
  body["paper"] = "empty";
  expect_refused_by(parse, body, ErrorCode::parse, "'paper'");
  body = base;
  body["compartments"][1]["state"] = "broken";
  expect_refused_by(parse, body, ErrorCode::parse, "'compartments[1].state'");
  body = base;
  body["compartments"][0]["size"] = "XL";
  expect_refused_by(parse, body, ErrorCode::parse, "'compartments[0].size'");
  body = base;
  body["compartments"][0]["use"] = "storage";
  expect_refused_by(parse, body, ErrorCode::parse, "'compartments[0].use'");
  body = base;
  body["compartments"][2]["number"] = 0;
  expect_refused_by(parse, body, ErrorCode::too_large, "'compartments[2].number'");
  body = base;
  body["compartments"][2]["colour"] = "red";
  expect_refused_by(parse, body, ErrorCode::unknown_field, "'compartments[2].colour'");
  body = base;
  body["faults"][0].erase("detail");
  expect_refused_by(parse, body, ErrorCode::missing_field, "'faults[0].detail'");
  body = base;
  body["faults"][0]["what"] = "";
  expect_refused_by(parse, body, ErrorCode::parse, "'faults[0].what'");
  body = base;
  body.erase("version");
  expect_refused_by(parse, body, ErrorCode::missing_field, "'version'");
  body = base;
  body["uptime"] = 5;
  expect_refused_by(parse, body, ErrorCode::unknown_field, "'uptime'");
  body = base;
  body["at"] = "now";
  expect_refused_by(parse, body, ErrorCode::wrong_type, "'at'");

  const std::string text = to_json(sample_status());
  for (std::size_t size = 0; size < text.size(); ++size) {
    auto refused = parse_box_status(std::string_view(text).substr(0, size));
    ASSERT_FALSE(refused) << "accepted the first " << size << " bytes";
    ASSERT_EQ(refused.error().code, ErrorCode::parse) << size;
  }
}

TEST(common_wire, CommandsAndStaffAreRequiredAndReadStrictly) {
  auto parse = [](std::string_view t) { return parse_pull_response(t); };
  auto base = json::parse(to_json(sample_pull()));

  auto body = base;
  body.erase("commands");
  expect_refused_by(parse, body, ErrorCode::missing_field, "'commands'");
  body = base;
  body.erase("staff");
  expect_refused_by(parse, body, ErrorCode::missing_field, "'staff'");
  body = base;
  body["commands"][0]["kind"] = "reboot";
  expect_refused_by(parse, body, ErrorCode::parse, "'commands[0].kind'");
  body = base;
  body["commands"][0]["id"] = "";
  expect_refused_by(parse, body, ErrorCode::parse, "'commands[0].id'");
  body = base;
  body["commands"][0]["id"] = std::string(65, 'x');
  expect_refused_by(parse, body, ErrorCode::too_large, "'commands[0].id'");
  body = base;
  body["commands"][1]["compartment"] = 0;
  expect_refused_by(parse, body, ErrorCode::too_large, "'commands[1].compartment'");
  body = base;
  body["commands"][0]["by"] = std::string(65, 'o');
  expect_refused_by(parse, body, ErrorCode::too_large, "'commands[0].by'");
  body = base;
  body["commands"][0].erase("expires_at");
  expect_refused_by(parse, body, ErrorCode::missing_field, "'commands[0].expires_at'");
  body = base;
  body["commands"][0]["priority"] = 1;
  expect_refused_by(parse, body, ErrorCode::unknown_field, "'commands[0].priority'");
  body = base;
  body["commands"] = json::array();
  for (std::size_t i = 0; i <= kMaxCommands; ++i) body["commands"].push_back(base["commands"][0]);
  expect_refused_by(parse, body, ErrorCode::too_large, "'commands'");

  body = base;
  body["staff"].erase("version");
  expect_refused_by(parse, body, ErrorCode::missing_field, "'staff.version'");
  body = base;
  body["staff"]["version"] = -1;
  expect_refused_by(parse, body, ErrorCode::wrong_type, "'staff.version'");
  body = base;
  body["staff"]["clerks"][0]["badge"] = std::string(33, 'B');
  expect_refused_by(parse, body, ErrorCode::too_large, "'staff.clerks[0].badge'");
  body = base;
  body["staff"]["clerks"][0]["badge"] = "";
  expect_refused_by(parse, body, ErrorCode::parse, "'staff.clerks[0].badge'");
  body = base;
  body["staff"]["clerks"][0].erase("pin_hash");
  expect_refused_by(parse, body, ErrorCode::missing_field, "'staff.clerks[0].pin_hash'");
  body = base;
  body["staff"]["clerks"][0]["role"] = "technician";
  expect_refused_by(parse, body, ErrorCode::unknown_field, "'staff.clerks[0].role'");
  body = base;
  body["staff"]["technicians"] = json::array();
  expect_refused_by(parse, body, ErrorCode::unknown_field, "'staff.technicians'");
}

TEST(common_wire, TheNewEventsAreReadStrictly) {
  auto body = valid_body();
  body["events"][9]["data"]["by"] = "janitor";
  expect_refused(body, ErrorCode::parse, "'events[9].data.by'");
  body = valid_body();
  body["events"][9]["data"].erase("why");
  expect_refused(body, ErrorCode::missing_field, "'events[9].data.why'");
  body = valid_body();
  body["events"][9]["data"]["why"] = std::string(kMaxTextBytes + 1, 'w');
  expect_refused(body, ErrorCode::too_large, "'events[9].data.why'");
  body = valid_body();
  body["events"][10]["data"]["badge"] = std::string(33, 'B');
  expect_refused(body, ErrorCode::too_large, "'events[10].data.badge'");
  body = valid_body();
  body["events"][11]["data"]["command"] = std::string(65, 'c');
  expect_refused(body, ErrorCode::too_large, "'events[11].data.command'");
  body = valid_body();
  body["events"][10]["data"]["ref"] = std::string(65, 'r');
  expect_refused(body, ErrorCode::too_large, "'events[10].data.ref'");
  body = valid_body();
  body["events"][9]["data"]["compartment"] = 0;
  expect_refused(body, ErrorCode::too_large, "'events[9].data.compartment'");
  body = valid_body();
  body["events"][9]["data"]["door"] = 7;
  expect_refused(body, ErrorCode::unknown_field, "'events[9].data.door'");

  body = valid_body();
  body["events"][12]["data"]["outcome"] = "done";
  expect_refused(body, ErrorCode::parse, "'events[12].data.outcome'");
  body = valid_body();
  body["events"][12]["data"].erase("detail");
  expect_refused(body, ErrorCode::missing_field, "'events[12].data.detail'");
  body = valid_body();
  body["events"][12]["data"]["command"] = "";
  expect_refused(body, ErrorCode::parse, "'events[12].data.command'");
}

TEST(common_wire, AReceiptLanguageIsALanguageCode) {
  for (const char* good : {"ro", "hu", "pt-br", "abcdefghijklmnop"}) {
    auto body = valid_body();
    body["events"][0]["data"]["language"] = good;
    auto req = parse_push_request(body.dump());
    ASSERT_TRUE(req) << good << ": " << req.error().describe();
    EXPECT_EQ(std::get<SubmissionFiled>(req->events[0].body).language, std::string(good));
  }
  for (const char* bad : {"", "r", "RO", "ro_RO", "ro ", "é", "1a"}) {
    auto body = valid_body();
    body["events"][0]["data"]["language"] = bad;
    SCOPED_TRACE(bad);
    expect_refused(body, ErrorCode::parse, "'events[0].data.language'");
  }
  auto body = valid_body();
  body["events"][0]["data"]["language"] = std::string(17, 'a');
  expect_refused(body, ErrorCode::too_large, "'events[0].data.language'");
  body = valid_body();
  body["events"][0]["data"]["language"] = 40;
  expect_refused(body, ErrorCode::wrong_type, "'events[0].data.language'");
}

}  // namespace
}  // namespace civicbox::wire
