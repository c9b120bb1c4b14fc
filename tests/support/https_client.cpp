#include "tests/support/https_client.hpp"

#include <curl/curl.h>

namespace civicbox::testing {

namespace {
std::size_t collect(char* data, std::size_t size, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}
}  // namespace

Reply https(const std::string& method, const std::string& url, const TlsFiles& tls,
            const std::string& body, const std::string& content_type,
            const std::vector<std::string>& headers) {
  Reply reply;
  CURL* curl = curl_easy_init();
  char error[CURL_ERROR_SIZE] = {};
  curl_slist* list = nullptr;
  if (!body.empty() || method == "POST") {
    list = curl_slist_append(list, ("Content-Type: " + content_type).c_str());
  }
  for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (method == "POST" || !body.empty()) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_CAINFO, tls.ca.c_str());
  if (!tls.cert.empty()) {
    curl_easy_setopt(curl, CURLOPT_SSLCERT, tls.cert.c_str());
    curl_easy_setopt(curl, CURLOPT_SSLKEY, tls.key.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply.body);
  CURLcode rc = curl_easy_perform(curl);
  if (rc == CURLE_OK) {
    reply.ok = true;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  } else {
    reply.error = error[0] != '\0' ? error : curl_easy_strerror(rc);
  }
  curl_slist_free_all(list);
  curl_easy_cleanup(curl);
  return reply;
}

}  // namespace civicbox::testing
