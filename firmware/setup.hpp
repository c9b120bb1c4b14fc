// A box that is not set up yet: its touchscreen asks the technician for the enrolment QR code
// (CBX-ENROL:<token>, printed by `civicbox-controller token create --qr`), the box enrols with
// the controller's public listener (provisioning::enrol_box, as `civicbox-provision` does), and
// then the agent starts with the new identity and runs the provisioning self-test on the
// technician screen by itself.
//
// SetupSession is the screen's state machine, pure like Session: the same inputs (a scan, a
// touch, the devices' facts, EnrolFinished) and the same commands (StartEnrol, PlaySound). It
// offers nothing to touch but the language and the toggles: the token authorises the enrolment,
// so no staff login is asked of a box that has no identity yet (its [[staff]] may not even be
// configured). A code that is not an enrolment code is refused on the screen; while the
// controller is asked, scans are ignored; a failure says why in the technician's language and
// what to do, and the next scan tries again. A successful enrolment is the end of setup.
//
// enrol_from_screen() does the enrolment itself: the identity store of 'box.identity', the
// controller and fleet CA of [enrol]; the outcome is logged in English with the advice
// civicbox-provision would give. On success it marks the provisioning self-test due (in
// data_dir), so a power cut between the enrolment and the self-test still runs it at the next
// start.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "firmware/config.hpp"
#include "firmware/session.hpp"
#include "ui/view.hpp"

namespace civicbox::provisioning {
struct Refusal;
struct EnrolResult;
}  // namespace civicbox::provisioning

namespace civicbox::firmware {

// What an enrolment's outcome means for the screen: the catalogue keys of why it failed and what
// to do ("setup.token_used" + "setup.new_token"), with {seconds} for a rate limit.
EnrolFinished enrol_outcome(const Expected<provisioning::EnrolResult>& result,
                            const provisioning::Refusal& refusal);

// Enrols the box with `token` (as scanned, without CBX-ENROL:). Blocks for at most the
// configuration's timeout.
EnrolFinished enrol_from_screen(const AgentConfig& config, const std::string& token,
                                std::int64_t now_ms);

// Whether 'box.identity' holds an identity now (civicbox-provision may write one while the
// setup screen waits). Marks the provisioning self-test due when it does.
bool identity_in_place(const AgentConfig& config);

// The setup screen's rows: the doors, the printer, the camera (from the cabinet profile, as the
// technician screen shows them) and the controller it enrols with.
std::vector<ui::Row> setup_rows(const AgentConfig& config, bool scanner_ok);

class SetupSession {
 public:
  SetupSession(std::string default_language, BoxFacts facts);

  std::vector<Command> handle(const SessionInput& input, std::int64_t now_ms);
  [[nodiscard]] const ui::View& view() const { return view_; }
  // The controller is being asked.
  [[nodiscard]] bool enrolling() const { return enrolling_; }
  // The box has its identity: setup is over.
  [[nodiscard]] bool enrolled() const { return enrolled_; }

 private:
  void show(std::string body_key, ui::Tone tone);

  BoxFacts facts_;
  ui::View view_;
  bool enrolling_ = false;
  bool enrolled_ = false;
};

}  // namespace civicbox::firmware
