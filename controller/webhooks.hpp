// Delivers the webhook outbox (webhook_outbox.hpp) to the town hall's gateway: a thread of the
// controller process claims due rows, POSTs each one's JSON to its subscriber with libcurl, and
// marks it delivered (2xx) or due again after an exponential backoff with jitter; after
// max_attempts failures a row is dead and logged at error. It also writes the parcel.reminder
// rows when their time comes.
//
// Headers of every POST:
//   Content-Type: application/json
//   X-Civicbox-Event: submission.registered (the event)
//   X-Civicbox-Delivery: 42 (the outbox row: the same on every attempt of one notification)
//   X-Civicbox-Timestamp: 1790000000 (Unix seconds of this attempt)
//   X-Civicbox-Signature: sha256=<hex of HMAC-SHA256(secret, "<timestamp>.<body>")>
//
// At least once: a controller that dies between the receiver's 2xx and marking the row sends it
// again after a restart (or another instance does), so receivers dedupe on X-Civicbox-Delivery.
// Several instances on one PostgreSQL each run a sender; a row is claimed by one of them at a
// time (FOR UPDATE SKIP LOCKED), so two never send one row at once.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "common/error.hpp"
#include "controller/config.hpp"
#include "controller/metrics.hpp"
#include "controller/sql.hpp"
#include "controller/webhook_outbox.hpp"

namespace civicbox::controller::webhooks {

// HMAC-SHA256 of `message` under `key`, lowercase hex.
std::string hmac_sha256_hex(std::string_view key, std::string_view message);
// The X-Civicbox-Signature value: "sha256=" + HMAC over "<timestamp>.<body>".
std::string signature(std::string_view secret, std::int64_t timestamp_s, std::string_view body);

// The delay before attempt `attempts` + 1 after `attempts` failures: base * 2^(attempts-1),
// capped at `cap`, of which a random part in [1/2, 1] is taken (`unit` in [0, 1): the
// randomness, passed in so tests are exact).
std::chrono::milliseconds backoff(std::int64_t attempts, std::chrono::milliseconds base,
                                  std::chrono::milliseconds cap, double unit);

struct SenderOptions {
  std::chrono::milliseconds base_delay{10'000};
  std::chrono::milliseconds max_delay{3'600'000};
  int max_attempts = 20;
  std::chrono::milliseconds reminder_before{24 * 3'600'000};
  std::chrono::milliseconds poll_interval{1'000};       // how often due rows are looked for
  std::chrono::milliseconds reminder_interval{60'000};  // how often reminders are looked for
  std::chrono::milliseconds keep_delivered{30LL * 24 * 3'600'000};  // then a row is forgotten
  std::chrono::milliseconds timeout{10'000};                        // one POST, connection included
  int batch = 16;                                                   // rows claimed at once
  std::function<std::int64_t()> clock{};  // Unix ms; default the system clock
};

SenderOptions sender_options_of(const Config& config);

class WebhookSender {
 public:
  // `subscribers` by name; `metrics` may be null.
  WebhookSender(sql::Pool& database, std::vector<WebhookSubscriber> subscribers,
                SenderOptions options, Metrics* metrics = nullptr);
  ~WebhookSender();
  WebhookSender(const WebhookSender&) = delete;
  WebhookSender& operator=(const WebhookSender&) = delete;

  // Runs the loop on a thread of its own until stop().
  void start();
  // Finishes the POST under way (at most `timeout`), then returns; what is left stays due.
  void stop();

  // One pass, on the caller's thread: reminders (when their interval has passed), then the rows
  // due now. Returns how many rows were attempted.
  Expected<int> run_once();

 private:
  struct Attempt;
  Attempt post(const WebhookSubscriber& to, const OutboxRow& row, std::int64_t timestamp_s);
  Expected<void> finish(const OutboxRow& row, const Attempt& attempt);
  std::int64_t now_ms() const;
  void loop();

  sql::Pool& database_;
  std::map<std::string, WebhookSubscriber> subscribers_;
  Routes routes_;
  SenderOptions options_;
  Metrics* metrics_;
  std::string claim_;  // this sender's token on the rows it claims
  std::int64_t next_reminders_ms_ = 0;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace civicbox::controller::webhooks
