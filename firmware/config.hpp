// The agent's configuration: a TOML file. Strict: an unknown key (a typo) or a wrong type is an
// error naming the key and its line. Paths are relative to the file's folder. [controller] ca, cert
// and key and [cabinet] profile are required; load_agent_config() also checks that those files
// can be read and reads the cabinet profile (hardware/cabinets/*.toml), which says which
// compartments take drop-offs and which hold pick-ups.
//
//   [box]        id, data_dir, fonts_dir (DejaVu fonts for receipts and the screen; default: the
//                build's assets), lang_dir (the screen's catalogues; default: the build's ui/lang)
//   [controller] url, ca, cert, key, timeout_ms
//   [sync]       interval_s, batch
//   [cabinet]    profile, sweep_ms (how often the sensors are swept between flows),
//                open_wait_s (how long a person has to pull a door once its lock released)
//   [ui]         default_language, idle_after_s, idle_countdown_s, helpline, counter_hours
//                (the touchscreen's session: see firmware/session.hpp)
//   [[staff]]    badge, name, role ("clerk" | "technician"), pin_hash (hash_pin() in staff.hpp);
//                one table per clerk or technician, badges distinct
#pragma once

#include <array>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "drivers/lockers/cabinet_profile.hpp"
#include "firmware/staff.hpp"

namespace civicbox::firmware {

// The languages the touchscreen speaks (ui::languages() lists the same with their names);
// Romanian is the default.
inline constexpr std::array<std::string_view, 6> kScreenLanguages{"ro", "hu", "en",
                                                                  "ca", "es", "pt"};
bool is_screen_language(std::string_view code);

struct AgentConfig {
  std::string box_id;  // must equal the CN of the box certificate
  std::filesystem::path data_dir = "data";
  std::filesystem::path fonts_dir;  // empty: where the build put them
  std::filesystem::path lang_dir;   // empty: where the build put them
  std::string controller_url = "https://127.0.0.1:8443";
  std::filesystem::path ca;
  std::filesystem::path cert;
  std::filesystem::path key;
  int timeout_ms = 5000;
  int interval_s = 5;
  int batch = 100;
  std::filesystem::path cabinet_profile;
  int sweep_ms = 500;
  int open_wait_s = 60;
  // From the cabinet profile (load_agent_config, or apply_cabinet_profile()).
  lockers::CabinetProfile cabinet;
  std::vector<int> dropoff;
  std::vector<int> pickup;
  // [ui]
  std::string default_language = "ro";
  int idle_after_s = 60;
  int idle_countdown_s = 15;
  std::string helpline;       // "" hides it
  std::string counter_hours;  // "Mon-Fri 8:00-16:00"
  // [[staff]]
  std::vector<StaffMember> staff;
};

// Takes the compartments and their roles from a cabinet profile.
void apply_cabinet_profile(AgentConfig& config, lockers::CabinetProfile profile);

Expected<AgentConfig> load_agent_config(const std::filesystem::path& file);
Expected<AgentConfig> parse_agent_config(std::string_view toml_text,
                                         const std::filesystem::path& base_dir);

}  // namespace civicbox::firmware
