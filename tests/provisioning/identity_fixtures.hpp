// What the box-identity tests share: a dev fleet CA, an identity made without a network, a
// link that fails on cue, and small file helpers.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "provisioning/certificate_check.hpp"
#include "provisioning/controller_link.hpp"
#include "provisioning/dev_pki.hpp"
#include "provisioning/identity_store.hpp"
#include "tests/provisioning/fake_controller.hpp"
#include "tests/support/temp_dir.hpp"

namespace civicbox::testing {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

inline std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

inline std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A dev fleet CA of its own, in a temporary folder.
struct FleetCa {
  TempDir dir;
  provisioning::CaCredentials ca;
  FleetCa() {
    auto made = provisioning::init_dev_pki(dir.path());
    EXPECT_TRUE(made) << (made ? "" : made.error().describe());
    ca = *provisioning::load_dev_ca(dir.path());
  }
  [[nodiscard]] fs::path ca_file() const { return dir.path() / "ca.crt"; }
};

inline wire::ProvisionedConfig test_config(
    const std::string& device_id, const std::string& controller_url = "https://127.0.0.1:1") {
  wire::ProvisionedConfig c;
  c.device_id = device_id;
  c.site = "cluj-centru";
  c.cabinet = "kerong-12";
  c.controller_url = controller_url;
  c.institution = "Primăria Cluj-Napoca";
  c.languages = {"ro", "hu", "en"};
  c.default_language = "ro";
  c.document_kinds = {"request"};
  return c;
}

// Puts an answer for the pending key into pending/ (signed here, no network).
inline provisioning::Identity store_answer_offline(
    provisioning::IdentityStore& store, const provisioning::CaCredentials& ca,
    const std::string& device_id, provisioning::IdentityOrigin origin,
    std::chrono::seconds validity = std::chrono::hours(24 * 90)) {
  auto request =
      store.pending_key(origin == provisioning::IdentityOrigin::renewal ? device_id : "");
  EXPECT_TRUE(request) << request.error().describe();
  std::string cert = FakeController::sign(ca, request->csr_pem, device_id, validity);
  auto facts = provisioning::read_certificate_facts(cert);
  provisioning::IdentityRecord record;
  record.config = test_config(device_id);
  record.serial_hex = facts->serial_hex;
  record.not_before_ms = facts->not_before_ms;
  record.not_after_ms = facts->not_after_ms;
  record.origin = origin;
  auto stored = store.store_pending_certificate(cert, ca.cert_pem, record);
  EXPECT_TRUE(stored) << stored.error().describe();
  return *stored;
}

// Makes a whole new generation without a network (an enrolment, or a renewal when one exists).
inline provisioning::Identity commit_offline(provisioning::IdentityStore& store,
                                             const provisioning::CaCredentials& ca,
                                             const std::string& device_id) {
  auto current = store.current();
  bool renewal = current && *current;
  store_answer_offline(
      store, ca, device_id,
      renewal ? provisioning::IdentityOrigin::renewal : provisioning::IdentityOrigin::enrolment);
  auto committed = store.commit();
  EXPECT_TRUE(committed) << committed.error().describe();
  return *committed;
}

// What makes an identity "working": the key matches the certificate, the certificate chains to
// the fleet CA, and `current` names a whole generation.
inline void expect_working_identity(const fs::path& dir, const fs::path& fleet_ca) {
  auto current = provisioning::read_current_identity(dir);
  ASSERT_TRUE(current) << current.error().describe();
  ASSERT_TRUE(current->has_value()) << "no current identity in " << dir;
  const auto& id = **current;
  EXPECT_TRUE(provisioning::check_key_file_matches(id.key, read_file(id.cert)));
  auto chained = provisioning::check_chains_to(read_file(id.cert), read_file(fleet_ca));
  EXPECT_TRUE(chained) << chained.error().describe();
  EXPECT_EQ(fs::read_symlink(dir / "current"), id.dir.filename());
  EXPECT_FALSE(fs::exists(dir / "current.tmp"));
}

// Thrown from a StepHook to stop a flow right after a step, as a crash would (in-process).
struct Crash {
  std::string step;
};

inline provisioning::StepHook crash_at(std::string step) {
  return [step](std::string_view now) {
    if (now == step) throw Crash{step};
  };
}

// A link to the fake controller that fails on cue and records what it was asked.
class FlakyLink final : public provisioning::ControllerLink {
 public:
  explicit FlakyLink(provisioning::ClientOptions options = {}) : real_(options) {}

  std::optional<Error> fail_renew;                      // once
  std::optional<Error> fail_probe;                      // once
  std::optional<wire::CertificateIssued> renew_answer;  // instead of asking the controller
  std::vector<std::string> renew_csrs;
  int renew_calls = 0;
  int probe_calls = 0;

  Expected<wire::EnrolResponse> enrol(const std::string& url, const fs::path& fleet_ca,
                                      const wire::EnrolRequest& request,
                                      provisioning::Refusal* refusal) override {
    return real_.enrol(url, fleet_ca, request, refusal);
  }
  Expected<wire::CertificateIssued> renew(const provisioning::Identity& current,
                                          const wire::RenewRequest& request,
                                          provisioning::Refusal* refusal) override {
    ++renew_calls;
    renew_csrs.push_back(request.csr_pem);
    if (fail_renew) {
      Error e = *fail_renew;
      fail_renew.reset();
      return e;
    }
    if (renew_answer) return *renew_answer;
    return real_.renew(current, request, refusal);
  }
  Expected<void> probe(const provisioning::Identity& candidate,
                       provisioning::Refusal* refusal) override {
    ++probe_calls;
    if (fail_probe) {
      Error e = *fail_probe;
      fail_probe.reset();
      return e;
    }
    return real_.probe(candidate, refusal);
  }

 private:
  provisioning::HttpsControllerLink real_;
};

}  // namespace civicbox::testing
