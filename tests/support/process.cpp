#include "tests/support/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace civicbox::testing {

namespace {

using Clock = std::chrono::steady_clock;

void ignore_sigpipe_once() {
  static const bool done = [] {
    ::signal(SIGPIPE, SIG_IGN);
    return true;
  }();
  (void)done;
}

std::vector<std::string> environment_with(
    const std::map<std::string, std::optional<std::string>>& changes) {
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry(*e);
    auto eq = entry.find('=');
    if (changes.count(entry.substr(0, eq)) != 0) continue;
    out.push_back(std::move(entry));
  }
  for (const auto& [name, value] : changes) {
    if (value) out.push_back(name + "=" + *value);
  }
  return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

std::string join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

}  // namespace

std::string ExitStatus::describe() const {
  if (exited) return "exited with code " + std::to_string(code);
  return "killed by signal " + std::to_string(signal);
}

Process::Process(ProcessOptions options) {
  if (options.argv.empty()) throw std::invalid_argument("Process: argv is empty");
  ignore_sigpipe_once();
  int out_pipe[2];
  int err_pipe[2];
  int in_pipe[2] = {-1, -1};
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0 ||
      (options.stdin_pipe && ::pipe2(in_pipe, O_CLOEXEC) != 0)) {
    throw std::runtime_error(std::string("Process: pipe: ") + std::strerror(errno));
  }
  // Everything the child needs is made before fork: after it, only async-signal-safe calls.
  auto args = options.argv;
  auto argv = pointers(args);
  auto env_strings = environment_with(options.env);
  auto envp = pointers(env_strings);
  const std::string cwd = options.cwd.string();

  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error(std::string("Process: fork: ") + std::strerror(errno));
  if (pid_ == 0) {
    int in = options.stdin_pipe ? in_pipe[0] : ::open("/dev/null", O_RDONLY);
    ::dup2(in, 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    ::signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(126);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (options.stdin_pipe) {
    ::close(in_pipe[0]);
    stdin_fd_ = in_pipe[1];
  }
  out_.fd = out_pipe[0];
  err_.fd = err_pipe[0];
  out_reader_ = std::thread([this] { pump(out_); });
  err_reader_ = std::thread([this] { pump(err_); });
}

Process::~Process() {
  close_stdin();
  if (!status_) kill();
  if (out_reader_.joinable()) out_reader_.join();
  if (err_reader_.joinable()) err_reader_.join();
  ::close(out_.fd);
  ::close(err_.fd);
}

void Process::pump(Stream& stream) {
  char buffer[4096];
  for (;;) {
    ssize_t n = ::read(stream.fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    std::lock_guard lock(mutex_);
    if (n <= 0) {
      if (!stream.partial.empty()) stream.lines.push_back(std::move(stream.partial));
      stream.partial.clear();
      stream.ended = true;
      changed_.notify_all();
      return;
    }
    stream.partial.append(buffer, static_cast<std::size_t>(n));
    std::size_t start = 0;
    for (auto nl = stream.partial.find('\n'); nl != std::string::npos;
         nl = stream.partial.find('\n', start)) {
      stream.lines.push_back(stream.partial.substr(start, nl - start));
      start = nl + 1;
    }
    stream.partial.erase(0, start);
    changed_.notify_all();
  }
}

std::optional<std::string> Process::read_line(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return next_out_ < out_.lines.size() || out_.ended; });
  if (next_out_ < out_.lines.size()) return out_.lines[next_out_++];
  return std::nullopt;
}

std::vector<std::string> Process::read_remaining_lines(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return out_.ended; });
  std::vector<std::string> out(out_.lines.begin() + static_cast<std::ptrdiff_t>(next_out_),
                               out_.lines.end());
  next_out_ = out_.lines.size();
  return out;
}

bool Process::write(std::string_view text) {
  if (stdin_fd_ < 0) return false;
  while (!text.empty()) {
    ssize_t n = ::write(stdin_fd_, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

void Process::close_stdin() {
  if (stdin_fd_ >= 0) ::close(stdin_fd_);
  stdin_fd_ = -1;
}

std::optional<std::string> Process::wait_for_stderr(std::string_view needle,
                                                    std::chrono::milliseconds timeout,
                                                    std::size_t from_line, std::size_t* index) {
  std::unique_lock lock(mutex_);
  std::optional<std::string> found;
  auto seen = [&] {
    for (std::size_t i = from_line; i < err_.lines.size(); ++i) {
      if (err_.lines[i].find(needle) != std::string::npos) {
        found = err_.lines[i];
        if (index != nullptr) *index = i;
        return true;
      }
    }
    return err_.ended;
  };
  changed_.wait_for(lock, timeout, seen);
  return found;
}

std::vector<std::string> Process::stderr_lines() const {
  std::lock_guard lock(mutex_);
  return err_.lines;
}

std::string Process::stderr_text() const {
  std::lock_guard lock(mutex_);
  return join(err_.lines) + err_.partial;
}

std::string Process::stdout_text() const {
  std::lock_guard lock(mutex_);
  return join(out_.lines) + out_.partial;
}

void Process::signal(int sig) {
  if (!status_) ::kill(pid_, sig);
}

std::optional<ExitStatus> Process::wait(std::chrono::milliseconds timeout) {
  if (status_) return status_;
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    int raw = 0;
    pid_t r = ::waitpid(pid_, &raw, WNOHANG);
    if (r == pid_) {
      ExitStatus s;
      s.exited = WIFEXITED(raw);
      s.code = s.exited ? WEXITSTATUS(raw) : 0;
      s.signal = WIFSIGNALED(raw) ? WTERMSIG(raw) : 0;
      status_ = s;
      return status_;
    }
    if (r < 0 && errno != EINTR) {
      status_ = ExitStatus{};  // not our child any more: nothing to wait for
      return status_;
    }
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

ExitStatus Process::kill() {
  if (!status_) ::kill(pid_, SIGKILL);
  for (;;) {
    if (auto s = wait(std::chrono::seconds(10))) return *s;
  }
}

bool Process::running() {
  return !wait(std::chrono::milliseconds(0)).has_value();
}

}  // namespace civicbox::testing
