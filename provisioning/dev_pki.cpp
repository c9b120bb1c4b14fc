#include "provisioning/dev_pki.hpp"

#include <sys/stat.h>

#include <system_error>

#include "common/atomic_file.hpp"
#include "provisioning/keys.hpp"

namespace civicbox::provisioning {

namespace {

constexpr mode_t kKeyMode = 0600;
constexpr mode_t kCertMode = 0644;
constexpr auto kClockSkew = std::chrono::minutes(5);

Expected<void> ensure_private_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) return {};
  if (!std::filesystem::create_directories(dir, ec) && ec) {
    return make_error(ErrorCode::io, "creating folder " + dir.string() + ": " + ec.message());
  }
  if (::chmod(dir.c_str(), 0700) != 0) {
    return make_error(ErrorCode::io, "setting the mode of folder " + dir.string());
  }
  return {};
}

Expected<bool> file_exists(const std::filesystem::path& path) {
  std::error_code ec;
  bool exists = std::filesystem::exists(path, ec);
  if (ec) return make_error(ErrorCode::io, "checking " + path.string() + ": " + ec.message());
  return exists;
}

Expected<void> check_days(int days, std::string_view what) {
  if (days < 1 || days > 36500) {
    return make_error(
        ErrorCode::invalid_argument,
        std::string(what) + " validity must be 1..36500 days, not " + std::to_string(days));
  }
  return {};
}

// Reuses the CA in `paths` or makes one. Returns the CA and whether it was just made.
Expected<std::pair<CaCredentials, bool>> reuse_or_make_ca(const DevPkiPaths& paths,
                                                          const DevPkiOptions& options) {
  CIVICBOX_TRY(bool has_cert, file_exists(paths.ca_cert()));
  CIVICBOX_TRY(bool has_key, file_exists(paths.ca_key()));
  if (has_cert && has_key) {
    CIVICBOX_TRY(CaCredentials ca, load_dev_ca(paths.dir));
    return std::pair{std::move(ca), false};
  }
  if (has_cert) {
    return make_error(ErrorCode::conflict,
                      paths.ca_cert().string() + " exists without " + paths.ca_key().string() +
                          ": refusing to replace a CA (move ca.crt away to start over)");
  }
  // A key without a certificate is what a crash between the two writes leaves: reuse it.
  CaCredentials ca;
  if (has_key) {
    CIVICBOX_TRY(ca.key_pem, read_text_file(paths.ca_key()));
  } else {
    CIVICBOX_TRY(ca.key_pem, generate_private_key());
    CIVICBOX_CHECK(write_file_atomically(paths.ca_key(), ca.key_pem, kKeyMode));
  }
  CertProfile profile;
  profile.role = CertRole::authority;
  profile.common_name = kDevCaCommonName;
  profile.not_before = options.now - kClockSkew;
  profile.not_after = options.now + std::chrono::days(options.ca_days);
  CIVICBOX_TRY(ca.cert_pem, self_sign_ca(ca.key_pem, profile));
  CIVICBOX_CHECK(write_file_atomically(paths.ca_cert(), ca.cert_pem, kCertMode));
  return std::pair{std::move(ca), true};
}

// Key -> CSR -> CA signs: the same path a box takes when it enrols.
Expected<void> issue_key_and_cert(const CaCredentials& ca, const CertProfile& profile,
                                  const std::filesystem::path& key_path,
                                  const std::filesystem::path& cert_path) {
  CIVICBOX_TRY(std::string key_pem, generate_private_key());
  CIVICBOX_TRY(std::string csr_pem, make_csr(key_pem, profile.common_name));
  CIVICBOX_TRY(std::string cert_pem, sign_csr(ca, csr_pem, profile));
  CIVICBOX_CHECK(write_file_atomically(key_path, key_pem, kKeyMode));
  return write_file_atomically(cert_path, cert_pem, kCertMode);
}

}  // namespace

Expected<CaCredentials> load_dev_ca(const std::filesystem::path& dir) {
  DevPkiPaths paths{dir};
  CaCredentials ca;
  auto cert = read_text_file(paths.ca_cert());
  if (!cert) {
    if (cert.error().code == ErrorCode::not_found) {
      return make_error(
          ErrorCode::not_found,
          "no dev CA in " + dir.string() + " (run `civicbox-pki init " + dir.string() + "` first)");
    }
    return cert.error();
  }
  ca.cert_pem = std::move(*cert);
  CIVICBOX_TRY(ca.key_pem, read_text_file(paths.ca_key()));
  if (auto checked = check_ca(ca); !checked) {
    return checked.error().context("checking the CA in " + dir.string());
  }
  return ca;
}

Expected<void> init_dev_pki(const std::filesystem::path& dir, const DevPkiOptions& options) {
  CIVICBOX_CHECK(check_days(options.ca_days, "the CA's"));
  CIVICBOX_CHECK(check_days(options.controller_days, "the controller certificate's"));
  DevPkiPaths paths{dir};
  CIVICBOX_CHECK(ensure_private_dir(dir));
  CIVICBOX_TRY(auto ca_and_fresh, reuse_or_make_ca(paths, options));
  auto& [ca, fresh_ca] = ca_and_fresh;

  CIVICBOX_TRY(bool has_cert, file_exists(paths.controller_cert()));
  CIVICBOX_TRY(bool has_key, file_exists(paths.controller_key()));
  if (has_cert && has_key && !fresh_ca) return {};

  CertProfile profile;
  profile.role = CertRole::server;
  profile.common_name = kControllerCommonName;
  profile.not_before = options.now - kClockSkew;
  profile.not_after = options.now + std::chrono::days(options.controller_days);
  profile.dns_names = options.controller_dns_names;
  profile.ipv4_addresses = options.controller_ipv4_addresses;
  if (auto issued =
          issue_key_and_cert(ca, profile, paths.controller_key(), paths.controller_cert());
      !issued) {
    return issued.error().context("making the controller certificate");
  }
  return {};
}

Expected<void> issue_device_cert(const std::filesystem::path& dir, const DeviceId& id,
                                 const DeviceCertOptions& options) {
  CIVICBOX_CHECK(check_days(options.days, "a device certificate's"));
  DevPkiPaths paths{dir};
  CIVICBOX_TRY(CaCredentials ca, load_dev_ca(dir));
  CIVICBOX_CHECK(ensure_private_dir(paths.devices_dir()));

  CertProfile profile;
  profile.role = CertRole::client;
  profile.common_name = id.str();
  if (options.expired) {
    profile.not_before = options.now - std::chrono::days(30);
    profile.not_after = options.now - std::chrono::days(1);
  } else {
    profile.not_before = options.now - kClockSkew;
    profile.not_after = options.now + std::chrono::days(options.days);
  }
  if (auto issued = issue_key_and_cert(ca, profile, paths.device_key(id), paths.device_cert(id));
      !issued) {
    return issued.error().context("issuing the certificate of " + id.str());
  }
  return {};
}

}  // namespace civicbox::provisioning
