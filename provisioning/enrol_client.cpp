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

using curl::global_init;
using curl::ListDeleter;
using curl::Sink;
using curl::write_body;
using CurlDeleter = curl::EasyDeleter;

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
  global_init();
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) return make_error(ErrorCode::internal, "curl_easy_init failed");
  Sink sink;
  char errbuf[CURL_ERROR_SIZE] = {0};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, options.connect_timeout_ms);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, options.timeout_ms);
  curl_easy_setopt(c, CURLOPT_CAINFO, tls.ca.c_str());
  // Only the fleet CA: without this a curl built with a default CA folder would also trust
  // every public CA beside CURLOPT_CAINFO.
  curl_easy_setopt(c, CURLOPT_CAPATH, nullptr);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!tls.cert.empty()) {
    curl_easy_setopt(c, CURLOPT_SSLCERT, tls.cert.c_str());
    curl_easy_setopt(c, CURLOPT_SSLKEY, tls.key.c_str());
  }
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_slist* list = curl_slist_append(nullptr, "Accept: application/json");
  if (body != nullptr) {
    list = curl_slist_append(list, "Content-Type: application/json");
    list = curl_slist_append(list, "Expect:");
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
  } else {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  }
  std::unique_ptr<curl_slist, ListDeleter> headers(list);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());

  CURLcode rc = curl_easy_perform(c);
  std::string where = std::string(method) + " " + url;
  if (sink.overflow) {
    return make_error(ErrorCode::too_large, where + ": the answer is over " +
                                                std::to_string(wire::kMaxBodyBytes) + " bytes");
  }
  if (rc != CURLE_OK) {
    std::string detail = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
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
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply.status);
  curl_off_t retry_after = 0;
  if (curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK && retry_after > 0) {
    reply.retry_after = std::chrono::seconds(retry_after);
  }
  reply.body = std::move(sink.body);
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
  if (status == 408 || status == 429 || status >= 500) return ErrorCode::unavailable;
  if (status == 401) return ErrorCode::unauthenticated;
  if (status == 403) return ErrorCode::forbidden;
  if (status == 404) return ErrorCode::not_found;
  if (status == 409) return ErrorCode::conflict;
  if (status == 413) return ErrorCode::too_large;
  return ErrorCode::invalid_argument;
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
