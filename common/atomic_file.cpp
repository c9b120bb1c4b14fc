#include "common/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <random>
#include <system_error>
#include <utility>

namespace civicbox {

namespace {

Error io_failure(std::string_view what, const std::filesystem::path& path, int err) {
  return make_error(ErrorCode::io, std::string(what) + " " + path.string() + ": " +
                                       std::error_code(err, std::generic_category()).message());
}

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  [[nodiscard]] int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

std::string temp_suffix() {
  std::random_device device;
  std::array<char, 24> text{};
  std::snprintf(text.data(), text.size(), ".tmp.%08x", device());
  return text.data();
}

Expected<void> write_all(int fd, std::string_view contents, const std::filesystem::path& path) {
  while (!contents.empty()) {
    ssize_t n = ::write(fd, contents.data(), contents.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_failure("writing", path, errno);
    }
    contents.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

Expected<void> sync_directory(const std::filesystem::path& dir) {
  FileDescriptor fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return io_failure("opening folder", dir, errno);
  if (::fsync(fd.get()) != 0) return io_failure("flushing folder", dir, errno);
  return {};
}

}  // namespace

Expected<void> write_file_atomically(const std::filesystem::path& path, std::string_view contents,
                                     mode_t mode) {
  std::filesystem::path dir = path.parent_path();
  if (dir.empty()) dir = ".";
  std::filesystem::path temp;
  int raw_fd = -1;
  for (int attempt = 0; attempt < 8 && raw_fd < 0; ++attempt) {
    temp = dir / ("." + path.filename().string() + temp_suffix());
    raw_fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (raw_fd < 0 && errno != EEXIST) return io_failure("creating", temp, errno);
  }
  if (raw_fd < 0) return io_failure("creating", temp, EEXIST);
  FileDescriptor fd(raw_fd);

  auto fail = [&temp](Error error) {
    ::unlink(temp.c_str());
    return error;
  };
  // open() applies the umask; set the exact bits (this only ever narrows for keys).
  if (::fchmod(fd.get(), mode) != 0) return fail(io_failure("setting the mode of", temp, errno));
  if (auto written = write_all(fd.get(), contents, temp); !written) return fail(written.error());
  if (::fsync(fd.get()) != 0) return fail(io_failure("flushing", temp, errno));
  if (::close(fd.release()) != 0) return fail(io_failure("closing", temp, errno));
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    return fail(io_failure("renaming into place", path, errno));
  }
  return sync_directory(dir);
}

Expected<std::string> read_text_file(const std::filesystem::path& path) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return make_error(ErrorCode::not_found, "no file " + path.string());
    return io_failure("opening", path, errno);
  }
  std::string contents;
  std::array<char, 4096> chunk{};
  for (;;) {
    ssize_t n = ::read(fd.get(), chunk.data(), chunk.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_failure("reading", path, errno);
    }
    if (n == 0) break;
    contents.append(chunk.data(), static_cast<std::size_t>(n));
  }
  return contents;
}

}  // namespace civicbox
