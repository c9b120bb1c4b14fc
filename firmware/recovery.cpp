#include "firmware/recovery.hpp"

#include <spdlog/spdlog.h>

#include <thread>

namespace civicbox::firmware {

using drivers::DoorState;

std::vector<wire::EventBody> interrupted_events(const Intent& i, bool door_closed) {
  std::vector<wire::EventBody> out;
  std::string where = "compartment " + std::to_string(i.compartment);
  std::string detail;
  switch (i.flow) {
    case Flow::filing: {
      auto code = TrackingCode::parse(i.subject);
      if (code) {
        out.emplace_back(wire::SubmissionFiled{*code, i.kind, i.compartment, i.provisional_number,
                                               i.contact, true});
      }
      detail = "the filing of " + i.subject + " in " + where +
               " was interrupted by a restart; a document may be inside and no receipt may have "
               "been printed";
      break;
    }
    case Flow::pickup:
      out.emplace_back(wire::ParcelCollected{i.subject, i.compartment, true});
      detail = "the pickup of parcel " + i.subject + " from " + where +
               " was interrupted by a restart; check that the parcel was taken";
      break;
    case Flow::load:
      out.emplace_back(wire::ParcelLoaded{i.subject, i.compartment});
      detail = "the loading of parcel " + i.subject + " into " + where +
               " was interrupted by a restart; check that the parcel is inside";
      break;
    case Flow::empty:
      out.emplace_back(wire::DropoffEmptied{i.compartment, i.tracking_codes});
      detail = "the emptying of " + where +
               " was interrupted by a restart; check that the documents were taken out";
      break;
  }
  out.emplace_back(wire::Alarm{"flow_interrupted", detail, i.compartment});
  if (!door_closed) {
    out.emplace_back(
        wire::Alarm{"door_left_open", where + " did not close after a restart", i.compartment});
  }
  return out;
}

namespace {
bool wait_closed(drivers::Lockers& lockers, int compartment, const RecoveryOptions& options) {
  auto deadline = std::chrono::steady_clock::now() + options.close_wait;
  for (;;) {
    auto door = lockers.door(compartment);
    if (door && *door == DoorState::closed) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(options.poll);
  }
}
}  // namespace

Expected<std::vector<RecoveredIntent>> recover(Journal& journal, drivers::Lockers& lockers,
                                               const std::function<std::int64_t()>& now_ms,
                                               Random& random, RecoveryOptions options) {
  CIVICBOX_TRY(auto intents, journal.unfinished_intents());
  std::vector<RecoveredIntent> out;
  for (auto& intent : intents) {
    auto door = lockers.door(intent.compartment);
    DoorState state = door ? *door : DoorState::unknown;
    if (!door) {
      spdlog::warn("recovery: reading door {}: {}", intent.compartment, door.error().describe());
    }
    if (intent.stage == IntentStage::unlock_requested && state == DoorState::closed) {
      spdlog::info("recovery: {} intent {} for compartment {}: the door never opened; cancelled",
                   to_string(intent.flow), intent.id, intent.compartment);
      CIVICBOX_CHECK(journal.cancel_intent(intent.id, "recovery: the door never opened"));
      out.push_back(RecoveredIntent{intent, RecoveryOutcome::cancelled});
      continue;
    }
    spdlog::warn("recovery: {} intent {} for compartment {} was under way (door {}); finishing it",
                 to_string(intent.flow), intent.id, intent.compartment, to_string(state));
    bool closed = state == DoorState::closed || wait_closed(lockers, intent.compartment, options);
    if (!closed) {
      spdlog::error("recovery: door {} did not report closed; finishing the flow with an alarm",
                    intent.compartment);
    }
    CIVICBOX_CHECK(journal.mark_door_opened(intent.id));
    auto appended = journal.append(interrupted_events(intent, closed), now_ms(), random, intent.id);
    if (!appended) return appended.error().context("recovering intent " + intent.id);
    out.push_back(RecoveredIntent{intent, RecoveryOutcome::finished});
  }
  return out;
}

}  // namespace civicbox::firmware
