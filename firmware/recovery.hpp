// What the agent does at start about flows a crash or power cut interrupted. For each intent not
// done, it reads the door sensor:
//  - a pickup or load with unlock requested and the door closed: most likely nothing happened:
//    cancel the intent, with a flow_interrupted alarm so a clerk checks the compartment;
//  - a pickup or load whose sensor is unsure: never finished on a guess; left unfinished with a
//    door_sensor_unsure alarm (the agent finishes it once the sensor answers);
//  - a filing or emptying with unlock requested and the door closed: the person may have opened,
//    used and closed it while the agent was down; finished like the next case (a false filing is
//    recoverable, a lost paper is not);
//  - door opened (journal says so, or the door is open or its sensor unsure now): wait for the
//    door to close, then finish the flow as if it had ended, marked interrupted — a filing
//    becomes submission.filed (a document may be inside: never lost), a pickup
//    parcel.collected, a load parcel.loaded, an emptying dropoff.emptied — with an alarm that
//    tells a person to check the compartment.
// Finishing is one transaction with the intent marked done, so recovery killed half-way is
// simply done again at the next start.
// One bad row does not keep the box from starting: an intent whose row cannot be read, or whose
// finishing events the journal refuses (bad data, not a failing disk), is quarantined — the row
// kept, never acted on — with a journal_row_unreadable alarm naming it, and recovery goes on.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/random.hpp"
#include "common/wire.hpp"
#include "drivers/lockers/lockers.hpp"
#include "firmware/journal.hpp"
#include "firmware/kiosk.hpp"

namespace civicbox::firmware {

struct RecoveryOptions {
  std::chrono::milliseconds close_wait{std::chrono::minutes(2)};  // then finish with an alarm
  std::chrono::milliseconds poll{20};
};

enum class RecoveryOutcome { cancelled, finished, left_unfinished, quarantined };

struct RecoveredIntent {
  Intent intent;  // a quarantined row that could not be read: only its id and compartment
  RecoveryOutcome outcome = RecoveryOutcome::cancelled;
};

// The events that end an interrupted flow (pure). `door_closed` false adds a door_left_open alarm.
std::vector<wire::EventBody> interrupted_events(const Intent& intent, bool door_closed);

Expected<std::vector<RecoveredIntent>> recover(Journal& journal, drivers::Lockers& lockers,
                                               const std::function<std::int64_t()>& now_ms,
                                               Random& random, RecoveryOptions options = {});

}  // namespace civicbox::firmware
