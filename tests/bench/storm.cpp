// The reconnect storm for scripts/bench: every box of a fleet comes back at the same moment (the
// controller was down) with its queued events, each on its own new mutual-TLS connection, spread
// over several controller instances (box i -> instance i mod n). One thread drives them all with
// curl's multi interface, as many boxes do with one event loop each. A box whose request fails
// (connection refused, 503, a timeout) tries again a second later, as the agent's syncer does, so
// the storm ends only when every event was acknowledged.
//
//   storm boxes=N events=E seconds=S events_per_s=R p50_ms=.. p99_ms=.. errors=.. retried=..
#include <curl/curl.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <string>
#include <vector>

#include "common/codes.hpp"
#include "common/ids.hpp"
#include "common/random.hpp"
#include "common/wire.hpp"
#include "tests/bench/bench_curl.hpp"

namespace {

using namespace civicbox;
using Clock = std::chrono::steady_clock;

struct Box {
  std::string url;
  std::string cert;
  std::string key;
  std::vector<std::string> batches;  // request bodies, in order
  std::size_t next = 0;              // the batch being sent
  std::string answer;
  CURL* curl = nullptr;
  curl_slist* headers = nullptr;
  Clock::time_point sent;
  Clock::time_point retry_at;
  int failures = 0;
};

constexpr int kMaxTries = 30;

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"A reconnect storm: every box of a fleet pushes its queued events at once."};
  std::vector<std::string> urls;
  std::string pki;
  int boxes = 2000;
  int events = 100;
  int batch = 100;
  app.add_option("--url", urls, "a controller instance's device listener (repeat for several)")
      ->required();
  app.add_option("--pki", pki, "a dev PKI folder with devices/bench-N.crt")->required();
  app.add_option("--boxes", boxes);
  app.add_option("--events", events, "events queued per box");
  app.add_option("--batch", batch, "events per request (the agent's [sync] batch)")
      ->check(CLI::Range(1, 100));
  CLI11_PARSE(app, argc, argv);
  curl_global_init(CURL_GLOBAL_ALL);
  const std::string ca = (std::filesystem::path(pki) / "ca.crt").string();

  SystemRandom random;
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  std::vector<Box> fleet(static_cast<std::size_t>(boxes));
  for (int i = 0; i < boxes; ++i) {
    Box& box = fleet[static_cast<std::size_t>(i)];
    const std::string id = "bench-" + std::to_string(i);
    box.url = urls[static_cast<std::size_t>(i) % urls.size()] + "/v1/device/events";
    box.cert = (std::filesystem::path(pki) / "devices" / (id + ".crt")).string();
    box.key = (std::filesystem::path(pki) / "devices" / (id + ".key")).string();
    std::uint64_t seq = 0;
    for (int sent = 0; sent < events; sent += batch) {
      wire::PushRequest push;
      for (int e = 0; e < batch && sent + e < events; ++e) {
        ++seq;
        wire::SubmissionFiled filed{TrackingCode::generate(random),   "request",    1,
                                    "P-storm-" + std::to_string(seq), std::nullopt, false};
        push.events.push_back({seq, EventId::generate(now_ms, random), now_ms, filed});
      }
      box.batches.push_back(wire::to_json(push));
    }
  }

  CURLM* multi = curl_multi_init();
  curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, static_cast<long>(boxes));
  auto start_request = [&](Box& box) {
    if (box.curl == nullptr) {
      box.curl = bench::box_handle(ca, box.cert, box.key, &box.answer);
      curl_easy_setopt(box.curl, CURLOPT_PRIVATE, &box);
      box.headers = curl_slist_append(nullptr, "Content-Type: application/json");
      curl_easy_setopt(box.curl, CURLOPT_HTTPHEADER, box.headers);
      curl_easy_setopt(box.curl, CURLOPT_URL, box.url.c_str());
    }
    const std::string& body = box.batches[box.next];
    box.answer.clear();
    curl_easy_setopt(box.curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(box.curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    box.sent = Clock::now();
    curl_multi_add_handle(multi, box.curl);
  };

  const auto start = Clock::now();
  for (auto& box : fleet) start_request(box);
  std::vector<double> latencies_ms;
  std::deque<Box*> waiting;  // to try again after a failure
  std::uint64_t acknowledged = 0;
  int errors = 0;
  int retried = 0;
  int gave_up = 0;
  int running = boxes;
  int done_boxes = 0;
  while (done_boxes < boxes) {
    curl_multi_perform(multi, &running);
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      Box* box = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &box);
      long status = 0;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
      curl_multi_remove_handle(multi, msg->easy_handle);
      const bool ok = msg->data.result == CURLE_OK && status == 200 &&
                      wire::parse_push_response(box->answer).has_value();
      if (!ok) {
        ++errors;
        if (++box->failures > kMaxTries) {
          // Something that trying again will not mend (a refusal): the box gives up.
          std::fprintf(stderr, "storm: %s gave up after %d tries: %ld %s\n", box->url.c_str(),
                       kMaxTries, status, box->answer.c_str());
          ++gave_up;
          ++done_boxes;
          continue;
        }
        if (errors <= 5) {
          std::fprintf(stderr, "storm: %s: %s %ld %s\n", box->url.c_str(),
                       curl_easy_strerror(msg->data.result), status, box->answer.c_str());
        }
        box->retry_at = Clock::now() + std::chrono::seconds(1);
        waiting.push_back(box);
        continue;
      }
      latencies_ms.push_back(
          std::chrono::duration<double, std::milli>(Clock::now() - box->sent).count());
      acknowledged += wire::parse_push_request(box->batches[box->next])->events.size();
      if (++box->next < box->batches.size()) {
        start_request(*box);
      } else {
        ++done_boxes;
        curl_slist_free_all(box->headers);
        curl_easy_cleanup(box->curl);
        box->curl = nullptr;
      }
    }
    while (!waiting.empty() && waiting.front()->retry_at <= Clock::now()) {
      ++retried;
      start_request(*waiting.front());
      waiting.pop_front();
    }
    curl_multi_poll(multi, nullptr, 0, 50, nullptr);
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  curl_multi_cleanup(multi);
  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto pct = [&](double p) {
    if (latencies_ms.empty()) return 0.0;
    return latencies_ms[std::min(
        latencies_ms.size() - 1,
        static_cast<std::size_t>(p * static_cast<double>(latencies_ms.size())))];
  };
  std::printf(
      "storm boxes=%d instances=%zu events=%llu seconds=%.2f events_per_s=%.0f p50_ms=%.1f "
      "p99_ms=%.1f errors=%d retried=%d gave_up=%d\n",
      boxes, urls.size(), static_cast<unsigned long long>(acknowledged), seconds,
      static_cast<double>(acknowledged) / seconds, pct(0.5), pct(0.99), errors, retried, gave_up);
  curl_global_cleanup();
  return gave_up == 0 ? 0 : 1;
}
