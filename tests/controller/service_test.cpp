// The controller's API without the network: routes, status codes and what each answer reveals.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "controller/service.hpp"
#include "tests/controller/events.hpp"
#include "tests/support/temp_dir.hpp"

namespace civicbox::controller {
namespace {

using nlohmann::json;
using testing::device;
using testing::filed_event;

constexpr std::int64_t kNow = 1'790'000'000'000;
constexpr const char* kToken = "Bearer test-token-0123456789abcdef";

// A box on the device listener with a certificate the controller never recorded.
DeviceIdentity box_identity(const std::string& id) {
  return {device(id), {id, "0a0b0c", kNow - 86'400'000, kNow + 86'400'000, "feed"}};
}

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.backoffice_token = "test-token-0123456789abcdef";
    config_.institution_name = "Primăria Cluj";
    auto opened = open_sqlite_storage(dir_.path(), {"cluj", true});
    ASSERT_TRUE(opened);
    storage_ = std::move(*opened);
    service_ = std::make_unique<Service>(*storage_, config_, random_, [] { return kNow; });
  }

  Response get(const std::string& target, const char* auth = kToken) {
    return service_->handle_public({"GET", target, "", auth, ""});
  }
  Response post(const std::string& target, const std::string& body,
                const char* type = "application/json", const char* auth = kToken) {
    return service_->handle_public({"POST", target, type, auth, body});
  }
  static std::string error_of(const Response& r) { return json::parse(r.body).at("error"); }

  TrackingCode file_one(const std::string& box = "box-a", std::uint64_t seq = 1) {
    auto e = filed_event(seq, random_);
    std::get<wire::SubmissionFiled>(e.body).contact = "+40 722 000 000";
    wire::PushRequest push{{e}};
    auto r = service_->handle_device(
        box_identity(box),
        {"POST", "/v1/device/events", "application/json", "", wire::to_json(push)});
    EXPECT_EQ(r.status, 200) << r.body;
    return std::get<wire::SubmissionFiled>(e.body).tracking_code;
  }

  testing::TempDir dir_;
  Config config_;
  SystemRandom random_;
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<Service> service_;
};

TEST_F(ServiceTest, PushingEventsAnswersTheHighestAppliedSequenceAndTheNumbers) {
  auto e = filed_event(1, random_);
  auto r = service_->handle_device(
      box_identity("box-a"), {"POST", "/v1/device/events", "application/json; charset=utf-8", "",
                              wire::to_json(wire::PushRequest{{e}})});
  ASSERT_EQ(r.status, 200) << r.body;
  auto parsed = wire::parse_push_response(r.body);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->applied_through, 1u);
  EXPECT_EQ(parsed->registrations.at(0).registration_number, "2026/000001");
}

TEST_F(ServiceTest, TrackingShowsTheStatusAndNoPersonalData) {
  TrackingCode code = file_one();
  auto r = get("/v1/track/" + code.display(), "");
  ASSERT_EQ(r.status, 200) << r.body;
  json body = json::parse(r.body);
  EXPECT_EQ(body.at("registration_number"), "2026/000001");
  EXPECT_EQ(body.at("state"), "registered");
  EXPECT_EQ(body.at("history").size(), 2u);
  EXPECT_EQ(r.body.find("722"), std::string::npos) << "the contact must never be public";
  EXPECT_FALSE(body.contains("box"));
  // Lower case and without hyphens, as a person might type it.
  std::string typed = code.str();
  for (char& c : typed) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_EQ(get("/v1/track/" + typed, "").status, 200);
}

TEST_F(ServiceTest, AMistypedCodeAndAnUnknownCodeGetDifferentAnswers) {
  TrackingCode code = file_one();
  std::string typo = code.str();
  typo[3] = typo[3] == 'A' ? 'B' : 'A';
  auto mistyped = get("/v1/track/" + typo, "");
  EXPECT_EQ(mistyped.status, 400);
  EXPECT_EQ(error_of(mistyped), "mistyped_code");
  auto unknown = get("/v1/track/" + TrackingCode::generate(random_).str(), "");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(error_of(unknown), "unknown_code");
  auto garbage = get("/v1/track/hello", "");
  EXPECT_EQ(garbage.status, 400);
  EXPECT_EQ(error_of(garbage), "malformed_code");
}

TEST_F(ServiceTest, TheBackOfficeNeedsItsToken) {
  EXPECT_EQ(get("/v1/backoffice/submissions", "").status, 401);
  EXPECT_EQ(get("/v1/backoffice/submissions", "Bearer wrong").status, 401);
  EXPECT_EQ(get("/v1/backoffice/submissions", "Basic dGVzdA==").status, 401);
  EXPECT_EQ(get("/v1/backoffice/submissions").status, 200);
}

TEST_F(ServiceTest, IssuingAParcelAnswersThePickupCodeOnceAndKeepsOnlyItsHash) {
  file_one();  // box-a is known
  auto r = post("/v1/backoffice/parcels", R"({"box":"box-a","reference":"CERT-77","hold_days":3})");
  ASSERT_EQ(r.status, 201) << r.body;
  json body = json::parse(r.body);
  auto code = PickupCode::parse(body.at("pickup_code").get<std::string>());
  ASSERT_TRUE(code);
  EXPECT_EQ(body.at("expires_at"), rfc3339(kNow + 3LL * 86'400'000));

  auto listed = get("/v1/backoffice/parcels?box=box-a");
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(listed.body.find(code->str()), std::string::npos);
  EXPECT_EQ(json::parse(listed.body).at("parcels").size(), 1u);

  storage_.reset();  // flush: the database files must not hold the code in any form we wrote
  for (const char* file : {"controller.db", "controller.db-wal"}) {
    std::ifstream in(dir_.path() / file, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(bytes.find(code->str()), std::string::npos) << file;
    EXPECT_EQ(bytes.find(code->display()), std::string::npos) << file;
  }
}

TEST_F(ServiceTest, AParcelForABoxThatNeverConnectedIsRefused) {
  auto r = post("/v1/backoffice/parcels", R"({"box":"box-typo","reference":"x"})");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(error_of(r), "unknown_box");
}

TEST_F(ServiceTest, BadRequestsGetAClearFourHundred) {
  file_one();
  struct Case {
    const char* body;
    const char* type;
    int status;
    const char* error;
  };
  const Case cases[] = {
      {"{", "application/json", 400, "parse"},
      {R"({"box":"box-a"})", "application/json", 400, "missing_field"},
      {R"({"box":"box-a","reference":"x","colour":"red"})", "application/json", 400,
       "unknown_field"},
      {R"({"box":7,"reference":"x"})", "application/json", 400, "wrong_type"},
      {R"({"box":"box-a","reference":"x","hold_days":0})", "application/json", 400, "too_large"},
      {R"({"box":"box-a","reference":"x"})", "text/plain", 415, "unsupported_media_type"},
  };
  for (const auto& c : cases) {
    auto r = post("/v1/backoffice/parcels", c.body, c.type);
    EXPECT_EQ(r.status, c.status) << c.body << " -> " << r.body;
    EXPECT_EQ(error_of(r), c.error) << c.body << " -> " << r.body;
  }
  std::string huge = R"({"box":"box-a","reference":")" + std::string(2 << 20, 'x') + "\"}";
  EXPECT_EQ(post("/v1/backoffice/parcels", huge).status, 413);
  EXPECT_EQ(get("/v1/backoffice/submissions?stat=resolved").status, 400);
  EXPECT_EQ(get("/v1/backoffice/submissions?state=lost").status, 400);
  EXPECT_EQ(get("/v1/nothing").status, 404);
  auto wrong_method = service_->handle_public({"DELETE", "/v1/backoffice/parcels", "", kToken, ""});
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_EQ(wrong_method.allow, "GET, POST");
}

TEST_F(ServiceTest, MovingASubmissionFollowsTheRules) {
  TrackingCode code = file_one();
  const std::string route = "/v1/backoffice/submissions/" + code.display() + "/state";
  auto r = post(route, R"({"state":"in_progress"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body).at("state"), "in_progress");
  EXPECT_EQ(post(route, R"({"state":"received"})").status, 409);
  EXPECT_EQ(post(route, R"({"state":"closed"})").status, 400);
  auto listed = get("/v1/backoffice/submissions?state=in_progress&box=box-a");
  ASSERT_EQ(listed.status, 200);
  json items = json::parse(listed.body).at("submissions");
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].at("contact"), "+40 722 000 000");  // the back office may see it
  auto track = get("/v1/track/" + code.str(), "");
  EXPECT_EQ(json::parse(track.body).at("state"), "in_progress");
}

TEST_F(ServiceTest, DeviceRoutesAreOnlyOnTheDeviceListener) {
  EXPECT_EQ(get("/v1/device/sync").status, 404);
  auto r = service_->handle_device(box_identity("box-a"), {"GET", "/v1/track/X", "", "", ""});
  EXPECT_EQ(r.status, 404);
  auto sync = service_->handle_device(box_identity("box-a"),
                                      {"GET", "/v1/device/sync?cursor=0", "", "", ""});
  ASSERT_EQ(sync.status, 200);
  auto pulled = wire::parse_pull_response(sync.body);
  ASSERT_TRUE(pulled) << pulled.error().describe();
  EXPECT_EQ(pulled->config.institution, "Primăria Cluj");
  EXPECT_EQ(
      service_
          ->handle_device(box_identity("box-a"), {"GET", "/v1/device/sync?cursor=-1", "", "", ""})
          .status,
      400);
}

// Operations: readiness for a load balancer's check, and the counters Prometheus scrapes.
TEST_F(ServiceTest, ReadyOnlyWithTheDatabaseAndTheFleetCaAndSaysWhatIsMissing) {
  // This service was made without a fleet CA (no `ca init` yet).
  auto r = get("/readyz", "");
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_NE(r.body.find("ca init"), std::string::npos) << r.body;
  EXPECT_EQ(get("/healthz", "").status, 200) << "alive, only not ready";
  auto device = service_->handle_device(box_identity("box-a"), {"GET", "/readyz", "", "", ""});
  EXPECT_EQ(device.status, 503);
}

TEST_F(ServiceTest, MetricsCountRequestsByRouteTemplateAndEventsOnceAndNeedTheToken) {
  file_one("box-a", 1);
  file_one("box-a", 2);
  // The same batch again: answered, not counted again as applied.
  auto e = filed_event(1, random_);
  for (int i = 0; i < 2; ++i) {
    service_->handle_device(box_identity("box-b"), {"POST", "/v1/device/events", "application/json",
                                                    "", wire::to_json(wire::PushRequest{{e}})});
  }
  get("/v1/track/7K3M-Q9XR-2D4P", "");
  get("/v1/track/ANOTHER-CODE", "");
  get("/no/such/path", "");

  EXPECT_EQ(get("/metrics", "").status, 401);
  EXPECT_EQ(get("/metrics", "Bearer wrong-token-0123456789").status, 401);
  auto r = get("/metrics");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type.rfind("text/plain; version=0.0.4", 0), 0u) << r.content_type;
  for (const char* line :
       {"civicbox_http_requests_total{listener=\"device\",route=\"/v1/device/events\","
        "status=\"200\"} 4\n",
        "civicbox_events_applied_total 3\n", "civicbox_registrations_total 3\n",
        "route=\"/v1/track/{code}\"", "route=\"other\",status=\"404\"} 1\n",
        "civicbox_http_request_seconds_count{listener=\"device\"} 4\n",
        "civicbox_http_request_seconds_bucket{listener=\"device\",le=\"+Inf\"} 4\n"}) {
    EXPECT_NE(r.body.find(line), std::string::npos) << line << "\n" << r.body;
  }
  // No path a client sent becomes a series of its own.
  EXPECT_EQ(r.body.find("7K3M"), std::string::npos);
  EXPECT_EQ(r.body.find("/no/such/path"), std::string::npos);
}

TEST(RouteTemplate, NamesTheRouteNotThePath) {
  using L = Listener;
  EXPECT_EQ(route_template(L::public_, "/v1/track/7K3M-Q9XR-2D4P"), "/v1/track/{code}");
  EXPECT_EQ(route_template(L::public_, "/v1/backoffice/boxes/box-0001/revoke"),
            "/v1/backoffice/boxes/{id}/revoke");
  EXPECT_EQ(route_template(L::public_, "/v1/backoffice/boxes/box-0001/whatever"),
            "/v1/backoffice/boxes/{id}/other");
  EXPECT_EQ(route_template(L::public_, "/v1/backoffice/submissions"), "/v1/backoffice/submissions");
  EXPECT_EQ(route_template(L::public_, "/v1/backoffice/submissions/7K3M/state"),
            "/v1/backoffice/submissions/{id}/state");
  EXPECT_EQ(route_template(L::public_, "/v1/backoffice/secrets"), "other");
  EXPECT_EQ(route_template(L::public_, "/metrics"), "/metrics");
  EXPECT_EQ(route_template(L::device, "/metrics"), "other");
  EXPECT_EQ(route_template(L::device, "/v1/device/events"), "/v1/device/events");
  EXPECT_EQ(route_template(L::device, "/readyz"), "/readyz");
}

}  // namespace
}  // namespace civicbox::controller
