#include "provisioning/keys.hpp"

#include <mbedtls/ecp.h>

#include <array>

#include "provisioning/mbedtls_raii.hpp"

namespace civicbox::provisioning {

using detail::mbedtls_failure;

Expected<std::string> generate_private_key() {
  detail::Drbg drbg;
  CIVICBOX_CHECK(drbg.seed());
  detail::PkContext key;
  int ret = mbedtls_pk_setup(key.get(), mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
  if (ret != 0) return mbedtls_failure("setting up an EC key", ret);
  ret = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(*key.get()),
                            detail::Drbg::random, &drbg);
  if (ret != 0) return mbedtls_failure("generating a P-256 key", ret);
  std::array<unsigned char, 1024> pem{};
  ret = mbedtls_pk_write_key_pem(key.get(), pem.data(), pem.size());
  if (ret != 0) return mbedtls_failure("writing a private key as PEM", ret);
  return std::string(reinterpret_cast<const char*>(pem.data()));
}

namespace {

Expected<std::string> write_csr(std::string_view private_key_pem, const std::string& subject) {
  detail::Drbg drbg;
  CIVICBOX_CHECK(drbg.seed());
  detail::PkContext key;
  CIVICBOX_CHECK(detail::parse_private_key(key, private_key_pem));

  detail::CsrWriter csr;
  mbedtls_x509write_csr_set_md_alg(csr.get(), MBEDTLS_MD_SHA256);
  mbedtls_x509write_csr_set_key(csr.get(), key.get());
  int ret = mbedtls_x509write_csr_set_subject_name(csr.get(), subject.c_str());
  if (ret != 0) return mbedtls_failure("setting the CSR subject", ret);

  std::array<unsigned char, 4096> pem{};
  ret = mbedtls_x509write_csr_pem(csr.get(), pem.data(), pem.size(), detail::Drbg::random, &drbg);
  if (ret != 0) return mbedtls_failure("writing the CSR", ret);
  return std::string(reinterpret_cast<const char*>(pem.data()));
}

}  // namespace

Expected<std::string> make_csr(std::string_view private_key_pem, std::string_view common_name) {
  if (common_name.empty() || common_name.find_first_of(",=+\\\"<>;") != std::string_view::npos) {
    return make_error(
        ErrorCode::invalid_argument,
        "a CSR common name must be non-empty plain text: '" + std::string(common_name) + "'");
  }
  return write_csr(private_key_pem, "CN=" + std::string(common_name));
}

Expected<std::string> make_unnamed_csr(std::string_view private_key_pem) {
  return write_csr(private_key_pem, std::string(kUnnamedCsrSubject));
}

}  // namespace civicbox::provisioning
