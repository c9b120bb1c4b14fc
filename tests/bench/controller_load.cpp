// Load generator for scripts/bench: N boxes, each on its own keep-alive mutual-TLS connection,
// push batches of journal events to a running controller as fast as it answers; then full
// mutual-TLS handshakes per second (no session reuse) against the same device listener.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include <curl/curl.h>
#include <CLI/CLI.hpp>

#include "common/codes.hpp"
#include "common/ids.hpp"
#include "common/random.hpp"
#include "common/wire.hpp"
#include "tests/bench/bench_curl.hpp"

namespace {

using namespace civicbox;
using Clock = std::chrono::steady_clock;

struct Box {
  std::string id;
  std::filesystem::path cert;
  std::filesystem::path key;
};

CURL* box_handle(const Box& box, const std::string& ca, std::string* body) {
  return bench::box_handle(ca, box.cert.string(), box.key.string(), body);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Push events to a civicbox controller from many boxes and count what it applies."};
  std::string url;
  std::string pki;
  int boxes = 50;
  int batches = 10;
  int batch_size = 100;
  double handshake_seconds = 5;
  int handshake_threads = 4;
  app.add_option("--url", url, "the device listener, e.g. https://127.0.0.1:8443")->required();
  app.add_option("--pki", pki, "a dev PKI folder with devices/bench-N.crt")->required();
  app.add_option("--boxes", boxes);
  app.add_option("--batches", batches, "batches per box");
  app.add_option("--batch-size", batch_size)->check(CLI::Range(1, 100));
  app.add_option("--handshake-seconds", handshake_seconds);
  app.add_option("--handshake-threads", handshake_threads);
  CLI11_PARSE(app, argc, argv);
  curl_global_init(CURL_GLOBAL_ALL);
  const std::string ca = (std::filesystem::path(pki) / "ca.crt").string();

  std::vector<Box> fleet;
  for (int i = 0; i < boxes; ++i) {
    std::string id = "bench-" + std::to_string(i);
    auto dir = std::filesystem::path(pki) / "devices";
    fleet.push_back({id, dir / (id + ".crt"), dir / (id + ".key")});
  }

  // Build every request body first, so the clock measures the controller, not us.
  SystemRandom random;
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  std::vector<std::vector<std::string>> bodies(static_cast<std::size_t>(boxes));
  for (auto& box_bodies : bodies) {
    std::uint64_t seq = 0;
    for (int b = 0; b < batches; ++b) {
      wire::PushRequest push;
      for (int e = 0; e < batch_size; ++e) {
        ++seq;
        wire::SubmissionFiled filed{TrackingCode::generate(random),   "request",    1,
                                    "P-bench-" + std::to_string(seq), std::nullopt, false};
        push.events.push_back({seq, EventId::generate(now_ms, random), now_ms, filed});
      }
      box_bodies.push_back(wire::to_json(push));
    }
  }

  std::atomic<std::uint64_t> applied{0};
  std::atomic<int> failures{0};
  std::mutex latency_mutex;
  std::vector<double> latencies_ms;
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int i = 0; i < boxes; ++i) {
    threads.emplace_back([&, i] {
      std::string body;
      CURL* curl = box_handle(fleet[static_cast<std::size_t>(i)], ca, &body);
      curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
      curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
      const std::string target = url + "/v1/device/events";
      curl_easy_setopt(curl, CURLOPT_URL, target.c_str());
      std::vector<double> mine;
      for (const auto& request : bodies[static_cast<std::size_t>(i)]) {
        body.clear();
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.data());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                         static_cast<curl_off_t>(request.size()));
        const auto t0 = Clock::now();
        CURLcode rc = curl_easy_perform(curl);
        mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        long status = 0;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        if (rc != CURLE_OK || status != 200) {
          failures++;
          std::fprintf(stderr, "push failed: %s %ld %s\n", curl_easy_strerror(rc), status,
                       body.c_str());
          continue;
        }
        auto response = wire::parse_push_response(body);
        if (!response) {
          failures++;
          continue;
        }
        applied += static_cast<std::uint64_t>(batch_size);
      }
      curl_slist_free_all(headers);
      curl_easy_cleanup(curl);
      std::lock_guard lock(latency_mutex);
      latencies_ms.insert(latencies_ms.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto pct = [&](double p) {
    if (latencies_ms.empty()) return 0.0;
    return latencies_ms[std::min(
        latencies_ms.size() - 1,
        static_cast<std::size_t>(p * static_cast<double>(latencies_ms.size())))];
  };
  std::printf(
      "ingest boxes=%d batch=%d events=%llu seconds=%.2f events_per_s=%.0f p50_ms=%.1f "
      "p99_ms=%.1f failures=%d\n",
      boxes, batch_size, static_cast<unsigned long long>(applied.load()), seconds,
      static_cast<double>(applied.load()) / seconds, pct(0.5), pct(0.99), failures.load());

  // Full handshakes: a fresh connection and no TLS session reuse for every request.
  std::atomic<std::uint64_t> handshakes{0};
  std::atomic<bool> stop{false};
  threads.clear();
  const auto hs_start = Clock::now();
  for (int i = 0; i < handshake_threads; ++i) {
    threads.emplace_back([&, i] {
      std::string body;
      CURL* curl = box_handle(fleet[static_cast<std::size_t>(i) % fleet.size()], ca, &body);
      const std::string target = url + "/healthz";
      curl_easy_setopt(curl, CURLOPT_URL, target.c_str());
      curl_easy_setopt(curl, CURLOPT_FRESH_CONNECT, 1L);
      curl_easy_setopt(curl, CURLOPT_FORBID_REUSE, 1L);
      curl_easy_setopt(curl, CURLOPT_SSL_SESSIONID_CACHE, 0L);
      while (!stop.load()) {
        body.clear();
        if (curl_easy_perform(curl) == CURLE_OK) handshakes++;
      }
      curl_easy_cleanup(curl);
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(handshake_seconds));
  stop = true;
  for (auto& t : threads) t.join();
  const double hs_seconds = std::chrono::duration<double>(Clock::now() - hs_start).count();
  std::printf("handshakes threads=%d count=%llu seconds=%.2f per_s=%.0f\n", handshake_threads,
              static_cast<unsigned long long>(handshakes.load()), hs_seconds,
              static_cast<double>(handshakes.load()) / hs_seconds);
  curl_global_cleanup();
  return failures.load() == 0 ? 0 : 1;
}
