#include "provisioning/certificate_check.hpp"

#include <mbedtls/oid.h>
#include <mbedtls/platform_util.h>

#include <array>
#include <cctype>
#include <ctime>
#include <vector>

#include "common/atomic_file.hpp"
#include "provisioning/mbedtls_raii.hpp"

namespace civicbox::provisioning {

namespace {

using detail::mbedtls_failure;

constexpr std::uint32_t kTimeFlags = MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE;

Error crypto_error(std::string message) {
  return make_error(ErrorCode::crypto, std::move(message));
}

std::int64_t unix_ms(const mbedtls_x509_time& t) {
  std::tm tm{};
  tm.tm_year = t.year - 1900;
  tm.tm_mon = t.mon - 1;
  tm.tm_mday = t.day;
  tm.tm_hour = t.hour;
  tm.tm_min = t.min;
  tm.tm_sec = t.sec;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000;
}

std::string hex(const unsigned char* data, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < size; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 0x0F];
  }
  return out;
}

// Lowercase, without leading zeros ("" for zero): two spellings of one serial compare equal.
std::string normal_serial(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (out.empty() && c == '0') continue;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

Expected<std::string> public_key_der(mbedtls_pk_context* pk) {
  std::array<unsigned char, 512> buf{};
  int len = mbedtls_pk_write_pubkey_der(pk, buf.data(), buf.size());
  if (len < 0) return mbedtls_failure("writing a public key", len);
  // mbedTLS writes DER at the end of the buffer.
  return std::string(reinterpret_cast<const char*>(buf.data() + buf.size() - len),
                     static_cast<std::size_t>(len));
}

Expected<void> parse_csr(detail::X509Csr& csr, std::string_view csr_pem) {
  std::string text(csr_pem);
  int ret = mbedtls_x509_csr_parse(csr.get(), reinterpret_cast<const unsigned char*>(text.c_str()),
                                   text.size() + 1);
  if (ret != 0) return mbedtls_failure("parsing a CSR", ret);
  return {};
}

std::string common_name_of(const mbedtls_x509_name* subject) {
  const mbedtls_asn1_named_data* cn =
      mbedtls_asn1_find_named_data(const_cast<mbedtls_x509_name*>(subject), MBEDTLS_OID_AT_CN,
                                   MBEDTLS_OID_SIZE(MBEDTLS_OID_AT_CN));
  if (cn == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(cn->val.p), cn->val.len);
}

std::string verify_reason(std::uint32_t flags) {
  std::array<char, 512> text{};
  int n = mbedtls_x509_crt_verify_info(text.data(), text.size(), "", flags);
  std::string out = n > 0 ? std::string(text.data()) : "unknown reason";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  for (auto& c : out) {
    if (c == '\n') c = ';';
  }
  return out;
}

// Verifies `chain` (leaf first, then intermediates) against `anchors`, dates aside.
Expected<void> verify(detail::X509Crt& chain, detail::X509Crt& anchors, std::string_view what) {
  std::uint32_t flags = 0;
  int ret = mbedtls_x509_crt_verify(chain.get(), anchors.get(), nullptr, nullptr, &flags, nullptr,
                                    nullptr);
  if (ret == 0 || (flags != 0 && (flags & ~kTimeFlags) == 0)) return {};
  if (flags == 0) return mbedtls_failure(std::string(what), ret);
  return crypto_error(std::string(what) + ": " + verify_reason(flags));
}

bool same_der(const mbedtls_x509_crt* a, const mbedtls_x509_crt* b) {
  return a->raw.len == b->raw.len && std::equal(a->raw.p, a->raw.p + a->raw.len, b->raw.p);
}

bool contains(const detail::X509Crt& list, const mbedtls_x509_crt* crt) {
  for (const mbedtls_x509_crt* c = list.get(); c != nullptr && c->raw.p != nullptr; c = c->next) {
    if (same_der(c, crt)) return true;
  }
  return false;
}

}  // namespace

Expected<CertificateFacts> read_certificate_facts(std::string_view cert_pem) {
  detail::X509Crt crt;
  CIVICBOX_CHECK(detail::parse_certificate(crt, cert_pem));
  CertificateFacts facts;
  facts.common_name = common_name_of(&crt->subject);
  facts.serial_hex = normal_serial(hex(crt->serial.p, crt->serial.len));
  facts.not_before_ms = unix_ms(crt->valid_from);
  facts.not_after_ms = unix_ms(crt->valid_to);
  facts.is_ca = crt->ca_istrue != 0;
  return facts;
}

Expected<std::string> csr_public_key(std::string_view csr_pem) {
  detail::X509Csr csr;
  CIVICBOX_CHECK(parse_csr(csr, csr_pem));
  return public_key_der(&csr->pk);
}

Expected<std::string> certificate_public_key(std::string_view cert_pem) {
  detail::X509Crt crt;
  CIVICBOX_CHECK(detail::parse_certificate(crt, cert_pem));
  return public_key_der(&crt->pk);
}

Expected<std::string> csr_requested_name(std::string_view csr_pem) {
  detail::X509Csr csr;
  CIVICBOX_CHECK(parse_csr(csr, csr_pem));
  return common_name_of(&csr->subject);
}

namespace {

// The private key in `key_file`, parsed; the PEM text is wiped once parsed.
Expected<void> load_key_file(detail::PkContext& key, const std::filesystem::path& key_file) {
  CIVICBOX_TRY(std::string key_pem, read_text_file(key_file));
  auto parsed = detail::parse_private_key(key, key_pem);
  mbedtls_platform_zeroize(key_pem.data(), key_pem.size());
  if (!parsed) return parsed.error().context(key_file.string());
  return {};
}

}  // namespace

Expected<void> check_key_file_matches(const std::filesystem::path& key_file,
                                      std::string_view cert_pem) {
  detail::X509Crt crt;
  CIVICBOX_CHECK(detail::parse_certificate(crt, cert_pem));
  detail::PkContext key;
  CIVICBOX_CHECK(load_key_file(key, key_file));
  if (mbedtls_pk_check_pair(&crt->pk, key.get()) != 0) {
    return crypto_error("the key " + key_file.string() + " does not match the certificate");
  }
  return {};
}

Expected<void> check_key_file_matches_csr(const std::filesystem::path& key_file,
                                          std::string_view csr_pem) {
  detail::X509Csr csr;
  CIVICBOX_CHECK(parse_csr(csr, csr_pem));
  detail::PkContext key;
  CIVICBOX_CHECK(load_key_file(key, key_file));
  if (mbedtls_pk_check_pair(&csr->pk, key.get()) != 0) {
    return crypto_error("the key " + key_file.string() + " does not match the CSR");
  }
  return {};
}

Expected<void> check_chains_to(std::string_view cert_pem, std::string_view ca_pem) {
  detail::X509Crt chain;
  CIVICBOX_CHECK(detail::parse_certificate(chain, cert_pem));
  detail::X509Crt anchors;
  CIVICBOX_CHECK(detail::parse_certificate(anchors, ca_pem));
  return verify(chain, anchors, "the certificate does not chain to its CA");
}

Expected<std::string> check_ca_chain_is_trusted(std::string_view chain_pem,
                                                std::string_view trusted_pem) {
  detail::X509Crt chain;
  if (auto parsed = detail::parse_certificate(chain, chain_pem); !parsed) {
    return parsed.error().context("the CA chain");
  }
  detail::X509Crt trusted;
  if (auto parsed = detail::parse_certificate(trusted, trusted_pem); !parsed) {
    return parsed.error().context("the trusted fleet CA");
  }
  int index = 0;
  for (const mbedtls_x509_crt* c = chain.get(); c != nullptr; c = c->next, ++index) {
    if (contains(trusted, c)) continue;
    if (c->ca_istrue == 0) {
      return crypto_error("certificate " + std::to_string(index) + " of the CA chain is not a CA");
    }
    // Not one of ours: it must be signed through the trusted CA (an intermediate), with the
    // chain's other certificates as possible intermediates.
    detail::X509Crt candidate;
    int ret = mbedtls_x509_crt_parse_der(candidate.get(), c->raw.p, c->raw.len);
    for (const mbedtls_x509_crt* o = chain.get(); ret == 0 && o != nullptr; o = o->next) {
      if (o != c) ret = mbedtls_x509_crt_parse_der(candidate.get(), o->raw.p, o->raw.len);
    }
    if (ret != 0) return mbedtls_failure("copying the CA chain", ret);
    if (auto ok = verify(candidate, trusted,
                         "the CA chain is not the fleet CA this box trusts (certificate " +
                             std::to_string(index) + ", CN=" + common_name_of(&c->subject) + ")");
        !ok) {
      return ok.error();
    }
  }
  bool all_trusted_included = true;
  for (const mbedtls_x509_crt* t = trusted.get(); t != nullptr; t = t->next) {
    if (!contains(chain, t)) all_trusted_included = false;
  }
  std::string kept(chain_pem);
  if (!all_trusted_included) {
    if (!kept.empty() && kept.back() != '\n') kept += '\n';
    kept += trusted_pem;
  }
  return kept;
}

Expected<std::string> check_issued_certificate(const wire::CertificateIssued& issued,
                                               std::string_view csr_pem, std::string_view device_id,
                                               std::string_view trusted_pem) {
  detail::X509Crt crt;
  if (auto parsed = detail::parse_certificate(crt, issued.certificate_pem); !parsed) {
    return parsed.error().context("the issued certificate");
  }
  CIVICBOX_TRY(std::string ours, csr_public_key(csr_pem));
  CIVICBOX_TRY(std::string theirs, public_key_der(&crt->pk));
  if (ours != theirs) {
    return crypto_error("the issued certificate is for another key than this box's");
  }
  std::string cn = common_name_of(&crt->subject);
  if (cn != device_id) {
    return crypto_error("the issued certificate names CN=" + cn + ", not this box (" +
                        std::string(device_id) + ")");
  }
  if (crt->ca_istrue != 0) return crypto_error("the issued certificate is a CA certificate");
  if (mbedtls_x509_crt_check_extended_key_usage(crt.get(), MBEDTLS_OID_CLIENT_AUTH,
                                                MBEDTLS_OID_SIZE(MBEDTLS_OID_CLIENT_AUTH)) != 0) {
    return crypto_error("the issued certificate is not for TLS clients (extendedKeyUsage)");
  }
  CIVICBOX_TRY(std::string kept, check_ca_chain_is_trusted(issued.ca_chain_pem, trusted_pem));
  if (auto chained = check_chains_to(issued.certificate_pem, issued.ca_chain_pem); !chained) {
    return chained.error().context("the issued certificate");
  }
  CIVICBOX_TRY(auto facts, read_certificate_facts(issued.certificate_pem));
  if (facts.serial_hex != normal_serial(issued.serial_hex)) {
    return crypto_error("the controller states serial " + issued.serial_hex +
                        " but the certificate's is " + facts.serial_hex);
  }
  // X.509 times have whole seconds.
  auto close = [](std::int64_t a, std::int64_t b) { return a - b < 1000 && b - a < 1000; };
  if (!close(facts.not_before_ms, issued.not_before_ms) ||
      !close(facts.not_after_ms, issued.not_after_ms)) {
    return crypto_error("the validity the controller states is not the certificate's own");
  }
  return kept;
}

}  // namespace civicbox::provisioning
