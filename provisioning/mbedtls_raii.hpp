// Internal to provisioning: owning wrappers over the mbedTLS contexts this module uses, so
// every early return frees what it set up, and the one place that turns an mbedTLS return code
// into an Error carrying mbedtls_strerror's text.
#pragma once

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/x509_csr.h>

#include <string>
#include <string_view>

#include "common/error.hpp"

namespace civicbox::provisioning::detail {

// "what: mbedTLS -0x3D00 (PK - Invalid key tag or value)" as ErrorCode::crypto.
Error mbedtls_failure(std::string_view what, int ret);

// A CTR_DRBG seeded from the platform entropy source. Not copyable: mbedTLS keeps pointers.
class Drbg {
 public:
  Drbg();
  ~Drbg();
  Drbg(const Drbg&) = delete;
  Drbg& operator=(const Drbg&) = delete;

  // Seeds the generator; call once before use.
  Expected<void> seed();
  // For the f_rng/p_rng pairs of the mbedTLS API.
  static int random(void* self, unsigned char* out, std::size_t len);
  Expected<void> fill(unsigned char* out, std::size_t len);

 private:
  mbedtls_entropy_context entropy_;
  mbedtls_ctr_drbg_context drbg_;
};

template <typename T, void (*Init)(T*), void (*Free)(T*)>
class Owned {
 public:
  Owned() { Init(&value_); }
  ~Owned() { Free(&value_); }
  Owned(const Owned&) = delete;
  Owned& operator=(const Owned&) = delete;
  T* get() { return &value_; }
  const T* get() const { return &value_; }
  T* operator->() { return &value_; }

 private:
  T value_;
};

using PkContext = Owned<mbedtls_pk_context, mbedtls_pk_init, mbedtls_pk_free>;
using X509Crt = Owned<mbedtls_x509_crt, mbedtls_x509_crt_init, mbedtls_x509_crt_free>;
using X509Csr = Owned<mbedtls_x509_csr, mbedtls_x509_csr_init, mbedtls_x509_csr_free>;
using CrtWriter =
    Owned<mbedtls_x509write_cert, mbedtls_x509write_crt_init, mbedtls_x509write_crt_free>;
using CsrWriter =
    Owned<mbedtls_x509write_csr, mbedtls_x509write_csr_init, mbedtls_x509write_csr_free>;
using Mpi = Owned<mbedtls_mpi, mbedtls_mpi_init, mbedtls_mpi_free>;

// Parses a PEM private key (mbedTLS wants the terminating NUL counted in the length).
Expected<void> parse_private_key(PkContext& key, std::string_view pem);
// Parses one or more PEM certificates into a chain.
Expected<void> parse_certificate(X509Crt& crt, std::string_view pem);

}  // namespace civicbox::provisioning::detail
