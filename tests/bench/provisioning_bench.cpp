// What enrolment and renewal cost the box's CPU before the network: a new ECDSA P-256 key
// (mbedTLS), a CSR signed with it, and the checks of an issued certificate (our key, our CN,
// chained to the fleet CA). Run by hand or from scripts/bench:
//   build/dev/tests/bench/civicbox-bench-provisioning --benchmark_min_time=2
#include <benchmark/benchmark.h>

#include <chrono>

#include "provisioning/ca.hpp"
#include "provisioning/certificate_check.hpp"
#include "provisioning/keys.hpp"

namespace {

using namespace civicbox;
using namespace civicbox::provisioning;

void GenerateKey(benchmark::State& state) {
  for (auto _ : state) {
    auto key = generate_private_key();
    if (!key) state.SkipWithError(key.error().describe().c_str());
    benchmark::DoNotOptimize(key);
  }
}
BENCHMARK(GenerateKey)->Unit(benchmark::kMillisecond);

void MakeCsr(benchmark::State& state) {
  auto key = generate_private_key();
  for (auto _ : state) {
    auto csr = make_csr(*key, "box-0001");
    if (!csr) state.SkipWithError(csr.error().describe().c_str());
    benchmark::DoNotOptimize(csr);
  }
}
BENCHMARK(MakeCsr)->Unit(benchmark::kMillisecond);

// What civicbox-provision does before it sends anything.
void GenerateKeyAndCsr(benchmark::State& state) {
  for (auto _ : state) {
    auto key = generate_private_key();
    auto csr = make_csr(*key, "box-0001");
    if (!csr) state.SkipWithError(csr.error().describe().c_str());
    benchmark::DoNotOptimize(csr);
  }
}
BENCHMARK(GenerateKeyAndCsr)->Unit(benchmark::kMillisecond);

void CheckIssuedCertificate(benchmark::State& state) {
  auto ca_key = generate_private_key();
  CertProfile ca_profile;
  ca_profile.role = CertRole::authority;
  ca_profile.common_name = "bench fleet CA";
  ca_profile.not_before = std::chrono::system_clock::now();
  ca_profile.not_after = ca_profile.not_before + std::chrono::hours(24);
  CaCredentials ca{*self_sign_ca(*ca_key, ca_profile), *ca_key};
  auto key = generate_private_key();
  auto csr = make_csr(*key, "box-0001");
  CertProfile profile = ca_profile;
  profile.role = CertRole::client;
  profile.common_name = "box-0001";
  auto cert = sign_csr(ca, *csr, profile);
  auto facts = read_certificate_facts(*cert);
  wire::CertificateIssued issued{*cert, ca.cert_pem, facts->serial_hex, facts->not_before_ms,
                                 facts->not_after_ms};
  for (auto _ : state) {
    auto kept = check_issued_certificate(issued, *csr, "box-0001", ca.cert_pem);
    if (!kept) state.SkipWithError(kept.error().describe().c_str());
    benchmark::DoNotOptimize(kept);
  }
}
BENCHMARK(CheckIssuedCertificate)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
