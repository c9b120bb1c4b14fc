// Notifications for the town hall's SMS or e-mail gateway: written in the transaction of the
// change they announce (on both databases), signed so the gateway can tell them from forgeries,
// retried until the gateway takes them, never lost across a restart, never sent twice at once
// by two instances.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <thread>

#include "common/pickup_hash.hpp"
#include "controller/storage.hpp"
#include "controller/webhook_outbox.hpp"
#include "controller/webhooks.hpp"
#include "tests/controller/events.hpp"
#include "tests/support/ports.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/webhook_receiver.hpp"

namespace civicbox::controller {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::body_event;
using testing::device;

constexpr std::int64_t kNow = 1'790'000'000'000;  // 2026-09-21
constexpr std::int64_t kHour = 3'600'000;
constexpr const char* kSecret = "a-gateway-secret-of-some-length";

// The signature checked the way the README tells a gateway to: with the openssl command.
std::string openssl_hmac(const std::filesystem::path& dir, const std::string& secret,
                         const std::string& message) {
  const auto file = dir / "message";
  std::ofstream(file, std::ios::binary) << message;
  const auto out = dir / "digest";
  const std::string command = "openssl dgst -sha256 -hmac '" + secret + "' '" + file.string() +
                              "' > '" + out.string() + "'";
  if (std::system(command.c_str()) != 0) return "openssl failed";
  std::ifstream in(out);
  std::string line;
  std::getline(in, line);
  return line.substr(line.rfind(' ') + 1);  // "HMAC-SHA256(file)= <hex>"
}

TEST(WebhookSignature, HmacSha256MatchesRfc4231) {
  // RFC 4231, test case 2.
  EXPECT_EQ(webhooks::hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 1: a 20-byte key of 0x0b.
  EXPECT_EQ(webhooks::hmac_sha256_hex(std::string(20, '\x0b'), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(WebhookSignature, TheSignatureCoversTheTimestampAndTheBodyAsOpensslComputesIt) {
  testing::TempDir dir;
  const std::string body = R"({"tracking_code":"K7QM-2XD9-W4HB","to":"resolved"})";
  const std::string sig = webhooks::signature(kSecret, 1790000000, body);
  EXPECT_EQ(sig, "sha256=" + openssl_hmac(dir.path(), kSecret, "1790000000." + body));
  EXPECT_NE(sig, webhooks::signature(kSecret, 1790000001, body)) << "a replayed timestamp";
  EXPECT_NE(sig, webhooks::signature(kSecret, 1790000000, body + " ")) << "a changed body";
  EXPECT_NE(sig, webhooks::signature("another-secret-entirely", 1790000000, body));
}

TEST(WebhookBackoff, DelaysDoubleFromTheBaseUpToTheCapWithJitterInTheUpperHalf) {
  const auto base = 10'000ms;
  const auto cap = 3'600'000ms;
  EXPECT_EQ(webhooks::backoff(1, base, cap, 1.0), 10'000ms);
  EXPECT_EQ(webhooks::backoff(1, base, cap, 0.0), 5'000ms);
  EXPECT_EQ(webhooks::backoff(2, base, cap, 1.0), 20'000ms);
  EXPECT_EQ(webhooks::backoff(3, base, cap, 1.0), 40'000ms);
  EXPECT_EQ(webhooks::backoff(9, base, cap, 1.0), 2'560'000ms);
  EXPECT_EQ(webhooks::backoff(10, base, cap, 1.0), cap);
  EXPECT_EQ(webhooks::backoff(1000, base, cap, 0.0), cap / 2);
  // Even the shortest draw of one attempt is no shorter than the longest of the one before.
  for (int n = 1; n < 9; ++n) {
    EXPECT_LE(webhooks::backoff(n, base, cap, 1.0), webhooks::backoff(n + 1, base, cap, 0.0));
  }
}

enum class Backend { sqlite, postgres };

testing::PostgresServer& postgres() {
  static testing::PostgresServer server;
  return server;
}

std::string fresh_postgres_database() {
  static int count = 0;
  return postgres().new_database("webhooks_" + std::to_string(++count));
}

const webhooks::Routes kRoutes{
    {"gateway", {webhooks::kEvents.begin(), webhooks::kEvents.end()}},
    {"sms", {webhooks::kStatusChanged}},
};

class WebhookTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::postgres) conninfo_ = fresh_postgres_database();
    reopen();
  }
  void TearDown() override {
    senders_.clear();
    storage_.reset();
  }
  // A controller restart: the storage is opened again on the same database.
  void reopen(const webhooks::Routes& routes = kRoutes) {
    senders_.clear();
    storage_.reset();
    storage_ = open(routes);
  }
  std::unique_ptr<Storage> open(const webhooks::Routes& routes = kRoutes, int connections = 4) {
    StorageOptions options{"town-hall", true};
    options.webhook_routes = routes;
    auto opened = GetParam() == Backend::sqlite
                      ? open_sqlite_storage(dir_.path(), options)
                      : open_postgres_storage(conninfo_, options, connections);
    EXPECT_TRUE(opened) << opened.error().describe();
    return opened ? std::move(*opened) : nullptr;
  }
  std::vector<webhooks::OutboxRow> rows(Storage& storage) {
    auto lease = storage.database().acquire();
    EXPECT_TRUE(lease);
    auto listed = webhooks::list_rows(**lease);
    EXPECT_TRUE(listed) << listed.error().describe();
    return listed ? *listed : std::vector<webhooks::OutboxRow>{};
  }
  std::vector<webhooks::OutboxRow> rows() { return rows(*storage_); }
  // `body` in a transaction of its own on the storage's database, committed.
  template <class Body>
  void in_transaction(Body&& body) {
    auto lease = storage_->database().acquire();
    ASSERT_TRUE(lease);
    ASSERT_TRUE((*lease)->begin());
    body(**lease);
    ASSERT_TRUE((*lease)->commit());
  }
  // Files one submission (with a contact) as box-a's event `seq`; its tracking code.
  TrackingCode file(std::uint64_t seq, Storage* through = nullptr) {
    wire::SubmissionFiled filed{
        TrackingCode::generate(random_), "request", 1, "P-box-a-" + std::to_string(seq),
        std::string("+40712345678"),     false};
    auto applied = (through != nullptr ? *through : *storage_)
                       .apply_events(device("box-a"), {body_event(seq, random_, filed)}, kNow);
    EXPECT_TRUE(applied) << applied.error().describe();
    return filed.tracking_code;
  }
  // Issues a parcel for box-a with `code`, expiring at `expires_at`.
  void issue(const std::string& parcel_id, const PickupCode& code, std::int64_t expires_at) {
    NewParcel parcel{parcel_id, "box-a", "ref-" + parcel_id, hash_pickup_code(code, random_, 10),
                     expires_at};
    parcel.pickup_code_for_notice = code.display();
    ASSERT_TRUE(storage_->add_parcel(parcel, kNow, {"test", "operator"}));
  }
  void apply(std::uint64_t seq, wire::EventBody body) {
    auto applied = storage_->apply_events(device("box-a"), {body_event(seq, random_, body)}, kNow);
    ASSERT_TRUE(applied) << applied.error().describe();
  }
  WebhookSubscriber subscriber(const std::string& url, const std::string& name = "gateway") {
    WebhookSubscriber s{name, url, kSecret};
    s.events.assign(webhooks::kEvents.begin(), webhooks::kEvents.end());
    s.ca_file = pki_.ca_cert;
    return s;
  }
  static webhooks::SenderOptions fast() {
    webhooks::SenderOptions options;
    options.base_delay = 100ms;
    options.max_delay = 1s;
    options.poll_interval = 10ms;
    options.timeout = 2s;
    options.reminder_interval = 1h;
    return options;
  }
  webhooks::WebhookSender& sender(Storage& storage, std::vector<WebhookSubscriber> subscribers,
                                  webhooks::SenderOptions options = fast()) {
    senders_.push_back(std::make_unique<webhooks::WebhookSender>(
        storage.database(), std::move(subscribers), std::move(options), &metrics_));
    senders_.back()->start();
    return *senders_.back();
  }
  // Waits until no row is pending (or held) any more.
  bool settled(Storage& storage, std::chrono::milliseconds limit = 20s) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      auto all = rows(storage);
      if (std::none_of(all.begin(), all.end(),
                       [](const auto& r) { return r.state == "pending" || r.state == "held"; })) {
        return true;
      }
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }
  void make_pki() { ASSERT_TRUE(testing::make_receiver_pki(dir_.path(), pki_)); }

  testing::TempDir dir_;
  std::string conninfo_;
  SystemRandom random_;
  testing::ReceiverPki pki_;
  Metrics metrics_;
  std::unique_ptr<Storage> storage_;
  std::vector<std::unique_ptr<webhooks::WebhookSender>> senders_;
};

json payload(const webhooks::OutboxRow& row) {
  return json::parse(row.payload);
}

TEST_P(WebhookTest, AFilingAndItsStatusChangesAreAnnouncedToTheSubscribersThatAskedForThem) {
  const TrackingCode code = file(1);
  auto after_filing = rows();
  ASSERT_EQ(after_filing.size(), 1u) << "the sms subscriber asked only for status changes";
  EXPECT_EQ(after_filing[0].subscriber, "gateway");
  EXPECT_EQ(after_filing[0].event, "submission.registered");
  EXPECT_EQ(after_filing[0].state, "pending");
  const json registered = payload(after_filing[0]);
  EXPECT_EQ(registered["tracking_code"], code.display());
  EXPECT_EQ(registered["registration_number"], "2026/000001");
  EXPECT_EQ(registered["kind"], "request");
  EXPECT_EQ(registered["box"], "box-a");
  EXPECT_EQ(registered["contact"], "+40712345678");
  EXPECT_EQ(registered["filed_at"], "2026-09-21T14:13:20.000Z");

  ASSERT_TRUE(storage_->move_submission(code, SubmissionState::in_progress, kNow + kHour,
                                        {"test", "clerk"}));
  auto after_move = rows();
  ASSERT_EQ(after_move.size(), 3u);
  for (std::size_t i = 1; i < 3; ++i) {
    EXPECT_EQ(after_move[i].event, "submission.status_changed");
    const json changed = payload(after_move[i]);
    EXPECT_EQ(changed["from"], "registered");
    EXPECT_EQ(changed["to"], "in_progress");
    EXPECT_EQ(changed["at"], "2026-09-21T15:13:20.000Z");
    EXPECT_EQ(changed["contact"], "+40712345678");
    EXPECT_EQ(changed["registration_number"], "2026/000001");
  }
  EXPECT_EQ(after_move[1].subscriber == "sms" || after_move[2].subscriber == "sms", true);

  // A move the back office may not make changes nothing and announces nothing.
  EXPECT_FALSE(
      storage_->move_submission(code, SubmissionState::registered, kNow, {"test", "clerk"}));
  EXPECT_EQ(rows().size(), 3u);
}

TEST_P(WebhookTest, AChangeThatRollsBackLeavesNoNotificationBehind) {
  // The filing is applied, then the batch fails on a sequence number reused for another event:
  // the whole transaction rolls back, its notification with it.
  wire::SubmissionFiled filed{
      TrackingCode::generate(random_), "request", 1, "P-1", std::nullopt, false};
  auto failed = storage_->apply_events(
      device("box-a"),
      {body_event(1, random_, filed), body_event(1, random_, wire::ParcelLoaded{"X", 1})}, kNow);
  ASSERT_FALSE(failed);
  auto through = storage_->applied_through(device("box-a"));
  ASSERT_TRUE(through);
  EXPECT_EQ(*through, 0u);
  EXPECT_TRUE(rows().empty());
}

TEST_P(WebhookTest, AParcelIsAnnouncedWithItsPickupCodeOnlyOnceTheBoxHasLoadedIt) {
  PickupCode code = PickupCode::generate(random_);
  ASSERT_TRUE(storage_->assignments_since(device("box-a"), 0, kNow));
  issue("PARCEL1", code, kNow + 72 * kHour);
  auto held = rows();
  ASSERT_EQ(held.size(), 1u);
  EXPECT_EQ(held[0].event, "parcel.ready");
  EXPECT_EQ(held[0].state, "held");
  EXPECT_EQ(payload(held[0])["pickup_code"], code.display());
  {
    auto lease = storage_->database().acquire();
    auto claimed = webhooks::claim_due(**lease, kNow + 24 * kHour, 10, 1000, "test");
    ASSERT_TRUE(claimed);
    EXPECT_TRUE(claimed->empty()) << "a held notification is never sent";
  }

  apply(1, wire::ParcelLoaded{"PARCEL1", 7});
  auto ready = rows();
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].state, "pending");
  const json p = payload(ready[0]);
  EXPECT_EQ(p["pickup_code"], code.display());
  EXPECT_EQ(p["box"], "box-a");
  EXPECT_EQ(p["compartment"], 7);
  EXPECT_EQ(p["reference"], "ref-PARCEL1");
  EXPECT_EQ(p["expires_at"], "2026-09-24T14:13:20.000Z");
  EXPECT_EQ(p["loaded_at"], "2026-09-21T14:13:20.000Z");  // the box's own time of the event
}

TEST_P(WebhookTest, DeliveredNotificationsArePrunedDeadOnesAreKeptForTheOperator) {
  file(1);
  file(2);
  in_transaction([&](sql::Connection& db) {
    auto claimed = webhooks::claim_due(db, kNow, 10, 60'000, "me");
    ASSERT_TRUE(claimed);
    ASSERT_EQ(claimed->size(), 2u);
    EXPECT_FALSE(*webhooks::mark_delivered(db, claimed->at(0).id, "someone else", kNow))
        << "a row another sender claimed is not touched";
    EXPECT_TRUE(*webhooks::mark_delivered(db, claimed->at(0).id, "me", kNow));
    EXPECT_TRUE(*webhooks::mark_failed(db, claimed->at(1).id, "me", "HTTP 500", std::nullopt));
    auto pruned = webhooks::prune_delivered(db, kNow + 1);
    ASSERT_TRUE(pruned);
    EXPECT_EQ(*pruned, 1);
  });
  auto left = rows();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].state, "dead");
}

TEST_P(WebhookTest, AReminderGoesOncePerParcelBeforeItsHoldEndsAlsoAfterARestart) {
  ASSERT_TRUE(storage_->assignments_since(device("box-a"), 0, kNow));
  issue("SOON", PickupCode::generate(random_), kNow + 20 * kHour);
  issue("LATER", PickupCode::generate(random_), kNow + 48 * kHour);
  issue("NOTLOADED", PickupCode::generate(random_), kNow + 20 * kHour);
  issue("COLLECTED", PickupCode::generate(random_), kNow + 20 * kHour);
  apply(1, wire::ParcelLoaded{"SOON", 1});
  apply(2, wire::ParcelLoaded{"LATER", 2});
  apply(3, wire::ParcelLoaded{"COLLECTED", 3});
  apply(4, wire::ParcelCollected{"COLLECTED", 3, false});

  auto remind = [&] {
    auto lease = storage_->database().acquire();
    EXPECT_TRUE((*lease)->begin());
    auto n = webhooks::enqueue_due_reminders(**lease, kRoutes, kNow, 24 * kHour);
    EXPECT_TRUE(n) << n.error().describe();
    EXPECT_TRUE((*lease)->commit());
    return n ? *n : -1;
  };
  EXPECT_EQ(remind(), 1);
  EXPECT_EQ(remind(), 0);
  reopen();
  EXPECT_EQ(remind(), 0) << "a restart does not remind again";
  std::vector<webhooks::OutboxRow> reminders;
  for (auto& r : rows()) {
    if (r.event == "parcel.reminder") reminders.push_back(r);
  }
  ASSERT_EQ(reminders.size(), 1u);
  EXPECT_EQ(reminders[0].subscriber, "gateway");
  const json p = payload(reminders[0]);
  EXPECT_EQ(p["parcel_id"], "SOON");
  EXPECT_EQ(p["compartment"], 1);
  EXPECT_EQ(p["expires_at"], "2026-09-22T10:13:20.000Z");
  EXPECT_FALSE(p.contains("pickup_code"));
}

TEST_P(WebhookTest, AReturnedParcelIsAnnouncedAndACancelledOnesCodeIsNeverSent) {
  ASSERT_TRUE(storage_->assignments_since(device("box-a"), 0, kNow));
  const Actor clerk{"front-desk", "clerk"};
  // Cancelled before loading: the held parcel.ready, with its code, is dropped.
  issue("NEVERLOADED", PickupCode::generate(random_), kNow + 20 * kHour);
  ASSERT_TRUE(storage_->change_parcel("NEVERLOADED", ParcelChange::cancel, 0, "", kNow, clerk));
  EXPECT_TRUE(rows().empty()) << "the code of a cancelled parcel is never announced";

  // Loaded, not collected, the hold over: the back office marks it returned.
  issue("UNCOLLECTED", PickupCode::generate(random_), kNow + 20 * kHour);
  apply(1, wire::ParcelLoaded{"UNCOLLECTED", 2});
  const std::size_t before = rows().size();
  auto returned = storage_->change_parcel("UNCOLLECTED", ParcelChange::returned, 0, "",
                                          kNow + 21 * kHour, clerk);
  ASSERT_TRUE(returned) << returned.error().describe();
  auto all = rows();
  ASSERT_EQ(all.size(), before + 1);
  EXPECT_EQ(all.back().event, "parcel.returned");
  EXPECT_EQ(all.back().state, "pending");
  const json p = payload(all.back());
  EXPECT_EQ(p["parcel_id"], "UNCOLLECTED");
  EXPECT_EQ(p["reference"], "ref-UNCOLLECTED");
  EXPECT_EQ(p["box"], "box-a");
  EXPECT_EQ(p["at"], "2026-09-22T11:13:20.000Z");
}

TEST_P(WebhookTest, TheGatewayGetsASignedPostOverHttpsThatItCanVerify) {
  make_pki();
  testing::WebhookReceiver gateway([](const auto&) { return 200; }, &pki_);
  sender(*storage_, {subscriber(gateway.url())});
  const TrackingCode code = file(1);
  ASSERT_TRUE(gateway.wait_for(1));
  ASSERT_TRUE(settled(*storage_));
  const auto got = gateway.requests().at(0);
  EXPECT_EQ(got.method, "POST");
  EXPECT_EQ(got.target, "/hooks");
  EXPECT_EQ(got.header("content-type"), "application/json");
  EXPECT_EQ(got.header("x-civicbox-event"), "submission.registered");
  auto all = rows();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].state, "delivered");
  EXPECT_EQ(all[0].attempts, 1);
  EXPECT_TRUE(all[0].delivered_at_ms);
  EXPECT_EQ(got.header("x-civicbox-delivery"), std::to_string(all[0].id));
  const std::string timestamp = got.header("x-civicbox-timestamp");
  const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  EXPECT_LE(std::abs(std::stoll(timestamp) - now_s), 60);
  EXPECT_EQ(got.header("x-civicbox-signature"),
            "sha256=" + openssl_hmac(dir_.path(), kSecret, timestamp + "." + got.body));
  EXPECT_EQ(json::parse(got.body)["tracking_code"], code.display());
  EXPECT_NE(metrics_.render().find("civicbox_webhook_deliveries_total{outcome=\"delivered\"} 1"),
            std::string::npos);
}

TEST_P(WebhookTest, AGatewayThatFailsTwiceGetsThreeAttemptsWithGrowingDelays) {
  std::atomic<int> calls{0};
  testing::WebhookReceiver gateway([&](const auto&) { return ++calls <= 2 ? 500 : 200; });
  sender(*storage_, {subscriber(gateway.url())});  // http:// to 127.0.0.1
  file(1);
  ASSERT_TRUE(gateway.wait_for(3));
  ASSERT_TRUE(settled(*storage_));
  const auto got = gateway.requests();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].header("x-civicbox-delivery"), got[2].header("x-civicbox-delivery"))
      << "one notification, attempted three times";
  // Base 100 ms: the first retry after 50..100 ms, the second after 100..200 ms.
  const auto first = got[1].at - got[0].at;
  const auto second = got[2].at - got[1].at;
  EXPECT_GE(first, 50ms);
  EXPECT_GE(second, 100ms);
  EXPECT_LT(second, 1s);
  auto all = rows();
  EXPECT_EQ(all[0].state, "delivered");
  EXPECT_EQ(all[0].attempts, 3);
  const std::string metrics = metrics_.render();
  EXPECT_NE(metrics.find("civicbox_webhook_deliveries_total{outcome=\"failed\"} 2"),
            std::string::npos);
}

TEST_P(WebhookTest, NotificationsPendingWhenTheControllerStopsAreDeliveredAfterItStarts) {
  // The gateway is down: attempts fail, the rows stay pending.
  const std::string down = "http://127.0.0.1:" + std::to_string(testing::unused_loopback_port());
  sender(*storage_, {subscriber(down)});
  file(1);
  file(2);
  file(3);
  // Until each was tried at least once (an attempt counts from its claim; its error comes after).
  for (auto until = std::chrono::steady_clock::now() + 20s;
       std::chrono::steady_clock::now() < until;) {
    auto all = rows();
    if (std::all_of(all.begin(), all.end(), [](const auto& r) { return r.last_error.has_value(); }))
      break;
    std::this_thread::sleep_for(10ms);
  }
  auto before = rows();
  ASSERT_EQ(before.size(), 3u);
  for (const auto& r : before) {
    EXPECT_EQ(r.state, "pending");
    EXPECT_GE(r.attempts, 1);
    EXPECT_TRUE(r.last_error && r.last_error->find("POST") != std::string::npos);
  }
  reopen();  // the controller stops and starts again; the gateway is back
  testing::WebhookReceiver gateway([](const auto&) { return 200; });
  sender(*storage_, {subscriber(gateway.url())});
  ASSERT_TRUE(gateway.wait_for(3));
  ASSERT_TRUE(settled(*storage_));
  std::set<std::string> ids;
  for (const auto& r : gateway.requests()) ids.insert(r.header("x-civicbox-delivery"));
  EXPECT_EQ(ids.size(), 3u);
  for (const auto& r : rows()) EXPECT_EQ(r.state, "delivered");
}

TEST_P(WebhookTest, ANotificationIsDeadAfterMaxAttemptsAndItsPickupCodeIsForgotten) {
  testing::WebhookReceiver gateway([](const auto&) { return 503; });
  ASSERT_TRUE(storage_->assignments_since(device("box-a"), 0, kNow));
  PickupCode code = PickupCode::generate(random_);
  issue("PARCEL1", code, kNow + 72 * kHour);
  apply(1, wire::ParcelLoaded{"PARCEL1", 7});
  auto options = fast();
  options.base_delay = 10ms;
  options.max_attempts = 3;
  sender(*storage_, {subscriber(gateway.url())}, options);
  ASSERT_TRUE(gateway.wait_for(3));
  ASSERT_TRUE(settled(*storage_));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(gateway.requests().size(), 3u) << "no attempt after the last";
  EXPECT_EQ(json::parse(gateway.requests()[0].body)["pickup_code"], code.display());
  auto all = rows();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].state, "dead");
  EXPECT_EQ(all[0].attempts, 3);
  ASSERT_TRUE(all[0].last_error);
  EXPECT_NE(all[0].last_error->find("HTTP 503"), std::string::npos);
  EXPECT_FALSE(payload(all[0]).contains("pickup_code")) << "the code is not kept";
  EXPECT_NE(metrics_.render().find("civicbox_webhook_deliveries_total{outcome=\"dead\"} 1"),
            std::string::npos);
}

TEST_P(WebhookTest, TwoControllerInstancesNeverSendOneNotificationTwice) {
  if (GetParam() == Backend::sqlite) GTEST_SKIP() << "one process per SQLite file";
  auto second = open(kRoutes, 4);
  ASSERT_TRUE(second);
  std::mutex mutex;
  std::map<std::string, int> seen;
  testing::WebhookReceiver gateway([&](const testing::ReceivedRequest& r) {
    std::lock_guard lock(mutex);
    ++seen[r.header("x-civicbox-delivery")];
    return 200;
  });
  for (std::uint64_t seq = 1; seq <= 60; ++seq) file(seq);
  auto options = fast();
  options.batch = 4;
  sender(*storage_, {subscriber(gateway.url())}, options);
  sender(*second, {subscriber(gateway.url())}, options);
  ASSERT_TRUE(gateway.wait_for(60));
  ASSERT_TRUE(settled(*storage_));
  std::this_thread::sleep_for(100ms);
  senders_.clear();
  EXPECT_EQ(gateway.requests().size(), 60u);
  std::lock_guard lock(mutex);
  EXPECT_EQ(seen.size(), 60u);
  for (const auto& [id, count] : seen) EXPECT_EQ(count, 1) << "delivery " << id;
}

INSTANTIATE_TEST_SUITE_P(Backends, WebhookTest,
                         ::testing::Values(Backend::sqlite, Backend::postgres),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return info.param == Backend::sqlite ? "sqlite" : "postgres";
                         });

}  // namespace
}  // namespace civicbox::controller
