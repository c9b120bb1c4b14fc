// The back office's API without the network: roles, the audit trail, submissions, parcels,
// boxes and their doors, clerks, the dashboard's figures, and the OpenAPI file kept true.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/pin_hash.hpp"
#include "controller/service.hpp"
#include "tests/controller/events.hpp"
#include "tests/support/temp_dir.hpp"

namespace civicbox::controller {
namespace {

using nlohmann::json;
using testing::device;
using testing::filed_event;

constexpr std::int64_t kStart = 1'790'000'000'000;  // 2026-09-21
constexpr std::int64_t kDay = 24 * 3600 * 1000;
const std::string kOperator = "Bearer test-token-0123456789abcdef";

DeviceIdentity box_identity(const std::string& id, std::int64_t now) {
  return {device(id), {id, "0a0b0c", now - kDay, now + 90 * kDay, "feed"}};
}

class BackOfficeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.backoffice_token = "test-token-0123456789abcdef";
    config_.document_kinds = {"request", "complaint", "other"};
    auto opened = open_sqlite_storage(dir_.path(), {"cluj", true});
    ASSERT_TRUE(opened);
    storage_ = std::move(*opened);
    service_ = std::make_unique<Service>(*storage_, config_, random_, [this] { return now_; });
  }

  Response call(const std::string& method, const std::string& target, const std::string& auth,
                const std::string& body = "") {
    return service_->handle_public(
        {method, target, body.empty() ? "" : "application/json", auth, body});
  }
  json ok(const std::string& method, const std::string& target, const std::string& body = "",
          int status = 200, const std::string& auth = kOperator) {
    Response r = call(method, target, auth, body);
    EXPECT_EQ(r.status, status) << method << " " << target << ": " << r.body;
    return json::parse(r.body, nullptr, false);
  }
  static std::string error_of(const Response& r) { return json::parse(r.body).at("error"); }

  // A token of `role` made by the operator; its bearer header.
  std::string token(const std::string& name, const std::string& role) {
    json made =
        ok("POST", "/v1/backoffice/api-tokens", json{{"name", name}, {"role", role}}.dump(), 201);
    return "Bearer " + made.at("token").get<std::string>();
  }

  Response device_call(const std::string& box, const std::string& method, const std::string& target,
                       const std::string& body = "") {
    return service_->handle_device(
        box_identity(box, now_),
        {method, target, body.empty() ? "" : "application/json", "", body});
  }
  void push(const std::string& box, const std::vector<wire::Event>& events) {
    Response r =
        device_call(box, "POST", "/v1/device/events", wire::to_json(wire::PushRequest{events}));
    ASSERT_EQ(r.status, 200) << r.body;
  }
  wire::PullResponse pull(const std::string& box) {
    Response r = device_call(box, "GET", "/v1/device/sync");
    EXPECT_EQ(r.status, 200) << r.body;
    auto parsed = wire::parse_pull_response(r.body);
    EXPECT_TRUE(parsed) << r.body;
    return parsed ? *parsed : wire::PullResponse{};
  }
  wire::Event event(std::uint64_t seq, wire::EventBody body) {
    wire::Event e = filed_event(seq, random_);
    e.at_ms = now_;
    e.body = std::move(body);
    return e;
  }
  TrackingCode file(const std::string& box, std::uint64_t seq, const std::string& kind) {
    wire::Event e = filed_event(seq, random_);
    e.at_ms = now_;
    auto& filed = std::get<wire::SubmissionFiled>(e.body);
    filed.kind = kind;
    filed.language = "hu";
    push(box, {e});
    return filed.tracking_code;
  }

  testing::TempDir dir_;
  Config config_;
  SystemRandom random_;
  std::int64_t now_ = kStart;
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<Service> service_;
};

TEST_F(BackOfficeTest, EachRoleMayDoOnlyItsShare) {
  TrackingCode code = file("box-a", 1, "request");
  const std::string clerk = token("front-desk", "clerk");
  const std::string auditor = token("county-audit", "auditor");
  const std::string path = "/v1/backoffice/submissions/" + code.str();

  // Everyone reads.
  for (const auto& who : {kOperator, clerk, auditor}) {
    EXPECT_EQ(call("GET", path, who).status, 200);
    EXPECT_EQ(call("GET", "/v1/backoffice/boxes", who).status, 200);
    EXPECT_EQ(call("GET", "/metrics", who).status, 200);
  }
  // A clerk moves submissions; an auditor changes nothing.
  EXPECT_EQ(call("POST", path + "/state", clerk, R"({"state":"in_progress"})").status, 200);
  Response refused = call("POST", path + "/state", auditor, R"({"state":"resolved"})");
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(error_of(refused), "forbidden");
  EXPECT_EQ(call("POST", "/v1/backoffice/parcels", auditor, R"({"box":"box-a","reference":"R-1"})")
                .status,
            403);
  // Opening a door, managing clerks and tokens is an operator's.
  EXPECT_EQ(call("POST", "/v1/backoffice/boxes/box-a/open", clerk,
                 R"({"compartment":1,"reason":"stuck"})")
                .status,
            403);
  EXPECT_EQ(
      call("POST", "/v1/backoffice/clerks", clerk, R"({"badge":"CLK-1","name":"Ana"})").status,
      403);
  EXPECT_EQ(
      call("POST", "/v1/backoffice/api-tokens", clerk, R"({"name":"x","role":"operator"})").status,
      403);
  // The trails are for operators and auditors.
  EXPECT_EQ(call("GET", "/v1/backoffice/audit", clerk).status, 403);
  EXPECT_EQ(call("GET", "/v1/backoffice/audit", auditor).status, 200);
  EXPECT_EQ(call("GET", "/v1/backoffice/doors", auditor).status, 200);

  // A revoked token opens nothing; an unknown one neither.
  ok("DELETE", "/v1/backoffice/api-tokens/front-desk");
  EXPECT_EQ(call("GET", path, clerk).status, 401);
  EXPECT_EQ(call("GET", path, "Bearer " + std::string(43, 'A')).status, 401);
  EXPECT_EQ(call("GET", "/metrics", "").status, 401);
  EXPECT_FALSE(service_->backoffice_authorized(clerk));
  EXPECT_TRUE(service_->backoffice_authorized(auditor));
}

TEST_F(BackOfficeTest, ApiTokensAreRefusedWithAClearMessage) {
  Response bad_role =
      call("POST", "/v1/backoffice/api-tokens", kOperator, R"({"name":"x","role":"admin"})");
  EXPECT_EQ(bad_role.status, 400);
  EXPECT_NE(bad_role.body.find("operator"), std::string::npos);
  EXPECT_EQ(
      call("POST", "/v1/backoffice/api-tokens", kOperator, R"({"name":"config","role":"auditor"})")
          .status,
      400);
  EXPECT_EQ(
      call("POST", "/v1/backoffice/api-tokens", kOperator, R"({"name":"a b","role":"auditor"})")
          .status,
      400);
  token("dashboard", "auditor");
  EXPECT_EQ(
      call("POST", "/v1/backoffice/api-tokens", kOperator, R"({"name":"dashboard","role":"clerk"})")
          .status,
      409);
  json listed = ok("GET", "/v1/backoffice/api-tokens");
  ASSERT_EQ(listed.at("api_tokens").size(), 1u);
  EXPECT_EQ(listed["api_tokens"][0].at("role"), "auditor");
  EXPECT_EQ(listed.dump().find("token\":\""), std::string::npos) << "never shown again";
  EXPECT_EQ(call("DELETE", "/v1/backoffice/api-tokens/nobody", kOperator).status, 404);
}

TEST_F(BackOfficeTest, EveryChangeIsInTheAuditTrailWithWhoMadeIt) {
  TrackingCode code = file("box-a", 1, "request");
  const std::string clerk = token("front-desk", "clerk");
  const std::string path = "/v1/backoffice/submissions/" + code.str();
  now_ += 1000;
  ok("POST", path + "/state", R"({"state":"in_progress"})", 200, clerk);
  ok("POST", path + "/reference", R"({"reference":"REG-2026-0042"})", 200, clerk);
  json parcel =
      ok("POST", "/v1/backoffice/parcels", R"({"box":"box-a","reference":"C-9"})", 201, clerk);
  const std::string parcel_id = parcel.at("parcel_id");
  ok("POST", "/v1/backoffice/parcels/" + parcel_id + "/cancel", R"({"reason":"issued twice"})");
  ok("POST", "/v1/backoffice/clerks", R"({"badge":"CLK-7","name":"Ana Pop"})", 201);
  ok("POST", "/v1/backoffice/boxes/box-a/open", R"({"compartment":2,"reason":"jammed"})", 202);
  ok("POST", "/v1/backoffice/boxes/box-a/revoke", R"({"reason":"stolen"})");

  json trail = ok("GET", "/v1/backoffice/audit")["audit"];
  std::vector<std::string> actions;
  for (const auto& e : trail) actions.push_back(e.at("action"));
  EXPECT_EQ(actions, (std::vector<std::string>{
                         "box.revoke", "box.open", "clerk.add", "parcel.cancel", "parcel.issue",
                         "submission.reference", "submission.move", "api_token.create"}));
  EXPECT_EQ(trail[6].at("actor"), "front-desk");
  EXPECT_EQ(trail[6].at("role"), "clerk");
  EXPECT_EQ(trail[6].at("target"), code.str());
  EXPECT_EQ(trail[6]["detail"].at("to"), "in_progress");
  EXPECT_EQ(trail[0].at("actor"), "config");
  EXPECT_EQ(trail[1]["detail"].at("reason"), "jammed");
  // Filters: by actor, by target.
  EXPECT_EQ(ok("GET", "/v1/backoffice/audit?actor=front-desk")["audit"].size(), 3u);
  EXPECT_EQ(ok("GET", "/v1/backoffice/audit?target=" + parcel_id)["audit"].size(), 2u);
  // The clerk's PIN and the API token are nowhere in it.
  EXPECT_EQ(trail.dump().find("pin\""), std::string::npos);
}

TEST_F(BackOfficeTest, SubmissionsAreFilteredByStateKindBoxAndDate) {
  file("box-a", 1, "request");
  now_ += 2 * kDay;
  TrackingCode complaint = file("box-b", 1, "complaint");
  now_ += 2 * kDay;
  file("box-a", 2, "request");
  auto count = [&](const std::string& query) {
    return ok("GET", "/v1/backoffice/submissions" + query)["submissions"].size();
  };
  EXPECT_EQ(count(""), 3u);
  EXPECT_EQ(count("?kind=request"), 2u);
  EXPECT_EQ(count("?box=box-b"), 1u);
  EXPECT_EQ(count("?kind=request&box=box-b"), 0u);
  EXPECT_EQ(count("?from=2026-09-22"), 2u);  // kStart is 2026-09-21
  EXPECT_EQ(count("?to=2026-09-21"), 1u);    // a day counts whole
  EXPECT_EQ(count("?from=2026-09-22&to=2026-09-24"), 1u);
  EXPECT_EQ(count("?from=2026-09-23T00:00:00Z"), 2u);
  ok("POST", "/v1/backoffice/submissions/" + complaint.str() + "/state", R"({"state":"rejected"})");
  EXPECT_EQ(count("?state=rejected"), 1u);
  json one = ok("GET", "/v1/backoffice/submissions?kind=complaint")["submissions"][0];
  EXPECT_EQ(one.at("language"), "hu");
  EXPECT_EQ(one.at("reference"), "");
  EXPECT_EQ(call("GET", "/v1/backoffice/submissions?from=yesterday", kOperator).status, 400);
  EXPECT_EQ(call("GET", "/v1/backoffice/submissions?form=2026-09-22", kOperator).status, 400);
  EXPECT_EQ(call("GET", "/v1/backoffice/submissions/NOT-A-CODE", kOperator).status, 400);
  EXPECT_EQ(
      call("GET", "/v1/backoffice/submissions/" + TrackingCode::generate(random_).str(), kOperator)
          .status,
      404);
}

TEST_F(BackOfficeTest, AParcelIsCancelledExtendedAndReturnedAndTheBoxHearsOfIt) {
  pull("box-a");  // box-a is known
  json issued = ok("POST", "/v1/backoffice/parcels", R"({"box":"box-a","reference":"C-1",
                   "hold_days":2})",
                   201);
  const std::string id = issued.at("parcel_id");
  const std::string parcel = "/v1/backoffice/parcels/" + id;
  wire::PullResponse first = pull("box-a");
  ASSERT_EQ(first.assignments.size(), 1u);
  const std::int64_t expires = first.assignments[0].expires_at_ms;

  // Extended by three days: the box gets the new end.
  json extended = ok("POST", parcel + "/extend", R"({"days":3})");
  EXPECT_EQ(extended.at("state"), "issued");
  wire::PullResponse later = pull("box-a");
  ASSERT_EQ(later.assignments.size(), 1u);
  EXPECT_EQ(later.assignments[0].expires_at_ms, expires + 3 * kDay);
  EXPECT_TRUE(later.assignments[0].active);

  // Loaded, then not collected: returning it before the hold ends is refused.
  push("box-a", {event(1, wire::ParcelLoaded{id, 4})});
  Response early = call("POST", parcel + "/returned", kOperator, "{}");
  EXPECT_EQ(early.status, 409);
  EXPECT_NE(early.body.find("cancel it first"), std::string::npos);
  now_ += 6 * kDay;
  json returned = ok("POST", parcel + "/returned", "{}");
  EXPECT_EQ(returned.at("state"), "returned");
  wire::PullResponse after = pull("box-a");
  ASSERT_EQ(after.assignments.size(), 1u);
  EXPECT_FALSE(after.assignments[0].active);
  // Nothing more may happen to it.
  EXPECT_EQ(call("POST", parcel + "/cancel", kOperator, "{}").status, 409);
  EXPECT_EQ(call("POST", parcel + "/extend", kOperator, R"({"days":1})").status, 409);

  // A parcel cancelled before loading is withdrawn at once, and was never in a box.
  json other = ok("POST", "/v1/backoffice/parcels", R"({"box":"box-a","reference":"C-2"})", 201);
  const std::string other_path =
      "/v1/backoffice/parcels/" + other.at("parcel_id").get<std::string>();
  EXPECT_EQ(ok("POST", other_path + "/cancel", "{}").at("state"), "cancelled");
  EXPECT_EQ(call("POST", other_path + "/returned", kOperator, "{}").status, 409);
  EXPECT_EQ(ok("GET", other_path).at("state"), "cancelled");
  EXPECT_EQ(call("POST", "/v1/backoffice/parcels/NOPE/cancel", kOperator, "{}").status, 404);
  EXPECT_EQ(call("POST", parcel + "/extend", kOperator, R"({"days":0})").status, 400);
}

TEST_F(BackOfficeTest, BoxesShowTheirHealthFromTheirOwnReports) {
  wire::BoxStatus status;
  status.at_ms = now_;
  status.paper = "low";
  status.version = "0.6.0";
  status.compartments = {{1, "M", "dropoff", "occupied"},
                         {2, "M", "dropoff", "free"},
                         {3, "L", "pickup", "free"},
                         {4, "S", "pickup", "fault"}};
  status.faults = {{"printer_paper_low", "the receipt paper is running out"}};
  Response reported = device_call("box-a", "POST", "/v1/device/status", wire::to_json(status));
  ASSERT_EQ(reported.status, 200) << reported.body;
  wire::Alarm alarm{"door_left_open", "compartment 1 was left open for 2 minutes", 1};
  push("box-a", {event(1, alarm)});
  pull("box-b");  // a box that never reported

  json boxes = ok("GET", "/v1/backoffice/boxes")["boxes"];
  ASSERT_EQ(boxes.size(), 2u);
  const json& a = boxes[0];
  EXPECT_EQ(a.at("box"), "box-a");
  EXPECT_TRUE(a.at("online"));
  EXPECT_EQ(a["status"].at("paper"), "low");
  EXPECT_EQ(a["status"]["compartments"].at("free"), 2);
  EXPECT_EQ(a["status"]["compartments"].at("occupied"), 1);
  EXPECT_EQ(a["status"]["compartments"].at("fault"), 1);
  EXPECT_EQ(a["status"]["faults"][0].at("what"), "printer_paper_low");
  EXPECT_EQ(a["alarms"][0].at("what"), "door_left_open");
  EXPECT_TRUE(boxes[1].at("status").is_null());

  // One box, with its compartments.
  json one = ok("GET", "/v1/backoffice/boxes/box-a");
  EXPECT_EQ(one["status"]["compartment_list"].size(), 4u);
  EXPECT_EQ(call("GET", "/v1/backoffice/boxes/box-z", kOperator).status, 404);

  // Silent for longer than box_offline_after_s: offline.
  now_ += (config_.box_offline_after_s + 61) * 1000LL;
  EXPECT_FALSE(ok("GET", "/v1/backoffice/boxes/box-a").at("online"));

  // A report that is not one is refused with the field named.
  Response bad = device_call("box-a", "POST", "/v1/device/status", R"({"at":1})");
  EXPECT_EQ(bad.status, 400);
}

TEST_F(BackOfficeTest, ARemoteOpenReachesTheBoxOnceAndItsDoorIsInTheTrail) {
  pull("box-a");
  Response no_reason = call("POST", "/v1/backoffice/boxes/box-a/open", kOperator,
                            R"({"compartment":3,"reason":""})");
  EXPECT_EQ(no_reason.status, 400);
  EXPECT_EQ(call("POST", "/v1/backoffice/boxes/box-z/open", kOperator,
                 R"({"compartment":3,"reason":"x"})")
                .status,
            404);
  json accepted = ok("POST", "/v1/backoffice/boxes/box-a/open",
                     R"({"compartment":3,"reason":"citizen's card stuck in the slot"})", 202);
  const std::string id = accepted.at("command");

  // The box sees it until it reports it done.
  for (int i = 0; i < 2; ++i) {
    wire::PullResponse p = pull("box-a");
    ASSERT_EQ(p.commands.size(), 1u);
    EXPECT_EQ(p.commands[0].id, id);
    EXPECT_EQ(p.commands[0].compartment, 3);
    EXPECT_EQ(p.commands[0].by, "config");
  }
  EXPECT_TRUE(pull("box-b").commands.empty()) << "another box never sees it";

  wire::DoorOpened opened{3,  "remote",     std::nullopt,
                          id, std::nullopt, "citizen's card stuck in the slot"};
  push("box-a", {event(1, opened), event(2, wire::CommandDone{id, "opened", ""})});
  EXPECT_TRUE(pull("box-a").commands.empty());
  json commands = ok("GET", "/v1/backoffice/boxes/box-a/commands")["commands"];
  ASSERT_EQ(commands.size(), 1u);
  EXPECT_EQ(commands[0].at("outcome"), "opened");

  // Every opening, citizens' and clerks' too, with who and why.
  push("box-a",
       {event(3, wire::DoorOpened{5, "clerk", "CLK-7", std::nullopt, std::nullopt, "emptying"})});
  json doors = ok("GET", "/v1/backoffice/doors?box=box-a")["doors"];
  ASSERT_EQ(doors.size(), 2u);
  EXPECT_EQ(doors[0].at("by"), "clerk");
  EXPECT_EQ(doors[0].at("badge"), "CLK-7");
  EXPECT_EQ(doors[1].at("by"), "remote");
  EXPECT_EQ(doors[1].at("command"), id);
  EXPECT_EQ(doors[1].at("why"), "citizen's card stuck in the slot");

  // A command not carried out in time is no longer offered: a door must not open much later.
  ok("POST", "/v1/backoffice/boxes/box-a/open", R"({"compartment":1,"reason":"late"})", 202);
  EXPECT_EQ(pull("box-a").commands.size(), 1u);
  now_ += (config_.remote_open_valid_minutes + 1) * 60'000LL;
  EXPECT_TRUE(pull("box-a").commands.empty());
}

TEST_F(BackOfficeTest, ClerksAreAddedAndTheirPinResetAndBoxesGetThem) {
  json added = ok("POST", "/v1/backoffice/clerks", R"({"badge":"CLK-7","name":"Ana Pop"})", 201);
  const std::string pin = added.at("pin");
  EXPECT_EQ(pin.size(), 6u);
  wire::PullResponse p = pull("box-a");
  ASSERT_EQ(p.staff.clerks.size(), 1u);
  EXPECT_EQ(p.staff.clerks[0].badge, "CLK-7");
  auto hash = parse_pin_hash(p.staff.clerks[0].pin_hash);
  ASSERT_TRUE(hash) << p.staff.clerks[0].pin_hash;
  EXPECT_TRUE(*pin_matches(pin, *hash));
  const std::uint64_t version = p.staff.version;

  json reset = ok("POST", "/v1/backoffice/clerks/CLK-7/pin", "");
  const std::string new_pin = reset.at("pin");
  wire::PullResponse after = pull("box-a");
  EXPECT_GT(after.staff.version, version);
  auto new_hash = parse_pin_hash(after.staff.clerks.at(0).pin_hash);
  ASSERT_TRUE(new_hash);
  EXPECT_TRUE(*pin_matches(new_pin, *new_hash));
  if (new_pin != pin) {
    EXPECT_FALSE(*pin_matches(pin, *new_hash));
  }

  EXPECT_EQ(
      call("POST", "/v1/backoffice/clerks", kOperator, R"({"badge":"CLK-7","name":"Someone Else"})")
          .status,
      409);
  EXPECT_EQ(
      call("POST", "/v1/backoffice/clerks", kOperator, R"({"badge":"clk 7","name":"x"})").status,
      400);
  EXPECT_EQ(ok("GET", "/v1/backoffice/clerks")["clerks"].size(), 1u);
  EXPECT_EQ(ok("GET", "/v1/backoffice/clerks").dump().find("pbkdf2"), std::string::npos);

  ok("DELETE", "/v1/backoffice/clerks/CLK-7");
  EXPECT_TRUE(pull("box-a").staff.clerks.empty());
  EXPECT_EQ(call("DELETE", "/v1/backoffice/clerks/CLK-7", kOperator).status, 404);
  EXPECT_EQ(call("POST", "/v1/backoffice/clerks/CLK-7/pin", kOperator).status, 404);
  // The badge may be given again later.
  ok("POST", "/v1/backoffice/clerks", R"({"badge":"CLK-7","name":"Ioana Pop"})", 201);
}

TEST_F(BackOfficeTest, TheFiguresCountPerDayAndMeasureTheTimeToResolve) {
  // Three requests resolved after 10, 20 and 30 hours; a complaint left waiting for 20 days.
  std::vector<TrackingCode> requests;
  for (std::uint64_t i = 1; i <= 3; ++i) requests.push_back(file("box-a", i, "request"));
  TrackingCode complaint = file("box-a", 4, "complaint");
  for (int i = 0; i < 3; ++i) {
    now_ = kStart + (i + 1) * 10 * 3600 * 1000LL;
    ok("POST", "/v1/backoffice/submissions/" + requests[i].str() + "/state",
       R"({"state":"resolved"})");
  }
  const std::string parcel =
      ok("POST", "/v1/backoffice/parcels", R"({"box":"box-a","reference":"P"})", 201)["parcel_id"];
  push("box-a", {event(5, wire::ParcelLoaded{parcel, 2})});
  push("box-a", {event(6, wire::ParcelCollected{parcel, 2, false})});
  push("box-a", {event(7, wire::ParcelCollected{"NO-SUCH-PARCEL", 3, false})});  // not counted
  now_ = kStart + 20 * kDay;

  json figures = ok("GET", "/v1/backoffice/stats?days=30");
  ASSERT_EQ(figures.at("days").size(), 30u);
  int filed = 0;
  int collected = 0;
  for (const auto& d : figures["days"]) {
    filed += d.at("filed").get<int>();
    collected += d.at("collected").get<int>();
  }
  EXPECT_EQ(filed, 4);
  EXPECT_EQ(collected, 1);
  ASSERT_EQ(figures.at("resolution").size(), 1u);
  EXPECT_EQ(figures["resolution"][0].at("kind"), "request");
  EXPECT_DOUBLE_EQ(figures["resolution"][0].at("median_hours").get<double>(), 20.0);
  EXPECT_DOUBLE_EQ(figures["resolution"][0].at("p90_hours").get<double>(), 30.0);
  ASSERT_EQ(figures.at("waiting").size(), 1u);
  EXPECT_EQ(figures["waiting"][0].at("tracking_code"), complaint.display());
  EXPECT_EQ(figures["waiting"][0].at("waiting_days"), 20);
  EXPECT_EQ(call("GET", "/v1/backoffice/stats?days=0", kOperator).status, 400);
}

TEST_F(BackOfficeTest, ABoxThatActedBeforeItHeardOfACancelIsBelieved) {
  pull("box-a");
  const std::string loaded =
      ok("POST", "/v1/backoffice/parcels", R"({"box":"box-a","reference":"L"})", 201)["parcel_id"];
  const std::string collected =
      ok("POST", "/v1/backoffice/parcels", R"({"box":"box-a","reference":"C"})", 201)["parcel_id"];
  push("box-a", {event(1, wire::ParcelLoaded{collected, 2})});
  ok("POST", "/v1/backoffice/parcels/" + loaded + "/cancel", R"({"reason":"issued twice"})");
  ok("POST", "/v1/backoffice/parcels/" + collected + "/cancel", "{}");
  // The box had not pulled yet: a clerk loads one, a citizen collects the other.
  push("box-a", {event(2, wire::ParcelLoaded{loaded, 5}),
                 event(3, wire::ParcelCollected{collected, 2, false})});
  json in_box = ok("GET", "/v1/backoffice/parcels/" + loaded);
  EXPECT_EQ(in_box.at("state"), "cancelled");
  EXPECT_EQ(in_box.at("compartment"), 5);
  EXPECT_EQ(ok("POST", "/v1/backoffice/parcels/" + loaded + "/returned", "{}").at("state"),
            "returned");
  EXPECT_EQ(ok("GET", "/v1/backoffice/parcels/" + collected).at("state"), "collected");
  EXPECT_EQ(
      call("POST", "/v1/backoffice/parcels/" + collected + "/returned", kOperator, "{}").status,
      409);
  // The cancel's reason is in the trail.
  json trail = ok("GET", "/v1/backoffice/audit?target=" + loaded)["audit"];
  ASSERT_EQ(trail.size(), 3u);
  EXPECT_EQ(trail[1]["detail"].at("reason"), "issued twice");
  // A collection the controller refused (another box's parcel) is not counted.
  push("box-b", {event(1, wire::ParcelCollected{loaded, 1, false})});
  int pickups = 0;
  const json figures = ok("GET", "/v1/backoffice/stats?days=2");
  for (const auto& d : figures.at("days")) {
    pickups += d.at("collected").get<int>();
  }
  EXPECT_EQ(pickups, 1);
}

TEST_F(BackOfficeTest, ACommandNeverCarriedOutIsShownExpired) {
  pull("box-a");
  ok("POST", "/v1/backoffice/boxes/box-a/open", R"({"compartment":1,"reason":"check"})", 202);
  EXPECT_TRUE(
      ok("GET", "/v1/backoffice/boxes/box-a/commands")["commands"][0].at("outcome").is_null());
  now_ += (config_.remote_open_valid_minutes + 1) * 60'000LL;
  EXPECT_EQ(ok("GET", "/v1/backoffice/boxes/box-a/commands")["commands"][0].at("outcome"),
            "expired");
}

// The town hall's days, also across a clock change: 25 October 2026 has 25 hours in Bucharest.
TEST_F(BackOfficeTest, DaysAreTheTownHallsCalendarDaysAcrossAClockChange) {
  const char* old = std::getenv("TZ");
  const std::string saved = old != nullptr ? old : "";
  ::setenv("TZ", "Europe/Bucharest", 1);
  ::tzset();
  now_ = 1'792'963'800'000;  // 2026-10-25T23:30:00+02:00: 24 hours earlier is still the 25th
  file("box-a", 1, "request");
  json days = ok("GET", "/v1/backoffice/stats?days=3")["days"];
  ASSERT_EQ(days.size(), 3u);
  EXPECT_EQ(days[0].at("date"), "2026-10-23");
  EXPECT_EQ(days[2].at("date"), "2026-10-25");
  EXPECT_EQ(days[2].at("filed"), 1);
  EXPECT_EQ(ok("GET", "/v1/backoffice/submissions?to=2026-10-25")["submissions"].size(), 1u);
  EXPECT_EQ(ok("GET", "/v1/backoffice/submissions?from=2026-10-26")["submissions"].size(), 0u);
  if (old != nullptr) {
    ::setenv("TZ", saved.c_str(), 1);
  } else {
    ::unsetenv("TZ");
  }
  ::tzset();
}

TEST_F(BackOfficeTest, UnknownRoutesAndMethodsAreTold) {
  Response none = call("GET", "/v1/backoffice/nothing", kOperator);
  EXPECT_EQ(none.status, 404);
  Response wrong = call("PUT", "/v1/backoffice/parcels", kOperator);
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.allow, "GET, POST");
  EXPECT_EQ(call("GET", "/v1/backoffice/parcels/", kOperator).status, 404);
}

// docs/openapi.yaml describes every route the controller answers, and no route it does not.
TEST(OpenApi, EveryBackOfficeRouteIsDescribedAndEveryDescribedRouteExists) {
  std::ifstream in(std::string(CIVICBOX_SOURCE_DIR) + "/docs/openapi.yaml");
  ASSERT_TRUE(in);
  std::set<std::string> described;  // "GET /v1/backoffice/parcels/{id}"
  std::string line;
  std::string path;
  const std::regex path_line(R"(^  (/[^:]*):\s*$)");
  const std::regex method_line(R"(^    (get|post|put|delete|patch):\s*$)");
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_match(line, m, path_line)) {
      path = m[1];
    } else if (!path.empty() && std::regex_match(line, m, method_line)) {
      std::string method = m[1];
      for (char& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      described.insert(method + " " + path);
    }
  }
  ASSERT_GT(described.size(), 20u);
  // Parameter names may differ between the file and the table: compare with "{}".
  auto shape = [](std::string text) {
    return std::regex_replace(text, std::regex(R"(\{[^}]*\})"), "{}");
  };
  std::set<std::string> in_file;
  for (const auto& d : described) {
    if (d.find("/v1/backoffice/") != std::string::npos) in_file.insert(shape(d));
  }
  std::set<std::string> in_code;
  for (const auto& r : BackOffice::routes()) {
    in_code.insert(shape(std::string(r.method) + " /v1/backoffice/" + std::string(r.path)));
  }
  for (const auto& r : in_code) EXPECT_TRUE(in_file.count(r)) << r << " is not in openapi.yaml";
  for (const auto& r : in_file) EXPECT_TRUE(in_code.count(r)) << r << " is not a route";

  // The other routes: each answers something other than "no such route".
  Config config;
  config.backoffice_token = "test-token-0123456789abcdef";
  testing::TempDir dir;
  auto storage = open_sqlite_storage(dir.path(), {"x", false});
  ASSERT_TRUE(storage);
  SystemRandom random;
  Service service(**storage, config, random, [] { return kStart; });
  for (const auto& d : described) {
    if (d.find("/v1/backoffice/") != std::string::npos) continue;
    const auto space = d.find(' ');
    std::string method = d.substr(0, space);
    std::string target =
        std::regex_replace(d.substr(space + 1), std::regex(R"(\{[^}]*\})"), "ABCD-EFGH-JKLM");
    Request request{method, target, "application/json", kOperator, "{}"};
    Response r = target.starts_with("/v1/device/")
                     ? service.handle_device(box_identity("box-a", kStart), request)
                     : service.handle_public(request);
    EXPECT_NE(r.status == 404 && r.body.find("no_route") != std::string::npos, true)
        << d << " is described but not routed";
    EXPECT_NE(r.status, 405) << d << " is described with a method it does not take";
  }
}

}  // namespace
}  // namespace civicbox::controller
