// civicbox-pki: makes the development PKI (see dev_pki.hpp) from the command line.
//   civicbox-pki init DIR
//   civicbox-pki device DIR ID [--days N] [--expired]
// Prints each file it wrote, one path a line; exits 1 with a one-line error otherwise.
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "common/ids.hpp"
#include "provisioning/dev_pki.hpp"

namespace {

using civicbox::provisioning::DevPkiPaths;

// A file's identity; an atomic replace gives it a new inode, so a change means "written".
std::optional<std::pair<dev_t, ino_t>> identity(const std::filesystem::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return std::nullopt;
  return std::pair{info.st_dev, info.st_ino};
}

struct Snapshot {
  std::vector<std::filesystem::path> paths;
  std::vector<std::optional<std::pair<dev_t, ino_t>>> before;

  explicit Snapshot(std::vector<std::filesystem::path> files) : paths(std::move(files)) {
    for (const auto& path : paths) before.push_back(identity(path));
  }
  void print_written() const {
    for (std::size_t i = 0; i < paths.size(); ++i) {
      auto after = identity(paths[i]);
      if (after && after != before[i]) std::cout << paths[i].string() << '\n';
    }
  }
};

int fail(const std::string& message) {
  std::cerr << "civicbox-pki: " << message << '\n';
  return 1;
}

int run(int argc, char** argv) {
  CLI::App app{
      "civicbox-pki: a development PKI for civicbox (ECDSA P-256). Makes a fleet CA, the\n"
      "controller's server certificate and device client certificates in one folder, for\n"
      "running the controller and boxes over mutual TLS on a developer machine or in CI.\n"
      "Never use these keys in production."};
  app.require_subcommand(1);

  std::string init_dir;
  app.footer(
      "Examples:\n"
      "  civicbox-pki init dev-pki\n"
      "  civicbox-pki device dev-pki box-0001\n"
      "  civicbox-pki device dev-pki box-old --expired\n"
      "Each command prints the files it wrote, one path a line.");
  CLI::App* init = app.add_subcommand("init", "Create the fleet CA and the controller certificate");
  init->footer(
      "Writes DIR/ca.crt + ca.key (self-signed CA \"civicbox dev fleet CA\", 10 years) and\n"
      "DIR/controller.crt + controller.key (CN civicbox-controller, serverAuth, DNS:localhost and\n"
      "IP:127.0.0.1, 1 year). An existing CA is reused; the controller certificate is made only\n"
      "when missing. Keys are mode 0600.");
  init->add_option("DIR", init_dir, "Folder of the dev PKI (created if missing)")->required();

  std::string device_dir;
  std::string device_id;
  int days = 90;
  bool expired = false;
  CLI::App* device =
      app.add_subcommand("device", "Issue a device's client certificate from the CA in DIR");
  device->footer(
      "Writes DIR/devices/ID.key and DIR/devices/ID.crt: a clientAuth certificate with CN=ID\n"
      "signed by the CA in DIR (run init first), replacing an earlier one for the same ID.");
  device->add_option("DIR", device_dir, "Folder of the dev PKI")->required();
  device->add_option("ID", device_id, "Device id: 3..63 characters of a-z, 0-9 and '-'")
      ->required();
  device->add_option("--days", days, "Validity in days")
      ->default_val(90)
      ->check(CLI::Range(1, 36500));
  device->add_flag("--expired", expired,
                   "Make a certificate that has already expired (valid from 30 days ago until "
                   "yesterday), for tests");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    return fail(std::string(e.what()) + " (see --help)");
  }

  if (init->parsed()) {
    DevPkiPaths paths{init_dir};
    Snapshot snapshot(
        {paths.ca_key(), paths.ca_cert(), paths.controller_key(), paths.controller_cert()});
    auto result = civicbox::provisioning::init_dev_pki(init_dir);
    if (!result) return fail(result.error().describe());
    snapshot.print_written();
    return 0;
  }

  auto id = civicbox::DeviceId::parse(device_id);
  if (!id) return fail(id.error().describe());
  civicbox::provisioning::DeviceCertOptions options;
  options.days = days;
  options.expired = expired;
  auto result = civicbox::provisioning::issue_device_cert(device_dir, *id, options);
  if (!result) return fail(result.error().describe());
  DevPkiPaths paths{device_dir};
  std::cout << paths.device_key(*id).string() << '\n' << paths.device_cert(*id).string() << '\n';
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {  // e.g. out of memory, a filesystem error
    return fail(e.what());
  }
}
