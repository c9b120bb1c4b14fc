// The boxes' identities, on the controller's side (issue #5): one-time enrolment tokens,
// enrolment (a token and a CSR in; a certificate and the box's configuration out), renewal,
// revocation, and the check the device listener makes on every request. Transport-free, like
// Service, which routes HTTP here; the command line uses it too. docs/openapi.yaml has the
// routes, common/identity_wire.hpp the shapes and the refusal words.
//
// A token is 32 random bytes in base64url (43 characters); only its SHA-256 is stored. It
// names the device id (the certificate's CN), the site and the cabinet profile it enrols.
//
// Enrolment checks, in this order, and refuses with the first that fails (403 for the token,
// 400 for the CSR); a refusal changes nothing and is logged with the peer, never the token:
//   token_unknown, token_expired,
//   token_used       unless the same key asks again: then the very certificate it got is
//                    answered again (the box may have lost power after the controller answered,
//                    before it stored the certificate: enrolment is safe to repeat),
//   wrong_site       the box says it stands at another site than the token's,
//   bad_csr, weak_key (not ECDSA P-256), subject_mismatch (a CN other than the token's device;
//                    no CN gets the token's; a subject with no attribute at all is bad_csr,
//                    since mbedTLS 2.28, which signs, cannot read it).
// Success is one transaction: the token used (with the key and serial), the certificate
// recorded, a revocation of the box lifted.
//
// The revocation list is kept in memory and reloaded when storage's revocation version moves
// (refresh_revocations(), which the HTTPS server calls every second): the per-request check is
// a hash lookup. A certificate the in-memory list refuses is checked again against a fresh
// list, so a box re-enrolled a moment ago by another process is never refused by mistake.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <variant>

#include "common/error.hpp"
#include "common/identity_wire.hpp"
#include "common/ids.hpp"
#include "common/random.hpp"
#include "controller/certificate_facts.hpp"
#include "controller/config.hpp"
#include "controller/revocation.hpp"
#include "controller/storage.hpp"
#include "provisioning/ca.hpp"

namespace civicbox::controller {

using Clock = std::function<std::int64_t()>;  // Unix milliseconds

// A box on the device listener: the device its certificate names, and that certificate.
struct DeviceIdentity {
  DeviceId device;
  CertificateFacts certificate;
};

// A request refused: the HTTP status, the word (identity_wire.hpp) and a line for a person.
struct Refusal {
  int status = 400;
  std::string word;
  std::string message;
};

template <typename T>
using Decision = std::variant<T, Refusal>;

struct TokenOrder {
  std::string site;
  std::string device_id;
  std::string cabinet;
  int valid_hours = 24;
};

struct IssuedToken {
  std::string token;  // shown once: the controller keeps only its hash
  EnrolmentTokenRecord record;
  [[nodiscard]] std::string qr_text() const { return "CBX-ENROL:" + token; }
};

// "unused", "used" or "expired" at `now_ms`.
std::string token_state(const EnrolmentTokenRecord& token, std::int64_t now_ms);

class FleetIdentity {
 public:
  // Without `ca` (no `ca init` yet) enrolment and renewal answer 503; the rest works.
  FleetIdentity(Storage& storage, const Config& config, Random& random, Clock clock,
                std::optional<provisioning::CaCredentials> ca);

  // Errors: invalid_argument naming the field (a device id that is not one, an empty site or
  // cabinet, hours out of 1..720).
  Expected<IssuedToken> create_token(const TokenOrder& order, const Actor& by);

  // `peer` is the source address, for the log.
  Decision<wire::EnrolResponse> enrol(const wire::EnrolRequest& request, std::string_view peer);

  // The CSR must name the presenting box (or no one), be P-256 and hold a new key.
  Decision<wire::CertificateIssued> renew(const DeviceIdentity& box,
                                          const wire::RenewRequest& request, std::string_view peer);

  // Returns how many certificates were revoked now. Errors: invalid_argument (reason too long).
  Expected<int> revoke(const DeviceId& device, const std::string& reason, const Actor& by);

  // Why this certificate is refused, or nullopt: the in-memory list, confirmed against a fresh
  // one before refusing.
  std::optional<std::string> refusal(const DeviceIdentity& box);
  // The same against the in-memory list alone (for sweeping open connections after a refresh).
  std::optional<std::string> refusal_in_memory(const DeviceIdentity& box) const;
  // Reloads the list when storage's version moved. Returns whether it reloaded.
  Expected<bool> refresh_revocations();
  // The version of the list in memory (to tell whether open connections need a new look).
  [[nodiscard]] std::int64_t revocations_version() const;

  [[nodiscard]] bool has_ca() const { return ca_.has_value(); }

 private:
  Decision<wire::CertificateIssued> sign(const std::string& csr_pem, const DeviceId& device,
                                         const std::string& kind, const std::string& key_sha256,
                                         CertificateRecord& record);
  Decision<wire::EnrolResponse> replay(const EnrolmentTokenRecord& token,
                                       const wire::EnrolRequest& request, std::string_view peer);
  wire::EnrolResponse response_for(const EnrolmentTokenRecord& token,
                                   const CertificateRecord& certificate) const;
  wire::CertificateIssued issued_of(const CertificateRecord& certificate) const;
  Expected<void> reload_locked();

  Storage& storage_;
  const Config& config_;
  Random& random_;
  Clock clock_;
  std::optional<provisioning::CaCredentials> ca_;

  mutable std::shared_mutex revocations_mutex_;
  RevocationList revocations_;
  bool loaded_ = false;
};

}  // namespace civicbox::controller
