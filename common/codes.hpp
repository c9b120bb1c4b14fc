// Codes a person reads, types or scans: tracking codes (on a filing receipt) and pickup codes
// (sent by the town hall to collect a parcel).
//
// Alphabet: Crockford base32 (0-9 A-Z without I L O U). On input, lowercase is accepted, O reads
// as 0, I and L read as 1, and spaces and hyphens are ignored, so what a person types from a
// printed code always means what they saw.
//
// The last character is a check character computed with Damm's algorithm over the quasigroup
// x*y = 2x + y in GF(32) (polynomial x^5 + x^2 + 1). This quasigroup is totally anti-symmetric,
// so every single wrong character and every swap of two neighbouring characters is detected:
// a typo is reported as a typo, never matched to someone else's code.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "common/random.hpp"

namespace civicbox {

namespace crockford {
inline constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
// Value 0..31 of a typed character after normalisation, or -1 if it is not in the alphabet.
int value_of(char c);
// The check character for a string of alphabet characters (already normalised). Characters
// outside the alphabet give some check character, never undefined behaviour.
char check_character(std::string_view payload);
// Upper-cases, maps O->0, I/L->1, drops spaces and hyphens. Other characters are kept (and will
// fail validation later).
std::string normalise(std::string_view typed);
}  // namespace crockford

// A code of N payload characters plus one check character.
template <std::size_t PayloadLength, std::size_t GroupLength>
class CheckedCode {
 public:
  static constexpr std::size_t kPayloadLength = PayloadLength;
  static constexpr std::size_t kLength = PayloadLength + 1;

  // Errors: parse (wrong length or a character outside the alphabet), bad_check (a typo).
  static Expected<CheckedCode> parse(std::string_view typed);
  static CheckedCode generate(Random& random);

  // Canonical form: kLength upper-case characters, no separators. Stored and sent as this.
  [[nodiscard]] const std::string& str() const { return value_; }
  // Grouped for people, e.g. "7K3M-Q9XR-2D4P".
  [[nodiscard]] std::string display() const;

  friend bool operator==(const CheckedCode&, const CheckedCode&) = default;

 private:
  explicit CheckedCode(std::string value) : value_(std::move(value)) {}
  std::string value_;
};

// 11 payload characters (55 bits) + check: unguessable, printed on the receipt and in its QR.
using TrackingCode = CheckedCode<11, 4>;
// 8 payload characters (40 bits) + check: typed on a keypad; guessing is stopped by lockout.
using PickupCode = CheckedCode<8, 3>;

extern template class CheckedCode<11, 4>;
extern template class CheckedCode<8, 3>;

}  // namespace civicbox
