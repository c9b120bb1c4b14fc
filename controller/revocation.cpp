#include "controller/revocation.hpp"

namespace civicbox::controller {

std::optional<std::string> revocation_reason(const RevocationList& list, const DeviceId& device,
                                             const CertificateFacts& certificate) {
  if (auto it = list.revoked_serials.find(certificate.serial_hex);
      it != list.revoked_serials.end()) {
    return it->second;
  }
  auto box = list.boxes.find(device.str());
  if (box == list.boxes.end()) return std::nullopt;
  if (box->second.issued_since.contains(certificate.serial_hex)) return std::nullopt;
  if (certificate.not_before_ms < box->second.revoked_at_ms) return box->second.reason;
  return std::nullopt;
}

std::string revoked_message(const std::string& reason) {
  return "this box's certificate was revoked: " + reason + "; re-enrol it with a new token";
}

}  // namespace civicbox::controller
