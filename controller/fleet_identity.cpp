#include "controller/fleet_identity.hpp"

#include <array>
#include <chrono>
#include <mutex>

#include <spdlog/spdlog.h>

#include "controller/encoding.hpp"

namespace civicbox::controller {

namespace {

constexpr auto kClockSkew = std::chrono::minutes(5);  // a box's clock may be a little behind
constexpr std::size_t kTokenBytes = 32;
constexpr std::size_t kMaxNameBytes = 64;
constexpr std::size_t kMaxReasonBytes = 200;
constexpr int kMaxTokenHours = 24 * 30;

Refusal refuse(std::string_view peer, int status, std::string word, std::string message,
               std::string_view what, std::string_view box) {
  spdlog::warn("{} from {} refused: {} (box {}): {}", what, peer, word,
               box.empty() ? std::string_view("?") : box, message);
  return Refusal{status, std::move(word), std::move(message)};
}

Refusal unavailable_without_ca() {
  return Refusal{503, "unavailable",
                 "this controller has no fleet CA yet (run `civicbox-controller ca init`)"};
}

Refusal internal(const Error& error, std::string_view what) {
  spdlog::error("{}: {}", what, error.describe());
  return Refusal{500, "internal", "the controller could not complete the request"};
}

std::chrono::system_clock::time_point time_of(std::int64_t unix_ms) {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(unix_ms));
}

// Site and cabinet profile names: identifiers, typed on the command line and compared exactly.
Expected<void> check_name(std::string_view field, std::string_view value) {
  bool ok = !value.empty() && value.size() <= kMaxNameBytes;
  for (char c : value) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '_' || c == '.');
  }
  if (!ok) {
    return make_error(ErrorCode::invalid_argument,
                      std::string(field) + " is 1 to 64 of A-Z a-z 0-9 . _ - (e.g. cluj-centru)");
  }
  return {};
}

}  // namespace

std::string token_state(const EnrolmentTokenRecord& token, std::int64_t now_ms) {
  if (token.used_at_ms) return "used";
  return now_ms >= token.expires_at_ms ? "expired" : "unused";
}

FleetIdentity::FleetIdentity(Storage& storage, const Config& config, Random& random, Clock clock,
                             std::optional<provisioning::CaCredentials> ca)
    : storage_(storage),
      config_(config),
      random_(random),
      clock_(std::move(clock)),
      ca_(std::move(ca)) {}

Expected<IssuedToken> FleetIdentity::create_token(const TokenOrder& order, const Actor& by) {
  auto device = DeviceId::parse(order.device_id);
  if (!device) return device.error().context("box");
  CIVICBOX_CHECK(check_name("site", order.site));
  CIVICBOX_CHECK(check_name("cabinet", order.cabinet));
  if (order.valid_hours < 1 || order.valid_hours > kMaxTokenHours) {
    return make_error(ErrorCode::invalid_argument, "a token is valid for 1 to 720 hours");
  }
  std::array<std::uint8_t, kTokenBytes> secret{};
  random_.fill(secret);
  IssuedToken issued;
  issued.token = base64url(secret);
  const std::int64_t now = clock_();
  NewEnrolmentToken stored{sha256_hex(issued.token), device->str(), order.site, order.cabinet,
                           now + std::int64_t{order.valid_hours} * 3'600'000};
  CIVICBOX_CHECK(storage_.add_enrolment_token(stored, now, by));
  issued.record = {stored.token_sha256_hex, stored.device_id, stored.site,  stored.cabinet, now,
                   stored.expires_at_ms,    std::nullopt,     std::nullopt, std::nullopt};
  spdlog::info("enrolment token for box {} at site {} (cabinet {}) valid until {} ms",
               stored.device_id, stored.site, stored.cabinet, stored.expires_at_ms);
  return issued;
}

Decision<wire::EnrolResponse> FleetIdentity::enrol(const wire::EnrolRequest& request,
                                                   std::string_view peer) {
  constexpr std::string_view kWhat = "enrolment";
  if (!ca_) return unavailable_without_ca();
  auto found = storage_.find_enrolment_token(sha256_hex(request.token));
  if (!found) return internal(found.error(), "reading an enrolment token");
  if (!*found) {
    return refuse(peer, 403, "token_unknown",
                  "this enrolment token is not known: check it, or ask for a new one", kWhat, "");
  }
  const EnrolmentTokenRecord& token = **found;
  const std::int64_t now = clock_();
  if (now >= token.expires_at_ms) {
    return refuse(peer, 403, "token_expired",
                  "this enrolment token has expired: ask the back office for a new one", kWhat,
                  token.device_id);
  }
  if (token.used_at_ms) return replay(token, request, peer);
  if (request.site && *request.site != token.site) {
    return refuse(peer, 403, "wrong_site",
                  "this enrolment token is for site " + token.site + ", not " + *request.site,
                  kWhat, token.device_id);
  }
  auto csr = read_csr(request.csr_pem);
  if (!csr) {
    const bool weak = csr.error().code == ErrorCode::invalid_argument;
    return refuse(peer, 400, weak ? "weak_key" : "bad_csr", csr.error().message, kWhat,
                  token.device_id);
  }
  if (csr->empty_subject) {
    return refuse(peer, 400, "bad_csr",
                  "the CSR's subject is empty: name the box in it, CN=" + token.device_id, kWhat,
                  token.device_id);
  }
  if (!csr->common_name.empty() && csr->common_name != token.device_id) {
    return refuse(peer, 400, "subject_mismatch",
                  "the CSR names " + csr->common_name + " but this token enrols " + token.device_id,
                  kWhat, token.device_id);
  }
  auto device = DeviceId::parse(token.device_id);
  if (!device) return internal(device.error(), "a stored token names no device");
  CertificateRecord record;
  auto signed_ = sign(request.csr_pem, *device, "enrol", csr->key_sha256_hex, record);
  if (auto* refusal = std::get_if<Refusal>(&signed_)) return std::move(*refusal);

  auto completed = storage_.complete_enrolment(token.token_sha256_hex, record, now);
  if (!completed) {
    if (completed.error().code != ErrorCode::conflict) {
      return internal(completed.error(), "recording an enrolment");
    }
    // Another request with this token won the race: answer as if this one came second.
    auto again = storage_.find_enrolment_token(token.token_sha256_hex);
    if (!again) return internal(again.error(), "reading an enrolment token");
    if (!*again || !(*again)->used_at_ms) {
      return refuse(peer, 403, "token_expired", "this enrolment token has expired", kWhat,
                    token.device_id);
    }
    return replay(**again, request, peer);
  }
  if (auto refreshed = refresh_revocations(); !refreshed) {
    spdlog::error("reloading revocations: {}", refreshed.error().describe());
  }
  spdlog::info("box {} enrolled from {} at site {}: certificate {} until {} ms", token.device_id,
               peer, token.site, record.serial_hex, record.not_after_ms);
  return response_for(token, record);
}

Decision<wire::EnrolResponse> FleetIdentity::replay(const EnrolmentTokenRecord& token,
                                                    const wire::EnrolRequest& request,
                                                    std::string_view peer) {
  auto csr = read_csr(request.csr_pem);
  if (csr && token.key_sha256_hex && token.serial_hex &&
      csr->key_sha256_hex == *token.key_sha256_hex) {
    auto certificate = storage_.find_certificate(*token.serial_hex);
    if (!certificate) return internal(certificate.error(), "reading a certificate");
    if (*certificate) {
      spdlog::info("box {} asked again with the key it enrolled from {}: same certificate {}",
                   token.device_id, peer, *token.serial_hex);
      return response_for(token, **certificate);
    }
  }
  return refuse(peer, 403, "token_used",
                "this enrolment token was used already: ask the back office for a new one",
                "enrolment", token.device_id);
}

Decision<wire::CertificateIssued> FleetIdentity::renew(const DeviceIdentity& box,
                                                       const wire::RenewRequest& request,
                                                       std::string_view peer) {
  constexpr std::string_view kWhat = "renewal";
  if (!ca_) return unavailable_without_ca();
  auto csr = read_csr(request.csr_pem);
  if (!csr) {
    const bool weak = csr.error().code == ErrorCode::invalid_argument;
    return refuse(peer, 400, weak ? "weak_key" : "bad_csr", csr.error().message, kWhat,
                  box.device.str());
  }
  if (csr->empty_subject) {
    return refuse(peer, 400, "bad_csr",
                  "the CSR's subject is empty: name the box in it, CN=" + box.device.str(), kWhat,
                  box.device.str());
  }
  if (!csr->common_name.empty() && csr->common_name != box.device.str()) {
    return refuse(
        peer, 403, "subject_mismatch",
        "the certificate of " + box.device.str() + " cannot renew one for " + csr->common_name,
        kWhat, box.device.str());
  }
  if (csr->key_sha256_hex == box.certificate.key_sha256_hex) {
    return refuse(peer, 400, "same_key", "a renewal needs a new key, not the current one", kWhat,
                  box.device.str());
  }
  CertificateRecord record;
  auto signed_ = sign(request.csr_pem, box.device, "renew", csr->key_sha256_hex, record);
  if (auto* refusal = std::get_if<Refusal>(&signed_)) return std::move(*refusal);
  if (auto recorded = storage_.record_certificate(record); !recorded) {
    return internal(recorded.error(), "recording a renewed certificate");
  }
  if (auto refreshed = refresh_revocations(); !refreshed) {
    spdlog::error("reloading revocations: {}", refreshed.error().describe());
  }
  spdlog::info("box {} renewed from {}: certificate {} until {} ms (was {})", box.device.str(),
               peer, record.serial_hex, record.not_after_ms, box.certificate.serial_hex);
  return std::get<wire::CertificateIssued>(std::move(signed_));
}

Decision<wire::CertificateIssued> FleetIdentity::sign(const std::string& csr_pem,
                                                      const DeviceId& device,
                                                      const std::string& kind,
                                                      const std::string& key_sha256,
                                                      CertificateRecord& record) {
  const std::int64_t now = clock_();
  provisioning::CertProfile profile;
  profile.role = provisioning::CertRole::client;
  profile.common_name = device.str();
  profile.not_before = time_of(now) - kClockSkew;
  profile.not_after = time_of(now) + std::chrono::days(config_.cert_days);
  auto pem = provisioning::sign_csr(*ca_, csr_pem, profile);
  if (!pem) {
    // OpenSSL accepted the CSR; mbedTLS, which signs, did not.
    if (pem.error().code == ErrorCode::parse || pem.error().code == ErrorCode::crypto) {
      spdlog::warn("signing a CSR for {} failed: {}", device.str(), pem.error().describe());
      return Refusal{400, "bad_csr", pem.error().message};
    }
    return internal(pem.error(), "signing a certificate");
  }
  auto facts = read_certificate(*pem);
  if (!facts) return internal(facts.error(), "reading a certificate just signed");
  if (facts->key_sha256_hex != key_sha256) {
    return internal(make_error(ErrorCode::internal, "the certificate holds another key"),
                    "signing a certificate");
  }
  record = {facts->serial_hex,   device.str(), kind, facts->not_before_ms,
            facts->not_after_ms, now,          *pem, facts->key_sha256_hex,
            std::nullopt,        std::nullopt};
  return issued_of(record);
}

wire::CertificateIssued FleetIdentity::issued_of(const CertificateRecord& c) const {
  return {c.pem, ca_ ? ca_->cert_pem : std::string(), c.serial_hex, c.not_before_ms,
          c.not_after_ms};
}

wire::EnrolResponse FleetIdentity::response_for(const EnrolmentTokenRecord& token,
                                                const CertificateRecord& certificate) const {
  wire::EnrolResponse response;
  response.certificate = issued_of(certificate);
  response.config = {token.device_id,
                     token.site,
                     token.cabinet,
                     device_url_of(config_),
                     config_.institution_name,
                     config_.languages,
                     default_language_of(config_),
                     config_.document_kinds};
  return response;
}

Expected<int> FleetIdentity::revoke(const DeviceId& device, const std::string& reason,
                                    const Actor& by) {
  if (reason.size() > kMaxReasonBytes) {
    return make_error(ErrorCode::invalid_argument, "the reason is over 200 bytes");
  }
  const std::string why = reason.empty() ? std::string("revoked by the back office") : reason;
  CIVICBOX_TRY(int revoked, storage_.revoke_device(device, why, clock_(), by));
  spdlog::warn("box {} revoked ({} certificates): {}", device.str(), revoked, why);
  if (auto refreshed = refresh_revocations(); !refreshed) {
    spdlog::error("reloading revocations: {}", refreshed.error().describe());
  }
  return revoked;
}

Expected<bool> FleetIdentity::refresh_revocations() {
  CIVICBOX_TRY(std::int64_t version, storage_.revocation_version());
  {
    std::shared_lock lock(revocations_mutex_);
    if (loaded_ && revocations_.version == version) return false;
  }
  CIVICBOX_TRY(RevocationList list, storage_.revocations());
  std::unique_lock lock(revocations_mutex_);
  if (loaded_ && list.version < revocations_.version) return false;  // a newer one won the race
  revocations_ = std::move(list);
  loaded_ = true;
  return true;
}

std::int64_t FleetIdentity::revocations_version() const {
  std::shared_lock lock(revocations_mutex_);
  return revocations_.version;
}

std::optional<std::string> FleetIdentity::refusal_in_memory(const DeviceIdentity& box) const {
  std::shared_lock lock(revocations_mutex_);
  return revocation_reason(revocations_, box.device, box.certificate);
}

std::optional<std::string> FleetIdentity::refusal(const DeviceIdentity& box) {
  bool loaded = false;
  {
    std::shared_lock lock(revocations_mutex_);
    loaded = loaded_;
  }
  if (loaded) {
    auto reason = refusal_in_memory(box);
    if (!reason) return std::nullopt;
  }
  // Refusing a box tells it to stop working until it is re-enrolled: only on a fresh list. If
  // the database cannot be read, the last list decides.
  if (auto refreshed = refresh_revocations(); !refreshed) {
    spdlog::error("reloading revocations: {}", refreshed.error().describe());
  }
  return refusal_in_memory(box);
}

}  // namespace civicbox::controller
