// The development PKI: a fleet CA, a controller server certificate and device client
// certificates, all made at run time in one folder, so a developer machine or CI can run the
// controller and boxes over real mutual TLS without a real CA.
//
//   DIR/ca.crt, DIR/ca.key                  self-signed CA "civicbox dev fleet CA", 10 years
//   DIR/controller.crt, DIR/controller.key  serverAuth, CN civicbox-controller,
//                                           SAN DNS:localhost IP:127.0.0.1, 1 year
//   DIR/devices/<id>.crt, <id>.key          clientAuth, CN = device id, 90 days by default
//
// Keys are ECDSA P-256 PEM files with mode 0600, certificates 0644; every file is replaced
// atomically. Device keys go through the real flow (key -> CSR -> CA signs the CSR).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "common/ids.hpp"
#include "provisioning/ca.hpp"

namespace civicbox::provisioning {

inline constexpr std::string_view kDevCaCommonName = "civicbox dev fleet CA";
inline constexpr std::string_view kControllerCommonName = "civicbox-controller";

// Where each file of a dev PKI lives.
struct DevPkiPaths {
  std::filesystem::path dir;

  [[nodiscard]] std::filesystem::path ca_cert() const { return dir / "ca.crt"; }
  [[nodiscard]] std::filesystem::path ca_key() const { return dir / "ca.key"; }
  [[nodiscard]] std::filesystem::path controller_cert() const { return dir / "controller.crt"; }
  [[nodiscard]] std::filesystem::path controller_key() const { return dir / "controller.key"; }
  [[nodiscard]] std::filesystem::path devices_dir() const { return dir / "devices"; }
  [[nodiscard]] std::filesystem::path device_cert(const DeviceId& id) const {
    return devices_dir() / (id.str() + ".crt");
  }
  [[nodiscard]] std::filesystem::path device_key(const DeviceId& id) const {
    return devices_dir() / (id.str() + ".key");
  }
};

struct DevPkiOptions {
  int ca_days = 3650;
  int controller_days = 365;
  std::vector<std::string> controller_dns_names{"localhost"};
  std::vector<std::array<std::uint8_t, 4>> controller_ipv4_addresses{{127, 0, 0, 1}};
  // The clock, passed in; certificates start 5 minutes before it to absorb clock skew.
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
};

struct DeviceCertOptions {
  int days = 90;
  // For tests: a certificate valid from 30 days ago until yesterday.
  bool expired = false;
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
};

// Creates the CA and the controller certificate in `dir` (made 0700 if it is new). Idempotent:
// an existing ca.crt + ca.key pair is reused (checked to match); ca.crt without ca.key is an
// ErrorCode::conflict (a CA others may trust is never replaced). The controller certificate is
// made only when it or its key is missing, or when the CA was just made.
Expected<void> init_dev_pki(const std::filesystem::path& dir, const DevPkiOptions& options = {});

// Makes DIR/devices/<id>.key and <id>.crt (replacing earlier ones) signed by the dev CA in
// `dir`; ErrorCode::not_found when `dir` has no CA yet.
Expected<void> issue_device_cert(const std::filesystem::path& dir, const DeviceId& id,
                                 const DeviceCertOptions& options = {});

// The CA of the dev PKI in `dir`, checked (key matches certificate).
Expected<CaCredentials> load_dev_ca(const std::filesystem::path& dir);

}  // namespace civicbox::provisioning
