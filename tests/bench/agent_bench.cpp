// Agent micro-benchmarks for scripts/bench: journal appends with synchronous=FULL on a real file.
#include <benchmark/benchmark.h>

#include "common/codes.hpp"
#include "common/random.hpp"
#include "firmware/journal.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using namespace civicbox;

void JournalAppendAlarm(benchmark::State& state) {
  testing::TempDir dir;
  auto journal = firmware::Journal::open(dir.path() / "journal.db");
  if (!journal) {
    state.SkipWithError(journal.error().describe().c_str());
    return;
  }
  SystemRandom random;
  std::int64_t at = 1'790'000'000'000;
  for (auto _ : state) {
    auto seq = (*journal)->append(wire::Alarm{"bench", "a benchmark alarm", 3}, ++at, random);
    if (!seq) state.SkipWithError(seq.error().describe().c_str());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(JournalAppendAlarm)->Unit(benchmark::kMicrosecond)->UseRealTime();

void JournalAppendFiling(benchmark::State& state) {
  testing::TempDir dir;
  auto journal = firmware::Journal::open(dir.path() / "journal.db");
  if (!journal) {
    state.SkipWithError(journal.error().describe().c_str());
    return;
  }
  SystemRandom random;
  std::int64_t at = 1'790'000'000'000;
  int n = 0;
  for (auto _ : state) {
    wire::SubmissionFiled filed{TrackingCode::generate(random),   "request",    1 + (n % 4),
                                "P-bench-" + std::to_string(++n), std::nullopt, false};
    auto seq = (*journal)->append(filed, ++at, random);
    if (!seq) state.SkipWithError(seq.error().describe().c_str());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(JournalAppendFiling)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
