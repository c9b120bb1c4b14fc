// The network part of enrolment and renewal behind one small interface, so the flows
// (enrolment.hpp, renewal.hpp) can be tested with a controller that fails on cue. The real one,
// HttpsControllerLink, is enrol_client.hpp over libcurl. The flows check every certificate
// they are given themselves (check_issued_certificate), whatever link brought it.
#pragma once

#include <filesystem>
#include <string>

#include "common/error.hpp"
#include "common/identity_wire.hpp"
#include "provisioning/enrol_client.hpp"
#include "provisioning/identity_store.hpp"

namespace civicbox::provisioning {

class ControllerLink {
 public:
  virtual ~ControllerLink() = default;
  // POST {url}/v1/enrol over server-authenticated TLS, trusting only `fleet_ca`.
  virtual Expected<wire::EnrolResponse> enrol(const std::string& url,
                                              const std::filesystem::path& fleet_ca,
                                              const wire::EnrolRequest& request,
                                              Refusal* refusal) = 0;
  // POST /v1/device/renew at current.config().controller_url with the current identity.
  virtual Expected<wire::CertificateIssued> renew(const Identity& current,
                                                  const wire::RenewRequest& request,
                                                  Refusal* refusal) = 0;
  // GET /healthz at candidate.config().controller_url with the candidate identity.
  virtual Expected<void> probe(const Identity& candidate, Refusal* refusal) = 0;
};

class HttpsControllerLink final : public ControllerLink {
 public:
  explicit HttpsControllerLink(ClientOptions options = {}) : options_(options) {}
  Expected<wire::EnrolResponse> enrol(const std::string& url, const std::filesystem::path& fleet_ca,
                                      const wire::EnrolRequest& request, Refusal* refusal) override;
  Expected<wire::CertificateIssued> renew(const Identity& current,
                                          const wire::RenewRequest& request,
                                          Refusal* refusal) override;
  Expected<void> probe(const Identity& candidate, Refusal* refusal) override;

 private:
  ClientOptions options_;
};

// The curl files of an identity.
TlsFiles tls_files(const Identity& identity);

}  // namespace civicbox::provisioning
