#include "common/codes.hpp"

#include <array>

namespace civicbox {
namespace crockford {

int value_of(char c) {
  if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  if (c == 'O') return 0;
  if (c == 'I' || c == 'L') return 1;
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
    if (kAlphabet[i] == c) return static_cast<int>(i);
  }
  return -1;
}

namespace {
// Multiplication by x in GF(2^5) modulo x^5 + x^2 + 1.
int times_two(int v) {
  v <<= 1;
  if (v & 0x20) v ^= 0x25;
  return v;
}
// One Damm step: interim * digit = 2 * interim + digit (addition is XOR in GF(2^5)).
int damm_step(int interim, int digit) {
  return times_two(interim) ^ digit;
}
}  // namespace

char check_character(std::string_view payload) {
  int interim = 0;
  for (char c : payload) {
    // A character outside the alphabet (a caller's mistake; parse() never passes one) must not
    // index past the table: fold it into the sum so the result simply will not match.
    interim = damm_step(interim, value_of(c) & 0x1f);
  }
  // The check digit d makes the final step zero: 2 * interim + d = 0, so d = 2 * interim.
  return kAlphabet[static_cast<std::size_t>(times_two(interim))];
}

std::string normalise(std::string_view typed) {
  std::string out;
  out.reserve(typed.size());
  for (char c : typed) {
    if (c == ' ' || c == '-' || c == '\t') continue;
    int v = value_of(c);
    out.push_back(v >= 0 ? kAlphabet[static_cast<std::size_t>(v)] : c);
  }
  return out;
}

}  // namespace crockford

template <std::size_t N, std::size_t G>
Expected<CheckedCode<N, G>> CheckedCode<N, G>::parse(std::string_view typed) {
  if (typed.size() > 4 * kLength) {
    return make_error(ErrorCode::parse, "a code has " + std::to_string(kLength) + " characters");
  }
  std::string code = crockford::normalise(typed);
  if (code.size() != kLength) {
    return make_error(ErrorCode::parse, "a code has " + std::to_string(kLength) +
                                            " characters, this one has " +
                                            std::to_string(code.size()));
  }
  for (char c : code) {
    if (crockford::value_of(c) < 0) {
      return make_error(ErrorCode::parse,
                        "a code uses only the letters and digits printed on "
                        "the receipt");
    }
  }
  if (crockford::check_character(std::string_view(code).substr(0, N)) != code[N]) {
    return make_error(ErrorCode::bad_check, "the code has a typo: please check each character");
  }
  return CheckedCode(std::move(code));
}

template <std::size_t N, std::size_t G>
CheckedCode<N, G> CheckedCode<N, G>::generate(Random& random) {
  std::array<std::uint8_t, N> bytes{};
  random.fill(bytes);
  std::string code;
  code.reserve(kLength);
  for (std::uint8_t b : bytes) code.push_back(crockford::kAlphabet[b & 0x1F]);
  code.push_back(crockford::check_character(code));
  return CheckedCode(std::move(code));
}

template <std::size_t N, std::size_t G>
std::string CheckedCode<N, G>::display() const {
  std::string out;
  for (std::size_t i = 0; i < value_.size(); ++i) {
    if (i > 0 && i % G == 0) out.push_back('-');
    out.push_back(value_[i]);
  }
  return out;
}

template class CheckedCode<11, 4>;
template class CheckedCode<8, 3>;

}  // namespace civicbox
