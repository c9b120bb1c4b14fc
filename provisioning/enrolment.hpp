// Enrolling a box with a one-time token: the flow behind `civicbox-provision --token` and the
// technician's screen on the kiosk. A key and CSR are made (or resumed) in pending/, the
// controller's public listener is asked for a certificate, the answer is checked and stored,
// and `current` is switched to it. A power cut at any step is repaired by running it again
// with the same token: the same key is sent again, and the controller answers a replayed token
// with the same certificate for the same key.
//
// Steps reported to the store's StepHook, in order:
//   key_written, csr_written, enrol_answered, cert_written, ca_written, config_written,
//   renamed, current_swapped
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "provisioning/controller_link.hpp"
#include "provisioning/identity_store.hpp"

namespace civicbox::provisioning {

struct EnrolOptions {
  std::string controller_url;         // the controller's public listener, https://host:port
  std::filesystem::path fleet_ca;     // the fleet CA the technician brought: trusted for TLS and
                                      // for what the controller issues
  std::string token;                  // as scanned (without CBX-ENROL:) or typed
  std::optional<std::string> site;    // where the box stands, when the technician knows it
  std::optional<std::string> box_id;  // the box's id, when known: the CSR then names it
  // Replace an identity in use. Without it a box that is enrolled is refused (ErrorCode::state),
  // unless its certificate has expired or the controller says it is revoked.
  bool force = false;
  std::int64_t now_ms = 0;  // the box's clock
};

struct EnrolResult {
  Identity identity;
  // The identity in use was already made by an enrolment with this very token (a command run
  // twice, or after a power cut at its very end): nothing was enrolled again. (Once the controller
  // has revoked that identity the token counts as spent: forbidden, refusal word token_used.)
  bool already_done = false;
  std::vector<std::string> notes;  // what a technician may want to know, one line each
};

// Errors: state (enrolled already: the message says how to replace it; or another process holds
// the store), forbidden (the token was refused: refusal->word says why), unavailable (controller
// unreachable: running it again is safe), crypto (the controller or what it issued is not from
// the fleet CA, or is for another key or box), invalid_argument, parse, io.
Expected<EnrolResult> enrol_box(IdentityStore& store, ControllerLink& link,
                                const EnrolOptions& options, Refusal* refusal = nullptr);

// One or two sentences for the technician on what to do after a failed enrolment (English; a
// screen that translates picks its text by error.code and refusal.word instead).
std::string enrolment_advice(const Error& error, const Refusal& refusal);

}  // namespace civicbox::provisioning
