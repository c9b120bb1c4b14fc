// The lock-board codecs against the vendors' own example bytes, and what they refuse.
#include <gtest/gtest.h>

#include <vector>

#include "drivers/lockers/codec/kerong.hpp"
#include "drivers/lockers/codec/xor8a.hpp"

namespace civicbox::lockers {
namespace {

using Bytes = std::vector<std::uint8_t>;

template <typename Array>
Bytes bytes_of(const Array& a) {
  return Bytes(a.begin(), a.end());
}

TEST(drivers_kerong, RequestsMatchTheVendorsExamples) {
  EXPECT_EQ(bytes_of(*kerong::query_request(0)), (Bytes{0x02, 0x00, 0x30, 0x03, 0x35}));
  EXPECT_EQ(bytes_of(*kerong::unlock_request(0, 4)), (Bytes{0x02, 0x03, 0x31, 0x03, 0x39}));
  EXPECT_EQ(bytes_of(*kerong::unlock_request(1, 1)), (Bytes{0x02, 0x10, 0x31, 0x03, 0x46}));
}

TEST(drivers_kerong, ABoardOrLockThatCannotExistIsRefusedBeforeAnyByteIsSent) {
  EXPECT_EQ(kerong::unlock_request(10, 1).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(kerong::unlock_request(0, 0).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(kerong::unlock_request(0, 17).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(kerong::query_request(-1).error().code, ErrorCode::invalid_argument);
}

TEST(drivers_kerong, AStatusReplyGivesEachLockAndSensorLowestBitFirst) {
  kerong::Status sent{3, 0b1000'0000'0000'0101, 0x00F0};
  auto frame = kerong::status_frame(sent);
  EXPECT_EQ(frame[0], 0x02);
  EXPECT_EQ(frame[1], 0x30);
  EXPECT_EQ(frame[2], 0x35);
  EXPECT_EQ(frame[7], 0x03);
  auto parsed = kerong::parse_status(frame);
  ASSERT_TRUE(parsed) << parsed.error().describe();
  EXPECT_EQ(parsed->board, 3);
  EXPECT_EQ(parsed->locks, sent.locks);
  EXPECT_EQ(parsed->sensors, sent.sensors);
}

TEST(drivers_kerong, GarbageFromTheBusIsATypedErrorNeverAStatus) {
  auto good = bytes_of(kerong::status_frame({0, 1, 0}));
  Bytes bad_sum = good;
  bad_sum.back() ^= 0x01;
  EXPECT_EQ(kerong::parse_status(bad_sum).error().code, ErrorCode::bad_check);
  Bytes short_frame(good.begin(), good.end() - 1);
  EXPECT_EQ(kerong::parse_status(short_frame).error().code, ErrorCode::parse);
  Bytes no_stx = good;
  no_stx[0] = 0x55;
  EXPECT_EQ(kerong::parse_status(no_stx).error().code, ErrorCode::parse);
  Bytes wrong_command = good;
  wrong_command[2] = 0x31;
  wrong_command.back() = static_cast<std::uint8_t>(wrong_command.back() - 0x35 + 0x31);
  EXPECT_EQ(kerong::parse_status(wrong_command).error().code, ErrorCode::parse);
  EXPECT_FALSE(kerong::parse_status(Bytes{}));
}

TEST(drivers_kerong, TheSimulatorReadsWhatTheDriverSends) {
  auto request = kerong::parse_request(*kerong::unlock_request(2, 16));
  ASSERT_TRUE(request);
  EXPECT_EQ(request->board, 2);
  EXPECT_EQ(request->lock, 16);
  EXPECT_EQ(request->command, kerong::kUnlock);
  auto query = kerong::parse_request(*kerong::query_request(9));
  ASSERT_TRUE(query);
  EXPECT_EQ(query->board, 9);
  EXPECT_EQ(query->lock, 0);
}

TEST(drivers_xor8a, RequestsMatchTheVendorsExamples) {
  EXPECT_EQ(bytes_of(*xor8a::open_request(1, 1)), (Bytes{0x8A, 0x01, 0x01, 0x11, 0x9B}));
  EXPECT_EQ(bytes_of(*xor8a::query_one_request(1, 1)), (Bytes{0x80, 0x01, 0x01, 0x33, 0xB3}));
  EXPECT_EQ(bytes_of(*xor8a::query_all_request(1)), (Bytes{0x80, 0x01, 0x00, 0x33, 0xB2}));
  EXPECT_EQ(xor8a::open_request(0, 1).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(xor8a::open_request(32, 1).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(xor8a::open_request(1, 33).error().code, ErrorCode::invalid_argument);
}

TEST(drivers_xor8a, ALockReplyIsReadWithEitherHeader) {
  for (bool open_header : {true, false}) {
    auto frame = xor8a::lock_reply_frame({5, 12, 0x11}, open_header);
    auto reply = xor8a::parse_lock_reply(frame);
    ASSERT_TRUE(reply) << reply.error().describe();
    EXPECT_EQ(reply->board, 5);
    EXPECT_EQ(reply->lock, 12);
    EXPECT_EQ(reply->state, 0x11);
  }
  Bytes bad = bytes_of(xor8a::lock_reply_frame({1, 1, 0x00}, true));
  bad.back() ^= 0x40;
  EXPECT_EQ(xor8a::parse_lock_reply(bad).error().code, ErrorCode::bad_check);
  Bytes odd_state{0x80, 0x01, 0x01, 0x42, 0};
  odd_state[4] = xor8a::bcc(std::span(odd_state).first(4));
  EXPECT_EQ(xor8a::parse_lock_reply(odd_state).error().code, ErrorCode::parse);
}

TEST(drivers_xor8a, AQueryAllReplyPutsTheHighestGroupFirst) {
  // 32 channels: channel 1 and channel 32 open.
  Bytes frame{0x80, 0x02, 0x80, 0x00, 0x00, 0x01, 0x33, 0};
  frame.back() = xor8a::bcc(std::span(frame).first(frame.size() - 1));
  auto reply = xor8a::parse_all_reply(frame);
  ASSERT_TRUE(reply) << reply.error().describe();
  EXPECT_EQ(reply->board, 2);
  EXPECT_EQ(reply->groups, 4);
  EXPECT_EQ(reply->channels, 0x8000'0001u);
  EXPECT_EQ(xor8a::all_reply_frame(*reply), frame);
  // The 8-channel style of the reference: 80 01 00 00 00 33 B2.
  auto small = xor8a::parse_all_reply(Bytes{0x80, 0x01, 0x00, 0x00, 0x00, 0x33, 0xB2});
  ASSERT_TRUE(small) << small.error().describe();
  EXPECT_EQ(small->channels, 0u);
  EXPECT_EQ(xor8a::parse_all_reply(Bytes{0x80, 0x01, 0x33}).error().code, ErrorCode::parse);
}

}  // namespace
}  // namespace civicbox::lockers
