// A screen for a box without one (headless, CI): what would be shown goes to the log.
#pragma once

#include <spdlog/spdlog.h>

#include <string_view>

#include "drivers/screen/screen.hpp"

namespace civicbox::sim {

class LogScreen final : public drivers::Screen {
 public:
  void show(std::string_view message) override { spdlog::info("screen: {}", message); }
};

}  // namespace civicbox::sim
