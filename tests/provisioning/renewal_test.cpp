// Renewal never leaves a box without a working identity: the current one stays in use until a
// new certificate for a new key has been checked, stored and accepted by the controller, and an
// interrupted renewal resumes with the same new key.
#include <gtest/gtest.h>

#include "provisioning/enrolment.hpp"
#include "provisioning/keys.hpp"
#include "provisioning/renewal.hpp"
#include "tests/provisioning/identity_fixtures.hpp"

namespace civicbox::testing {
namespace {

using provisioning::Identity;
using provisioning::IdentityStore;
using provisioning::RenewalOutcome;

constexpr const char* kToken = "cmVuZXdhbC10ZXN0LXRva2VuLTAx";

TEST(provisioning_renewal, ACertificateIsDueAtTwoThirdsOfItsValidity) {
  Identity id;
  id.record.not_before_ms = 0;
  id.record.not_after_ms = 90'000;
  EXPECT_FALSE(provisioning::renewal_due(id, 59'999));
  EXPECT_TRUE(provisioning::renewal_due(id, 60'000));
  EXPECT_TRUE(provisioning::renewal_due(id, 100'000));
  EXPECT_EQ(provisioning::renewal_due_at(id), 60'000);
  EXPECT_FALSE(provisioning::renewal_due(id, 80'000, 0.9));
  EXPECT_TRUE(provisioning::renewal_due(id, 81'000, 0.9));
  EXPECT_EQ(provisioning::renewal_due_at(id, 0.5), 45'000);
}

class provisioning_renewal_flow : public ::testing::Test {
 protected:
  TempDir temp;
  FakeController controller{temp.path() / "controller"};
  fs::path dir = temp.path() / "identity";
  std::optional<IdentityStore> store;
  FlakyLink link;
  Identity enrolled;

  void SetUp() override {
    controller.add_token(kToken, {"box-0001", "cluj-centru", 0});
    auto opened = IdentityStore::open(dir);
    ASSERT_TRUE(opened) << opened.error().describe();
    store.emplace(std::move(*opened));
    provisioning::EnrolOptions options;
    options.controller_url = controller.public_url();
    options.fleet_ca = controller.fleet_ca();
    options.token = kToken;
    options.now_ms = now_ms();
    auto result = provisioning::enrol_box(*store, link, options);
    ASSERT_TRUE(result) << result.error().describe();
    enrolled = result->identity;
  }

  Expected<provisioning::RenewalResult> renew(bool force = true,
                                              provisioning::Refusal* refusal = nullptr) {
    provisioning::RenewalOptions options;
    options.force = force;
    return provisioning::renew_identity(*store, link, now_ms(), options, refusal);
  }

  std::string current_serial() {
    auto current = store->current();
    EXPECT_TRUE(current && *current);
    return (current && *current) ? (*current)->record.serial_hex : std::string{};
  }
};

TEST_F(provisioning_renewal_flow, ARenewalSwitchesToANewKeyOnlyAfterTheControllerAcceptedIt) {
  auto result = renew();
  ASSERT_TRUE(result) << result.error().describe();
  EXPECT_EQ(result->outcome, RenewalOutcome::renewed);
  const Identity& renewed = result->identity;
  EXPECT_NE(renewed.record.serial_hex, enrolled.record.serial_hex);
  EXPECT_NE(read_file(renewed.key), read_file(enrolled.key));
  EXPECT_EQ(renewed.record.origin, provisioning::IdentityOrigin::renewal);
  EXPECT_EQ(renewed.config().site, "cluj-centru");
  EXPECT_EQ(link.probe_calls, 1) << "the new certificate is proven before the switch";
  EXPECT_EQ(current_serial(), renewed.record.serial_hex);
  auto previous = store->previous();
  ASSERT_TRUE(previous && *previous);
  EXPECT_EQ((*previous)->record.serial_hex, enrolled.record.serial_hex);
  expect_working_identity(dir, controller.fleet_ca());
  EXPECT_TRUE(provisioning::probe(controller.device_url(), provisioning::tls_files(renewed)));
}

TEST_F(provisioning_renewal_flow, NothingHappensBeforeItIsDue) {
  auto result = renew(false);
  ASSERT_TRUE(result) << result.error().describe();
  EXPECT_EQ(result->outcome, RenewalOutcome::not_due);
  EXPECT_EQ(link.renew_calls, 0);
  EXPECT_FALSE(store->has_pending());
}

TEST_F(provisioning_renewal_flow, ACertificateNearItsEndIsRenewedWithoutBeingForced) {
  controller.set_validity(6s);
  auto result = renew();  // a certificate valid for 6 s: due after 4 s
  ASSERT_TRUE(result);
  auto not_yet = renew(false);
  ASSERT_TRUE(not_yet);
  EXPECT_EQ(not_yet->outcome, RenewalOutcome::not_due);
  std::this_thread::sleep_for(4200ms);
  controller.set_validity(24h);
  auto again = renew(false);
  ASSERT_TRUE(again) << again.error().describe();
  EXPECT_EQ(again->outcome, RenewalOutcome::renewed);
}

TEST_F(provisioning_renewal_flow, AFailedRequestKeepsTheIdentityAndTheNextTryUsesTheSameNewKey) {
  link.fail_renew = make_error(ErrorCode::unavailable, "the network is down");
  auto failed = renew();
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::unavailable);
  EXPECT_EQ(current_serial(), enrolled.record.serial_hex);
  EXPECT_TRUE(provisioning::probe(controller.device_url(), provisioning::tls_files(enrolled)));

  // Not forced and not due: a renewal under way is finished anyway, with the same key.
  auto result = renew(false);
  ASSERT_TRUE(result) << result.error().describe();
  EXPECT_EQ(result->outcome, RenewalOutcome::renewed);
  ASSERT_EQ(link.renew_csrs.size(), 2u);
  EXPECT_EQ(*provisioning::csr_public_key(link.renew_csrs[0]),
            *provisioning::csr_public_key(link.renew_csrs[1]));
}

TEST_F(provisioning_renewal_flow, AFailedProbeDoesNotSwitchAndTheNextTryDoesNotAskAgain) {
  link.fail_probe = make_error(ErrorCode::unavailable, "the device listener is down");
  auto failed = renew();
  ASSERT_FALSE(failed);
  EXPECT_EQ(current_serial(), enrolled.record.serial_hex);
  auto pending = store->pending_identity();
  ASSERT_TRUE(pending && *pending) << "the checked answer is kept for the next try";

  auto result = renew(false);
  ASSERT_TRUE(result) << result.error().describe();
  EXPECT_EQ(link.renew_calls, 1);
  EXPECT_EQ(result->identity.record.serial_hex, (*pending)->record.serial_hex);
}

TEST_F(provisioning_renewal_flow, ACertificateForAnotherKeyIsNeverSwitchedTo) {
  auto other_key = provisioning::generate_private_key();
  auto other_csr = provisioning::make_csr(*other_key, "box-0001");
  link.renew_answer = FakeController::issued(
      FakeController::sign(controller.ca(), *other_csr, "box-0001", 24h), controller.ca().cert_pem);
  auto failed = renew();
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::crypto);
  EXPECT_EQ(current_serial(), enrolled.record.serial_hex);
  auto pending = store->pending_identity();
  ASSERT_TRUE(pending);
  EXPECT_FALSE(pending->has_value());
  EXPECT_EQ(link.probe_calls, 0);
}

TEST_F(provisioning_renewal_flow, ACertificateFromAnotherCaIsNeverSwitchedTo) {
  FleetCa foreign;
  controller.override_answer(
      "/v1/device/renew", [&foreign](const HttpRequest& request) -> std::optional<HttpResponse> {
        auto parsed = wire::parse_renew_request(request.body);
        auto issued = FakeController::issued(
            FakeController::sign(foreign.ca, parsed->csr_pem, "box-0001", 24h),
            foreign.ca.cert_pem);
        return HttpResponse{200, wire::to_json(issued), {}, false, false};
      });
  auto failed = renew();
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::crypto);
  EXPECT_EQ(current_serial(), enrolled.record.serial_hex);
}

TEST_F(provisioning_renewal_flow, ARevokedBoxIsToldSoAndKeepsItsIdentityFiles) {
  controller.revoke("box-0001");
  provisioning::Refusal refusal;
  auto failed = renew(true, &refusal);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::forbidden);
  EXPECT_EQ(refusal.word, "revoked");
  EXPECT_EQ(current_serial(), enrolled.record.serial_hex);
}

TEST_F(provisioning_renewal_flow, AnEnrolmentUnderWayIsLeftAlone) {
  store_answer_offline(*store, controller.ca(), "box-0001",
                       provisioning::IdentityOrigin::enrolment);
  auto failed = renew();
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::state);
  auto pending = store->pending_identity();
  ASSERT_TRUE(pending && *pending);
}

TEST_F(provisioning_renewal_flow, AKeyLeftByAnEnrolmentAttemptIsNotARenewalUnderWay) {
  ASSERT_TRUE(store->pending_key(""));  // an unnamed CSR: a --force enrolment that was cut short
  auto result = renew(false);
  ASSERT_TRUE(result) << result.error().describe();
  EXPECT_EQ(result->outcome, RenewalOutcome::not_due);
  EXPECT_EQ(link.renew_calls, 0);
}

TEST_F(provisioning_renewal_flow, RenewingAgainAndAgainKeepsTwoGenerations) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(renew());
  EXPECT_EQ(fs::read_symlink(dir / "current"), "gen-000004");
  EXPECT_TRUE(fs::exists(dir / "gen-000003"));
  EXPECT_FALSE(fs::exists(dir / "gen-000002"));
  EXPECT_FALSE(fs::exists(dir / "gen-000001"));
  expect_working_identity(dir, controller.fleet_ca());
}

TEST_F(provisioning_renewal_flow, ACrashBeforeTheSwitchLeavesTheOldIdentityInUseAndWorking) {
  for (const char* step :
       {"renew_key_written", "renew_csr_written", "renew_answered", "renew_cert_written",
        "renew_ca_written", "renew_config_written", "renew_probed"}) {
    SCOPED_TRACE(step);
    std::string before = current_serial();
    store->set_step_hook(crash_at(step));
    EXPECT_THROW((void)renew(), Crash);
    store->set_step_hook({});
    EXPECT_EQ(current_serial(), before);
    auto current = store->current();
    EXPECT_TRUE(provisioning::probe(controller.device_url(), provisioning::tls_files(**current)));
    // Reopen as after a reboot, and let the renewal finish.
    store.reset();
    store.emplace(std::move(*IdentityStore::open(dir)));
    auto result = renew(false);
    ASSERT_TRUE(result) << result.error().describe();
    if (std::string_view(step) == "renew_key_written") {
      EXPECT_EQ(result->outcome, RenewalOutcome::not_due) << "no whole key yet: nothing resumed";
    } else {
      EXPECT_EQ(result->outcome, RenewalOutcome::renewed);
    }
    expect_working_identity(dir, controller.fleet_ca());
  }
}

}  // namespace
}  // namespace civicbox::testing
