#include "hardware/sim/cabinet.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/atomic_file.hpp"

namespace civicbox::sim {

using drivers::DoorState;

bool hold_doors_from_environment() {
  const char* env = std::getenv("CIVICBOX_SIM_HOLD_DOORS");
  return env != nullptr && std::string_view(env) == "1";
}

std::vector<int> jammed_doors_from_environment() {
  std::vector<int> out;
  const char* env = std::getenv("CIVICBOX_SIM_JAMMED_DOORS");
  if (env == nullptr) return out;
  std::stringstream list(env);
  for (std::string item; std::getline(list, item, ',');) {
    int n = std::atoi(item.c_str());
    if (n > 0) out.push_back(n);
  }
  return out;
}

Cabinet::Cabinet(CabinetOptions options)
    : options_(std::move(options)), file_(options_.data_dir / "cabinet.json") {}

void Cabinet::jam(int compartment, bool jammed) {
  std::lock_guard lock(mutex_);
  if (jammed) {
    jammed_.insert(compartment);
  } else {
    jammed_.erase(compartment);
  }
}

Expected<std::unique_ptr<Cabinet>> Cabinet::open(CabinetOptions options) {
  if (options.compartments.empty()) {
    return make_error(ErrorCode::invalid_argument, "the simulated cabinet has no compartments");
  }
  std::sort(options.compartments.begin(), options.compartments.end());
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) {
    return make_error(ErrorCode::io, "creating " + options.data_dir.string() + ": " + ec.message());
  }
  std::unique_ptr<Cabinet> cabinet(new Cabinet(std::move(options)));
  CIVICBOX_CHECK(cabinet->load());
  if (!cabinet->options_.hold_doors) {
    auto at = Clock::now() + cabinet->options_.door_close;
    for (const auto& [n, state] : cabinet->doors_) {
      if (state == DoorState::open) cabinet->closes_at_[n] = at;
    }
  }
  cabinet->person_ = std::thread([c = cabinet.get()] { c->person(); });
  return cabinet;
}

Cabinet::~Cabinet() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (person_.joinable()) person_.join();
}

Expected<void> Cabinet::load() {
  for (int n : options_.compartments) doors_[n] = DoorState::closed;
  std::error_code ec;
  if (!std::filesystem::exists(file_, ec)) {
    std::lock_guard lock(mutex_);
    return save_locked();
  }
  CIVICBOX_TRY(std::string text, read_text_file(file_));
  auto root = nlohmann::json::parse(text, nullptr, false);
  if (root.is_discarded() || !root.is_object() || !root.contains("doors") ||
      !root["doors"].is_object()) {
    return make_error(ErrorCode::parse, file_.string() + " is not a cabinet state file");
  }
  for (const auto& [key, value] : root["doors"].items()) {
    int n = std::atoi(key.c_str());
    if (!doors_.contains(n) || !value.is_string()) continue;  // a compartment no longer fitted
    const auto& s = value.get_ref<const std::string&>();
    doors_[n] = s == "open"     ? DoorState::open
                : s == "closed" ? DoorState::closed
                                : DoorState::unknown;
  }
  return {};
}

Expected<void> Cabinet::save_locked() {
  nlohmann::json doors = nlohmann::json::object();
  for (const auto& [n, state] : doors_) doors[std::to_string(n)] = std::string(to_string(state));
  auto written = write_file_atomically(file_, nlohmann::json{{"doors", doors}}.dump(2) + "\n");
  if (!written) return written.error().context("saving the simulated cabinet");
  return {};
}

Expected<void> Cabinet::unlock(int compartment) {
  {
    std::lock_guard lock(mutex_);
    auto it = doors_.find(compartment);
    if (it == doors_.end()) {
      return make_error(ErrorCode::invalid_argument,
                        "the cabinet has no compartment " + std::to_string(compartment));
    }
    if (jammed_.contains(compartment)) {
      spdlog::info("door {} unlocked, but nobody pulls it", compartment);
      return {};
    }
    it->second = DoorState::open;
    CIVICBOX_CHECK(save_locked());
    spdlog::info("door {} opened", compartment);
    if (!options_.hold_doors) closes_at_[compartment] = Clock::now() + options_.door_close;
  }
  wake_.notify_all();
  return {};
}

Expected<DoorState> Cabinet::door(int compartment) {
  std::lock_guard lock(mutex_);
  auto it = doors_.find(compartment);
  if (it == doors_.end()) {
    return make_error(ErrorCode::invalid_argument,
                      "the cabinet has no compartment " + std::to_string(compartment));
  }
  return it->second;
}

std::vector<int> Cabinet::compartments() const {
  return options_.compartments;
}

Expected<void> Cabinet::set_door(int compartment, DoorState state) {
  std::lock_guard lock(mutex_);
  auto it = doors_.find(compartment);
  if (it == doors_.end()) {
    return make_error(ErrorCode::invalid_argument,
                      "the cabinet has no compartment " + std::to_string(compartment));
  }
  it->second = state;
  if (state != DoorState::open) closes_at_.erase(compartment);
  return save_locked();
}

void Cabinet::person() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (closes_at_.empty()) {
      wake_.wait(lock);
      continue;
    }
    auto next = std::min_element(closes_at_.begin(), closes_at_.end(),
                                 [](const auto& a, const auto& b) { return a.second < b.second; });
    if (Clock::now() < next->second) {
      wake_.wait_until(lock, next->second);
      continue;
    }
    int n = next->first;
    closes_at_.erase(next);
    doors_[n] = DoorState::closed;
    if (auto saved = save_locked(); !saved) {
      spdlog::error("{}", saved.error().describe());
    }
    spdlog::info("door {} closed", n);
  }
}

}  // namespace civicbox::sim
