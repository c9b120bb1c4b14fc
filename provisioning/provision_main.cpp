// civicbox-provision: gives a box its identity (enrolment with a one-time token), renews it,
// shows it. The flows are the library's (enrolment.hpp, renewal.hpp); this file is the
// command line around them: options, exit codes, and what a technician reads.
//
// For tests only: CIVICBOX_PROVISION_CRASH_AT=<step> kills the process with SIGKILL right after
// that step (the steps are listed in enrolment.hpp and renewal.hpp), to prove a power cut at
// any step leaves the box with a working identity.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <optional>
#include <string>

#include "common/scanned.hpp"
#include "provisioning/controller_link.hpp"
#include "provisioning/enrolment.hpp"
#include "provisioning/identity_store.hpp"
#include "provisioning/renewal.hpp"

namespace {

using namespace civicbox;
using namespace civicbox::provisioning;

// Exit codes (also in --help).
enum Exit : int {
  kDone = 0,
  kFailed = 1,           // unexpected: a file could not be written, an unreadable answer
  kUsage = 2,            // wrong options
  kTokenRefused = 3,     // ask the town hall's IT for a new token
  kUnreachable = 4,      // the controller did not answer; running again is safe
  kMismatch = 5,         // the controller or its certificate is not from the fleet CA
  kAlreadyEnrolled = 6,  // or the identity is busy (another process changes it)
  kNotEnrolled = 7,      // no identity, or a damaged one
  kRevoked = 8,          // the controller revoked this box: enrol again with a new token
};

constexpr const char* kExitCodes =
    "Exit codes:\n"
    "  0  done (for renew: also \"not due yet\")\n"
    "  1  unexpected failure (a file, an unreadable answer)\n"
    "  2  wrong options\n"
    "  3  the token was refused: ask the town hall's IT for a new token\n"
    "  4  the controller could not be reached: check the network; running again is safe\n"
    "  5  certificate or CA mismatch: the controller or what it issued is not from the fleet CA\n"
    "  6  already enrolled (use --force to replace the identity), or the identity is busy\n"
    "  7  not enrolled, or the identity on disk is damaged (enrol again with --force)\n"
    "  8  the controller revoked this box: enrol it again with a new token\n";

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string utc(std::int64_t unix_ms) {
  std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &tm);
  return text;
}

StepHook crash_hook() {
  const char* at = std::getenv("CIVICBOX_PROVISION_CRASH_AT");
  if (at == nullptr || *at == '\0') return {};
  std::string target = at;
  return [target](std::string_view step) {
    if (step == target) ::raise(SIGKILL);
  };
}

void print_identity(const Identity& id) {
  const auto& c = id.config();
  std::cout << "  box id:      " << c.device_id << '\n'
            << "  site:        " << c.site << '\n'
            << "  cabinet:     " << c.cabinet << '\n'
            << "  institution: " << c.institution << '\n'
            << "  controller:  " << c.controller_url << '\n'
            << "  valid until: " << utc(id.record.not_after_ms) << " (serial "
            << id.record.serial_hex << ")\n"
            << "  files:       " << id.dir.string() << '\n';
}

int fail(const std::string& what, const Error& error, int code) {
  std::cerr << "civicbox-provision: " << what << ": " << error.message << '\n';
  return code;
}

Expected<IdentityStore> open_store(const std::string& dir) {
  auto store = IdentityStore::open(dir, crash_hook());
  if (store) {
    for (const auto& line : store->repairs()) std::cerr << "civicbox-provision: " << line << '\n';
  }
  return store;
}

int exit_for_enrolment(const Error& error) {
  switch (error.code) {
    case ErrorCode::forbidden:
      return kTokenRefused;
    case ErrorCode::unavailable:
      return kUnreachable;
    case ErrorCode::crypto:
      return kMismatch;
    case ErrorCode::state:
      return kAlreadyEnrolled;
    default:
      return kFailed;
  }
}

struct EnrolArgs {
  std::string token;
  std::string scan;
  std::string controller;
  std::string fleet_ca;
  std::string identity;
  std::string site;
  std::string box_id;
  bool force = false;
  double timeout_s = 30;
};

int run_enrol(const EnrolArgs& args) {
  EnrolOptions options;
  if (!args.scan.empty()) {
    auto scanned = parse_scanned(args.scan);
    if (!scanned || !std::holds_alternative<EnrolmentToken>(*scanned)) {
      std::cerr << "civicbox-provision: --scan: this is not an enrolment code (CBX-ENROL:...)"
                << (scanned ? "" : ": " + scanned.error().message) << '\n';
      return kUsage;
    }
    options.token = std::get<EnrolmentToken>(*scanned).token;
  } else {
    options.token = args.token;
    if (auto shape = parse_scanned("CBX-ENROL:" + args.token);
        !shape || !std::holds_alternative<EnrolmentToken>(*shape)) {
      std::cerr << "civicbox-provision: --token: this is not an enrolment token (22 to 128 of "
                   "A-Z a-z 0-9 _ -)\n";
      return kUsage;
    }
  }
  options.controller_url = args.controller;
  options.fleet_ca = args.fleet_ca;
  if (!args.site.empty()) options.site = args.site;
  if (!args.box_id.empty()) options.box_id = args.box_id;
  options.force = args.force;
  options.now_ms = now_ms();

  auto store = open_store(args.identity);
  if (!store) return fail("opening the identity", store.error(), exit_for_enrolment(store.error()));
  ClientOptions client;
  client.timeout_ms = static_cast<long>(args.timeout_s * 1000);
  client.connect_timeout_ms = std::min(client.timeout_ms, 10000L);
  HttpsControllerLink link(client);
  Refusal refusal;
  auto enrolled = enrol_box(*store, link, options, &refusal);
  if (!enrolled) {
    std::cerr << "civicbox-provision: enrolment failed: " << enrolled.error().message << '\n'
              << "  What to do: " << enrolment_advice(enrolled.error(), refusal) << '\n';
    return exit_for_enrolment(enrolled.error());
  }
  for (const auto& note : enrolled->notes) std::cout << "note: " << note << '\n';
  std::cout << (enrolled->already_done ? "already enrolled with this token:\n" : "enrolled:\n");
  print_identity(enrolled->identity);
  // Not needed for the identity, but the technician is here now: does the device listener take
  // the new certificate?
  Refusal said;
  if (auto probed = link.probe(enrolled->identity, &said); probed) {
    std::cout << "  check:       the controller accepts this identity\n";
  } else {
    std::cout << "  check:       not confirmed yet (" << probed.error().message
              << "); the identity is kept, the box will use it once the controller answers\n";
  }
  return kDone;
}

int run_renew(const std::string& dir, bool now, double fraction, double timeout_s) {
  auto store = open_store(dir);
  if (!store) {
    return fail("opening the identity", store.error(),
                store.error().code == ErrorCode::state ? kAlreadyEnrolled : kFailed);
  }
  auto current = store->current();
  if (!current) return fail("the identity in use is damaged", current.error(), kNotEnrolled);
  if (!*current) {
    std::cerr << "civicbox-provision: this box is not enrolled (" << dir << ")\n";
    return kNotEnrolled;
  }
  ClientOptions client;
  client.timeout_ms = static_cast<long>(timeout_s * 1000);
  client.connect_timeout_ms = std::min(client.timeout_ms, 10000L);
  HttpsControllerLink link(client);
  Refusal refusal;
  RenewalOptions options;
  options.force = now;
  options.fraction = fraction;
  auto renewed = renew_identity(*store, link, now_ms(), options, &refusal);
  if (!renewed) {
    const Error& e = renewed.error();
    int code = kFailed;
    if (e.code == ErrorCode::forbidden) code = refusal.word == "revoked" ? kRevoked : kTokenRefused;
    if (e.code == ErrorCode::unavailable) code = kUnreachable;
    if (e.code == ErrorCode::crypto) code = kMismatch;
    if (e.code == ErrorCode::state) code = kAlreadyEnrolled;
    std::cerr << "civicbox-provision: renewal failed: " << e.message << '\n'
              << "  The current identity stays in use (valid until "
              << utc((*current)->record.not_after_ms) << ").\n";
    if (code == kRevoked) {
      std::cerr << "  What to do: this box was revoked; enrol it again with a new token.\n";
    }
    return code;
  }
  if (renewed->outcome == RenewalOutcome::not_due) {
    std::cout << "not due: renewal from " << utc(renewal_due_at(renewed->identity, fraction))
              << " (valid until " << utc(renewed->identity.record.not_after_ms) << ")\n";
    return kDone;
  }
  std::cout << "renewed:\n";
  print_identity(renewed->identity);
  return kDone;
}

int run_show(const std::string& dir) {
  auto current = read_current_identity(dir);
  if (!current) return fail("the identity is damaged", current.error(), kNotEnrolled);
  if (!*current) {
    std::cout << "not enrolled (" << dir << ")\n";
    return kNotEnrolled;
  }
  std::cout << "enrolled:\n";
  print_identity(**current);
  std::cout << "  renew from:  " << utc(renewal_due_at(**current)) << '\n';
  return kDone;
}

int run(int argc, char** argv) {
  CLI::App app{
      "civicbox-provision: gives this box its identity.\n"
      "Makes the box's private key (ECDSA P-256; it never leaves the box), asks the town hall's\n"
      "controller for a certificate with a one-time enrolment token (typed, or the text of the\n"
      "CBX-ENROL QR code), and keeps key, certificate, fleet CA and the box's configuration in\n"
      "the identity folder, so that a power cut at any moment leaves a working identity.\n"
      "Running the same command again is always safe: an interrupted enrolment resumes with\n"
      "the same key and the same token."};
  app.require_subcommand(0, 1);

  EnrolArgs enrol;
  auto* token = app.add_option("--token", enrol.token, "The enrolment token, as typed");
  auto* scan =
      app.add_option("--scan", enrol.scan, "The enrolment QR code's text, \"CBX-ENROL:<token>\"");
  token->excludes(scan);
  app.add_option("--controller", enrol.controller,
                 "The controller's public address, https://host:port");
  app.add_option("--fleet-ca", enrol.fleet_ca,
                 "The town hall's fleet CA certificate (PEM): the only CA trusted")
      ->check(CLI::ExistingFile);
  app.add_option("--identity", enrol.identity,
                 "The identity folder, e.g. /var/lib/civicbox/identity");
  app.add_option("--site", enrol.site,
                 "The site this box stands at (a token for another is refused)");
  app.add_option("--box-id", enrol.box_id,
                 "The box's id, when known (the certificate will name it)");
  app.add_flag("--force", enrol.force, "Replace the identity of a box that is already enrolled");
  app.add_option("--timeout", enrol.timeout_s, "Seconds to wait for the controller")
      ->capture_default_str();
  app.footer(std::string("Examples:\n"
                         "  civicbox-provision --scan 'CBX-ENROL:...' --controller "
                         "https://civicbox.town.example:8443 \\\n"
                         "      --fleet-ca fleet-ca.crt --identity /var/lib/civicbox/identity\n"
                         "  civicbox-provision renew --identity /var/lib/civicbox/identity\n"
                         "  civicbox-provision show --identity /var/lib/civicbox/identity\n") +
             kExitCodes);

  std::string renew_dir;
  bool renew_now = false;
  double fraction = kDefaultRenewalFraction;
  double renew_timeout = 30;
  CLI::App* renew = app.add_subcommand("renew", "Renew the certificate if it is due");
  renew->footer(
      "Renews when two thirds of the certificate's validity have passed (--fraction), or at once\n"
      "with --now; finishes a renewal that was interrupted. A new key is made; the box switches\n"
      "to the new certificate only after the controller accepted it. Exit codes as above.\n");
  renew->add_option("--identity", renew_dir, "The identity folder")->required();
  renew->add_flag("--now", renew_now, "Renew now, due or not");
  renew->add_option("--fraction", fraction, "How far into the validity renewal is due (0..1)")
      ->check(CLI::Range(0.01, 0.99))
      ->capture_default_str();
  renew->add_option("--timeout", renew_timeout, "Seconds to wait for the controller")
      ->capture_default_str();

  std::string show_dir;
  CLI::App* show = app.add_subcommand("show", "Show the identity in use");
  show->add_option("--identity", show_dir, "The identity folder")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kUsage;
  }

  if (renew->parsed()) return run_renew(renew_dir, renew_now, fraction, renew_timeout);
  if (show->parsed()) return run_show(show_dir);

  std::string missing;
  if (enrol.token.empty() && enrol.scan.empty()) missing += " --token or --scan";
  if (enrol.controller.empty()) missing += " --controller";
  if (enrol.fleet_ca.empty()) missing += " --fleet-ca";
  if (enrol.identity.empty()) missing += " --identity";
  if (!missing.empty()) {
    std::cerr << "civicbox-provision: to enrol, give" << missing << " (see --help)\n";
    return kUsage;
  }
  return run_enrol(enrol);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "civicbox-provision: unexpected: " << e.what() << '\n';
    return kFailed;
  }
}
