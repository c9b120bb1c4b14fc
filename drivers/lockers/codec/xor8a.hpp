// The "0x8A" smart-locker board protocol (9600 8N1, RS-485): 5-byte requests with an XOR check
// byte (BCC = XOR of the bytes before it), boards 1..31, up to 32 channels. Pure byte work,
// shared by the driver and the simulator.
//
//   open lock     8A BOARD LOCK 11 BCC        reply 8A|80 BOARD LOCK STATE BCC (STATE 11 or 00)
//   query one     80 BOARD LOCK 33 BCC        reply 80 BOARD LOCK 11|00 BCC
//   query all     80 BOARD 00 33 BCC          reply 80 BOARD S.. S1-8 33 BCC (highest group first)
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "common/error.hpp"

namespace civicbox::lockers::xor8a {

inline constexpr std::uint8_t kOpenHeader = 0x8A;
inline constexpr std::uint8_t kQueryHeader = 0x80;
inline constexpr std::uint8_t kOpen = 0x11;
inline constexpr std::uint8_t kQuery = 0x33;
inline constexpr int kMaxBoard = 31;
inline constexpr int kMaxChannels = 32;

using Request = std::array<std::uint8_t, 5>;

// Errors: invalid_argument for a board outside 1..31 or a lock outside 1..32.
Expected<Request> open_request(int board, int lock);
Expected<Request> query_one_request(int board, int lock);
Expected<Request> query_all_request(int board);

// The answer about one lock (to an open or a query-one). `state` is 0x11 or 0x00; what it means
// depends on the lock's switch: a setting of the driver.
struct LockReply {
  int board = 0;
  int lock = 0;
  std::uint8_t state = 0;
};
// Errors: parse (length, header, state), bad_check (BCC).
Expected<LockReply> parse_lock_reply(std::span<const std::uint8_t> frame);

// The answer to a query-all: bit i is channel i + 1; `groups` is how many status bytes came
// (1 to 4, eight channels each).
struct AllReply {
  int board = 0;
  std::uint32_t channels = 0;
  int groups = 0;
};
// Errors: parse, bad_check.
Expected<AllReply> parse_all_reply(std::span<const std::uint8_t> frame);

// The simulator's side.
std::array<std::uint8_t, 5> lock_reply_frame(const LockReply& reply, bool open_header);
std::vector<std::uint8_t> all_reply_frame(const AllReply& reply);

std::uint8_t bcc(std::span<const std::uint8_t> bytes);

}  // namespace civicbox::lockers::xor8a
