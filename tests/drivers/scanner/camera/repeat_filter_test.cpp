// The repeat filter and the reopen backoff: pure, so exact.
#include <gtest/gtest.h>

#include "drivers/scanner/camera/reopen_backoff.hpp"
#include "drivers/scanner/camera/repeat_filter.hpp"

namespace civicbox::drivers::camera {
namespace {

using namespace std::chrono_literals;
using Clock = RepeatFilter::Clock;

TEST(RepeatFilter, ACodeHeldInFrontOfTheCameraIsReportedOnce) {
  RepeatFilter filter(2s);
  const Clock::time_point t0{};
  EXPECT_TRUE(filter.sighted("A", t0));
  // Held for ten seconds at 30 frames a second.
  for (int frame = 1; frame < 300; ++frame) {
    EXPECT_FALSE(filter.sighted("A", t0 + frame * 33ms)) << frame;
  }
}

TEST(RepeatFilter, ACodeShownAgainAfterBeingAwayForTheGapIsReportedAgain) {
  RepeatFilter filter(2s);
  const Clock::time_point t0{};
  EXPECT_TRUE(filter.sighted("A", t0));
  EXPECT_FALSE(filter.sighted("A", t0 + 1s));
  EXPECT_FALSE(filter.sighted("A", t0 + 2999ms));  // away only 1.999 s since last seen
  EXPECT_TRUE(filter.sighted("A", t0 + 4999ms));   // away exactly 2 s
  EXPECT_FALSE(filter.sighted("A", t0 + 5s));
}

TEST(RepeatFilter, DifferentCodesAreEachReportedAndMemoryStaysSmall) {
  RepeatFilter filter(2s);
  const Clock::time_point t0{};
  EXPECT_TRUE(filter.sighted("A", t0));
  EXPECT_TRUE(filter.sighted("B", t0 + 100ms));
  EXPECT_FALSE(filter.sighted("A", t0 + 200ms));
  for (int i = 0; i < 1000; ++i) {
    EXPECT_TRUE(filter.sighted("code " + std::to_string(i), t0 + 3s + i * 10s));
  }
  EXPECT_LE(filter.remembered(), 2u);
}

TEST(RepeatFilter, AFrameFromThePastIsNeverNew) {
  RepeatFilter filter(2s);
  const Clock::time_point t0 = Clock::time_point{} + 10s;
  EXPECT_TRUE(filter.sighted("A", t0));
  EXPECT_FALSE(filter.sighted("A", t0 - 5s));
  EXPECT_FALSE(filter.sighted("A", t0 + 1s));
}

TEST(ReopenBackoff, DoublesUpToTheLongestWaitWithJitterAndResets) {
  ReopenBackoff backoff(250ms, 5s);
  EXPECT_EQ(backoff.next(1.0), 250ms);
  EXPECT_EQ(backoff.next(1.0), 500ms);
  EXPECT_EQ(backoff.next(0.0), 500ms);  // half of 1000 ms
  EXPECT_EQ(backoff.next(1.0), 2000ms);
  for (int i = 0; i < 100; ++i) {
    const auto wait = backoff.next(0.5);
    EXPECT_GE(wait, 2500ms);
    EXPECT_LE(wait, 5s);
  }
  backoff.reset();
  EXPECT_EQ(backoff.next(0.0), 125ms);
}

}  // namespace
}  // namespace civicbox::drivers::camera
