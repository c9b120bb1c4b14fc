// Mutual TLS seen from the box: a box whose certificate the fleet CA did not sign, or whose
// certificate has expired, cannot sync, and the controller keeps nothing from it.
#include "tests/e2e/fleet.hpp"

namespace civicbox::e2e {
namespace {

class e2e_box_certificate : public E2eTest {
 protected:
  void SetUp() override { controller_ = start_controller(); }

  // The box files a document and tries to sync with `tls` as its identity.
  void expect_refused(const std::string& id, const testing::TlsFiles& tls) {
    AgentOptions options;
    options.controller_url = controller_->device_url();
    options.box_id = id;
    options.dir = dir_.path() / id;
    options.tls = tls;
    AgentSession agent(write_agent_config(options));
    auto filed = agent.act("file request");
    ASSERT_EQ(filed.rfind("filed ", 0), 0u) << filed;
    EXPECT_EQ(field(filed, "registration"), "-") << filed;
    auto synced = agent.act("sync");
    EXPECT_EQ(synced.rfind("sync_failed ", 0), 0u) << synced;
    EXPECT_NE(field(synced, "pending"), "0") << synced;
    agent.finish();

    EXPECT_EQ(controller_->submissions().size(), 0u);
    EXPECT_EQ(controller_->parcels(id).size(), 0u);
    // The controller never met the box: the back office cannot issue for it.
    auto issue = controller_->backoffice("POST", "/v1/backoffice/parcels",
                                         Json{{"box", id}, {"reference", "r-1"}}.dump());
    EXPECT_EQ(issue.status, 404) << issue.body;
  }

  std::unique_ptr<ControllerProcess> controller_;
};

TEST_F(e2e_box_certificate, ABoxWhoseCertificateAnotherCaSignedCannotSyncAndLeavesNothing) {
  DevPki stranger(dir_.path() / "stranger-pki");
  auto tls = stranger.box("box-x");
  tls.ca = pki().ca();  // it trusts the real controller; the controller does not trust it
  expect_refused("box-x", tls);
}

TEST_F(e2e_box_certificate, ABoxWithAnExpiredCertificateCannotSyncAndLeavesNothing) {
  expect_refused("box-old", pki().box("box-old", /*expired=*/true));
}

}  // namespace
}  // namespace civicbox::e2e
