#include "hardware/sim/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace civicbox::sim {

namespace {
Error os_error(const std::string& what) {
  return make_error(ErrorCode::io, what + ": " + std::strerror(errno));
}
}  // namespace

Expected<void> write_file_atomically(const std::filesystem::path& file, std::string_view content) {
  std::filesystem::path tmp = file;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return os_error("creating " + tmp.string());
  std::size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      auto err = os_error("writing " + tmp.string());
      ::close(fd);
      return err;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    auto err = os_error("syncing " + tmp.string());
    ::close(fd);
    return err;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), file.c_str()) != 0) return os_error("renaming " + tmp.string());
  int dir = ::open(file.parent_path().empty() ? "." : file.parent_path().c_str(),
                   O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    (void)::fsync(dir);
    ::close(dir);
  }
  return {};
}

}  // namespace civicbox::sim
