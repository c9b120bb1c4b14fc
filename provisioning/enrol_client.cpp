#include "provisioning/enrol_client.hpp"

#include <algorithm>
#include <memory>

#include "common/atomic_file.hpp"
#include "common/curl_support.hpp"
#include "common/ids.hpp"
#include "common/wire.hpp"
#include "provisioning/certificate_check.hpp"

namespace civicbox::provisioning {

namespace {

struct Reply {
  long status = 0;
  std::string body;
  std::optional<std::chrono::seconds> retry_after;
};

std::string base_url(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

// One HTTPS exchange. `tls.cert` empty: no client certificate (enrolment).
Expected<Reply> call(const char* method, const std::string& url, const std::string* body,
                     const TlsFiles& tls, const ClientOptions& options) {
  if (!url.starts_with("https://")) {
    return make_error(ErrorCode::invalid_argument,
                      "the controller's address must start with https://: " + url);
  }
  curl::Exchange exchange{
      method, url, body, tls.ca, tls.cert, tls.key, options.connect_timeout_ms, options.timeout_ms};
  auto outcome = curl::perform(exchange);
  if (!outcome) return make_error(ErrorCode::internal, "curl_easy_init failed");
  const std::string where = std::string(method) + " " + url;
  if (outcome->overflow) {
    return make_error(ErrorCode::too_large, where + ": the answer is over " +
                                                std::to_string(wire::kMaxBodyBytes) + " bytes");
  }
  if (const CURLcode rc = outcome->rc; rc != CURLE_OK) {
    const std::string& detail = outcome->detail;
    switch (rc) {
      case CURLE_PEER_FAILED_VERIFICATION:
        return make_error(ErrorCode::crypto, where +
                                                 ": the controller's TLS certificate is not "
                                                 "from the fleet CA in " +
                                                 tls.ca.string() + " (" + detail + ")");
      case CURLE_SSL_CACERT_BADFILE:
        return make_error(ErrorCode::crypto, where + ": cannot use " + tls.ca.string() +
                                                 " as the CA (" + detail + ")");
      case CURLE_SSL_CERTPROBLEM:
        return make_error(ErrorCode::crypto, where + ": cannot use " + tls.cert.string() + " / " +
                                                 tls.key.string() + " (" + detail + ")");
      case CURLE_PARTIAL_FILE:
        return make_error(ErrorCode::unavailable,
                          where + ": the answer was cut short (" + detail + "); retrying is safe");
      default:
        return make_error(ErrorCode::unavailable, where + ": " + detail + "; retrying is safe");
    }
  }
  Reply reply;
  reply.status = outcome->status;
  if (outcome->retry_after_s) reply.retry_after = std::chrono::seconds(*outcome->retry_after_s);
  reply.body = std::move(outcome->body);
  return reply;
}

ErrorCode code_for_word(const std::string& word, long status) {
  if (word == "token_unknown" || word == "token_used" || word == "token_expired" ||
      word == "wrong_site" || word == "revoked") {
    return ErrorCode::forbidden;
  }
  if (word == "rate_limited") return ErrorCode::unavailable;
  if (word == "subject_mismatch" || word == "weak_key" || word == "bad_csr") {
    return ErrorCode::invalid_argument;
  }
  if (word == "same_key") return ErrorCode::conflict;
  return curl::error_code_for_status(status);
}

// The body of a 2xx answer, or the refusal as an Error (and in *refusal).
Expected<std::string> expect_ok(Reply reply, std::string_view what, Refusal* refusal) {
  if (reply.status >= 200 && reply.status < 300) return std::move(reply.body);
  Refusal r;
  r.status = reply.status;
  r.retry_after = reply.retry_after;
  if (auto body = wire::parse_error_body(reply.body)) {
    r.word = body->error;
    r.message = body->message;
  }
  std::string text = std::string(what) + ": the controller refused (" + std::to_string(r.status);
  text += r.word.empty() ? ", no readable reason" : " " + r.word;
  text += ")";
  if (!r.message.empty()) text += ": " + r.message;
  if (r.retry_after) text += "; try again in " + std::to_string(r.retry_after->count()) + " s";
  ErrorCode code = code_for_word(r.word, r.status);
  if (refusal != nullptr) *refusal = std::move(r);
  return make_error(code, std::move(text));
}

}  // namespace

Expected<wire::EnrolResponse> enrol(const std::string& url, const std::filesystem::path& fleet_ca,
                                    const wire::EnrolRequest& request, const ClientOptions& options,
                                    Refusal* refusal) {
  CIVICBOX_TRY(std::string trusted, read_text_file(fleet_ca));
  std::string body = wire::to_json(request);
  CIVICBOX_TRY(Reply reply, call("POST", base_url(url) + "/v1/enrol", &body,
                                 TlsFiles{fleet_ca, {}, {}}, options));
  CIVICBOX_TRY(std::string text, expect_ok(std::move(reply), "enrolling", refusal));
  auto parsed = wire::parse_enrol_response(text);
  if (!parsed) return parsed.error().context("the controller's answer to the enrolment");
  wire::EnrolResponse response = std::move(*parsed);

  const wire::ProvisionedConfig& config = response.config;
  if (auto id = DeviceId::parse(config.device_id); !id) {
    return id.error().context("the controller's answer to the enrolment: config.device_id");
  }
  if (!config.controller_url.starts_with("https://")) {
    return make_error(ErrorCode::parse,
                      "the controller's answer to the enrolment: "
                      "config.controller_url is not an https:// address");
  }
  CIVICBOX_TRY(std::string asked, csr_requested_name(request.csr_pem));
  if (!asked.empty() && asked != config.device_id) {
    return make_error(ErrorCode::crypto, "the controller enrolled this box as " + config.device_id +
                                             ", but it asked to be " + asked);
  }
  auto kept =
      check_issued_certificate(response.certificate, request.csr_pem, config.device_id, trusted);
  if (!kept) return kept.error().context("checking the enrolment's certificate");
  response.certificate.ca_chain_pem = std::move(*kept);
  return response;
}

Expected<wire::CertificateIssued> renew(const std::string& url, const TlsFiles& tls,
                                        const wire::RenewRequest& request,
                                        const ClientOptions& options, Refusal* refusal) {
  CIVICBOX_TRY(std::string trusted, read_text_file(tls.ca));
  CIVICBOX_TRY(std::string device_id, csr_requested_name(request.csr_pem));
  if (device_id.empty()) {
    return make_error(ErrorCode::invalid_argument, "a renewal's CSR must name the device");
  }
  std::string body = wire::to_json(request);
  CIVICBOX_TRY(Reply reply, call("POST", base_url(url) + "/v1/device/renew", &body, tls, options));
  CIVICBOX_TRY(std::string text, expect_ok(std::move(reply), "renewing the certificate", refusal));
  auto parsed = wire::parse_certificate_issued(text);
  if (!parsed) return parsed.error().context("the controller's answer to the renewal");
  auto kept = check_issued_certificate(*parsed, request.csr_pem, device_id, trusted);
  if (!kept) return kept.error().context("checking the renewed certificate");
  parsed->ca_chain_pem = std::move(*kept);
  return parsed;
}

Expected<void> probe(const std::string& url, const TlsFiles& tls, const ClientOptions& options,
                     Refusal* refusal) {
  if (tls.cert.empty() || tls.key.empty()) {
    return make_error(ErrorCode::invalid_argument, "a probe needs a certificate and its key");
  }
  CIVICBOX_TRY(Reply reply, call("GET", base_url(url) + "/healthz", nullptr, tls, options));
  CIVICBOX_TRY(auto ignored, expect_ok(std::move(reply), "probing the controller", refusal));
  (void)ignored;
  return {};
}

}  // namespace civicbox::provisioning
