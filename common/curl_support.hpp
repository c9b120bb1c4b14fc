// What the box's two HTTPS clients (firmware/sync_client, provisioning/enrol_client) share over
// libcurl: one JSON exchange with the controller, HTTPS only, trusting only the given CA file,
// peer and host verified, the answer bounded by the wire's size limit. Only curl's
// backend-neutral options, so it runs on a curl built on OpenSSL or mbedTLS. Each client maps
// the Outcome to its own errors. Header-only; include it only from a .cpp that links libcurl.
#pragma once

#include <curl/curl.h>

#include <cstddef>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/error.hpp"
#include "common/wire.hpp"

namespace civicbox::curl {

struct EasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
struct ListDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

// A response body, refused past wire::kMaxBodyBytes (overflow set, curl stops).
struct Sink {
  std::string body;
  bool overflow = false;
};

// CURLOPT_WRITEFUNCTION for a Sink passed as CURLOPT_WRITEDATA.
inline std::size_t write_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const std::size_t n = size * count;
  if (sink->body.size() + n > wire::kMaxBodyBytes) {
    sink->overflow = true;
    return 0;  // curl stops with CURLE_WRITE_ERROR
  }
  sink->body.append(data, n);
  return n;
}

// curl_global_init, once per process, before the first handle.
inline void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Exchange {
  const char* method = "GET";
  std::string url;
  const std::string* body = nullptr;  // JSON for a POST (method); nullptr: a GET
  std::filesystem::path ca;           // the only CA trusted for the controller
  std::filesystem::path cert;         // empty: no client certificate
  std::filesystem::path key;
  long connect_timeout_ms = 10000;
  long timeout_ms = 30000;  // the whole exchange
};

struct Outcome {
  CURLcode rc = CURLE_OK;
  std::string detail;     // curl's own words when rc != CURLE_OK
  bool overflow = false;  // the answer was over wire::kMaxBodyBytes
  long status = 0;
  std::string body;
  std::optional<long> retry_after_s;  // a Retry-After header, in seconds
};

// What a refusal's HTTP status means to a box, when its body names no word of its own: 408,
// 429 and 5xx are worth trying again later.
inline ErrorCode error_code_for_status(long status) {
  if (status == 408 || status == 429 || status >= 500) return ErrorCode::unavailable;
  if (status == 401) return ErrorCode::unauthenticated;
  if (status == 403) return ErrorCode::forbidden;
  if (status == 404) return ErrorCode::not_found;
  if (status == 409) return ErrorCode::conflict;
  if (status == 413) return ErrorCode::too_large;
  return ErrorCode::invalid_argument;
}

// Performs the exchange; nullopt only when curl cannot make a handle.
inline std::optional<Outcome> perform(const Exchange& x) {
  global_init();
  std::unique_ptr<CURL, EasyDeleter> handle(curl_easy_init());
  if (!handle) return std::nullopt;
  CURL* c = handle.get();
  Sink sink;
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_URL, x.url.c_str());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, x.connect_timeout_ms);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, x.timeout_ms);
  curl_easy_setopt(c, CURLOPT_CAINFO, x.ca.c_str());
  // Only that CA: without this, a curl built with a default CA directory (/etc/ssl/certs)
  // would also trust every public CA beside CURLOPT_CAINFO.
  curl_easy_setopt(c, CURLOPT_CAPATH, nullptr);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!x.cert.empty()) {
    curl_easy_setopt(c, CURLOPT_SSLCERT, x.cert.c_str());
    curl_easy_setopt(c, CURLOPT_SSLKEY, x.key.c_str());
  }
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_slist* list = curl_slist_append(nullptr, "Accept: application/json");
  if (x.body != nullptr) {
    list = curl_slist_append(list, "Content-Type: application/json");
    list = curl_slist_append(list, "Expect:");  // no 100-continue round trip for big batches
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, x.method);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, x.body->data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(x.body->size()));
  } else {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  }
  std::unique_ptr<curl_slist, ListDeleter> headers(list);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());

  Outcome out;
  out.rc = curl_easy_perform(c);
  out.overflow = sink.overflow;
  if (out.rc != CURLE_OK) {
    out.detail = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(out.rc);
    return out;
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out.status);
  curl_off_t retry_after = 0;
  if (curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK && retry_after > 0) {
    out.retry_after_s = static_cast<long>(retry_after);
  }
  out.body = std::move(sink.body);
  return out;
}

}  // namespace civicbox::curl
