// The dev PKI must produce certificates that both TLS stacks we ship accept (mbedTLS on a box,
// OpenSSL in the controller and in curl), that name what the controller relies on (the device
// id as CN, 127.0.0.1 for the controller), and that nothing from another CA gets through.
#include <gtest/gtest.h>
#include <mbedtls/asn1.h>
#include <mbedtls/oid.h>
#include <mbedtls/x509_crt.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "common/ids.hpp"
#include "provisioning/ca.hpp"
#include "provisioning/dev_pki.hpp"
#include "provisioning/keys.hpp"
#include "tests/support/temp_dir.hpp"

namespace civicbox::provisioning {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

DeviceId device_id(std::string_view text) {
  return *DeviceId::parse(text);
}

// --- mbedTLS side -------------------------------------------------------------------------

struct MbedCrt {
  mbedtls_x509_crt crt;
  explicit MbedCrt(const fs::path& path) {
    mbedtls_x509_crt_init(&crt);
    EXPECT_EQ(mbedtls_x509_crt_parse_file(&crt, path.c_str()), 0) << path;
  }
  ~MbedCrt() { mbedtls_x509_crt_free(&crt); }
  MbedCrt(const MbedCrt&) = delete;
  MbedCrt& operator=(const MbedCrt&) = delete;
};

// The mbedTLS verification flags of `cert` against `ca` (0 = valid).
std::uint32_t mbedtls_verify(const fs::path& cert, const fs::path& ca,
                             const char* expected_name = nullptr) {
  MbedCrt leaf(cert);
  MbedCrt root(ca);
  std::uint32_t flags = 0;
  int ret = mbedtls_x509_crt_verify(&leaf.crt, &root.crt, nullptr, expected_name, &flags, nullptr,
                                    nullptr);
  if (ret == 0) {
    EXPECT_EQ(flags, 0u);
  }
  return ret == 0 ? 0u : (flags != 0 ? flags : 0xFFFFFFFFu);
}

// --- OpenSSL side -------------------------------------------------------------------------

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

X509Ptr openssl_load(const fs::path& path) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(path.c_str(), "r"), BIO_free);
  if (!bio) return nullptr;
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

// X509_verify_cert of `cert` against `ca` for the given purpose; returns the OpenSSL error.
int openssl_verify(const fs::path& cert, const fs::path& ca, int purpose) {
  X509Ptr leaf = openssl_load(cert);
  X509Ptr root = openssl_load(ca);
  EXPECT_TRUE(leaf && root);
  if (!leaf || !root) return -1;
  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), X509_STORE_free);
  X509_STORE_add_cert(store.get(), root.get());
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> ctx(X509_STORE_CTX_new(),
                                                                      X509_STORE_CTX_free);
  X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), nullptr);
  X509_STORE_CTX_set_purpose(ctx.get(), purpose);
  int ok = X509_verify_cert(ctx.get());
  int error = X509_STORE_CTX_get_error(ctx.get());
  EXPECT_EQ(ok == 1, error == X509_V_OK);
  return error;
}

std::string common_name(X509* cert) {
  char text[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, text, sizeof text);
  return text;
}

// Seconds from `a` to `b`.
long long seconds_between(const ASN1_TIME* a, const ASN1_TIME* b) {
  int days = 0;
  int seconds = 0;
  EXPECT_EQ(ASN1_TIME_diff(&days, &seconds, a, b), 1);
  return static_cast<long long>(days) * 86400 + seconds;
}

struct Handshake {
  bool ok = false;
  std::string peer_cn;  // the client's CN as the server saw it
  std::string error;
};

// A mutual-TLS handshake in process over an OpenSSL BIO pair: the server is set up like the
// controller (its certificate, client certificates required from `client_ca`), the client like
// a box (its certificate, the server checked against `server_ca` for IP 127.0.0.1).
Handshake tls_handshake(const DevPkiPaths& server, const fs::path& client_ca,
                        const fs::path& client_cert, const fs::path& client_key,
                        const fs::path& server_ca) {
  using CtxPtr = std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)>;
  using SslPtr = std::unique_ptr<SSL, decltype(&SSL_free)>;
  Handshake result;
  ERR_clear_error();

  CtxPtr server_ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  EXPECT_EQ(SSL_CTX_use_certificate_file(server_ctx.get(), server.controller_cert().c_str(),
                                         SSL_FILETYPE_PEM),
            1);
  EXPECT_EQ(SSL_CTX_use_PrivateKey_file(server_ctx.get(), server.controller_key().c_str(),
                                        SSL_FILETYPE_PEM),
            1);
  EXPECT_EQ(SSL_CTX_check_private_key(server_ctx.get()), 1);
  EXPECT_EQ(SSL_CTX_load_verify_locations(server_ctx.get(), client_ca.c_str(), nullptr), 1);
  SSL_CTX_set_verify(server_ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);

  CtxPtr client_ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  EXPECT_EQ(SSL_CTX_use_certificate_file(client_ctx.get(), client_cert.c_str(), SSL_FILETYPE_PEM),
            1);
  EXPECT_EQ(SSL_CTX_use_PrivateKey_file(client_ctx.get(), client_key.c_str(), SSL_FILETYPE_PEM), 1);
  EXPECT_EQ(SSL_CTX_load_verify_locations(client_ctx.get(), server_ca.c_str(), nullptr), 1);
  SSL_CTX_set_verify(client_ctx.get(), SSL_VERIFY_PEER, nullptr);

  SslPtr server_ssl(SSL_new(server_ctx.get()), SSL_free);
  SslPtr client_ssl(SSL_new(client_ctx.get()), SSL_free);
  X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(client_ssl.get()), "127.0.0.1");
  BIO* server_bio = nullptr;
  BIO* client_bio = nullptr;
  EXPECT_EQ(BIO_new_bio_pair(&server_bio, 0, &client_bio, 0), 1);
  SSL_set_bio(server_ssl.get(), server_bio, server_bio);
  SSL_set_bio(client_ssl.get(), client_bio, client_bio);
  SSL_set_accept_state(server_ssl.get());
  SSL_set_connect_state(client_ssl.get());

  auto step = [&result](SSL* ssl, bool& done, const char* side) {
    if (done) return true;
    int ret = SSL_do_handshake(ssl);
    if (ret == 1) {
      done = true;
      return true;
    }
    int error = SSL_get_error(ssl, ret);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) return true;
    char text[256] = {};
    ERR_error_string_n(ERR_get_error(), text, sizeof text);
    result.error = std::string(side) + ": " + text;
    return false;
  };
  bool server_done = false;
  bool client_done = false;
  for (int round = 0; round < 50 && !(server_done && client_done); ++round) {
    if (!step(client_ssl.get(), client_done, "client")) return result;
    if (!step(server_ssl.get(), server_done, "server")) return result;
  }
  if (!(server_done && client_done)) {
    result.error = "the handshake did not finish";
    return result;
  }
  // TLS 1.3 lets the client finish before the server has judged its certificate: only data
  // that reaches the server proves the server accepted it.
  const char ping[] = "ping";
  if (SSL_write(client_ssl.get(), ping, sizeof ping) != static_cast<int>(sizeof ping)) {
    result.error = "client write failed";
    return result;
  }
  char received[sizeof ping] = {};
  if (SSL_read(server_ssl.get(), received, sizeof received) != static_cast<int>(sizeof ping) ||
      std::string(received) != "ping") {
    char text[256] = {};
    ERR_error_string_n(ERR_get_error(), text, sizeof text);
    result.error = std::string("server read failed: ") + text;
    return result;
  }
  if (SSL_get_verify_result(server_ssl.get()) != X509_V_OK) {
    result.error = "server did not verify the client";
    return result;
  }
  X509* peer = SSL_get0_peer_certificate(server_ssl.get());
  if (peer != nullptr) result.peer_cn = common_name(peer);
  result.ok = true;
  return result;
}

// --- fixture ------------------------------------------------------------------------------

// Every test gets its own folder; several PKIs can live side by side in it.
class PkiFolder : public ::testing::Test {
 protected:
  // A fresh dev PKI with one device certificate.
  DevPkiPaths make_pki(const std::string& name, const DeviceId& id) {
    DevPkiPaths paths{root_.path() / name};
    auto init = init_dev_pki(paths.dir);
    EXPECT_TRUE(init) << (init ? "" : init.error().describe());
    auto issued = issue_device_cert(paths.dir, id);
    EXPECT_TRUE(issued) << (issued ? "" : issued.error().describe());
    return paths;
  }

  testing::TempDir root_;
  DeviceId box_ = device_id("box-0001");
};

// Suite names follow the tests' module_topic convention (what `ctest -R provisioning` selects).
class provisioning_dev_pki : public PkiFolder {};  // NOLINT(readability-identifier-naming)
class provisioning_mtls : public PkiFolder {};     // NOLINT(readability-identifier-naming)
class provisioning_ca : public PkiFolder {};       // NOLINT(readability-identifier-naming)

TEST_F(provisioning_dev_pki, CaIsASelfSignedCaThatMayOnlySignCertificates) {
  DevPkiPaths pki = make_pki("pki", box_);
  EXPECT_EQ(mbedtls_verify(pki.ca_cert(), pki.ca_cert()), 0u);
  MbedCrt ca(pki.ca_cert());
  EXPECT_EQ(ca.crt.ca_istrue, 1);
  EXPECT_EQ(mbedtls_x509_crt_check_key_usage(
                &ca.crt, MBEDTLS_X509_KU_KEY_CERT_SIGN | MBEDTLS_X509_KU_CRL_SIGN),
            0);

  X509Ptr cert = openssl_load(pki.ca_cert());
  ASSERT_TRUE(cert);
  EXPECT_EQ(common_name(cert.get()), "civicbox dev fleet CA");
  EXPECT_EQ(X509_check_ca(cert.get()), 1);
  long long lifetime =
      seconds_between(X509_get0_notBefore(cert.get()), X509_get0_notAfter(cert.get()));
  EXPECT_NEAR(static_cast<double>(lifetime), 3650.0 * 86400, 3600);
  EXPECT_EQ(openssl_verify(pki.ca_cert(), pki.ca_cert(), X509_PURPOSE_ANY), X509_V_OK);
}

TEST_F(provisioning_dev_pki, ControllerCertChainsToTheCaAndNamesLocalhostAnd127001) {
  DevPkiPaths pki = make_pki("pki", box_);
  EXPECT_EQ(mbedtls_verify(pki.controller_cert(), pki.ca_cert(), "localhost"), 0u);

  MbedCrt controller(pki.controller_cert());
  bool has_ip = false;
  for (const mbedtls_x509_sequence* san = &controller.crt.subject_alt_names; san != nullptr;
       san = san->next) {
    const unsigned char loopback[] = {127, 0, 0, 1};
    if (san->buf.tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7) && san->buf.len == 4 &&
        std::memcmp(san->buf.p, loopback, 4) == 0) {
      has_ip = true;
    }
  }
  EXPECT_TRUE(has_ip) << "subjectAltName has no IP:127.0.0.1";
  EXPECT_EQ(mbedtls_x509_crt_check_extended_key_usage(&controller.crt, MBEDTLS_OID_SERVER_AUTH,
                                                      MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH)),
            0);

  X509Ptr cert = openssl_load(pki.controller_cert());
  ASSERT_TRUE(cert);
  EXPECT_EQ(common_name(cert.get()), "civicbox-controller");
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_host(cert.get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_purpose(cert.get(), X509_PURPOSE_SSL_SERVER, 0), 1);
  EXPECT_EQ(X509_check_purpose(cert.get(), X509_PURPOSE_SSL_CLIENT, 0), 0);
  EXPECT_EQ(openssl_verify(pki.controller_cert(), pki.ca_cert(), X509_PURPOSE_SSL_SERVER),
            X509_V_OK);
}

TEST_F(provisioning_dev_pki, DeviceCertChainsToTheCaAndItsCnIsTheDeviceId) {
  DevPkiPaths pki = make_pki("pki", box_);
  EXPECT_EQ(mbedtls_verify(pki.device_cert(box_), pki.ca_cert(), "box-0001"), 0u);
  MbedCrt device(pki.device_cert(box_));
  EXPECT_EQ(mbedtls_x509_crt_check_extended_key_usage(&device.crt, MBEDTLS_OID_CLIENT_AUTH,
                                                      MBEDTLS_OID_SIZE(MBEDTLS_OID_CLIENT_AUTH)),
            0);
  EXPECT_EQ(device.crt.ca_istrue, 0);

  X509Ptr cert = openssl_load(pki.device_cert(box_));
  ASSERT_TRUE(cert);
  EXPECT_EQ(common_name(cert.get()), box_.str());
  EXPECT_EQ(X509_check_purpose(cert.get(), X509_PURPOSE_SSL_CLIENT, 0), 1);
  EXPECT_EQ(X509_check_purpose(cert.get(), X509_PURPOSE_SSL_SERVER, 0), 0);
  EXPECT_EQ(openssl_verify(pki.device_cert(box_), pki.ca_cert(), X509_PURPOSE_SSL_CLIENT),
            X509_V_OK);
  long long lifetime =
      seconds_between(X509_get0_notBefore(cert.get()), X509_get0_notAfter(cert.get()));
  EXPECT_NEAR(static_cast<double>(lifetime), 90.0 * 86400, 3600);
}

TEST_F(provisioning_dev_pki, DeviceCertValidityIsConfigurable) {
  DevPkiPaths pki = make_pki("pki", box_);
  DeviceCertOptions options;
  options.days = 7;
  ASSERT_TRUE(issue_device_cert(pki.dir, box_, options));
  X509Ptr cert = openssl_load(pki.device_cert(box_));
  ASSERT_TRUE(cert);
  long long lifetime =
      seconds_between(X509_get0_notBefore(cert.get()), X509_get0_notAfter(cert.get()));
  EXPECT_NEAR(static_cast<double>(lifetime), 7.0 * 86400, 3600);
}

TEST_F(provisioning_dev_pki, PrivateKeysAreReadableOnlyByTheOwner) {
  DevPkiPaths pki = make_pki("pki", box_);
  for (const fs::path& key : {pki.ca_key(), pki.controller_key(), pki.device_key(box_)}) {
    struct stat info {};
    ASSERT_EQ(::stat(key.c_str(), &info), 0) << key;
    EXPECT_EQ(info.st_mode & 07777, 0600u) << key;
  }
  for (const fs::path& cert : {pki.ca_cert(), pki.controller_cert(), pki.device_cert(box_)}) {
    struct stat info {};
    ASSERT_EQ(::stat(cert.c_str(), &info), 0) << cert;
    EXPECT_EQ(info.st_mode & 07777, 0644u) << cert;
  }
  // No temporary file is left behind.
  for (const auto& entry : fs::recursive_directory_iterator(pki.dir)) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp."), std::string::npos) << entry.path();
  }
}

TEST_F(provisioning_dev_pki, InitTwiceKeepsTheSameCaAndControllerCert) {
  DevPkiPaths pki = make_pki("pki", box_);
  std::string ca_cert = read_file(pki.ca_cert());
  std::string ca_key = read_file(pki.ca_key());
  std::string controller_cert = read_file(pki.controller_cert());
  ASSERT_TRUE(init_dev_pki(pki.dir));
  EXPECT_EQ(read_file(pki.ca_cert()), ca_cert);
  EXPECT_EQ(read_file(pki.ca_key()), ca_key);
  EXPECT_EQ(read_file(pki.controller_cert()), controller_cert);
  // Certificates issued before the second init still verify.
  EXPECT_EQ(mbedtls_verify(pki.device_cert(box_), pki.ca_cert()), 0u);
}

TEST_F(provisioning_dev_pki, MissingControllerCertIsRemadeUnderTheSameCa) {
  DevPkiPaths pki = make_pki("pki", box_);
  std::string ca_cert = read_file(pki.ca_cert());
  fs::remove(pki.controller_cert());
  ASSERT_TRUE(init_dev_pki(pki.dir));
  EXPECT_EQ(read_file(pki.ca_cert()), ca_cert);
  EXPECT_EQ(mbedtls_verify(pki.controller_cert(), pki.ca_cert(), "localhost"), 0u);
}

TEST_F(provisioning_dev_pki, CaCertWithoutItsKeyIsNeverReplaced) {
  DevPkiPaths pki = make_pki("pki", box_);
  std::string ca_cert = read_file(pki.ca_cert());
  fs::remove(pki.ca_key());
  auto result = init_dev_pki(pki.dir);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::conflict);
  EXPECT_EQ(read_file(pki.ca_cert()), ca_cert);
}

TEST_F(provisioning_dev_pki, DeviceCertNeedsAnInitialisedPki) {
  auto result = issue_device_cert(root_.path() / "empty", box_);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::not_found);
  EXPECT_NE(result.error().message.find("civicbox-pki init"), std::string::npos);
}

TEST_F(provisioning_dev_pki, ExpiredDeviceCertIsExpired) {
  DevPkiPaths pki = make_pki("pki", box_);
  DeviceId old_box = device_id("box-old");
  DeviceCertOptions options;
  options.expired = true;
  ASSERT_TRUE(issue_device_cert(pki.dir, old_box, options));

  X509Ptr cert = openssl_load(pki.device_cert(old_box));
  ASSERT_TRUE(cert);
  EXPECT_LT(X509_cmp_current_time(X509_get0_notAfter(cert.get())), 0);
  EXPECT_LT(X509_cmp_current_time(X509_get0_notBefore(cert.get())), 0);
  EXPECT_EQ(openssl_verify(pki.device_cert(old_box), pki.ca_cert(), X509_PURPOSE_SSL_CLIENT),
            X509_V_ERR_CERT_HAS_EXPIRED);
  EXPECT_EQ(mbedtls_verify(pki.device_cert(old_box), pki.ca_cert()),
            static_cast<std::uint32_t>(MBEDTLS_X509_BADCERT_EXPIRED));
}

TEST_F(provisioning_dev_pki, DeviceCertFromAnotherPkiDoesNotVerify) {
  DevPkiPaths ours = make_pki("ours", box_);
  DevPkiPaths theirs = make_pki("theirs", box_);
  EXPECT_NE(read_file(ours.ca_cert()), read_file(theirs.ca_cert()));
  EXPECT_NE(
      mbedtls_verify(theirs.device_cert(box_), ours.ca_cert()) & MBEDTLS_X509_BADCERT_NOT_TRUSTED,
      0u);
  EXPECT_NE(openssl_verify(theirs.device_cert(box_), ours.ca_cert(), X509_PURPOSE_SSL_CLIENT),
            X509_V_OK);
}

TEST_F(provisioning_mtls, MutualTlsHandshakeSucceedsWithADeviceCertFromTheFleetCa) {
  DevPkiPaths pki = make_pki("pki", box_);
  Handshake result =
      tls_handshake(pki, pki.ca_cert(), pki.device_cert(box_), pki.device_key(box_), pki.ca_cert());
  EXPECT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.peer_cn, "box-0001");  // how the controller knows which box is calling
}

TEST_F(provisioning_mtls, MutualTlsHandshakeFailsWithADeviceCertFromAnotherCa) {
  DevPkiPaths ours = make_pki("ours", box_);
  DevPkiPaths theirs = make_pki("theirs", box_);
  Handshake result = tls_handshake(ours, ours.ca_cert(), theirs.device_cert(box_),
                                   theirs.device_key(box_), ours.ca_cert());
  EXPECT_FALSE(result.ok) << "a box with a foreign certificate got in";
  // It is the controller's side that says no, not a client-side accident.
  EXPECT_NE(result.error.find("server"), std::string::npos) << result.error;
  EXPECT_NE(result.error.find("certificate verify failed"), std::string::npos) << result.error;
}

TEST_F(provisioning_mtls, MutualTlsHandshakeFailsWithAnExpiredDeviceCert) {
  DevPkiPaths pki = make_pki("pki", box_);
  DeviceCertOptions options;
  options.expired = true;
  ASSERT_TRUE(issue_device_cert(pki.dir, box_, options));
  Handshake result =
      tls_handshake(pki, pki.ca_cert(), pki.device_cert(box_), pki.device_key(box_), pki.ca_cert());
  EXPECT_FALSE(result.ok) << "an expired certificate got in";
  EXPECT_NE(result.error.find("server"), std::string::npos) << result.error;
}

// --- the CA as the enrolment will use it ---------------------------------------------------

CertProfile client_profile(std::string cn) {
  CertProfile profile;
  profile.role = CertRole::client;
  profile.common_name = std::move(cn);
  profile.not_before = std::chrono::system_clock::now();
  profile.not_after = profile.not_before + std::chrono::days(30);
  return profile;
}

TEST_F(provisioning_ca, SignCsrIssuesTheNameTheCaChoseOnlyIfTheCsrAgrees) {
  DevPkiPaths pki = make_pki("pki", box_);
  auto ca = load_dev_ca(pki.dir);
  ASSERT_TRUE(ca) << ca.error().describe();
  auto key = generate_private_key();
  ASSERT_TRUE(key);
  auto csr = make_csr(*key, "box-0042");
  ASSERT_TRUE(csr) << csr.error().describe();
  auto cn = csr_common_name(*csr);
  ASSERT_TRUE(cn);
  EXPECT_EQ(*cn, "box-0042");

  auto cert = sign_csr(*ca, *csr, client_profile("box-0042"));
  ASSERT_TRUE(cert) << cert.error().describe();
  EXPECT_NE(cert->find("BEGIN CERTIFICATE"), std::string::npos);

  auto mismatch = sign_csr(*ca, *csr, client_profile("box-0043"));
  ASSERT_FALSE(mismatch);
  EXPECT_EQ(mismatch.error().code, ErrorCode::conflict);
}

TEST_F(provisioning_ca, SignCsrRejectsGarbage) {
  DevPkiPaths pki = make_pki("pki", box_);
  auto ca = load_dev_ca(pki.dir);
  ASSERT_TRUE(ca);
  auto result = sign_csr(*ca, "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n", client_profile("x1x"));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::parse);
  EXPECT_NE(result.error().message.find("mbedTLS"), std::string::npos);
}

}  // namespace
}  // namespace civicbox::provisioning
