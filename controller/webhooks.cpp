#include "controller/webhooks.hpp"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "common/curl_support.hpp"
#include "common/random.hpp"

namespace civicbox::controller::webhooks {

namespace {

using sql::in_transaction;

std::size_t discard_body(char* /*data*/, std::size_t size, std::size_t count, void* user) {
  auto* seen = static_cast<std::size_t*>(user);
  *seen += size * count;
  return *seen > (64u << 10) ? 0 : size * count;  // a receiver's answer is not read
}

std::string hex(const unsigned char* data, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 0xf];
  }
  return out;
}

std::int64_t system_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double unit_random() {
  thread_local SystemRandom random;
  return static_cast<double>(random.next_u64() >> 11) * 0x1.0p-53;
}

}  // namespace

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), out, &size);
  return hex(out, size);
}

std::string signature(std::string_view secret, std::int64_t timestamp_s, std::string_view body) {
  std::string message = std::to_string(timestamp_s);
  message += '.';
  message += body;
  return "sha256=" + hmac_sha256_hex(secret, message);
}

std::chrono::milliseconds backoff(std::int64_t attempts, std::chrono::milliseconds base,
                                  std::chrono::milliseconds cap, double unit) {
  const std::int64_t exponent = std::clamp<std::int64_t>(attempts - 1, 0, 40);
  const double full = std::min(static_cast<double>(base.count()) * std::ldexp(1.0, exponent),
                               static_cast<double>(cap.count()));
  const double jittered = full * (0.5 + 0.5 * std::clamp(unit, 0.0, 1.0));
  return std::chrono::milliseconds(static_cast<std::int64_t>(jittered));
}

SenderOptions sender_options_of(const Config& config) {
  SenderOptions options;
  options.max_attempts = config.webhook_max_attempts;
  options.base_delay = std::chrono::seconds(config.webhook_retry_base_s);
  options.reminder_before = std::chrono::hours(config.webhook_reminder_before_hours);
  return options;
}

struct WebhookSender::Attempt {
  bool delivered = false;
  bool known_subscriber = true;
  std::string error;  // why not delivered
};

WebhookSender::WebhookSender(sql::Pool& database, std::vector<WebhookSubscriber> subscribers,
                             SenderOptions options, Metrics* metrics)
    : database_(database), options_(std::move(options)), metrics_(metrics) {
  for (auto& s : subscribers) {
    routes_.push_back({s.name, s.events});
    subscribers_.emplace(s.name, std::move(s));
  }
  SystemRandom random;
  claim_ = "sender-" + std::to_string(random.next_u64());
  curl::global_init();
}

WebhookSender::~WebhookSender() {
  stop();
}

void WebhookSender::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void WebhookSender::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::int64_t WebhookSender::now_ms() const {
  return options_.clock ? options_.clock() : system_ms();
}

void WebhookSender::loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    auto attempted = run_once();
    if (!attempted) spdlog::warn("webhooks: {}", attempted.error().describe());
    lock.lock();
    if (attempted && *attempted > 0) continue;  // more may be due at once
    wake_.wait_for(lock, options_.poll_interval, [this] { return stopping_; });
  }
}

Expected<int> WebhookSender::run_once() {
  const std::int64_t now = now_ms();
  if (now >= next_reminders_ms_) {
    CIVICBOX_TRY(int reminded, in_transaction(database_, [&](sql::Connection& db) {
                   return enqueue_due_reminders(db, routes_, now, options_.reminder_before.count());
                 }));
    if (reminded > 0) spdlog::info("webhooks: {} pickup reminders queued", reminded);
    CIVICBOX_TRY(std::int64_t pruned, in_transaction(database_, [&](sql::Connection& db) {
                   return prune_delivered(db, now - options_.keep_delivered.count());
                 }));
    if (pruned > 0) spdlog::debug("webhooks: {} delivered notifications forgotten", pruned);
    next_reminders_ms_ = now + options_.reminder_interval.count();
  }
  // Long enough for the whole batch to be sent one after the other.
  const std::int64_t claim_ms = options_.timeout.count() * (options_.batch + 1) + 30'000;
  CIVICBOX_TRY(auto rows, in_transaction(database_, [&](sql::Connection& db) {
                 return claim_due(db, now, options_.batch, claim_ms, claim_);
               }));
  int attempted = 0;
  for (const OutboxRow& row : rows) {
    bool stopping = false;
    {
      std::lock_guard lock(mutex_);
      stopping = stopping_;
    }
    Attempt attempt;
    if (stopping) {
      // Given back untried, due at once for the next sender.
      attempt.known_subscriber = false;
      attempt.error = "the sender stopped before trying it";
      CIVICBOX_CHECK(in_transaction(database_, [&](sql::Connection& db) -> Expected<void> {
        CIVICBOX_CHECK(mark_failed(db, row.id, claim_, attempt.error, now, false));
        return {};
      }));
      continue;
    }
    auto subscriber = subscribers_.find(row.subscriber);
    if (subscriber == subscribers_.end()) {
      attempt.known_subscriber = false;
      attempt.error = "no subscriber '" + row.subscriber + "' in this controller's configuration";
    } else {
      attempt = post(subscriber->second, row, now_ms() / 1000);
    }
    ++attempted;
    CIVICBOX_CHECK(finish(row, attempt));
  }
  return attempted;
}

WebhookSender::Attempt WebhookSender::post(const WebhookSubscriber& to, const OutboxRow& row,
                                           std::int64_t timestamp_s) {
  Attempt attempt;
  std::unique_ptr<CURL, curl::EasyDeleter> handle(curl_easy_init());
  if (!handle) {
    attempt.error = "curl_easy_init failed";
    return attempt;
  }
  CURL* h = handle.get();
  std::unique_ptr<curl_slist, curl::ListDeleter> headers;
  auto add = [&](const std::string& line) {
    headers.reset(curl_slist_append(headers.release(), line.c_str()));
  };
  add("Content-Type: application/json");
  add("X-Civicbox-Event: " + row.event);
  add("X-Civicbox-Delivery: " + std::to_string(row.id));
  add("X-Civicbox-Timestamp: " + std::to_string(timestamp_s));
  add("X-Civicbox-Signature: " + signature(to.secret, timestamp_s, row.payload));
  add("Expect:");  // no 100-continue round trip
  std::size_t answer_bytes = 0;
  curl_easy_setopt(h, CURLOPT_URL, to.url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_POST, 1L);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, row.payload.c_str());
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(row.payload.size()));
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "civicbox-controller webhooks");
  if (!to.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, to.ca_file.c_str());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &answer_bytes);
  const CURLcode rc = curl_easy_perform(h);
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && status >= 200)) {
    attempt.error = std::string("POST ") + to.url + ": " + curl_easy_strerror(rc);
  } else if (status < 200 || status > 299) {
    attempt.error = "POST " + to.url + ": HTTP " + std::to_string(status);
  } else {
    attempt.delivered = true;
  }
  return attempt;
}

Expected<void> WebhookSender::finish(const OutboxRow& row, const Attempt& attempt) {
  const std::int64_t now = now_ms();
  std::string outcome;
  auto marked = in_transaction(database_, [&](sql::Connection& db) -> Expected<bool> {
    if (attempt.delivered) {
      outcome = "delivered";
      return mark_delivered(db, row.id, claim_, now);
    }
    if (!attempt.known_subscriber) {
      outcome = "unrouted";
      return mark_failed(db, row.id, claim_, attempt.error, now + options_.max_delay.count(),
                         false);
    }
    if (row.attempts >= options_.max_attempts) {
      outcome = "dead";
      return mark_failed(db, row.id, claim_, attempt.error, std::nullopt);
    }
    outcome = "failed";
    const auto delay =
        backoff(row.attempts, options_.base_delay, options_.max_delay, unit_random());
    return mark_failed(db, row.id, claim_, attempt.error, now + delay.count());
  });
  if (!marked) return marked.error().context("marking webhook " + std::to_string(row.id));
  if (!*marked) {
    spdlog::warn("webhook {} to {}: its claim ran out before it was marked ({})", row.id,
                 row.subscriber, outcome);
    return {};
  }
  if (metrics_ != nullptr) metrics_->webhook_delivery(outcome);
  if (outcome == "delivered") {
    spdlog::debug("webhook {} {} delivered to {}", row.id, row.event, row.subscriber);
  } else if (outcome == "dead") {
    spdlog::error("webhook {} {} to {} given up after {} attempts: {}", row.id, row.event,
                  row.subscriber, row.attempts, attempt.error);
  } else {
    spdlog::warn("webhook {} {} to {} attempt {} failed: {}", row.id, row.event, row.subscriber,
                 row.attempts, attempt.error);
  }
  return {};
}

}  // namespace civicbox::controller::webhooks
