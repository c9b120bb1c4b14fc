// One logging set-up for every program: spdlog to stderr, so stdout stays for results a script
// parses. Level from the program's --log-level or the CIVICBOX_LOG environment variable; format
// from --log-format or CIVICBOX_LOG_FORMAT:
//   text  2026-11-24T08:01:02.345 controller info box box-0001 revoked ...
//   json  {"ts":"2026-11-24T08:01:02.345Z","level":"info","program":"controller",
//          "thread":1234,"msg":"box box-0001 revoked ..."}   one object per line, UTC, for
//          journald's and a log collector's parsers (Loki, Elasticsearch)
#pragma once

#include <string_view>

namespace civicbox {

// name: the program ("controller", "agent"); level: trace|debug|info|warn|error|off;
// format: text|json (anything else is text).
void setup_logging(std::string_view name, std::string_view level, std::string_view format = "text");

}  // namespace civicbox
