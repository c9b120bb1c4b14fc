// What the controller load tools (controller_load.cpp, storm.cpp) share over libcurl: a handle
// that speaks to a device listener as one box (its certificate and key, only the fleet CA
// trusted, peer and host verified) and collects the answer's body into a string.
#pragma once

#include <curl/curl.h>

#include <cstddef>
#include <string>

namespace civicbox::bench {

inline std::size_t collect(char* data, std::size_t size, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// A new easy handle for the box with `cert` and `key`; its answers go to *body.
inline CURL* box_handle(const std::string& ca, const std::string& cert, const std::string& key,
                        std::string* body) {
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_CAINFO, ca.c_str());
  curl_easy_setopt(curl, CURLOPT_SSLCERT, cert.c_str());
  curl_easy_setopt(curl, CURLOPT_SSLKEY, key.c_str());
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 60000L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, body);
  return curl;
}

}  // namespace civicbox::bench
