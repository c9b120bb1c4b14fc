// The agent's configuration: a TOML file. Strict: an unknown key (a typo) or a wrong type is an
// error naming the key and its line. Paths are relative to the file's folder. [controller] ca, cert
// and key and [cabinet] profile are required; load_agent_config() also checks that those files
// can be read and reads the cabinet profile (hardware/cabinets/*.toml), which says which
// compartments take drop-offs and which hold pick-ups.
//
//   [box]        id, identity (the folder civicbox-provision enrolled the box into: the box id,
//                the controller's URL, the certificate, key and fleet CA, the cabinet profile and
//                the default language then come from there, and the agent renews the certificate),
//                data_dir, fonts_dir (DejaVu fonts for receipts and the screen; default: the
//                build's assets), lang_dir (the screen's catalogues; default: the build's ui/lang)
//   [controller] url, ca, cert, key, timeout_ms
//   [enrol]      url (the controller's public enrolment listener), ca (the fleet CA file): with
//                them a box whose identity folder is still empty starts "not set up" and enrols
//                from its touchscreen (firmware/setup.hpp); [cabinet] profile is then required
//   [sync]       interval_s, batch, renew_check_s (how often the identity folder is looked at: a
//                renewal due, a re-enrolment done by a technician),
//                renew_at (the fraction of its validity after which it is renewed; 2/3),
//                status_every (seconds; the box's status is sent at least this often; 60)
//   [cabinet]    profile (default with an identity: profiles_dir/<the identity's cabinet>.toml),
//                profiles_dir (default: the build's hardware/cabinets), sweep_ms (how often the
//                sensors are swept between flows), open_wait_s (how long a person has to pull a
//                door once its lock released)
//   [self_test]  open_wait_s (how long a door may take to open once released), close_wait_s (to
//                be shut again), scan_wait_s (for the test receipt's QR to be shown)
//   [ui]         default_language, idle_after_s, idle_countdown_s, helpline, counter_hours
//                (the touchscreen's session: see firmware/session.hpp)
//   [[staff]]    badge, name, role ("clerk" | "technician"), pin_hash (hash_pin() in
//   common/pin_hash.hpp);
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
  // The enrolled identity's folder (provisioning/identity_store.hpp); empty: the files below are
  // named in the configuration and nobody renews them.
  std::filesystem::path identity_dir;
  std::string site;  // from the identity
  // False: 'box.identity' is empty and [enrol] is set: the box is set up from its touchscreen
  // first (no box id, controller or TLS files yet).
  bool enrolled = true;
  std::string enrol_url;           // [enrol] url
  std::filesystem::path enrol_ca;  // [enrol] ca
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
  int renew_check_s = 60;
  int status_every_s = 60;  // [sync] status_every: the longest wait between status reports
  double renew_at = 2.0 / 3.0;
  std::filesystem::path cabinet_profile;
  std::filesystem::path cabinet_profiles_dir;  // empty: the build's hardware/cabinets
  int sweep_ms = 500;
  int open_wait_s = 60;
  // [self_test]
  int self_test_open_wait_s = 20;
  int self_test_close_wait_s = 60;
  int self_test_scan_wait_s = 60;
  // From the cabinet profile (load_agent_config, or apply_cabinet_profile()).
  lockers::CabinetProfile cabinet;
  std::vector<int> dropoff;
  std::vector<int> pickup;
  // [ui]
  std::string default_language = "ro";
  bool default_language_given = false;  // [ui] default_language named (else the identity's)
  int idle_after_s = 60;
  int idle_countdown_s = 15;
  std::string helpline;       // "" hides it
  std::string counter_hours;  // "Mon-Fri 8:00-16:00"
  // [[staff]]
  std::vector<StaffMember> staff;
};

// Takes the compartments and their roles from a cabinet profile.
void apply_cabinet_profile(AgentConfig& config, lockers::CabinetProfile profile);

// Reads the file, then the enrolled identity (when 'box.identity' is set) and the cabinet
// profile. Errors name the file and the key.
Expected<AgentConfig> load_agent_config(const std::filesystem::path& file);
// Takes the box id, controller URL, TLS files, cabinet and default language from the identity
// in config.identity_dir. An empty identity folder with [enrol] set leaves config.enrolled false.
// Errors: state (not enrolled yet, no [enrol]), conflict (box.id names another box), and the
// identity's own errors naming the damaged file.
Expected<void> apply_identity(AgentConfig& config);
Expected<AgentConfig> parse_agent_config(std::string_view toml_text,
                                         const std::filesystem::path& base_dir);

}  // namespace civicbox::firmware
