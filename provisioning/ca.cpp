#include "provisioning/ca.hpp"

#include <mbedtls/asn1write.h>
#include <mbedtls/md.h>
#include <mbedtls/oid.h>

#include <ctime>
#include <utility>

#include "provisioning/mbedtls_raii.hpp"

namespace civicbox::provisioning {

namespace {

using detail::mbedtls_failure;

constexpr std::size_t kSerialBytes = 16;
constexpr std::size_t kPemCapacity = 4096;

Expected<void> check_common_name(std::string_view cn) {
  if (cn.empty() || cn.size() > 64 || cn.find_first_of(",=+\\\"<>;") != std::string_view::npos) {
    return make_error(
        ErrorCode::invalid_argument,
        "a certificate common name is 1..64 characters of plain text: '" + std::string(cn) + "'");
  }
  return {};
}

// "YYYYMMDDhhmmss" in UTC, the form mbedtls_x509write_crt_set_validity wants.
Expected<std::string> x509_time(std::chrono::system_clock::time_point t) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm utc{};
  if (gmtime_r(&seconds, &utc) == nullptr || utc.tm_year + 1900 < 1950 ||
      utc.tm_year + 1900 > 9999) {
    return make_error(ErrorCode::invalid_argument, "a certificate time is out of range");
  }
  char text[32];
  std::strftime(text, sizeof text, "%Y%m%d%H%M%S", &utc);
  return std::string(text);
}

// GeneralNames ::= SEQUENCE OF GeneralName, with dNSName [2] IA5String and iPAddress [7]
// OCTET STRING (RFC 5280 4.2.1.6). mbedTLS writes ASN.1 backwards, from the end of the buffer.
Expected<std::vector<unsigned char>> subject_alt_name(const CertProfile& profile) {
  std::size_t capacity = 16;
  for (const auto& name : profile.dns_names) capacity += name.size() + 8;
  capacity += profile.ipv4_addresses.size() * 8;
  std::vector<unsigned char> buf(capacity);
  unsigned char* start = buf.data();
  unsigned char* p = start + buf.size();
  std::size_t len = 0;
  auto add = [&len](int ret) -> Expected<void> {
    if (ret < 0) return mbedtls_failure("writing subjectAltName", ret);
    len += static_cast<std::size_t>(ret);
    return {};
  };
  for (auto it = profile.ipv4_addresses.rbegin(); it != profile.ipv4_addresses.rend(); ++it) {
    CIVICBOX_CHECK(add(mbedtls_asn1_write_raw_buffer(&p, start, it->data(), it->size())));
    CIVICBOX_CHECK(add(mbedtls_asn1_write_len(&p, start, it->size())));
    CIVICBOX_CHECK(add(mbedtls_asn1_write_tag(&p, start, MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7)));
  }
  for (auto it = profile.dns_names.rbegin(); it != profile.dns_names.rend(); ++it) {
    if (it->empty()) return make_error(ErrorCode::invalid_argument, "an empty DNS name");
    CIVICBOX_CHECK(add(mbedtls_asn1_write_tagged_string(
        &p, start, MBEDTLS_ASN1_CONTEXT_SPECIFIC | 2, it->data(), it->size())));
  }
  CIVICBOX_CHECK(add(mbedtls_asn1_write_len(&p, start, len)));
  CIVICBOX_CHECK(
      add(mbedtls_asn1_write_tag(&p, start, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)));
  return std::vector<unsigned char>(p, buf.data() + buf.size());
}

// ExtKeyUsageSyntax ::= SEQUENCE SIZE (1..MAX) OF KeyPurposeId (one purpose here).
Expected<std::vector<unsigned char>> extended_key_usage(std::string_view oid) {
  std::vector<unsigned char> buf(32);
  unsigned char* start = buf.data();
  unsigned char* p = start + buf.size();
  int oid_len = mbedtls_asn1_write_oid(&p, start, oid.data(), oid.size());
  if (oid_len < 0) return mbedtls_failure("writing extendedKeyUsage", oid_len);
  int ret = mbedtls_asn1_write_len(&p, start, static_cast<std::size_t>(oid_len));
  if (ret < 0) return mbedtls_failure("writing extendedKeyUsage", ret);
  ret = mbedtls_asn1_write_tag(&p, start, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE);
  if (ret < 0) return mbedtls_failure("writing extendedKeyUsage", ret);
  return std::vector<unsigned char>(p, buf.data() + buf.size());
}

Expected<void> set_random_serial(mbedtls_x509write_cert* crt, detail::Drbg& drbg) {
  unsigned char bytes[kSerialBytes];
  CIVICBOX_CHECK(drbg.fill(bytes, sizeof bytes));
  bytes[0] &= 0x7F;                 // a positive INTEGER in at most 16 octets
  bytes[kSerialBytes - 1] |= 0x01;  // and never zero
  detail::Mpi serial;
  int ret = mbedtls_mpi_read_binary(serial.get(), bytes, sizeof bytes);
  if (ret == 0) ret = mbedtls_x509write_crt_set_serial(crt, serial.get());
  if (ret != 0) return mbedtls_failure("setting the serial number", ret);
  return {};
}

Expected<void> set_role_extensions(mbedtls_x509write_cert* crt, const CertProfile& profile) {
  const bool is_ca = profile.role == CertRole::authority;
  int ret = mbedtls_x509write_crt_set_basic_constraints(crt, is_ca ? 1 : 0, is_ca ? 0 : -1);
  if (ret != 0) return mbedtls_failure("setting basicConstraints", ret);
  unsigned int usage = is_ca ? (MBEDTLS_X509_KU_KEY_CERT_SIGN | MBEDTLS_X509_KU_CRL_SIGN)
                             : MBEDTLS_X509_KU_DIGITAL_SIGNATURE;
  ret = mbedtls_x509write_crt_set_key_usage(crt, usage);
  if (ret != 0) return mbedtls_failure("setting keyUsage", ret);

  if (!is_ca) {
    std::string_view purpose =
        profile.role == CertRole::server
            ? std::string_view(MBEDTLS_OID_SERVER_AUTH, MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH))
            : std::string_view(MBEDTLS_OID_CLIENT_AUTH, MBEDTLS_OID_SIZE(MBEDTLS_OID_CLIENT_AUTH));
    CIVICBOX_TRY(auto eku, extended_key_usage(purpose));
    ret = mbedtls_x509write_crt_set_extension(crt, MBEDTLS_OID_EXTENDED_KEY_USAGE,
                                              MBEDTLS_OID_SIZE(MBEDTLS_OID_EXTENDED_KEY_USAGE), 0,
                                              eku.data(), eku.size());
    if (ret != 0) return mbedtls_failure("setting extendedKeyUsage", ret);
  }
  if (!profile.dns_names.empty() || !profile.ipv4_addresses.empty()) {
    CIVICBOX_TRY(auto san, subject_alt_name(profile));
    ret = mbedtls_x509write_crt_set_extension(crt, MBEDTLS_OID_SUBJECT_ALT_NAME,
                                              MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME), 0,
                                              san.data(), san.size());
    if (ret != 0) return mbedtls_failure("setting subjectAltName", ret);
  }
  return {};
}

// Writes a certificate for `subject_key`, signed by `issuer_key` under `issuer_name`.
Expected<std::string> write_certificate(mbedtls_pk_context* subject_key,
                                        mbedtls_pk_context* issuer_key,
                                        const std::string& issuer_name,
                                        const CertProfile& profile) {
  CIVICBOX_CHECK(check_common_name(profile.common_name));
  if (profile.not_after <= profile.not_before) {
    return make_error(ErrorCode::invalid_argument, "a certificate must end after it begins");
  }
  CIVICBOX_TRY(std::string not_before, x509_time(profile.not_before));
  CIVICBOX_TRY(std::string not_after, x509_time(profile.not_after));

  detail::Drbg drbg;
  CIVICBOX_CHECK(drbg.seed());
  detail::CrtWriter crt;
  mbedtls_x509write_crt_set_version(crt.get(), MBEDTLS_X509_CRT_VERSION_3);
  mbedtls_x509write_crt_set_md_alg(crt.get(), MBEDTLS_MD_SHA256);
  mbedtls_x509write_crt_set_subject_key(crt.get(), subject_key);
  mbedtls_x509write_crt_set_issuer_key(crt.get(), issuer_key);
  CIVICBOX_CHECK(set_random_serial(crt.get(), drbg));

  std::string subject = "CN=" + profile.common_name;
  int ret = mbedtls_x509write_crt_set_subject_name(crt.get(), subject.c_str());
  if (ret != 0) return mbedtls_failure("setting the subject name", ret);
  ret = mbedtls_x509write_crt_set_issuer_name(crt.get(), issuer_name.c_str());
  if (ret != 0) return mbedtls_failure("setting the issuer name", ret);
  ret = mbedtls_x509write_crt_set_validity(crt.get(), not_before.c_str(), not_after.c_str());
  if (ret != 0) return mbedtls_failure("setting the validity", ret);
  ret = mbedtls_x509write_crt_set_subject_key_identifier(crt.get());
  if (ret != 0) return mbedtls_failure("setting subjectKeyIdentifier", ret);
  ret = mbedtls_x509write_crt_set_authority_key_identifier(crt.get());
  if (ret != 0) return mbedtls_failure("setting authorityKeyIdentifier", ret);
  CIVICBOX_CHECK(set_role_extensions(crt.get(), profile));

  std::vector<unsigned char> pem(kPemCapacity);
  ret = mbedtls_x509write_crt_pem(crt.get(), pem.data(), pem.size(), detail::Drbg::random, &drbg);
  if (ret != 0) return mbedtls_failure("signing the certificate", ret);
  return std::string(reinterpret_cast<const char*>(pem.data()));
}

Expected<void> check_p256(const mbedtls_pk_context& key, std::string_view what) {
  if (mbedtls_pk_get_type(&key) != MBEDTLS_PK_ECKEY ||
      mbedtls_pk_ec(key)->grp.id != MBEDTLS_ECP_DP_SECP256R1) {
    return make_error(ErrorCode::crypto, std::string(what) + " is not an ECDSA P-256 key");
  }
  return {};
}

Expected<void> parse_csr(detail::X509Csr& csr, std::string_view csr_pem) {
  std::string text(csr_pem);
  int ret = mbedtls_x509_csr_parse(csr.get(), reinterpret_cast<const unsigned char*>(text.c_str()),
                                   text.size() + 1);
  if (ret != 0) {
    Error error = mbedtls_failure("parsing the CSR", ret);
    error.code = ErrorCode::parse;
    return error;
  }
  return {};
}

// A CSR is signed by its own key: checking that signature proves the requester holds it.
Expected<void> verify_csr_signature(detail::X509Csr& csr) {
  const mbedtls_md_info_t* md = mbedtls_md_info_from_type(csr->sig_md);
  if (md == nullptr) return make_error(ErrorCode::crypto, "the CSR uses an unknown digest");
  unsigned char hash[MBEDTLS_MD_MAX_SIZE];
  int ret = mbedtls_md(md, csr->cri.p, csr->cri.len, hash);
  if (ret != 0) return mbedtls_failure("hashing the CSR", ret);
  ret = mbedtls_pk_verify_ext(csr->sig_pk, csr->sig_opts, &csr->pk, csr->sig_md, hash,
                              mbedtls_md_get_size(md), csr->sig.p, csr->sig.len);
  if (ret != 0) return mbedtls_failure("the CSR's signature does not verify", ret);
  return {};
}

std::string subject_common_name(mbedtls_asn1_named_data* subject) {
  const mbedtls_asn1_named_data* cn =
      mbedtls_asn1_find_named_data(subject, MBEDTLS_OID_AT_CN, MBEDTLS_OID_SIZE(MBEDTLS_OID_AT_CN));
  if (cn == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(cn->val.p), cn->val.len);
}

}  // namespace

Expected<std::string> self_sign_ca(std::string_view key_pem, const CertProfile& profile) {
  if (profile.role != CertRole::authority) {
    return make_error(ErrorCode::invalid_argument, "a self-signed certificate must be a CA");
  }
  detail::PkContext key;
  CIVICBOX_CHECK(detail::parse_private_key(key, key_pem));
  CIVICBOX_CHECK(check_p256(*key.get(), "the CA key"));
  return write_certificate(key.get(), key.get(), "CN=" + profile.common_name, profile);
}

Expected<void> check_ca(const CaCredentials& ca) {
  detail::X509Crt crt;
  CIVICBOX_CHECK(detail::parse_certificate(crt, ca.cert_pem));
  detail::PkContext key;
  CIVICBOX_CHECK(detail::parse_private_key(key, ca.key_pem));
  if (crt->ca_istrue == 0) {
    return make_error(ErrorCode::crypto, "the CA certificate is not a CA (basicConstraints)");
  }
  int ret = mbedtls_pk_check_pair(&crt->pk, key.get());
  if (ret != 0) return mbedtls_failure("the CA key does not match the CA certificate", ret);
  return {};
}

Expected<std::string> csr_common_name(std::string_view csr_pem) {
  detail::X509Csr csr;
  CIVICBOX_CHECK(parse_csr(csr, csr_pem));
  std::string cn = subject_common_name(&csr->subject);
  if (cn.empty()) return make_error(ErrorCode::parse, "the CSR's subject has no CN");
  return cn;
}

Expected<std::string> sign_csr(const CaCredentials& ca, std::string_view csr_pem,
                               const CertProfile& profile) {
  if (profile.role == CertRole::authority) {
    return make_error(ErrorCode::invalid_argument, "the dev CA does not sign other CAs");
  }
  detail::X509Crt ca_crt;
  CIVICBOX_CHECK(detail::parse_certificate(ca_crt, ca.cert_pem));
  detail::PkContext ca_key;
  CIVICBOX_CHECK(detail::parse_private_key(ca_key, ca.key_pem));
  int ret = mbedtls_pk_check_pair(&ca_crt->pk, ca_key.get());
  if (ret != 0) return mbedtls_failure("the CA key does not match the CA certificate", ret);

  detail::X509Csr csr;
  CIVICBOX_CHECK(parse_csr(csr, csr_pem));
  CIVICBOX_CHECK(check_p256(csr->pk, "the CSR's key"));
  CIVICBOX_CHECK(verify_csr_signature(csr));
  std::string requested = subject_common_name(&csr->subject);
  if (!requested.empty() && requested != profile.common_name) {
    return make_error(ErrorCode::conflict, "the CSR asks for CN=" + requested +
                                               " but the CA issues CN=" + profile.common_name);
  }

  char issuer[512];
  ret = mbedtls_x509_dn_gets(issuer, sizeof issuer, &ca_crt->subject);
  if (ret < 0) return mbedtls_failure("reading the CA's subject name", ret);
  CIVICBOX_TRY(std::string pem, write_certificate(&csr->pk, ca_key.get(), issuer, profile));

  // The issuer name went through text: make sure the result really chains to this CA. Only
  // the time may be off (profiles for tests make certificates that are already expired).
  detail::X509Crt issued;
  CIVICBOX_CHECK(detail::parse_certificate(issued, pem));
  std::uint32_t flags = 0;
  ret = mbedtls_x509_crt_verify(issued.get(), ca_crt.get(), nullptr, nullptr, &flags, nullptr,
                                nullptr);
  const std::uint32_t time_flags = MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE;
  if (ret != 0 && (flags & ~time_flags) != 0) {
    return make_error(ErrorCode::internal, "the issued certificate does not chain to the CA");
  }
  return pem;
}

}  // namespace civicbox::provisioning
