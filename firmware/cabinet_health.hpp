// What the agent learns from sweeping the cabinet's sensors between flows (drivers::Lockers::
// survey()), as alarms for the journal and a set of compartments no flow may use:
//
// - A board that stops answering (or answers garbage) for `sweeps_before_fault` sweeps in a row
//   puts its compartments out of service, with one `board_fault` alarm naming the board and the
//   compartments; when it answers again, one `board_back` alarm and they are back in service.
// - A door seen open with no unlock sent for it (`expected_open` does not hold it) is a `tamper`
//   alarm (`door_open_at_start` on the first sweep after a start); the compartment is out of
//   service until its door is seen shut again (`tamper_ended`).
// - A door the self-test opened and nobody shut in time (left_open(): its door_left_open alarm
//   is already journaled) is out of service the same way, without a tamper alarm.
//
// Pure: readings in, alarms out, no clock, no I/O; the agent decides when to sweep.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/wire.hpp"
#include "drivers/lockers/lockers.hpp"

namespace civicbox::firmware {

struct CabinetHealthOptions {
  // One lost reply is line noise; two in a row is a board a technician must look at.
  int sweeps_before_fault = 2;
};

class CabinetHealth {
 public:
  explicit CabinetHealth(CabinetHealthOptions options = {}) : options_(options) {}

  // One sweep. `expected_open`: compartments an unlock was sent to whose flow has not finished
  // (their door may well be open). Returns the alarms this sweep raised, in order.
  std::vector<wire::Alarm> observe(const std::vector<drivers::CompartmentReading>& readings,
                                   const std::set<int>& expected_open);

  // A door opened by the box and left open: out of service until it is seen shut.
  void left_open(int compartment);

  // Compartments whose board is faulty or whose door was opened with no unlock and not shut.
  [[nodiscard]] std::set<int> out_of_service() const;
  // The board fault of a compartment ("" when none), for the technician's view.
  [[nodiscard]] std::string fault_of(int compartment) const;
  [[nodiscard]] bool swept() const { return sweeps_ > 0; }
  // Whether the compartment's board gave no answer in the last sweep.
  [[nodiscard]] bool silent(int compartment) const;

 private:
  struct Compartment {
    int silent_sweeps = 0;
    std::string fault;  // set once the board is declared faulty
    bool tampered = false;
    drivers::DoorState last = drivers::DoorState::unknown;
  };

  CabinetHealthOptions options_;
  std::map<int, Compartment> compartments_;
  long sweeps_ = 0;
};

}  // namespace civicbox::firmware
