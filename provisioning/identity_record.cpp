#include "provisioning/identity_record.hpp"

#include <mbedtls/sha256.h>

#include <array>

#include "common/json_strict.hpp"
#include "common/wire.hpp"

namespace civicbox::provisioning {

namespace {

constexpr std::int64_t kMaxTimeMs = 253402300799999;  // year 9999

bool is_lower_hex(std::string_view text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

std::string_view to_string(IdentityOrigin origin) {
  return origin == IdentityOrigin::enrolment ? "enrolment" : "renewal";
}

Expected<IdentityRecord> parse_identity_record(std::string_view text) {
  CIVICBOX_TRY(auto root, json::parse(text, wire::kMaxBodyBytes));
  CIVICBOX_TRY(auto r, json::ObjectReader::open(root, ""));
  IdentityRecord record;
  CIVICBOX_TRY(const nlohmann::json* config, r.object("config"));
  // The config part is the wire's own shape: one parser for both.
  auto parsed = wire::parse_provisioned_config(json::dump(*config));
  if (!parsed) return parsed.error().context("'config'");
  record.config = std::move(*parsed);
  CIVICBOX_TRY(record.serial_hex, r.string("serial", 64));
  CIVICBOX_TRY(record.not_before_ms, r.integer("not_before_ms", 0, kMaxTimeMs));
  CIVICBOX_TRY(record.not_after_ms, r.integer("not_after_ms", 0, kMaxTimeMs));
  CIVICBOX_TRY(auto origin, r.string("origin", 16));
  CIVICBOX_TRY(record.token_sha256, r.optional_string("token_sha256", 64));
  CIVICBOX_CHECK(r.finish());
  if (record.serial_hex.empty() || !is_lower_hex(record.serial_hex)) {
    return make_error(ErrorCode::parse, "'serial' is not lowercase hex");
  }
  if (record.not_after_ms <= record.not_before_ms) {
    return make_error(ErrorCode::parse, "the certificate ends before it begins");
  }
  if (origin == "enrolment") {
    record.origin = IdentityOrigin::enrolment;
  } else if (origin == "renewal") {
    record.origin = IdentityOrigin::renewal;
  } else {
    return make_error(ErrorCode::parse, "'origin' is neither enrolment nor renewal");
  }
  if (record.token_sha256 &&
      (record.token_sha256->size() != 64 || !is_lower_hex(*record.token_sha256))) {
    return make_error(ErrorCode::parse, "'token_sha256' is not 64 lowercase hex digits");
  }
  return record;
}

std::string to_json(const IdentityRecord& record) {
  nlohmann::json j{{"config", nlohmann::json::parse(wire::to_json(record.config))},
                   {"serial", record.serial_hex},
                   {"not_before_ms", record.not_before_ms},
                   {"not_after_ms", record.not_after_ms},
                   {"origin", to_string(record.origin)}};
  if (record.token_sha256) j["token_sha256"] = *record.token_sha256;
  return json::dump(j);
}

std::string token_fingerprint(std::string_view token) {
  std::array<unsigned char, 32> digest{};
  mbedtls_sha256_ret(reinterpret_cast<const unsigned char*>(token.data()), token.size(),
                     digest.data(), 0);
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : digest) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0x0F];
  }
  return out;
}

}  // namespace civicbox::provisioning
