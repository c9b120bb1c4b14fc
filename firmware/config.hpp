// The agent's configuration: a TOML file. Strict: an unknown key (a typo) or a wrong type is an
// error naming the key and its line. Paths are relative to the file's folder. [controller] ca, cert
// and key are required; load_agent_config() also checks that those files can be read.
//
//   [box]        id, data_dir
//   [controller] url, ca, cert, key, timeout_ms
//   [sync]       interval_s, batch
//   [cabinet]    dropoff, pickup, door_close_ms
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace civicbox::firmware {

struct AgentConfig {
  std::string box_id;  // must equal the CN of the box certificate
  std::filesystem::path data_dir = "data";
  std::string controller_url = "https://127.0.0.1:8443";
  std::filesystem::path ca;
  std::filesystem::path cert;
  std::filesystem::path key;
  int timeout_ms = 5000;
  int interval_s = 5;
  int batch = 100;
  std::vector<int> dropoff{1, 2, 3, 4};
  std::vector<int> pickup{5, 6, 7, 8};
  int door_close_ms = 300;
};

Expected<AgentConfig> load_agent_config(const std::filesystem::path& file);
Expected<AgentConfig> parse_agent_config(std::string_view toml_text,
                                         const std::filesystem::path& base_dir);

}  // namespace civicbox::firmware
