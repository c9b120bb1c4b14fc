// Which certificates the device listener refuses, decided without I/O from a RevocationList the
// storage hands out (tests build one by hand).
//
// Two rules. A certificate the controller recorded (it signed it at enrolment or renewal) is
// refused once it was revoked. A box that was revoked has every other certificate that began
// before the revocation refused too: that covers certificates the controller never recorded
// (the development PKI, an earlier CA's). A box re-enrolled after its revocation gets a new,
// recorded certificate, which is accepted; its old ones stay refused.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "common/ids.hpp"
#include "controller/certificate_facts.hpp"

namespace civicbox::controller {

struct RevocationList {
  // Changes whenever the list does (storage's revocation_version()).
  std::int64_t version = 0;
  // Recorded certificates that were revoked: serial -> the reason given.
  std::unordered_map<std::string, std::string> revoked_serials;
  struct RevokedBox {
    std::int64_t revoked_at_ms = 0;  // the latest revocation
    std::string reason;
    // Certificates recorded for the box since (a re-enrolment and its renewals).
    std::unordered_set<std::string> issued_since;
  };
  std::unordered_map<std::string, RevokedBox> boxes;  // by device id
};

// The reason `certificate` of `device` is refused, or nullopt when it may be used.
std::optional<std::string> revocation_reason(const RevocationList& list, const DeviceId& device,
                                             const CertificateFacts& certificate);

// What a revoked box is told (the error word is "revoked").
std::string revoked_message(const std::string& reason);

}  // namespace civicbox::controller
