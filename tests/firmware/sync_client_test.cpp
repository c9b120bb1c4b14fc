// The sync client against a real mutual-TLS HTTPS server on loopback: the protocol's requests as
// the controller expects them, its answers parsed strictly, and which failures are worth a retry.
#include "firmware/sync_client.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "firmware/agent.hpp"
#include "hardware/sim/log_screen.hpp"
#include "hardware/sim/receipt_file.hpp"
#include "tests/firmware/tls_server.hpp"
#include "tests/support/seeded_random.hpp"
#include "tests/support/sim_lockers.hpp"
#include "tests/support/temp_dir.hpp"

namespace civicbox::firmware {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kNow = 1'790'000'000'000;

class SyncClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(test::make_pki(dir_.path(), pki_)) << "openssl could not make a test PKI";
    cert_ = dir_.path() / "box-0001.crt";
    key_ = dir_.path() / "box-0001.key";
    ASSERT_TRUE(test::make_device_cert(pki_, "box-0001", cert_, key_));
  }
  SyncClientOptions options(const test::TlsServer& server, long timeout_ms = 3000) {
    return SyncClientOptions{server.url(), pki_.ca_cert, cert_, key_, timeout_ms};
  }
  wire::PushRequest one_event() {
    wire::PushRequest r;
    r.events.push_back(wire::Event{
        1, EventId::generate(kNow, random_), kNow,
        wire::SubmissionFiled{code_, "request", 1, "P-box-0001-000001", std::nullopt, false}});
    return r;
  }
  testing::TempDir dir_;
  test::Pki pki_;
  std::filesystem::path cert_, key_;
  testing::SeededRandom random_{3};
  TrackingCode code_ = TrackingCode::generate(random_);
};

TEST_F(SyncClientTest, PushesAndPullsOverMutualTls) {
  test::TlsServer server(pki_, [&](const test::HttpRequest& r) {
    if (r.method == "POST" && r.target == "/v1/device/events") {
      auto push = wire::parse_push_request(r.body);
      if (!push) return test::HttpResponse{400, R"({"error":"bad","message":"bad"})"};
      wire::PushResponse resp{push->events.back().seq, {wire::Registration{code_, "2026/000123"}}};
      return test::HttpResponse{200, wire::to_json(resp)};
    }
    if (r.method == "GET" && r.target == "/v1/device/sync?cursor=41") {
      wire::PullResponse pull;
      pull.cursor = 42;
      pull.assignments.push_back(wire::Assignment{"parcel-1", std::string(32, 'a'), 4096,
                                                  std::string(64, 'b'), kNow, true});
      pull.config = wire::BoxConfig{"Town hall", {"request"}, "https://t/"};
      return test::HttpResponse{200, wire::to_json(pull)};
    }
    return test::HttpResponse{404, R"({"error":"not_found","message":"no such path"})"};
  });
  SyncClient client(options(server));
  auto pushed = client.push(one_event());
  ASSERT_TRUE(pushed.has_value()) << pushed.error().describe();
  EXPECT_EQ(pushed->applied_through, 1u);
  ASSERT_EQ(pushed->registrations.size(), 1u);
  EXPECT_EQ(pushed->registrations[0].registration_number, "2026/000123");

  auto pulled = client.pull(41);
  ASSERT_TRUE(pulled.has_value()) << pulled.error().describe();
  EXPECT_EQ(pulled->cursor, 42u);
  EXPECT_EQ(pulled->assignments.at(0).parcel_id, "parcel-1");

  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].client_cn, "box-0001") << "the controller knows the box by its certificate";
  EXPECT_EQ(requests[0].content_type, "application/json");
}

TEST_F(SyncClientTest, OnlyFailuresThatMayPassAreRetryable) {
  struct Case {
    int status;
    std::string body;
    ErrorCode code;
    bool retryable;
  };
  std::vector<Case> cases{
      {503, R"({"error":"unavailable","message":"database busy"})", ErrorCode::unavailable, true},
      {500, "not json", ErrorCode::unavailable, true},
      {429, R"({"error":"slow_down","message":"too many requests"})", ErrorCode::unavailable, true},
      {400, R"({"error":"bad_request","message":"events[0].seq starts at 1"})",
       ErrorCode::invalid_argument, false},
      {403, R"({"error":"forbidden","message":"revoked"})", ErrorCode::forbidden, false},
      {403, R"({"error":"revoked","message":"this box's certificate was revoked: stolen"})",
       ErrorCode::revoked, false},
      {200, R"({"applied_through":1,"registrations":[],"extra":1})", ErrorCode::unknown_field,
       false},
      {200, R"({"applied_through":"1","registrations":[]})", ErrorCode::wrong_type, false},
  };
  for (const auto& c : cases) {
    test::TlsServer server(pki_, [&](const test::HttpRequest&) {
      return test::HttpResponse{c.status, c.body};
    });
    SyncClient client(options(server));
    auto pushed = client.push(one_event());
    ASSERT_FALSE(pushed.has_value()) << c.status << " " << c.body;
    EXPECT_EQ(pushed.error().code, c.code) << pushed.error().describe();
    EXPECT_EQ(is_retryable(pushed.error()), c.retryable) << pushed.error().describe();
    if (c.status == 403) {
      EXPECT_NE(pushed.error().message.find("revoked"), std::string::npos);
    }
  }
}

TEST_F(SyncClientTest, AControllerThatDoesNotAnswerTimesOut) {
  test::TlsServer server(pki_, [](const test::HttpRequest&) {
    test::HttpResponse r;
    r.hang = true;
    return r;
  });
  SyncClient client(options(server, 300));
  auto start = std::chrono::steady_clock::now();
  auto pulled = client.pull(0);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(pulled.has_value());
  EXPECT_TRUE(is_retryable(pulled.error()));
  EXPECT_LT(took, 2s);
}

TEST_F(SyncClientTest, TheBoxRefusesAServerItsCaDidNotSign) {
  test::TlsServer server(pki_, [](const test::HttpRequest&) { return test::HttpResponse{}; });
  test::Pki other;
  std::filesystem::create_directories(dir_.path() / "other");
  ASSERT_TRUE(test::make_pki(dir_.path() / "other", other));
  auto o = options(server);
  o.ca = other.ca_cert;
  SyncClient client(o);
  EXPECT_FALSE(client.pull(0).has_value());
  EXPECT_TRUE(server.requests().empty());
}

TEST_F(SyncClientTest, TheServerRefusesABoxWithoutAFleetCertificate) {
  test::TlsServer server(pki_, [](const test::HttpRequest&) { return test::HttpResponse{}; });
  test::Pki rogue;
  std::filesystem::create_directories(dir_.path() / "rogue");
  ASSERT_TRUE(test::make_pki(dir_.path() / "rogue", rogue));
  auto cert = dir_.path() / "rogue" / "box.crt";
  auto key = dir_.path() / "rogue" / "box.key";
  ASSERT_TRUE(test::make_device_cert(rogue, "box-0001", cert, key));
  auto o = options(server);
  o.cert = cert;
  o.key = key;
  SyncClient client(o);
  EXPECT_FALSE(client.pull(0).has_value());
  EXPECT_TRUE(server.requests().empty());
}

// An online box prints the registration number the controller gave during the filing.
TEST_F(SyncClientTest, AnOnlineFilingPrintsTheRegistrationNumber) {
  std::uint64_t held = 0;
  test::TlsServer server(pki_, [&](const test::HttpRequest& r) {
    if (r.target == "/v1/device/events") {
      auto push = wire::parse_push_request(r.body);
      wire::PushResponse resp;
      for (const auto& e : push->events) {
        held = e.seq;
        if (const auto* s = std::get_if<wire::SubmissionFiled>(&e.body)) {
          resp.registrations.push_back(wire::Registration{s->tracking_code, "2026/000123"});
        }
      }
      resp.applied_through = held;
      return test::HttpResponse{200, wire::to_json(resp)};
    }
    wire::PullResponse pull;
    pull.config = wire::BoxConfig{"Primăria Cluj-Napoca", {"cerere"}, "https://t.example/t/"};
    return test::HttpResponse{200, wire::to_json(pull)};
  });
  AgentConfig config;
  config.box_id = "box-0001";
  config.data_dir = dir_.path() / "data";
  config.controller_url = server.url();
  config.ca = pki_.ca_cert;
  config.cert = cert_;
  config.key = key_;
  auto cabinet =
      testing::SimLockers::start(dir_.path() / "cabinet", {1, 2, 3, 4}, {5, 6, 7, 8}, 20ms);
  apply_cabinet_profile(config, cabinet.profile());
  sim::ReceiptFilePrinter printer(config.data_dir / "receipts");
  sim::LogScreen screen;
  SystemRandom random;
  auto agent = Agent::open(config, Devices{*cabinet.lockers, printer, screen}, random);
  ASSERT_TRUE(agent.has_value());
  ASSERT_TRUE((*agent)->sync_now().has_value());  // the town hall's own kinds
  auto result = (*agent)->file("cerere", std::nullopt);
  ASSERT_FALSE(result.refused.has_value()) << result.refused->message;
  ASSERT_TRUE(result.receipt_for.has_value());
  std::ifstream in(printer.path_for(*result.receipt_for));
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("Registration number: 2026/000123"), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("Primăria Cluj-Napoca"), std::string::npos);
  EXPECT_NE(text.str().find("https://t.example/t/" + *result.receipt_for), std::string::npos);
  EXPECT_EQ((*agent)->journal().sync_state()->pending(), 0u);
}

TEST_F(SyncClientTest, TheStatusGoesToItsRouteAndANotFoundSaysTheControllerDoesNotTakeItYet) {
  wire::BoxStatus status;
  status.at_ms = kNow;
  status.compartments = {{1, "S", "dropoff", "free"}, {5, "L", "pickup", "occupied"}};
  status.paper = "low";
  status.faults = {{"scanner_missing", "the cabinet's QR scanner was not found"}};
  status.version = "0.1.0";
  std::string answer = R"({"status":"ok"})";
  int code = 200;
  test::TlsServer server(pki_, [&](const test::HttpRequest& r) {
    if (r.method == "POST" && r.target == "/v1/device/status") {
      return test::HttpResponse{code, answer};
    }
    return test::HttpResponse{500, "unexpected"};
  });
  SyncClient client(options(server));
  auto sent = client.report_status(status);
  ASSERT_TRUE(sent.has_value()) << sent.error().describe();
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].client_cn, "box-0001");
  auto received = wire::parse_box_status(requests[0].body);
  ASSERT_TRUE(received) << received.error().describe();
  EXPECT_EQ(wire::to_json(*received), wire::to_json(status));

  code = 404;
  answer = R"({"error":"not_found","message":"no such path"})";
  auto unknown = client.report_status(status);
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code, ErrorCode::not_found);

  code = 200;
  answer = R"({"status":"ok","extra":1})";
  auto odd = client.report_status(status);
  ASSERT_FALSE(odd.has_value());
  EXPECT_EQ(odd.error().code, ErrorCode::unknown_field) << odd.error().describe();
}

// A controller that takes status reports (or, with `status_code` 404, one that does not know the
// route yet), and an agent on the simulated cabinet talking to it.
class StatusReportTest : public SyncClientTest {
 protected:
  void start(int status_code) {
    server_ =
        std::make_unique<test::TlsServer>(pki_, [this, status_code](const test::HttpRequest& r) {
          if (r.target == "/v1/device/events") {
            auto push = wire::parse_push_request(r.body);
            wire::PushResponse resp;
            resp.applied_through = push->events.back().seq;
            return test::HttpResponse{200, wire::to_json(resp)};
          }
          if (r.target == "/v1/device/status") {
            if (status_code != 200) {
              return test::HttpResponse{status_code, R"({"error":"not_found","message":"no"})"};
            }
            return test::HttpResponse{200, R"({"status":"ok"})"};
          }
          wire::PullResponse pull;
          pull.config = wire::BoxConfig{"Town hall", {"request"}, "https://t.example/t/"};
          pull.commands = commands_;
          return test::HttpResponse{200, wire::to_json(pull)};
        });
    AgentConfig config;
    config.box_id = "box-0001";
    config.data_dir = dir_.path() / "data";
    config.controller_url = server_->url();
    config.ca = pki_.ca_cert;
    config.cert = cert_;
    config.key = key_;
    config.status_every_s = 1;
    cabinet_ = testing::SimLockers::start(dir_.path() / "cabinet", {1, 2}, {5, 6}, 20ms);
    apply_cabinet_profile(config, cabinet_.profile());
    printer_ = std::make_unique<sim::ReceiptFilePrinter>(config.data_dir / "receipts");
    auto agent = Agent::open(config, Devices{*cabinet_.lockers, *printer_, screen_}, random_);
    ASSERT_TRUE(agent.has_value()) << agent.error().describe();
    agent_ = std::move(*agent);
  }
  std::vector<wire::BoxStatus> statuses() {
    std::vector<wire::BoxStatus> out;
    for (const auto& r : server_->requests()) {
      if (r.target != "/v1/device/status") continue;
      auto parsed = wire::parse_box_status(r.body);
      EXPECT_TRUE(parsed) << parsed.error().describe();
      if (parsed) out.push_back(*parsed);
    }
    return out;
  }
  static std::string state_of(const wire::BoxStatus& s, int number) {
    for (const auto& c : s.compartments) {
      if (c.number == number) return c.state;
    }
    return "missing";
  }

  std::vector<wire::Command> commands_;  // what every pull carries
  std::unique_ptr<test::TlsServer> server_;
  testing::SimLockers cabinet_;
  std::unique_ptr<sim::ReceiptFilePrinter> printer_;
  sim::LogScreen screen_;
  testing::SeededRandom random_{11};
  std::unique_ptr<Agent> agent_;
};

TEST_F(StatusReportTest, TheBoxSaysHowItIsOnceOnlineWhenThatChangesAndWhenDue) {
  start(200);
  ASSERT_TRUE(agent_->sync_now().has_value());
  auto sent = statuses();
  ASSERT_EQ(sent.size(), 1u) << "sent at the first sync";
  const auto& first = sent[0];
  ASSERT_EQ(first.compartments.size(), 4u);
  EXPECT_EQ(first.compartments[0].number, 1);
  EXPECT_EQ(first.compartments[0].use, "dropoff");
  EXPECT_EQ(first.compartments[3].number, 6);
  EXPECT_EQ(first.compartments[3].use, "pickup");
  for (const auto& c : first.compartments) {
    EXPECT_EQ(c.state, "free") << c.number;
    EXPECT_TRUE(c.size == "S" || c.size == "M" || c.size == "L") << c.size;
  }
  EXPECT_FALSE(first.version.empty());
  // The simulated cabinet's profile has a QR scanner this agent was not given: its one fault.
  ASSERT_EQ(first.faults.size(), 1u);
  EXPECT_EQ(first.faults[0].what, "scanner_missing");
  ASSERT_TRUE(agent_->last_status_sent().has_value());

  // Nothing changed: not sent again before status_every.
  ASSERT_TRUE(agent_->sync_now().has_value());
  EXPECT_EQ(statuses().size(), 1u);

  // A filing fills compartment 1 and the printer was looked at: sent at the next sync.
  auto filed = agent_->file("request", std::nullopt);
  ASSERT_FALSE(filed.refused.has_value()) << filed.refused->message;
  ASSERT_TRUE(agent_->sync_now().has_value());
  sent = statuses();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(state_of(sent[1], 1), "occupied");
  EXPECT_EQ(state_of(sent[1], 2), "free");
  EXPECT_EQ(sent[1].paper, "ok");

  // Unchanged, but status_every (1 s here) has passed.
  std::this_thread::sleep_for(1100ms);
  ASSERT_TRUE(agent_->sync_now().has_value());
  EXPECT_EQ(statuses().size(), 3u);
}

TEST_F(StatusReportTest, AControllerWithoutTheRouteIsAskedOnlyWhenDueAndTheSyncGoesOn) {
  start(404);
  for (int i = 0; i < 3; ++i) {
    auto synced = agent_->sync_now();
    ASSERT_TRUE(synced.has_value()) << synced.error().describe();
  }
  EXPECT_EQ(statuses().size(), 1u) << "not asked again at every sync";
  EXPECT_FALSE(agent_->last_status_sent().has_value());
  std::this_thread::sleep_for(1100ms);
  ASSERT_TRUE(agent_->sync_now().has_value());
  EXPECT_EQ(statuses().size(), 2u) << "asked again when due";
}

TEST_F(StatusReportTest, ACompartmentBehindABoardThatStoppedAnsweringIsAFault) {
  start(200);
  cabinet_.command("board 1 silent");
  ASSERT_TRUE(agent_->sweep().has_value());
  ASSERT_TRUE(agent_->sweep().has_value());
  ASSERT_TRUE(agent_->sync_now().has_value());
  auto sent = statuses();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(state_of(sent[0], 1), "fault");
  bool board_fault = false;
  for (const auto& f : sent[0].faults) board_fault = board_fault || f.what == "board_fault";
  EXPECT_TRUE(board_fault);
}

TEST_F(StatusReportTest, ARemoteOpenFromAPullIsExecutedOnceAndItsOutcomeReachesTheController) {
  wire::Command command;
  command.id = "cmd-77";
  command.compartment = 2;
  command.reason = "maintenance visit";
  command.by = "Ana Pop";
  command.expires_at_ms = kNow * 10;
  commands_ = {command};
  start(200);
  ASSERT_TRUE(agent_->sync_now().has_value());
  auto done = agent_->run_remote_commands();
  ASSERT_TRUE(done.has_value()) << done.error().describe();
  ASSERT_EQ(done->size(), 1u);
  EXPECT_EQ((*done)[0].outcome, "opened");
  EXPECT_EQ(cabinet_.unlocks_settled(2, 1), 1);
  // Pulled again with every sync: executed once.
  ASSERT_TRUE(agent_->sync_now().has_value());
  EXPECT_TRUE(agent_->run_remote_commands()->empty());
  std::this_thread::sleep_for(200ms);  // an unlock sent now would have arrived
  EXPECT_EQ(cabinet_.cabinet->unlocks_received(2), 1);
  std::vector<std::string> pushed;
  for (const auto& r : server_->requests()) {
    if (r.target != "/v1/device/events") continue;
    auto push = wire::parse_push_request(r.body);
    ASSERT_TRUE(push) << push.error().describe();
    for (const auto& e : push->events) pushed.emplace_back(wire::event_type(e.body));
  }
  EXPECT_EQ(pushed, (std::vector<std::string>{"door.opened", "command.done"}));
}

}  // namespace
}  // namespace civicbox::firmware
