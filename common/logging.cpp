#include "common/logging.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <string>

namespace civicbox {

void setup_logging(std::string_view name, std::string_view level) {
  auto logger = spdlog::stderr_color_mt(std::string(name));
  std::string chosen(level);
  if (const char* env = std::getenv("CIVICBOX_LOG"); env != nullptr && *env != '\0') chosen = env;
  logger->set_level(spdlog::level::from_str(chosen));
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %n %^%l%$ %v");
  spdlog::set_default_logger(logger);
}

}  // namespace civicbox
