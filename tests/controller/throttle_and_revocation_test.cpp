// The pure rules under enrolment: the failure throttle and the revocation decision.
#include <gtest/gtest.h>

#include "controller/failure_throttle.hpp"
#include "controller/revocation.hpp"
#include "tests/controller/events.hpp"

namespace civicbox::controller {
namespace {

using testing::device;

TEST(FailureThrottleTest, TenFailuresPassTheEleventhWaitsForTheRefill) {
  FailureThrottle throttle({5, 10, 100});
  const std::int64_t t0 = 1'000'000;
  for (int i = 0; i < 10; ++i) {
    EXPECT_FALSE(throttle.wait_seconds("192.0.2.1", t0)) << i;
    throttle.failed("192.0.2.1", t0);
  }
  EXPECT_EQ(throttle.wait_seconds("192.0.2.1", t0), 12);
  EXPECT_EQ(throttle.wait_seconds("192.0.2.1", t0 + 6'000), 6);
  EXPECT_FALSE(throttle.wait_seconds("192.0.2.1", t0 + 12'000));
  EXPECT_FALSE(throttle.wait_seconds("192.0.2.2", t0)) << "another address is not held up";
  // Two minutes of quiet refill the whole burst.
  throttle.failed("192.0.2.1", t0 + 12'000);
  for (int i = 0; i < 10; ++i) throttle.failed("192.0.2.1", t0 + 132'000);
  EXPECT_TRUE(throttle.wait_seconds("192.0.2.1", t0 + 132'000));
}

TEST(FailureThrottleTest, AnIpv6CustomerCountsAsOneAddressPerSlash64) {
  FailureThrottle throttle({5, 2, 100});
  throttle.failed("2001:db8:1:2::1", 0);
  throttle.failed("2001:db8:1:2:ffff::9", 0);
  EXPECT_TRUE(throttle.wait_seconds("2001:db8:1:2:aaaa::3", 0));
  EXPECT_FALSE(throttle.wait_seconds("2001:db8:1:3::1", 0));
  EXPECT_EQ(FailureThrottle::key_of("::ffff:192.0.2.7"), "192.0.2.7");
}

TEST(FailureThrottleTest, MemoryStaysBoundedUnderAFloodOfAddresses) {
  FailureThrottle throttle({5, 10, 1000});
  for (int i = 0; i < 50'000; ++i) {
    const std::string address = "10." + std::to_string(i / 65536) + "." +
                                std::to_string(i / 256 % 256) + "." + std::to_string(i % 256);
    throttle.failed(address, i);  // one millisecond apart: none refills
    ASSERT_LE(throttle.tracked(), 1000u);
  }
  // The most recent guessers are still held to their count.
  for (int k = 0; k < 9; ++k) throttle.failed("10.0.195.79", 50'000);
  EXPECT_TRUE(throttle.wait_seconds("10.0.195.79", 50'000));
}

CertificateFacts cert(const std::string& serial, std::int64_t not_before_ms) {
  return {"box-a", serial, not_before_ms, not_before_ms + 1'000'000, "key"};
}

TEST(RevocationTest, ARevokedSerialIsRefusedWhateverItsDates) {
  RevocationList list;
  list.revoked_serials["aa"] = "stolen";
  EXPECT_EQ(revocation_reason(list, device("box-a"), cert("aa", 5'000)), "stolen");
  EXPECT_FALSE(revocation_reason(list, device("box-a"), cert("bb", 5'000)));
}

TEST(RevocationTest, ARevokedBoxLosesEveryOlderCertificateButKeepsItsNewOnes) {
  RevocationList list;
  list.boxes["box-a"] = {10'000, "lost", {"cc"}};
  EXPECT_EQ(revocation_reason(list, device("box-a"), cert("dev", 9'999)), "lost");
  EXPECT_FALSE(revocation_reason(list, device("box-a"), cert("dev2", 10'000)));
  EXPECT_FALSE(revocation_reason(list, device("box-a"), cert("cc", 9'000)))
      << "recorded after the revocation (a re-enrolment), though it begins a little before";
  EXPECT_FALSE(revocation_reason(list, device("box-b"), cert("dev", 9'999)));
  EXPECT_EQ(revoked_message("lost"),
            "this box's certificate was revoked: lost; re-enrol it with a new token");
}

}  // namespace
}  // namespace civicbox::controller
