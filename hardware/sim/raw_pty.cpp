#include "hardware/sim/raw_pty.hpp"

#include <termios.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace civicbox::sim {

Expected<void> make_raw(int fd) {
  termios t{};
  if (::tcgetattr(fd, &t) != 0) {
    return make_error(ErrorCode::io, std::string("tcgetattr: ") + std::strerror(errno));
  }
  ::cfmakeraw(&t);
  if (::tcsetattr(fd, TCSANOW, &t) != 0) {
    return make_error(ErrorCode::io, std::string("tcsetattr: ") + std::strerror(errno));
  }
  return {};
}

}  // namespace civicbox::sim
