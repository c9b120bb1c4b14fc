#include "hardware/sim/cabinet/control_socket.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace civicbox::sim {

namespace {

// A Unix stream socket and the address of `path`; -1 when the path is too long or no socket.
int unix_socket(const std::filesystem::path& path, sockaddr_un& addr) {
  addr = sockaddr_un{};
  addr.sun_family = AF_UNIX;
  if (path.string().size() >= sizeof(addr.sun_path)) {
    errno = ENAMETOOLONG;
    return -1;
  }
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  return ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
}

}  // namespace

Expected<int> listen_control_socket(const std::filesystem::path& path) {
  sockaddr_un addr{};
  const int fd = unix_socket(path, addr);
  if (fd < 0) {
    return make_error(ErrorCode::io, "listening on " + path.string() + ": " + std::strerror(errno));
  }
  ::unlink(path.c_str());
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(fd, 8) != 0) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    return make_error(ErrorCode::io, "listening on " + path.string() + ": " + why);
  }
  return fd;
}

bool write_all(int fd, std::string_view text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::send(fd, text.data() + done, text.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

Expected<std::string> send_control_command(const std::filesystem::path& path,
                                           std::string_view command) {
  sockaddr_un addr{};
  const int fd = unix_socket(path, addr);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    const std::string why = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return make_error(ErrorCode::unavailable,
                      "cannot reach the simulated cabinet at " + path.string() + ": " + why);
  }
  std::string answer;
  if (write_all(fd, std::string(command) + "\n")) {
    char chunk[512];
    while (answer.find('\n') == std::string::npos) {
      const ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
      if (n <= 0) break;
      answer.append(chunk, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  const auto end = answer.find('\n');
  if (end == std::string::npos) {
    return make_error(ErrorCode::io, "the simulated cabinet at " + path.string() +
                                         " closed the connection without an answer");
  }
  answer.resize(end);
  return answer;
}

}  // namespace civicbox::sim
