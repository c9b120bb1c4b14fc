// The Kerong KR-CU16 / CU12 lock-board protocol (19200 8N1, RS-485): frames
// `STX(02) ADDR CMD ETX(03) SUM`, SUM = byte sum & 0xFF, ADDR = (board << 4) | (lock - 1).
// Pure byte work, shared by the driver and the simulator (which speaks it from the other side).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "common/error.hpp"

namespace civicbox::lockers::kerong {

inline constexpr std::uint8_t kStx = 0x02;
inline constexpr std::uint8_t kEtx = 0x03;
inline constexpr std::uint8_t kQuery = 0x30;
inline constexpr std::uint8_t kUnlock = 0x31;
inline constexpr std::uint8_t kStatusReply = 0x35;
inline constexpr int kMaxBoards = 10;  // board ids 0..9 on one bus (DIP switch)
inline constexpr int kLocksPerBoard = 16;
inline constexpr std::size_t kRequestSize = 5;
inline constexpr std::size_t kStatusSize = 9;

using Request = std::array<std::uint8_t, kRequestSize>;

// Errors: invalid_argument for a board outside 0..9 or a lock outside 1..16.
Expected<Request> unlock_request(int board, int lock);
Expected<Request> query_request(int board);

// What a board answers to a query: bit i (LSB first) is lock or sensor i + 1. Whether a set
// lock bit means open or closed differs between boards: the driver's setting decides.
struct Status {
  int board = 0;
  std::uint16_t locks = 0;
  std::uint16_t sensors = 0;
};

// One status frame, exactly 9 bytes. Errors: parse (length, STX, ETX, command), bad_check (sum).
Expected<Status> parse_status(std::span<const std::uint8_t> frame);
// Builds a status frame (the simulator's side).
std::array<std::uint8_t, kStatusSize> status_frame(const Status& status);

// A request frame as a board reads it (the simulator's side): which board, which lock (1-based;
// 0 for a query), which command. Errors as parse_status.
struct ParsedRequest {
  int board = 0;
  int lock = 0;
  std::uint8_t command = 0;
};
Expected<ParsedRequest> parse_request(std::span<const std::uint8_t> frame);

}  // namespace civicbox::lockers::kerong
