#include "drivers/lockers/codec/kerong.hpp"

#include <numeric>
#include <string>

namespace civicbox::lockers::kerong {

namespace {

std::uint8_t sum_of(std::span<const std::uint8_t> bytes) {
  return static_cast<std::uint8_t>(std::accumulate(bytes.begin(), bytes.end(), 0u) & 0xFF);
}

Expected<void> check_board(int board) {
  if (board < 0 || board >= kMaxBoards) {
    return make_error(ErrorCode::invalid_argument,
                      "a Kerong board id is 0 to 9, not " + std::to_string(board));
  }
  return {};
}

Request frame(std::uint8_t address, std::uint8_t command) {
  Request r{kStx, address, command, kEtx, 0};
  r[4] = sum_of(std::span(r).first(4));
  return r;
}

// STX at 0, ETX before the last byte, the sum last.
Expected<void> check_envelope(std::span<const std::uint8_t> frame, std::size_t size,
                              const char* what) {
  if (frame.size() != size) {
    return make_error(ErrorCode::parse, std::string(what) + ": " + std::to_string(frame.size()) +
                                            " bytes, expected " + std::to_string(size));
  }
  if (frame[0] != kStx || frame[size - 2] != kEtx) {
    return make_error(ErrorCode::parse, std::string(what) + ": no STX ... ETX envelope");
  }
  if (sum_of(frame.first(size - 1)) != frame[size - 1]) {
    return make_error(ErrorCode::bad_check, std::string(what) + ": the checksum does not match");
  }
  return {};
}

}  // namespace

Expected<Request> unlock_request(int board, int lock) {
  CIVICBOX_CHECK(check_board(board));
  if (lock < 1 || lock > kLocksPerBoard) {
    return make_error(ErrorCode::invalid_argument,
                      "a Kerong lock is 1 to 16, not " + std::to_string(lock));
  }
  return frame(static_cast<std::uint8_t>((board << 4) | (lock - 1)), kUnlock);
}

Expected<Request> query_request(int board) {
  CIVICBOX_CHECK(check_board(board));
  return frame(static_cast<std::uint8_t>(board << 4), kQuery);
}

Expected<Status> parse_status(std::span<const std::uint8_t> f) {
  CIVICBOX_CHECK(check_envelope(f, kStatusSize, "Kerong status reply"));
  if (f[2] != kStatusReply) {
    return make_error(ErrorCode::parse, "Kerong status reply: command byte is not 0x35");
  }
  Status s;
  s.board = f[1] >> 4;
  if (s.board >= kMaxBoards || (f[1] & 0x0F) != 0) {
    return make_error(ErrorCode::parse,
                      "Kerong status reply: the address is not a board (board << 4, 0..9)");
  }
  s.locks = static_cast<std::uint16_t>(f[3] | (f[4] << 8));
  s.sensors = static_cast<std::uint16_t>(f[5] | (f[6] << 8));
  return s;
}

std::array<std::uint8_t, kStatusSize> status_frame(const Status& s) {
  std::array<std::uint8_t, kStatusSize> f{kStx,
                                          static_cast<std::uint8_t>(s.board << 4),
                                          kStatusReply,
                                          static_cast<std::uint8_t>(s.locks & 0xFF),
                                          static_cast<std::uint8_t>(s.locks >> 8),
                                          static_cast<std::uint8_t>(s.sensors & 0xFF),
                                          static_cast<std::uint8_t>(s.sensors >> 8),
                                          kEtx,
                                          0};
  f[8] = sum_of(std::span(f).first(8));
  return f;
}

Expected<ParsedRequest> parse_request(std::span<const std::uint8_t> f) {
  CIVICBOX_CHECK(check_envelope(f, kRequestSize, "Kerong request"));
  ParsedRequest r;
  r.board = f[1] >> 4;
  r.command = f[2];
  if (r.board >= kMaxBoards) return make_error(ErrorCode::parse, "Kerong request: board id over 9");
  if (r.command == kUnlock) {
    r.lock = (f[1] & 0x0F) + 1;
  } else if (r.command != kQuery) {
    return make_error(ErrorCode::parse, "Kerong request: unknown command");
  }
  return r;
}

}  // namespace civicbox::lockers::kerong
