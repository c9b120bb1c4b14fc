// The box's HTTPS calls for its identity (libcurl). Only curl's backend-neutral TLS options are
// used (CAINFO, SSLCERT, SSLKEY, VERIFYPEER, VERIFYHOST), so the same code runs on a curl built
// on OpenSSL or on mbedTLS; only the CA file given is trusted, never the system's.
//
//   enrol  POST {url}/v1/enrol          server-authenticated TLS: the controller must present a
//                                       certificate from the fleet CA the box was given; the
//                                       box has no certificate yet, the token authenticates it
//   renew  POST {url}/v1/device/renew   mutual TLS with the current certificate
//   probe  GET  {url}/healthz           mutual TLS with a candidate certificate, before the box
//                                       switches to it. /healthz answers on the public listener
//                                       too, so `url` must be the device listener
//                                       (ProvisionedConfig::controller_url), where the
//                                       handshake itself requires the certificate.
//
// Every answer is parsed strictly and then checked (check_issued_certificate): our key, our
// device id as CN, chained to the CA chain sent, and that chain is the fleet CA the box trusts.
//
// Errors, by what the caller should do:
//   forbidden         token_unknown, token_used, token_expired, wrong_site (ask the town hall's
//                     IT for a new token), revoked (the box is out of service until re-enrolled)
//   unavailable       no answer, a timeout, a cut-short answer, 408, 429/rate_limited (wait
//                     Retry-After), 5xx: retrying is safe
//   crypto            the controller's TLS certificate is not from the fleet CA, or what it
//                     issued does not check out (another key, another CN, another CA)
//   invalid_argument  subject_mismatch, weak_key, bad_csr, another 4xx: a bug or an attack
//   conflict          same_key (a renewal must bring a new key)
//   parse             the answer is not the JSON agreed on
// with the controller's own message. The word itself and Retry-After are given in a Refusal.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "common/error.hpp"
#include "common/identity_wire.hpp"

namespace civicbox::provisioning {

// What the controller said when it refused (an HTTP error status).
struct Refusal {
  long status = 0;
  std::string word;     // "token_used", "revoked", ...; empty when the body had none
  std::string message;  // the controller's sentence for a person
  std::optional<std::chrono::seconds> retry_after;
};

struct ClientOptions {
  long connect_timeout_ms = 10000;
  long timeout_ms = 30000;  // the whole exchange
};

// The files of a mutual-TLS identity, as curl takes them.
struct TlsFiles {
  std::filesystem::path ca;    // the fleet CA chain: the only CA trusted for the controller
  std::filesystem::path cert;  // the box's certificate
  std::filesystem::path key;   // its private key (read by curl, never by this code)
};

// Enrols with a token. On success the answer has been checked against request.csr_pem and
// `fleet_ca`, and certificate.ca_chain_pem is what the box should keep as its ca.crt (the chain
// sent, followed by the fleet CA when the chain did not include it).
Expected<wire::EnrolResponse> enrol(const std::string& url, const std::filesystem::path& fleet_ca,
                                    const wire::EnrolRequest& request,
                                    const ClientOptions& options = {}, Refusal* refusal = nullptr);

// Renews: a certificate for the new key in request.csr_pem, asked for with the current one. The
// answer is checked as above, against the CN of the CSR and the current CA chain (tls.ca).
Expected<wire::CertificateIssued> renew(const std::string& url, const TlsFiles& tls,
                                        const wire::RenewRequest& request,
                                        const ClientOptions& options = {},
                                        Refusal* refusal = nullptr);

// Proves an identity works with the controller: GET /healthz over mutual TLS, 200 expected.
Expected<void> probe(const std::string& url, const TlsFiles& tls, const ClientOptions& options = {},
                     Refusal* refusal = nullptr);

}  // namespace civicbox::provisioning
