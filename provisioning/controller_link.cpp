#include "provisioning/controller_link.hpp"

namespace civicbox::provisioning {

TlsFiles tls_files(const Identity& identity) {
  return TlsFiles{identity.ca, identity.cert, identity.key};
}

Expected<wire::EnrolResponse> HttpsControllerLink::enrol(const std::string& url,
                                                         const std::filesystem::path& fleet_ca,
                                                         const wire::EnrolRequest& request,
                                                         Refusal* refusal) {
  return provisioning::enrol(url, fleet_ca, request, options_, refusal);
}

Expected<wire::CertificateIssued> HttpsControllerLink::renew(const Identity& current,
                                                             const wire::RenewRequest& request,
                                                             Refusal* refusal) {
  return provisioning::renew(current.config().controller_url, tls_files(current), request, options_,
                             refusal);
}

Expected<void> HttpsControllerLink::probe(const Identity& candidate, Refusal* refusal) {
  return provisioning::probe(candidate.config().controller_url, tls_files(candidate), options_,
                             refusal);
}

}  // namespace civicbox::provisioning
