// What the box's two HTTPS clients (firmware/sync_client, provisioning/enrol_client) share over
// libcurl: owning handles, a body sink with the wire's size limit, and curl's one-time global
// set-up. Header-only; include it only from a .cpp that links libcurl.
#pragma once

#include <curl/curl.h>

#include <cstddef>
#include <mutex>
#include <string>

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

}  // namespace civicbox::curl
