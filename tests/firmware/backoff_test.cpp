// Backoff after a failed sync: exponential, capped, fully jittered, reset by a success.
#include "firmware/backoff.hpp"

#include <gtest/gtest.h>

#include <set>

#include "tests/support/seeded_random.hpp"

namespace civicbox::firmware {
namespace {

using std::chrono::milliseconds;

TEST(Backoff, WaitsStayUnderADoublingCeilingCappedAtOneMinute) {
  testing::SeededRandom random(1);
  Backoff backoff;
  std::vector<std::int64_t> ceilings;
  for (int i = 0; i < 12; ++i) {
    auto ceiling = backoff.ceiling();
    ceilings.push_back(ceiling.count());
    for (int draw = 0; draw < 1; ++draw) {
      auto wait = backoff.next(random);
      EXPECT_GE(wait.count(), 0);
      EXPECT_LE(wait, ceiling);
    }
  }
  EXPECT_EQ(ceilings, (std::vector<std::int64_t>{500, 1000, 2000, 4000, 8000, 16000, 32000, 60000,
                                                 60000, 60000, 60000, 60000}));
}

TEST(Backoff, WaitsAreJitteredOverTheWholeRange) {
  testing::SeededRandom random(2);
  std::set<std::int64_t> seen;
  std::int64_t low = 60000;
  std::int64_t high = 0;
  for (int i = 0; i < 200; ++i) {
    Backoff backoff;
    for (int f = 0; f < 10; ++f) (void)backoff.next(random);  // at the cap
    auto wait = backoff.next(random).count();
    seen.insert(wait);
    low = std::min(low, wait);
    high = std::max(high, wait);
  }
  EXPECT_GT(seen.size(), 150u) << "a fleet must not retry in step";
  EXPECT_LT(low, 6000);    // full jitter reaches near zero...
  EXPECT_GT(high, 54000);  // ...and near the cap
}

TEST(Backoff, ASuccessStartsOverFromTheBase) {
  testing::SeededRandom random(3);
  Backoff backoff;
  for (int i = 0; i < 5; ++i) (void)backoff.next(random);
  EXPECT_EQ(backoff.ceiling(), milliseconds(16000));
  backoff.reset();
  EXPECT_EQ(backoff.ceiling(), milliseconds(500));
  EXPECT_LE(backoff.next(random), milliseconds(500));
}

}  // namespace
}  // namespace civicbox::firmware
