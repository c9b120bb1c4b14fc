// Controller storage micro-benchmarks for scripts/bench: applying a batch of 100 filings in one
// durable transaction, without the network, on SQLite (synchronous=FULL) and on a PostgreSQL 15
// the benchmark starts itself with durable commits (fsync and synchronous_commit on); one box at
// a time, and eight boxes at once (threads) on one storage, as a controller's I/O threads would.
#include <benchmark/benchmark.h>

#include <functional>

#include "common/codes.hpp"
#include "common/random.hpp"
#include "controller/storage.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using namespace civicbox;

constexpr std::int64_t kNow = 1'790'000'000'000;

// A batch of 100 filings for `box`, sequence numbers from seq + 1.
std::vector<wire::Event> batch_of_100(std::uint64_t& seq, Random& random) {
  std::vector<wire::Event> batch;
  for (int i = 0; i < 100; ++i) {
    ++seq;
    batch.push_back({seq, EventId::generate(kNow, random), kNow,
                     wire::SubmissionFiled{TrackingCode::generate(random), "request", 1,
                                           "P-" + std::to_string(seq), std::nullopt, false}});
  }
  return batch;
}

// Applies batches to `storage()` as box `box` for as long as the benchmark asks. The storage is
// asked for inside the timed loop, which every thread enters together.
void apply_batches(benchmark::State& state, const std::function<controller::Storage&()>& storage,
                   const std::string& box) {
  SystemRandom random;
  const auto id = *DeviceId::parse(box);
  std::uint64_t seq = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto batch = batch_of_100(seq, random);
    state.ResumeTiming();
    auto applied = storage().apply_events(id, batch, kNow);
    if (!applied) state.SkipWithError(applied.error().describe().c_str());
  }
  state.SetItemsProcessed(state.iterations() * 100);
}

void StorageApplyBatchOf100(benchmark::State& state) {
  testing::TempDir dir;
  auto storage = controller::open_sqlite_storage(dir.path(), {"bench", state.range(0) != 0});
  if (!storage) {
    state.SkipWithError(storage.error().describe().c_str());
    return;
  }
  apply_batches(
      state, [&]() -> controller::Storage& { return **storage; }, "bench-box");
}
BENCHMARK(StorageApplyBatchOf100)
    ->Arg(1)
    ->Arg(0)
    ->ArgName("durable")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// One durable PostgreSQL for the whole run (started at the first PostgreSQL benchmark).
testing::PostgresServer& postgres() {
  static testing::PostgresServer server({.durable = true});
  return server;
}

std::unique_ptr<controller::Storage> postgres_storage(const std::string& database) {
  auto storage =
      controller::open_postgres_storage(postgres().new_database(database), {"bench", true}, 8);
  return storage ? std::move(*storage) : nullptr;
}

void StorageApplyBatchOf100Postgres(benchmark::State& state) {
  static int runs = 0;
  auto storage = postgres_storage("one_box_" + std::to_string(++runs));
  if (!storage) {
    state.SkipWithError("opening PostgreSQL");
    return;
  }
  apply_batches(
      state, [&]() -> controller::Storage& { return *storage; }, "bench-box");
}
BENCHMARK(StorageApplyBatchOf100Postgres)->Unit(benchmark::kMillisecond)->UseRealTime();

// Eight boxes at once on one storage (one thread a box).
std::unique_ptr<controller::Storage> shared;

void StorageEightBoxesAtOnce(benchmark::State& state) {
  if (state.thread_index() == 0) {
    static int runs = 0;
    if (state.range(0) == 0) {
      static testing::TempDir dir;
      auto opened =
          controller::open_sqlite_storage(dir.path() / std::to_string(++runs), {"bench", true});
      shared = opened ? std::move(*opened) : nullptr;
    } else {
      shared = postgres_storage("eight_boxes_" + std::to_string(++runs));
    }
  }
  // Google Benchmark lines the threads up as the timed loop starts: `shared` is set by then.
  apply_batches(
      state, []() -> controller::Storage& { return *shared; },
      "bench-box-" + std::to_string(state.thread_index()));
}
BENCHMARK(StorageEightBoxesAtOnce)
    ->Arg(0)
    ->Arg(1)
    ->ArgName("postgres")
    ->Threads(8)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
