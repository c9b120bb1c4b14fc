// The simulated cabinet's control socket (DIR/control.sock): a Unix stream socket carrying one
// command line and one answer line at a time (see sim_cabinet.hpp for the commands). Shared by
// civicbox-sim-cabinet (which listens) and everyone who drives it: its `send` subcommand and
// the end-to-end tests.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace civicbox::sim {

// A listening socket at `path` (an old one is replaced). Errors: io (path too long, bind).
Expected<int> listen_control_socket(const std::filesystem::path& path);

// Writes all of `text`; false when the peer is gone.
bool write_all(int fd, std::string_view text);

// Sends one command line and returns the answer line (without its newline).
// Errors: unavailable (nobody listens at `path`), io (the connection broke before an answer).
Expected<std::string> send_control_command(const std::filesystem::path& path,
                                           std::string_view command);

}  // namespace civicbox::sim
