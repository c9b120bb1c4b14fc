#include "controller/certificate_facts.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <ctime>
#include <memory>
#include <optional>

#include "controller/encoding.hpp"

namespace civicbox::controller {

namespace {

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};
using Bio = std::unique_ptr<BIO, Deleter<BIO_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using X509Req = std::unique_ptr<X509_REQ, Deleter<X509_REQ_free>>;

// A failed OpenSSL call leaves its reason on the thread's error queue, where it would confuse
// the next TLS operation on this I/O thread: every reader leaves the queue empty.
struct ClearErrors {
  ClearErrors() = default;
  ClearErrors(const ClearErrors&) = delete;
  ClearErrors& operator=(const ClearErrors&) = delete;
  ~ClearErrors() { ERR_clear_error(); }
};

Bio memory_bio(std::string_view text) {
  return Bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// The subject's CN; nullopt when it has more than one, "" when it has none.
std::optional<std::string> common_name_of(const X509_NAME* name) {
  if (name == nullptr) return std::string();
  const int first = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (first < 0) return std::string();
  if (X509_NAME_get_index_by_NID(name, NID_commonName, first) >= 0) return std::nullopt;
  const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, first));
  unsigned char* utf8 = nullptr;
  const int length = ASN1_STRING_to_UTF8(&utf8, value);
  if (length < 0) return std::nullopt;
  std::string cn(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length));
  OPENSSL_free(utf8);
  return cn;
}

std::string key_fingerprint(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int length = i2d_PUBKEY(key, &der);
  if (length <= 0) return {};
  std::string fingerprint = sha256_hex(
      std::string_view(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length)));
  OPENSSL_free(der);
  return fingerprint;
}

Expected<std::int64_t> unix_ms(const ASN1_TIME* time) {
  std::tm tm{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) {
    return make_error(ErrorCode::parse, "a certificate time cannot be read");
  }
  return static_cast<std::int64_t>(timegm(&tm)) * 1000;
}

bool is_p256(EVP_PKEY* key) {
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) return false;
  char group[64] = {};
  std::size_t length = 0;
  if (EVP_PKEY_get_group_name(key, group, sizeof group, &length) != 1) return false;
  return OBJ_sn2nid(group) == NID_X9_62_prime256v1;
}

}  // namespace

Expected<CertificateFacts> read_certificate(x509_st* certificate) {
  ClearErrors clear;
  if (certificate == nullptr) return make_error(ErrorCode::parse, "no certificate");
  CertificateFacts facts;
  auto cn = common_name_of(X509_get_subject_name(certificate));
  if (!cn) return make_error(ErrorCode::parse, "the certificate's subject has more than one CN");
  facts.common_name = std::move(*cn);
  const ASN1_INTEGER* serial = X509_get0_serialNumber(certificate);
  if (serial == nullptr) return make_error(ErrorCode::parse, "the certificate has no serial");
  facts.serial_hex = hex(std::span(ASN1_STRING_get0_data(serial),
                                   static_cast<std::size_t>(ASN1_STRING_length(serial))));
  CIVICBOX_TRY(facts.not_before_ms, unix_ms(X509_get0_notBefore(certificate)));
  CIVICBOX_TRY(facts.not_after_ms, unix_ms(X509_get0_notAfter(certificate)));
  facts.key_sha256_hex = key_fingerprint(X509_get0_pubkey(certificate));
  if (facts.key_sha256_hex.empty()) {
    return make_error(ErrorCode::parse, "the certificate's public key cannot be read");
  }
  return facts;
}

Expected<CertificateFacts> read_certificate(std::string_view pem) {
  ClearErrors clear;
  Bio bio = memory_bio(pem);
  X509Ptr certificate(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!certificate) return make_error(ErrorCode::parse, "not a PEM certificate");
  return read_certificate(certificate.get());
}

Expected<CsrFacts> read_csr(std::string_view pem) {
  ClearErrors clear;
  Bio bio = memory_bio(pem);
  X509Req csr(bio ? PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!csr) return make_error(ErrorCode::parse, "not a PEM certificate signing request");
  EVP_PKEY* key = X509_REQ_get0_pubkey(csr.get());
  if (key == nullptr) return make_error(ErrorCode::parse, "the CSR's public key cannot be read");
  // The CSR is signed with its own key: a signature that verifies proves the sender holds it.
  if (X509_REQ_verify(csr.get(), key) != 1) {
    return make_error(ErrorCode::parse, "the CSR's signature does not verify");
  }
  if (!is_p256(key)) {
    return make_error(ErrorCode::invalid_argument,
                      "the CSR's key is not ECDSA P-256 (prime256v1), the only key a box makes");
  }
  auto cn = common_name_of(X509_REQ_get_subject_name(csr.get()));
  if (!cn) return make_error(ErrorCode::parse, "the CSR's subject has more than one CN");
  CsrFacts facts{std::move(*cn), key_fingerprint(key),
                 X509_NAME_entry_count(X509_REQ_get_subject_name(csr.get())) == 0};
  if (facts.key_sha256_hex.empty()) {
    return make_error(ErrorCode::parse, "the CSR's public key cannot be encoded");
  }
  return facts;
}

}  // namespace civicbox::controller
