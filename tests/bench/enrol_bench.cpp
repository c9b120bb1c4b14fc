// Enrolments per second on the controller (issue #5): a token and a premade CSR in, a signed
// certificate out, with the token's use and the certificate recorded in one SQLite transaction.
//   EnrolThroughService/durable:1  Service::handle_public, synchronous=FULL (what runs)
//   EnrolThroughService/durable:0  the same without fsync: what signing and checking cost
//   EnrolOverHttps                 a fresh TLS connection per enrolment (as a box does it),
//                                  libcurl against the real HttpsServer on 127.0.0.1
// Making the CSR (the box's work) and the token (the back office's) is outside the clock.
#include <benchmark/benchmark.h>
#include <curl/curl.h>

#include <spdlog/spdlog.h>
#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>

#include "common/identity_wire.hpp"
#include "common/random.hpp"
#include "controller/fleet_ca.hpp"
#include "controller/https_server.hpp"
#include "controller/service.hpp"
#include "provisioning/keys.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using namespace civicbox;
using namespace civicbox::controller;

constexpr int kKeys = 64;  // boxes; each enrols again and again with fresh tokens

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Fleet {
  testing::TempDir dir;
  std::optional<provisioning::CaCredentials> ca;
  std::vector<std::string> csrs;  // csrs[i] names bench-<i>
  std::string error;

  Fleet() {
    if (!init_fleet_ca(dir.path() / "ca", {})) {
      error = "making the fleet CA";
      return;
    }
    ca = **load_fleet_ca(dir.path() / "ca");
    for (int i = 0; i < kKeys; ++i) {
      auto key = provisioning::generate_private_key();
      csrs.push_back(*provisioning::make_csr(*key, "bench-" + std::to_string(i)));
    }
  }
};

Fleet& fleet() {
  static Fleet f;
  return f;
}

Config bench_config(const Fleet& f) {
  Config config;
  config.backoffice_token = "bench-token-0123456789abcdef";
  config.device_listen = {"127.0.0.1", 0};
  config.public_listen = {"127.0.0.1", 0};
  config.threads = 2;
  const provisioning::DevPkiPaths paths{f.dir.path() / "ca"};
  config.tls_cert = paths.controller_cert();
  config.tls_key = paths.controller_key();
  config.fleet_ca = paths.ca_cert();
  return config;
}

std::string request_for(FleetIdentity& identity, int i) {
  const std::string box = "bench-" + std::to_string(i % kKeys);
  auto token = identity.create_token({"bench-site", box, "kerong-12", 24}, {"bench", "operator"});
  return wire::to_json(wire::EnrolRequest{token->token, fleet().csrs[i % kKeys], std::nullopt});
}

void EnrolThroughService(benchmark::State& state) {
  Fleet& f = fleet();
  if (!f.error.empty()) return state.SkipWithError(f.error.c_str());
  testing::TempDir data;
  auto storage = open_sqlite_storage(data.path(), {"bench", state.range(0) != 0});
  Config config = bench_config(f);
  SystemRandom random;
  Service service(**storage, config, random, now_ms, f.ca);
  int i = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const std::string body = request_for(service.identity(), i++);
    state.ResumeTiming();
    // One address per enrolment: the throttle never sees a failure anyway.
    Response r = service.handle_public(
        {"POST", "/v1/enrol", "application/json", "", body, "192.0.2." + std::to_string(i % 250)});
    if (r.status != 200) return state.SkipWithError(r.body.c_str());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(EnrolThroughService)
    ->Arg(1)
    ->Arg(0)
    ->ArgName("durable")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

std::size_t collect(char* data, std::size_t size, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

void EnrolOverHttps(benchmark::State& state) {
  Fleet& f = fleet();
  if (!f.error.empty()) return state.SkipWithError(f.error.c_str());
  testing::TempDir data;
  auto storage = open_sqlite_storage(data.path(), {"bench", true});
  Config config = bench_config(f);
  SystemRandom random;
  Service service(**storage, config, random, now_ms, f.ca);
  auto server = HttpsServer::start(config, service);
  if (!server) return state.SkipWithError(server.error().describe().c_str());
  const std::string url =
      "https://127.0.0.1:" + std::to_string((*server)->public_endpoint().port) + "/v1/enrol";
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  int i = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const std::string body = request_for(service.identity(), i++);
    std::string answer;
    state.ResumeTiming();
    CURL* curl = curl_easy_init();  // a new connection and TLS handshake, as a box has
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_CAINFO, config.fleet_ca.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    const CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(curl);
    if (rc != CURLE_OK || status != 200) {
      curl_slist_free_all(headers);
      return state.SkipWithError(("enrolment failed: " + answer).c_str());
    }
  }
  curl_slist_free_all(headers);
  (*server)->stop();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(EnrolOverHttps)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  curl_global_init(CURL_GLOBAL_ALL);
  spdlog::set_level(spdlog::level::warn);  // one info line per enrolment otherwise
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  curl_global_cleanup();
  return 0;
}
