#include "firmware/recovery.hpp"

#include <spdlog/spdlog.h>

#include "drivers/lockers/door_wait.hpp"

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
                                               i.contact, true, i.language});
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

Expected<RecoveredIntent> recover_one(const Intent& intent, Journal& journal,
                                      drivers::Lockers& lockers,
                                      const std::function<std::int64_t()>& now_ms, Random& random,
                                      const RecoveryOptions& options) {
  auto door = lockers.door(intent.compartment);
  DoorState state = door ? *door : DoorState::unknown;
  if (!door) {
    spdlog::warn("recovery: reading door {}: {}", intent.compartment, door.error().describe());
  }
  std::string where = "compartment " + std::to_string(intent.compartment);
  // One alarm about this intent, for a technician; a journal that cannot take it fails recovery.
  auto alarm = [&](const char* what, std::string detail) -> Expected<void> {
    auto appended =
        journal.append(wire::Alarm{what, std::move(detail), intent.compartment}, now_ms(), random);
    if (!appended) return appended.error().context("recovering intent " + intent.id);
    return {};
  };
  bool parcel_flow = intent.flow == Flow::pickup || intent.flow == Flow::load;
  if (intent.stage == IntentStage::unlock_requested && state == DoorState::closed && parcel_flow) {
    // The door may have opened and closed while the agent was down: a person must check.
    spdlog::warn("recovery: {} intent {} for compartment {}: the door reads closed; cancelled",
                 to_string(intent.flow), intent.id, intent.compartment);
    CIVICBOX_CHECK(alarm("flow_interrupted",
                         "the " + std::string(to_string(intent.flow)) + " of parcel " +
                             intent.subject + " at " + where +
                             " was interrupted by a restart before the door was seen to open; it "
                             "was cancelled: check the compartment"));
    CIVICBOX_CHECK(journal.cancel_intent(intent.id, "recovery: the door reads closed"));
    return RecoveredIntent{intent, RecoveryOutcome::cancelled};
  }
  if (parcel_flow && state == DoorState::unknown) {
    // Finishing would say a parcel was taken (or put in) on a guess: leave the intent for the
    // agent to finish once the sensor answers, and tell a technician.
    spdlog::error(
        "recovery: {} intent {} for compartment {}: the door sensor is unsure; left "
        "unfinished",
        to_string(intent.flow), intent.id, intent.compartment);
    CIVICBOX_CHECK(alarm("door_sensor_unsure",
                         "the " + std::string(to_string(intent.flow)) + " of parcel " +
                             intent.subject + " at " + where +
                             " was interrupted by a restart and the door sensor gives no clear "
                             "answer; the compartment is out of service until it does"));
    return RecoveredIntent{intent, RecoveryOutcome::left_unfinished};
  }
  // Otherwise the door was, or may have been, used: finish the flow as interrupted. That
  // includes a filing or an emptying whose door reads closed: it may have been opened, used
  // and closed while the agent was down, and a false filing can be corrected, a lost paper
  // cannot.
  spdlog::warn("recovery: {} intent {} for compartment {} was under way (door {}); finishing it",
               to_string(intent.flow), intent.id, intent.compartment, to_string(state));
  bool closed = state == DoorState::closed ||
                drivers::wait_for_door(lockers, intent.compartment, DoorState::closed,
                                       options.close_wait, options.poll);
  if (!closed && parcel_flow) {
    auto now = lockers.door(intent.compartment);
    if (!now || *now == DoorState::unknown) {
      spdlog::error("recovery: door {} became unsure; the {} is left unfinished",
                    intent.compartment, to_string(intent.flow));
      CIVICBOX_CHECK(
          alarm("door_sensor_unsure", where + " gives no clear answer after a restart; the " +
                                          std::string(to_string(intent.flow)) + " of parcel " +
                                          intent.subject + " is left unfinished"));
      return RecoveredIntent{intent, RecoveryOutcome::left_unfinished};
    }
  }
  if (!closed) {
    spdlog::error("recovery: door {} did not report closed; finishing the flow with an alarm",
                  intent.compartment);
  }
  CIVICBOX_CHECK(journal.mark_door_opened(intent.id));
  auto appended = journal.append(interrupted_events(intent, closed), now_ms(), random, intent.id);
  if (!appended) return appended.error().context("recovering intent " + intent.id);
  return RecoveredIntent{intent, RecoveryOutcome::finished};
}

// Bad data in one row (it does not parse, its events would not read back): retrying at every
// start cannot help. A failing disk or a busy database can, and is not a reason to quarantine.
bool bad_row(const Error& error) {
  return error.code == ErrorCode::parse || error.code == ErrorCode::invalid_argument;
}

Expected<void> quarantine(Journal& journal, const std::string& id, std::optional<int> compartment,
                          const std::string& why, const std::function<std::int64_t()>& now_ms,
                          Random& random) {
  spdlog::error("recovery: intent {} is quarantined: {}", id, why);
  if (compartment && (*compartment < 1 || *compartment > wire::kMaxCompartment)) {
    compartment.reset();  // the alarm must read back
  }
  auto done = journal.quarantine_intent(id, compartment, why, now_ms(), random);
  if (!done) return done.error().context("quarantining intent " + id);
  return {};
}
}  // namespace

Expected<std::vector<RecoveredIntent>> recover(Journal& journal, drivers::Lockers& lockers,
                                               const std::function<std::int64_t()>& now_ms,
                                               Random& random, RecoveryOptions options) {
  std::vector<RecoveredIntent> out;
  CIVICBOX_TRY(auto unreadable, journal.unreadable_intents());
  for (const auto& u : unreadable) {
    CIVICBOX_CHECK(quarantine(journal, u.id, u.compartment, u.why, now_ms, random));
    Intent shown;
    shown.id = u.id;
    shown.compartment = u.compartment.value_or(0);
    shown.stage = IntentStage::quarantined;
    out.push_back(RecoveredIntent{std::move(shown), RecoveryOutcome::quarantined});
  }
  CIVICBOX_TRY(auto intents, journal.unfinished_intents());
  for (const auto& intent : intents) {
    auto recovered = recover_one(intent, journal, lockers, now_ms, random, options);
    if (recovered) {
      out.push_back(std::move(*recovered));
      continue;
    }
    if (!bad_row(recovered.error())) return recovered.error();
    CIVICBOX_CHECK(quarantine(journal, intent.id, intent.compartment, recovered.error().describe(),
                              now_ms, random));
    Intent shown = intent;
    shown.stage = IntentStage::quarantined;
    out.push_back(RecoveredIntent{std::move(shown), RecoveryOutcome::quarantined});
  }
  return out;
}

}  // namespace civicbox::firmware
