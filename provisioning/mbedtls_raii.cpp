#include "provisioning/mbedtls_raii.hpp"

#include <mbedtls/error.h>

#include <array>
#include <cstdio>

namespace civicbox::provisioning::detail {

Error mbedtls_failure(std::string_view what, int ret) {
  std::array<char, 200> text{};
  mbedtls_strerror(ret, text.data(), text.size());
  std::array<char, 16> code{};
  std::snprintf(code.data(), code.size(), "-0x%04X", static_cast<unsigned>(-ret));
  return make_error(ErrorCode::crypto,
                    std::string(what) + ": mbedTLS " + code.data() + " (" + text.data() + ")");
}

Drbg::Drbg() {
  mbedtls_entropy_init(&entropy_);
  mbedtls_ctr_drbg_init(&drbg_);
}

Drbg::~Drbg() {
  mbedtls_ctr_drbg_free(&drbg_);
  mbedtls_entropy_free(&entropy_);
}

Expected<void> Drbg::seed() {
  static constexpr std::string_view kPersonalisation = "civicbox provisioning";
  int ret = mbedtls_ctr_drbg_seed(&drbg_, mbedtls_entropy_func, &entropy_,
                                  reinterpret_cast<const unsigned char*>(kPersonalisation.data()),
                                  kPersonalisation.size());
  if (ret != 0) return mbedtls_failure("seeding the random generator", ret);
  return {};
}

int Drbg::random(void* self, unsigned char* out, std::size_t len) {
  return mbedtls_ctr_drbg_random(&static_cast<Drbg*>(self)->drbg_, out, len);
}

Expected<void> Drbg::fill(unsigned char* out, std::size_t len) {
  int ret = mbedtls_ctr_drbg_random(&drbg_, out, len);
  if (ret != 0) return mbedtls_failure("drawing random bytes", ret);
  return {};
}

Expected<void> parse_private_key(PkContext& key, std::string_view pem) {
  std::string text(pem);  // c_str() adds the NUL mbedTLS wants for PEM input
  int ret = mbedtls_pk_parse_key(key.get(), reinterpret_cast<const unsigned char*>(text.c_str()),
                                 text.size() + 1, nullptr, 0);
  if (ret != 0) return mbedtls_failure("parsing a private key", ret);
  return {};
}

Expected<void> parse_certificate(X509Crt& crt, std::string_view pem) {
  std::string text(pem);
  int ret = mbedtls_x509_crt_parse(crt.get(), reinterpret_cast<const unsigned char*>(text.c_str()),
                                   text.size() + 1);
  if (ret < 0) return mbedtls_failure("parsing a certificate", ret);
  if (ret > 0) {
    return make_error(ErrorCode::crypto,
                      "parsing a certificate: " + std::to_string(ret) + " PEM block(s) unreadable");
  }
  return {};
}

}  // namespace civicbox::provisioning::detail
