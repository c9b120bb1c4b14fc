// Controller storage micro-benchmarks for scripts/bench: applying a batch of 100 filings in one
// durable transaction (synchronous=FULL), without the network.
#include <benchmark/benchmark.h>

#include "common/codes.hpp"
#include "common/random.hpp"
#include "controller/storage.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using namespace civicbox;

void StorageApplyBatchOf100(benchmark::State& state) {
  testing::TempDir dir;
  auto storage = controller::open_sqlite_storage(dir.path(), {"bench", state.range(0) != 0});
  if (!storage) {
    state.SkipWithError(storage.error().describe().c_str());
    return;
  }
  SystemRandom random;
  auto box = *DeviceId::parse("bench-box");
  const std::int64_t now = 1'790'000'000'000;
  std::uint64_t seq = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<wire::Event> batch;
    for (int i = 0; i < 100; ++i) {
      ++seq;
      batch.push_back({seq, EventId::generate(now, random), now,
                       wire::SubmissionFiled{TrackingCode::generate(random), "request", 1,
                                             "P-" + std::to_string(seq), std::nullopt, false}});
    }
    state.ResumeTiming();
    auto applied = (*storage)->apply_events(box, batch, now);
    if (!applied) state.SkipWithError(applied.error().describe().c_str());
  }
  state.SetItemsProcessed(state.iterations() * 100);
}
BENCHMARK(StorageApplyBatchOf100)
    ->Arg(1)
    ->Arg(0)
    ->ArgName("durable")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
