#include "drivers/lockers/codec/xor8a.hpp"

#include <string>

namespace civicbox::lockers::xor8a {

namespace {

Expected<void> check_board(int board) {
  if (board < 1 || board > kMaxBoard) {
    return make_error(ErrorCode::invalid_argument,
                      "a 0x8A board address is 1 to 31, not " + std::to_string(board));
  }
  return {};
}

Expected<void> check_lock(int lock) {
  if (lock < 1 || lock > kMaxChannels) {
    return make_error(ErrorCode::invalid_argument,
                      "a 0x8A lock is 1 to 32, not " + std::to_string(lock));
  }
  return {};
}

Request frame(std::uint8_t header, int board, int lock, std::uint8_t command) {
  Request r{header, static_cast<std::uint8_t>(board), static_cast<std::uint8_t>(lock), command, 0};
  r[4] = bcc(std::span(r).first(4));
  return r;
}

Expected<void> check_bcc(std::span<const std::uint8_t> f, const char* what) {
  if (bcc(f.first(f.size() - 1)) != f.back()) {
    return make_error(ErrorCode::bad_check, std::string(what) + ": the check byte does not match");
  }
  return {};
}

}  // namespace

std::uint8_t bcc(std::span<const std::uint8_t> bytes) {
  std::uint8_t x = 0;
  for (std::uint8_t b : bytes) x ^= b;
  return x;
}

Expected<Request> open_request(int board, int lock) {
  CIVICBOX_CHECK(check_board(board));
  CIVICBOX_CHECK(check_lock(lock));
  return frame(kOpenHeader, board, lock, kOpen);
}

Expected<Request> query_one_request(int board, int lock) {
  CIVICBOX_CHECK(check_board(board));
  CIVICBOX_CHECK(check_lock(lock));
  return frame(kQueryHeader, board, lock, kQuery);
}

Expected<Request> query_all_request(int board) {
  CIVICBOX_CHECK(check_board(board));
  return frame(kQueryHeader, board, 0, kQuery);
}

Expected<LockReply> parse_lock_reply(std::span<const std::uint8_t> f) {
  if (f.size() != 5) {
    return make_error(ErrorCode::parse,
                      "0x8A lock reply: " + std::to_string(f.size()) + " bytes, expected 5");
  }
  // Sources differ on the header of an open's reply; both are accepted.
  if (f[0] != kOpenHeader && f[0] != kQueryHeader) {
    return make_error(ErrorCode::parse, "0x8A lock reply: the header is not 0x8A or 0x80");
  }
  CIVICBOX_CHECK(check_bcc(f, "0x8A lock reply"));
  if (f[3] != 0x11 && f[3] != 0x00) {
    return make_error(ErrorCode::parse, "0x8A lock reply: the state is neither 0x11 nor 0x00");
  }
  LockReply r{f[1], f[2], f[3]};
  if (r.board < 1 || r.board > kMaxBoard || r.lock < 1 || r.lock > kMaxChannels) {
    return make_error(ErrorCode::parse, "0x8A lock reply: board or lock out of range");
  }
  return r;
}

Expected<AllReply> parse_all_reply(std::span<const std::uint8_t> f) {
  // 80 BOARD g1..gn 33 BCC with n = 1..4.
  if (f.size() < 5 || f.size() > 8) {
    return make_error(ErrorCode::parse, "0x8A query-all reply: " + std::to_string(f.size()) +
                                            " bytes, expected 5 to 8");
  }
  if (f[0] != kQueryHeader || f[f.size() - 2] != kQuery) {
    return make_error(ErrorCode::parse, "0x8A query-all reply: not 80 ... 33 framed");
  }
  CIVICBOX_CHECK(check_bcc(f, "0x8A query-all reply"));
  AllReply r;
  r.board = f[1];
  if (r.board < 1 || r.board > kMaxBoard) {
    return make_error(ErrorCode::parse, "0x8A query-all reply: board out of range");
  }
  r.groups = static_cast<int>(f.size()) - 4;
  // Highest group first: the byte just before 0x33 holds channels 1-8.
  for (int g = 0; g < r.groups; ++g) {
    const std::uint8_t byte = f[f.size() - 3 - static_cast<std::size_t>(g)];
    r.channels |= static_cast<std::uint32_t>(byte) << (8 * g);
  }
  return r;
}

std::array<std::uint8_t, 5> lock_reply_frame(const LockReply& reply, bool open_header) {
  return frame(open_header ? kOpenHeader : kQueryHeader, reply.board, reply.lock, reply.state);
}

std::vector<std::uint8_t> all_reply_frame(const AllReply& reply) {
  std::vector<std::uint8_t> f{kQueryHeader, static_cast<std::uint8_t>(reply.board)};
  for (int g = reply.groups - 1; g >= 0; --g) {
    f.push_back(static_cast<std::uint8_t>(reply.channels >> (8 * g)));
  }
  f.push_back(kQuery);
  f.push_back(bcc(f));
  return f;
}

}  // namespace civicbox::lockers::xor8a
