#include "firmware/cabinet_health.hpp"

#include <utility>

namespace civicbox::firmware {

using drivers::DoorState;

namespace {

std::string list(const std::vector<int>& numbers) {
  std::string out;
  for (int n : numbers) {
    if (!out.empty()) out += ", ";
    out += std::to_string(n);
  }
  return out;
}

std::string compartments_text(const std::vector<int>& numbers) {
  return (numbers.size() == 1 ? "compartment " : "compartments ") + list(numbers);
}

}  // namespace

std::vector<wire::Alarm> CabinetHealth::observe(
    const std::vector<drivers::CompartmentReading>& readings, const std::set<int>& expected_open) {
  // Board faults are reported per board (one fault text), not per compartment.
  std::map<std::string, std::vector<int>> failed;
  std::map<std::string, std::vector<int>> recovered;
  std::vector<wire::Alarm> doors;
  const bool first = sweeps_ == 0;
  ++sweeps_;

  for (const auto& r : readings) {
    Compartment& c = compartments_[r.compartment];
    if (!r.fault.empty()) {
      ++c.silent_sweeps;
      if (c.fault.empty() && c.silent_sweeps >= options_.sweeps_before_fault) {
        c.fault = r.fault;
        failed[r.fault].push_back(r.compartment);
      }
      continue;  // an unknown door says nothing about tampering
    }
    c.silent_sweeps = 0;
    if (!c.fault.empty()) {
      recovered[c.fault].push_back(r.compartment);
      c.fault.clear();
    }
    const std::string name = "compartment " + std::to_string(r.compartment);
    if (r.door == DoorState::open && !c.tampered && !expected_open.contains(r.compartment)) {
      c.tampered = true;
      if (first) {
        doors.push_back({"door_open_at_start",
                         name + " was open when the box started; out of service until it is shut",
                         r.compartment});
      } else {
        doors.push_back({"tamper",
                         name + " opened with no unlock sent; out of service until it is shut",
                         r.compartment});
      }
    } else if (r.door == DoorState::closed && c.tampered) {
      c.tampered = false;
      doors.push_back({"tamper_ended", name + " is shut again; back in service", r.compartment});
    }
    if (r.door != DoorState::unknown) c.last = r.door;
  }

  std::vector<wire::Alarm> out;
  for (auto& [fault, numbers] : failed) {
    out.push_back({"board_fault", fault + "; " + compartments_text(numbers) + " out of service",
                   numbers.size() == 1 ? std::optional<int>(numbers[0]) : std::nullopt});
  }
  for (auto& [fault, numbers] : recovered) {
    out.push_back(
        {"board_back",
         "answering again after: " + fault + "; " + compartments_text(numbers) + " back in service",
         numbers.size() == 1 ? std::optional<int>(numbers[0]) : std::nullopt});
  }
  for (auto& alarm : doors) out.push_back(std::move(alarm));
  return out;
}

void CabinetHealth::left_open(int compartment) {
  compartments_[compartment].tampered = true;
}

std::set<int> CabinetHealth::out_of_service() const {
  std::set<int> out;
  for (const auto& [number, c] : compartments_) {
    if (!c.fault.empty() || c.tampered) out.insert(number);
  }
  return out;
}

bool CabinetHealth::silent(int compartment) const {
  auto it = compartments_.find(compartment);
  return it != compartments_.end() && it->second.silent_sweeps > 0;
}

std::string CabinetHealth::fault_of(int compartment) const {
  auto it = compartments_.find(compartment);
  return it == compartments_.end() ? "" : it->second.fault;
}

}  // namespace civicbox::firmware
