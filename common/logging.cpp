#include "common/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

namespace civicbox {

namespace {

// One JSON object per line. The message is escaped by nlohmann (invalid UTF-8 replaced), so a
// log line can never be split or forged by what a request put in it.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto since_epoch = msg.time.time_since_epoch();
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count() % 1000;
    const std::time_t seconds = std::chrono::system_clock::to_time_t(msg.time);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char ts[96];
    std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(ms));
    const auto level = spdlog::level::to_string_view(msg.level);
    nlohmann::ordered_json line = {
        {"ts", ts},
        {"level", std::string(level.data(), level.size())},
        {"program", std::string(msg.logger_name.data(), msg.logger_name.size())},
        {"thread", msg.thread_id},
        {"msg", std::string(msg.payload.data(), msg.payload.size())},
    };
    const std::string text =
        line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
    dest.append(text.data(), text.data() + text.size());
  }
  [[nodiscard]] std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

}  // namespace

void setup_logging(std::string_view name, std::string_view level, std::string_view format) {
  auto logger = spdlog::stderr_color_mt(std::string(name));
  std::string chosen(level);
  if (const char* env = std::getenv("CIVICBOX_LOG"); env != nullptr && *env != '\0') chosen = env;
  logger->set_level(spdlog::level::from_str(chosen));
  std::string shape(format);
  if (const char* env = std::getenv("CIVICBOX_LOG_FORMAT"); env != nullptr && *env != '\0') {
    shape = env;
  }
  if (shape == "json") {
    logger->set_formatter(std::make_unique<JsonFormatter>());
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %n %^%l%$ %v");
  }
  spdlog::set_default_logger(logger);
}

}  // namespace civicbox
