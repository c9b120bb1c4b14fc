#include "common/pickup_hash.hpp"

#include <mbedtls/md.h>
#include <mbedtls/pkcs5.h>

#include <array>
#include <vector>

namespace civicbox {

std::string to_hex(const std::uint8_t* data, std::size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out.push_back(kHex[data[i] >> 4]);
    out.push_back(kHex[data[i] & 0x0F]);
  }
  return out;
}

namespace {

Expected<std::vector<std::uint8_t>> from_hex(const std::string& hex, std::size_t want) {
  if (hex.size() != want * 2) {
    return make_error(ErrorCode::parse, "expected " + std::to_string(want * 2) + " hex digits");
  }
  std::vector<std::uint8_t> out(want);
  for (std::size_t i = 0; i < want; ++i) {
    auto nibble = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    int hi = nibble(hex[2 * i]);
    int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return make_error(ErrorCode::parse, "not a hex string");
    out[i] = static_cast<std::uint8_t>((hi << 4) | lo);
  }
  return out;
}

std::array<std::uint8_t, 32> derive(std::string_view text, const std::vector<std::uint8_t>& salt,
                                    std::uint32_t iterations) {
  std::array<std::uint8_t, 32> out{};
  mbedtls_md_context_t md;
  mbedtls_md_init(&md);
  mbedtls_md_setup(&md, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), 1);
  mbedtls_pkcs5_pbkdf2_hmac(&md, reinterpret_cast<const unsigned char*>(text.data()), text.size(),
                            salt.data(), salt.size(), iterations, out.size(), out.data());
  mbedtls_md_free(&md);
  return out;
}

Expected<void> check_iterations(std::uint32_t iterations) {
  if (iterations == 0 || iterations > 1'000'000) {
    return make_error(ErrorCode::invalid_argument, "pickup hash iterations out of range");
  }
  return {};
}

}  // namespace

PickupHash hash_secret(std::string_view secret, Random& random, std::uint32_t iterations) {
  std::vector<std::uint8_t> salt(16);
  random.fill(salt);
  auto digest = derive(secret, salt, iterations);
  return PickupHash{to_hex(salt.data(), salt.size()), iterations,
                    to_hex(digest.data(), digest.size())};
}

PickupHash hash_pickup_code(const PickupCode& code, Random& random, std::uint32_t iterations) {
  return hash_secret(code.str(), random, iterations);
}

Expected<bool> secret_matches(std::string_view secret, const PickupHash& stored) {
  CIVICBOX_CHECK(check_iterations(stored.iterations));
  auto salt = from_hex(stored.salt_hex, 16);
  if (!salt) return salt.error().context("pickup hash salt");
  auto want = from_hex(stored.hash_hex, 32);
  if (!want) return want.error().context("pickup hash");
  auto got = derive(secret, *salt, stored.iterations);
  std::uint8_t diff = 0;
  for (std::size_t i = 0; i < got.size(); ++i)
    diff |= static_cast<std::uint8_t>(got[i] ^ (*want)[i]);
  return diff == 0;
}

Expected<bool> pickup_code_matches(const PickupCode& code, const PickupHash& stored) {
  return secret_matches(code.str(), stored);
}

}  // namespace civicbox
