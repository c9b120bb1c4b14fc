// Renewing the box's certificate before it expires, without ever leaving the box without a
// working identity: a NEW key and CSR are made in pending/, the controller is asked for a
// certificate with the current identity, the answer is checked and stored in pending/, the
// controller is probed with the new certificate, and only then does `current` switch to it.
// Until that switch the current identity stays in use; an interrupted renewal (a power cut, the
// controller gone) resumes with the same new key on the next call.
//
// Steps reported to the store's StepHook, in order:
//   renew_key_written, renew_csr_written, renew_answered, renew_cert_written, renew_ca_written,
//   renew_config_written, renew_probed, renew_renamed, renew_current_swapped
#pragma once

#include <cstdint>

#include "common/error.hpp"
#include "provisioning/controller_link.hpp"
#include "provisioning/identity_store.hpp"

namespace civicbox::provisioning {

inline constexpr double kDefaultRenewalFraction = 2.0 / 3.0;

// The moment a certificate is due for renewal: `fraction` of the way through its validity.
std::int64_t renewal_due_at(const Identity& identity, double fraction = kDefaultRenewalFraction);
bool renewal_due(const Identity& identity, std::int64_t now_ms,
                 double fraction = kDefaultRenewalFraction);

struct RenewalOptions {
  double fraction = kDefaultRenewalFraction;  // 0 < fraction < 1
  bool force = false;                         // renew now, due or not
};

enum class RenewalOutcome {
  not_due,  // nothing under way and not due yet: nothing done
  renewed,  // `identity` is the new current identity
};

struct RenewalResult {
  RenewalOutcome outcome = RenewalOutcome::not_due;
  Identity identity;  // the identity in use afterwards
};

// Renews when due (or forced), or finishes a renewal under way (pending/ holds a CSR naming this
// device, or a whole renewed certificate) whether due or not.
// Errors: state (not enrolled; an enrolment is under way in pending/), forbidden (revoked: see
// *refusal; the box must be re-enrolled), unavailable (retry later; Retry-After in *refusal),
// crypto (the answer did not check out), io. On any error the current identity is unchanged.
Expected<RenewalResult> renew_identity(IdentityStore& store, ControllerLink& link,
                                       std::int64_t now_ms, const RenewalOptions& options = {},
                                       Refusal* refusal = nullptr);

}  // namespace civicbox::provisioning
