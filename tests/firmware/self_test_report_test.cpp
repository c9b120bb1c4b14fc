// The self-test's report on its way to the controller, against a real mutual-TLS HTTPS server on
// loopback: POST /v1/device/selftest with the report's JSON, the answer {"recorded": true} read
// strictly; a controller that is down (or does not know the route yet) gets the report later,
// also after the box restarted; one that refuses it for good gets an alarm instead.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>

#include "firmware/agent.hpp"
#include "firmware/sync_client.hpp"
#include "hardware/sim/log_screen.hpp"
#include "hardware/sim/receipt_file.hpp"
#include "tests/firmware/tls_server.hpp"
#include "tests/support/seeded_random.hpp"
#include "tests/support/sim_lockers.hpp"
#include "tests/support/temp_dir.hpp"

namespace civicbox::firmware {
namespace {

using namespace std::chrono_literals;

constexpr const char* kRecorded = R"({"recorded":true})";

wire::SelfTestReport sample_report() {
  wire::SelfTestReport r;
  r.started_ms = 1'790'000'000'000;
  r.finished_ms = r.started_ms + 95'000;
  r.reason = "provisioning";
  r.checks = {{"lock_board", std::nullopt, true, "the boards of all 4 compartments answered"},
              {"compartment", 3, false, "unlocked, but the sensor did not report the door open"},
              {"printer", std::nullopt, true, "test receipt printed; paper ready"}};
  return r;
}

class SelfTestReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(test::make_pki(dir_.path(), pki_)) << "openssl could not make a test PKI";
    cert_ = dir_.path() / "box-0001.crt";
    key_ = dir_.path() / "box-0001.key";
    ASSERT_TRUE(test::make_device_cert(pki_, "box-0001", cert_, key_));
  }

  // A controller: events and pulls always work; the self-test route answers `selftest_status`
  // (0: {"recorded": true}). `down`: nothing works.
  std::unique_ptr<test::TlsServer> controller() {
    return std::make_unique<test::TlsServer>(pki_, [this](const test::HttpRequest& r) {
      if (down) return test::HttpResponse{503, R"({"error":"unavailable","message":"restarting"})"};
      if (r.method == "POST" && r.target == "/v1/device/events") {
        auto push = wire::parse_push_request(r.body);
        if (!push) return test::HttpResponse{400, R"({"error":"bad","message":"bad"})"};
        return test::HttpResponse{200,
                                  wire::to_json(wire::PushResponse{push->events.back().seq, {}})};
      }
      if (r.method == "GET" && r.target.rfind("/v1/device/sync", 0) == 0) {
        wire::PullResponse pull;
        pull.config = wire::BoxConfig{"Town hall", {"request"}, "https://t/"};
        return test::HttpResponse{200, wire::to_json(pull)};
      }
      if (r.method == "POST" && r.target == "/v1/device/selftest") {
        if (selftest_status != 0) {
          return test::HttpResponse{selftest_status.load(),
                                    R"({"error":"refused","message":"not today"})"};
        }
        if (!wire::parse_self_test_report(r.body) || r.client_cn != "box-0001" ||
            r.content_type != "application/json") {
          return test::HttpResponse{400, R"({"error":"bad_report","message":"unreadable"})"};
        }
        std::lock_guard lock(mutex_);
        recorded_.push_back(r.body);
        return test::HttpResponse{200, kRecorded};
      }
      return test::HttpResponse{404, R"({"error":"not_found","message":"no such route"})"};
    });
  }

  // The reports the controller recorded (answered 200), as it read them.
  std::vector<wire::SelfTestReport> reports_received(test::TlsServer&) {
    std::lock_guard lock(mutex_);
    std::vector<wire::SelfTestReport> out;
    for (const auto& body : recorded_) out.push_back(*wire::parse_self_test_report(body));
    return out;
  }

  std::unique_ptr<Agent> open_agent(const std::string& url) {
    config_.box_id = "box-0001";
    config_.data_dir = dir_.path() / "data";
    config_.controller_url = url;
    config_.ca = pki_.ca_cert;
    config_.cert = cert_;
    config_.key = key_;
    config_.timeout_ms = 2000;
    if (!cabinet_.cabinet) {
      cabinet_ = testing::SimLockers::start(dir_.path() / "cabinet", {1}, {5}, 20ms);
    }
    apply_cabinet_profile(config_, cabinet_.profile());
    auto agent = Agent::open(config_, Devices{*cabinet_.lockers, printer_, screen_}, random_);
    EXPECT_TRUE(agent.has_value()) << agent.error().describe();
    (*agent)->self_test_times = SelfTestTimes{1500ms, 2s, 1s};
    return std::move(*agent);
  }

  // A self-test on the file printer, without a scanner (its line fails at once: no wait).
  SelfTestResult self_test(Agent& agent) {
    SelfTestRun run;
    run.reason = "provisioning";
    return agent.self_test(run);
  }

  testing::TempDir dir_;
  test::Pki pki_;
  std::filesystem::path cert_, key_;
  testing::SeededRandom random_{11};
  AgentConfig config_;
  testing::SimLockers cabinet_;
  sim::ReceiptFilePrinter printer_{dir_.path() / "receipts"};
  sim::LogScreen screen_;
  std::atomic<bool> down{false};
  std::atomic<int> selftest_status{0};
  std::mutex mutex_;
  std::vector<std::string> recorded_;
};

TEST_F(SelfTestReportTest, TheClientPostsTheReportAndReadsTheAnswerStrictly) {
  auto server = controller();
  SyncClient client(SyncClientOptions{server->url(), pki_.ca_cert, cert_, key_, 3000});
  auto sent = client.report_self_test(sample_report());
  ASSERT_TRUE(sent) << sent.error().describe();
  auto received = reports_received(*server);
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(wire::to_json(received[0]), wire::to_json(sample_report()));
}

TEST_F(SelfTestReportTest, TheClientMapsRefusalsAsPushDoes) {
  struct Case {
    int status;
    std::string body;
    ErrorCode code;
  };
  std::vector<Case> cases{
      {503, R"({"error":"unavailable","message":"database busy"})", ErrorCode::unavailable},
      {404, R"({"error":"not_found","message":"no such route"})", ErrorCode::not_found},
      {400, R"({"error":"bad_report","message":"checks[0].part is empty"})",
       ErrorCode::invalid_argument},
      {403, R"({"error":"revoked","message":"revoked"})", ErrorCode::revoked},
      {200, R"({"recorded":false})", ErrorCode::parse},
      {200, R"({"recorded":true,"id":7})", ErrorCode::unknown_field},
      {200, R"({"recorded":"yes"})", ErrorCode::wrong_type},
      {200, "", ErrorCode::parse},
  };
  for (const auto& c : cases) {
    test::TlsServer server(pki_, [&](const test::HttpRequest&) {
      return test::HttpResponse{c.status, c.body};
    });
    SyncClient client(SyncClientOptions{server.url(), pki_.ca_cert, cert_, key_, 3000});
    auto sent = client.report_self_test(sample_report());
    ASSERT_FALSE(sent) << c.status << " " << c.body;
    EXPECT_EQ(sent.error().code, c.code)
        << c.status << " " << c.body << ": " << sent.error().describe();
  }
}

TEST_F(SelfTestReportTest, TheReportReachesTheControllerWhenTheTestEnds) {
  auto server = controller();
  auto agent = open_agent(server->url());
  auto result = self_test(*agent);
  EXPECT_EQ(result.delivery, ReportDelivery::sent);
  auto received = reports_received(*server);
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(wire::to_json(received[0]), wire::to_json(result.report()));
  EXPECT_EQ(received[0].reason, "provisioning");
  EXPECT_TRUE(agent->journal().queued_self_test_reports(10)->empty());
}

TEST_F(SelfTestReportTest, TheReportSurvivesTheControllerBeingDownAndARestartAndArrivesLater) {
  auto server = controller();
  down = true;
  std::string sent_json;
  {
    auto agent = open_agent(server->url());
    auto result = self_test(*agent);
    EXPECT_EQ(result.delivery, ReportDelivery::queued);
    sent_json = wire::to_json(result.report());
    EXPECT_FALSE(agent->sync_now().has_value());
    EXPECT_EQ(agent->journal().queued_self_test_reports(10)->size(), 1u);
  }
  EXPECT_TRUE(reports_received(*server).empty());

  down = false;  // the controller is back; the box restarted meanwhile
  auto agent = open_agent(server->url());
  auto synced = agent->sync_now();
  ASSERT_TRUE(synced) << synced.error().describe();
  auto received = reports_received(*server);
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(wire::to_json(received[0]), sent_json);
  EXPECT_TRUE(agent->journal().queued_self_test_reports(10)->empty());
  // Sent once: the next sync has nothing more.
  ASSERT_TRUE(agent->sync_now());
  EXPECT_EQ(reports_received(*server).size(), 1u);
}

TEST_F(SelfTestReportTest, AControllerWithoutTheRouteYetKeepsTheReportAndSyncsGoOn) {
  auto server = controller();
  selftest_status = 404;
  auto agent = open_agent(server->url());
  EXPECT_EQ(self_test(*agent).delivery, ReportDelivery::queued);
  auto synced = agent->sync_now();
  ASSERT_TRUE(synced) << "events are not held up by a report: " << synced.error().describe();
  EXPECT_EQ(agent->journal().queued_self_test_reports(10)->size(), 1u);
  selftest_status = 0;  // the controller was updated
  ASSERT_TRUE(agent->sync_now());
  EXPECT_EQ(reports_received(*server).size(), 1u);
  EXPECT_TRUE(agent->journal().queued_self_test_reports(10)->empty());
}

TEST_F(SelfTestReportTest, AReportRefusedForGoodIsDroppedWithAnAlarmThatTheControllerGets) {
  auto server = controller();
  selftest_status = 400;
  auto agent = open_agent(server->url());
  EXPECT_EQ(self_test(*agent).delivery, ReportDelivery::refused);
  EXPECT_TRUE(agent->journal().queued_self_test_reports(10)->empty());
  bool alarmed = false;
  auto events = agent->journal().events_after(0, 100);
  ASSERT_TRUE(events);
  for (const auto& e : *events) {
    if (const auto* a = std::get_if<wire::Alarm>(&e.body)) {
      alarmed = alarmed || (a->what == "self_test_report_refused" &&
                            a->detail.find("not today") != std::string::npos);
    }
  }
  EXPECT_TRUE(alarmed);
  ASSERT_TRUE(agent->sync_now());
  EXPECT_EQ(agent->journal().sync_state()->pending(), 0u) << "the alarm went as an event";
}

}  // namespace
}  // namespace civicbox::firmware
