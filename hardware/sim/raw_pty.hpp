// The simulators' serial lines are pseudo-terminals: both ends must be raw (no echo, no line
// editing, no CR/LF translation) or the bytes a driver sends are not the bytes a device gets.
#pragma once

#include "common/error.hpp"

namespace civicbox::sim {

// cfmakeraw on a terminal. Errors: io, with tcgetattr's or tcsetattr's reason.
Expected<void> make_raw(int fd);

}  // namespace civicbox::sim
