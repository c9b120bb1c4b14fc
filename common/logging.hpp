// One logging set-up for every program: spdlog to stderr, so stdout stays for results a script
// parses. Level from the program's --log-level or the CIVICBOX_LOG environment variable.
#pragma once

#include <string_view>

namespace civicbox {

// name: the program ("controller", "agent"); level: trace|debug|info|warn|error|off.
void setup_logging(std::string_view name, std::string_view level);

}  // namespace civicbox
