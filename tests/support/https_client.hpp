// A small blocking HTTPS client on libcurl for tests: real TLS, optional client certificate.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace civicbox::testing {

struct TlsFiles {
  std::filesystem::path ca;    // the CA that must have signed the server
  std::filesystem::path cert;  // client certificate, empty for none
  std::filesystem::path key;
};

struct Reply {
  bool ok = false;  // the exchange completed (any HTTP status)
  long status = 0;
  std::string body;
  std::string error;  // curl's message when !ok
};

Reply https(const std::string& method, const std::string& url, const TlsFiles& tls,
            const std::string& body = "", const std::string& content_type = "application/json",
            const std::vector<std::string>& headers = {});

}  // namespace civicbox::testing
