#include "drivers/lockers/board_lockers.hpp"

#include <string>
#include <utility>

namespace civicbox::lockers {

using drivers::DoorState;

Expected<std::unique_ptr<BoardLockers>> BoardLockers::open(const CabinetProfile& profile) {
  std::unique_ptr<BoardLockers> lockers(new BoardLockers());
  for (std::size_t i = 0; i < profile.buses.size(); ++i) {
    const BusProfile& bp = profile.buses[i];
    LockBoardBusOptions options;
    options.family = bp.family;
    options.set_lock_bit = bp.set_lock_bit;
    options.reply_timeout = bp.reply_timeout;
    auto bus = LockBoardBus::open(bp.device, options);
    if (!bus) return bus.error().context("bus " + std::to_string(i) + " (" + bp.device + ")");
    auto entry = std::make_unique<Bus>();
    entry->bus = std::move(*bus);
    entry->device = bp.device;
    lockers->buses_.push_back(std::move(entry));
  }
  for (const CompartmentProfile& c : profile.compartments) {
    if (c.bus < 0 || static_cast<std::size_t>(c.bus) >= lockers->buses_.size()) {
      return make_error(ErrorCode::invalid_argument,
                        "compartment " + std::to_string(c.number) + " is on a missing bus");
    }
    if (!lockers->compartments_.emplace(c.number, c).second) {
      return make_error(ErrorCode::invalid_argument,
                        "compartment " + std::to_string(c.number) + " is defined twice");
    }
  }
  return lockers;
}

const CompartmentProfile* BoardLockers::find(int compartment) const {
  auto it = compartments_.find(compartment);
  return it == compartments_.end() ? nullptr : &it->second;
}

Expected<void> BoardLockers::unlock(int compartment) {
  const CompartmentProfile* c = find(compartment);
  if (c == nullptr) {
    return make_error(ErrorCode::invalid_argument, "no compartment " + std::to_string(compartment));
  }
  Bus& bus = *buses_[static_cast<std::size_t>(c->bus)];
  std::lock_guard lock(bus.mutex);
  auto sent = bus.bus->unlock(c->board, c->lock);
  if (!sent) return sent.error().context("compartment " + std::to_string(compartment));
  return {};
}

Expected<DoorState> BoardLockers::door(int compartment) {
  const CompartmentProfile* c = find(compartment);
  if (c == nullptr) {
    return make_error(ErrorCode::invalid_argument, "no compartment " + std::to_string(compartment));
  }
  Bus& bus = *buses_[static_cast<std::size_t>(c->bus)];
  std::lock_guard lock(bus.mutex);
  auto status = bus.bus->query(c->board);
  if (!status) return DoorState::unknown;
  const auto index = static_cast<std::size_t>(c->lock - 1);
  if (index >= status->doors.size()) return DoorState::unknown;
  return status->doors[index];
}

std::vector<drivers::CompartmentReading> BoardLockers::survey() {
  // (bus, board) -> that board's status, or why there is none.
  std::map<std::pair<int, int>, Expected<BoardStatus>> boards;
  for (const auto& [number, c] : compartments_) {
    const auto key = std::make_pair(c.bus, c.board);
    if (boards.contains(key)) continue;
    Bus& bus = *buses_[static_cast<std::size_t>(c.bus)];
    std::lock_guard lock(bus.mutex);
    auto status = bus.bus->query(c.board);
    if (!status) {
      status = status.error().context("board " + std::to_string(c.board) + " on " + bus.device);
    }
    boards.emplace(key, std::move(status));
  }
  std::vector<drivers::CompartmentReading> out;
  out.reserve(compartments_.size());
  for (const auto& [number, c] : compartments_) {
    const auto& status = boards.at(std::make_pair(c.bus, c.board));
    drivers::CompartmentReading r{number, DoorState::unknown, ""};
    const auto index = static_cast<std::size_t>(c.lock - 1);
    if (!status) {
      r.fault = status.error().message;
    } else if (index < status->doors.size()) {
      r.door = status->doors[index];
    } else {
      r.fault = "board " + std::to_string(c.board) + " has no lock " + std::to_string(c.lock);
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<int> BoardLockers::compartments() const {
  std::vector<int> numbers;
  numbers.reserve(compartments_.size());
  for (const auto& [number, c] : compartments_) numbers.push_back(number);
  return numbers;
}

}  // namespace civicbox::lockers
