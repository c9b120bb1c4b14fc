// A child process for tests that run the real binaries: spawned with its own argv, environment
// changes and working folder; its stdout read line by line and its stderr watched, each with a
// timeout; signalled and reaped. The destructor SIGKILLs a child still running, so a failing
// test never leaves a process behind.
//
// Safe to use from several threads of the test at once (pipes are close-on-exec, so one child
// never holds another's pipe open). SIGPIPE is ignored in the test process once a child has
// been spawned: writing to a child that died is an error value, not the end of the test.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace civicbox::testing {

struct ProcessOptions {
  std::vector<std::string> argv;  // argv[0] is the program's path
  // Set (a value) or removed (std::nullopt) on top of the test's own environment.
  std::map<std::string, std::optional<std::string>> env;
  std::filesystem::path cwd;  // empty: the test's folder
  bool stdin_pipe = false;    // false: /dev/null
};

// How a child ended.
struct ExitStatus {
  bool exited = false;  // exited on its own; `code` is its exit code
  int code = 0;
  int signal = 0;  // killed by this signal otherwise
  [[nodiscard]] bool ok() const { return exited && code == 0; }
  [[nodiscard]] std::string describe() const;
};

class Process {
 public:
  // Throws std::runtime_error when the program cannot be started (exec failure shows as exit
  // code 127).
  explicit Process(ProcessOptions options);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  [[nodiscard]] pid_t pid() const { return pid_; }

  // The next stdout line not read yet (without its newline); nullopt on timeout or when stdout
  // ended without one more line.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout);
  // Every stdout line not read yet, until stdout ends (the child exited) or the timeout.
  std::vector<std::string> read_remaining_lines(std::chrono::milliseconds timeout);

  // Writes to the child's stdin (stdin_pipe); false when the child no longer reads it.
  bool write(std::string_view text);
  void close_stdin();

  // The first stderr line at index >= from_line that contains `needle`, waiting up to the
  // timeout; its index is stored in *index when given.
  std::optional<std::string> wait_for_stderr(std::string_view needle,
                                             std::chrono::milliseconds timeout,
                                             std::size_t from_line = 0,
                                             std::size_t* index = nullptr);
  [[nodiscard]] std::vector<std::string> stderr_lines() const;
  [[nodiscard]] std::string stderr_text() const;
  // stdout lines seen so far, read or not (for failure messages).
  [[nodiscard]] std::string stdout_text() const;

  void signal(int sig);
  // Waits for the child to end; nullopt on timeout (the child is left running).
  std::optional<ExitStatus> wait(std::chrono::milliseconds timeout);
  // SIGKILL, then reap.
  ExitStatus kill();
  [[nodiscard]] bool running();

 private:
  struct Stream {
    int fd = -1;
    std::string partial;
    std::vector<std::string> lines;
    bool ended = false;
  };
  void pump(Stream& stream);

  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  std::optional<ExitStatus> status_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  Stream out_;
  Stream err_;
  std::size_t next_out_ = 0;
  std::thread out_reader_;
  std::thread err_reader_;
};

}  // namespace civicbox::testing
