#include "common/pin_hash.hpp"

#include <charconv>
#include <vector>

namespace civicbox {

namespace {

constexpr std::string_view kPinHashScheme = "pbkdf2-sha256";
constexpr std::size_t kPinMin = 4;
constexpr std::size_t kPinMax = 8;

bool is_lower_hex(std::string_view text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Error bad_form(const std::string& why) {
  return make_error(ErrorCode::parse,
                    "a PIN hash is pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>: " + why);
}

}  // namespace

Expected<void> check_pin_shape(std::string_view pin) {
  if (pin.size() < kPinMin || pin.size() > kPinMax) {
    return make_error(ErrorCode::invalid_argument, "a PIN has 4 to 8 digits");
  }
  for (char c : pin) {
    if (c < '0' || c > '9') {
      return make_error(ErrorCode::invalid_argument, "a PIN has only digits");
    }
  }
  return {};
}

std::string hash_pin(std::string_view pin, Random& random, std::uint32_t iterations) {
  const PickupHash hash = hash_secret(pin, random, iterations);
  return std::string(kPinHashScheme) + "$" + std::to_string(hash.iterations) + "$" + hash.salt_hex +
         "$" + hash.hash_hex;
}

Expected<PickupHash> parse_pin_hash(std::string_view text) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t dollar = text.find('$', start);
    parts.push_back(text.substr(start, dollar - start));
    if (dollar == std::string_view::npos) break;
    start = dollar + 1;
  }
  if (parts.size() != 4) return bad_form("expected four parts separated by $");
  if (parts[0] != kPinHashScheme) return bad_form("unknown scheme");

  const std::string_view digits = parts[1];
  if (digits.empty() || digits.size() > 7 || digits[0] == '0') {
    return bad_form("iterations must be a whole number without leading zeros");
  }
  std::uint32_t iterations = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), iterations);
  if (ec != std::errc() || end != digits.data() + digits.size()) {
    return bad_form("iterations must be a whole number without leading zeros");
  }
  if (iterations > 1'000'000) {
    return make_error(ErrorCode::invalid_argument,
                      "PIN hash iterations must be between 1 and 1000000");
  }
  if (parts[2].size() != 32 || !is_lower_hex(parts[2])) {
    return bad_form("the salt must be 32 lower-case hex digits");
  }
  if (parts[3].size() != 64 || !is_lower_hex(parts[3])) {
    return bad_form("the hash must be 64 lower-case hex digits");
  }
  return PickupHash{std::string(parts[2]), iterations, std::string(parts[3])};
}

Expected<bool> pin_matches(std::string_view pin, const PickupHash& stored) {
  CIVICBOX_CHECK(check_pin_shape(pin));
  auto matches = secret_matches(pin, stored);
  if (!matches) return matches.error().context("staff PIN hash");
  return *matches;
}

}  // namespace civicbox
