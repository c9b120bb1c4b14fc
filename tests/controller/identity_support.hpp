// Keys, CSRs and certificate files for the identity tests. Good CSRs go the box's own way
// (provisioning/keys: mbedTLS, P-256); the bad ones (weak or foreign keys, no CN) are made with
// OpenSSL's C API, which makes any key a stranger might send.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "provisioning/keys.hpp"

namespace civicbox::testing {

// A P-256 key made like a box makes it, and a CSR for `cn` signed with it.
struct BoxKey {
  std::string key_pem;
  std::string csr(const std::string& cn) const { return *provisioning::make_csr(key_pem, cn); }
  static BoxKey make() { return {*provisioning::generate_private_key()}; }
};

// A CSR signed with a fresh key of the given OpenSSL kind: ("RSA", 1024), ("EC", "secp384r1")...
// An empty `cn` leaves the subject empty.
template <typename... Params>
std::string openssl_csr(const std::string& cn, const char* type, Params... params) {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, type, params...);
  if (key == nullptr) throw std::runtime_error("EVP_PKEY_Q_keygen failed");
  X509_REQ* req = X509_REQ_new();
  X509_REQ_set_version(req, 0);
  if (!cn.empty()) {
    X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  }
  X509_REQ_set_pubkey(req, key);
  if (X509_REQ_sign(req, key, EVP_sha256()) <= 0) throw std::runtime_error("X509_REQ_sign");
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509_REQ(bio, req);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(size));
  BIO_free(bio);
  X509_REQ_free(req);
  EVP_PKEY_free(key);
  return pem;
}

// A P-256 CSR without a CN, with its key (PEM), made by OpenSSL: the subject holds only
// O=`organisation`, or nothing at all when that is empty.
inline std::pair<std::string, std::string> openssl_p256_without_cn(
    const std::string& organisation) {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "prime256v1");
  X509_REQ* req = X509_REQ_new();
  X509_REQ_set_version(req, 0);
  if (!organisation.empty()) {
    X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "O", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(organisation.c_str()), -1, -1,
                               0);
  }
  X509_REQ_set_pubkey(req, key);
  X509_REQ_sign(req, key, EVP_sha256());
  auto pem_of = [](auto write) {
    BIO* bio = BIO_new(BIO_s_mem());
    write(bio);
    char* data = nullptr;
    long size = BIO_get_mem_data(bio, &data);
    std::string text(data, static_cast<std::size_t>(size));
    BIO_free(bio);
    return text;
  };
  std::string csr = pem_of([&](BIO* b) { PEM_write_bio_X509_REQ(b, req); });
  std::string key_pem = pem_of(
      [&](BIO* b) { PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr); });
  X509_REQ_free(req);
  EVP_PKEY_free(key);
  return {csr, key_pem};
}

// The same CSR with one character of its signature changed: well-formed, but forged.
inline std::string forged(std::string csr_pem) {
  const auto end = csr_pem.find("-----END");
  std::size_t at = end - 10;  // inside the last base64 line: the signature's bytes
  while (csr_pem[at] == '\n' || csr_pem[at] == '=') --at;
  csr_pem[at] = csr_pem[at] == 'A' ? 'B' : 'A';
  return csr_pem;
}

inline void write_text(const std::filesystem::path& file, const std::string& text) {
  std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
}

}  // namespace civicbox::testing
