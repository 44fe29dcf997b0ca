#include "cli_process.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace bb::test {

const char* foreign_service_os() { return "windows"; }

bool terminal_supported() { return true; }

std::string test_child_command(const std::string& args) {
  return shell_quote(test_child().string()) + " " + args;
}

std::filesystem::path write_recording_program(const std::filesystem::path& dir,
                                              const std::string& name,
                                              const std::filesystem::path& record) {
  const auto path = dir / name;
  std::ofstream(path) << "#!/bin/sh\nprintf '%s\\n' \"$1\" > " << shell_quote(record.string())
                      << "\n";
  std::filesystem::permissions(path, std::filesystem::perms::owner_all);
  return path;
}

struct CliProcess::Impl {
  pid_t pid = -1;
  int out_fd = -1;
  int err_fd = -1;
  CliResult result;

  // Reads what is available (waiting up to `wait_ms` for something). False once every stream
  // is closed.
  bool pump(int wait_ms) {
    pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    if (out_fd < 0 && err_fd < 0) return false;
    ::poll(fds, 2, wait_ms);
    read_from(out_fd, result.out);
    read_from(err_fd, result.err);
    return out_fd >= 0 || err_fd >= 0;
  }
  bool more_pending() {
    pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    return ::poll(fds, 2, 0) > 0;
  }
  // EOF (or EIO: a pseudo-terminal whose other side has closed) closes the stream.
  static void read_from(int& fd, std::string& into) {
    if (fd < 0) return;
    char buf[8192];
    for (;;) {
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n > 0) {
        into.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
      ::close(fd);
      fd = -1;
      return;
    }
  }
};

CliProcess::CliProcess(const std::vector<std::string>& args,
                       const std::map<std::string, std::string>& env, CliOptions options)
    : impl_(std::make_unique<Impl>()) {
  std::vector<std::string> argv_s = {(bin_dir() / "backburner").string()};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<std::string> env_s;
  for (const auto& [k, v] : env) env_s.push_back(k + "=" + v);
  std::vector<char*> argv, envp;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
  std::string slave;
  if (options.terminal) {
    impl_->out_fd = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (impl_->out_fd < 0 || ::grantpt(impl_->out_fd) != 0 || ::unlockpt(impl_->out_fd) != 0)
      throw std::runtime_error("no pseudo-terminal");
    slave = ::ptsname(impl_->out_fd);
    winsize ws{};
    ws.ws_col = 100;
    ws.ws_row = 40;
    ::ioctl(impl_->out_fd, TIOCSWINSZ, &ws);
    posix_spawn_file_actions_addopen(&fa, 1, slave.c_str(), O_RDWR | O_NOCTTY, 0);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
  } else {
    if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0)
      throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
    impl_->out_fd = out_pipe[0];
    impl_->err_fd = err_pipe[0];
  }
  if (!options.cwd.empty()) posix_spawn_file_actions_addchdir_np(&fa, options.cwd.c_str());
  const int rc = ::posix_spawn(&impl_->pid, argv[0], &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (out_pipe[1] >= 0) ::close(out_pipe[1]);
  if (err_pipe[1] >= 0) ::close(err_pipe[1]);
  if (rc != 0)
    throw std::runtime_error(std::string("cannot run backburner: ") + std::strerror(rc));
  for (int fd : {impl_->out_fd, impl_->err_fd})
    if (fd >= 0) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

CliProcess::~CliProcess() {
  if (impl_->pid > 0) {
    ::kill(impl_->pid, SIGKILL);
    ::waitpid(impl_->pid, nullptr, 0);
  }
  for (int fd : {impl_->out_fd, impl_->err_fd})
    if (fd >= 0) ::close(fd);
}

bool CliProcess::read_until(const std::string& needle, std::chrono::milliseconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (impl_->result.out.find(needle) == std::string::npos) {
    if (std::chrono::steady_clock::now() >= end || !impl_->pump(50)) {
      return impl_->result.out.find(needle) != std::string::npos;
    }
  }
  return true;
}

CliResult CliProcess::finish(std::chrono::milliseconds deadline) {
  Impl& i = *impl_;
  const auto end = std::chrono::steady_clock::now() + deadline;
  int status = 0;
  bool exited = false;
  while (true) {
    if (!exited && ::waitpid(i.pid, &status, WNOHANG) == i.pid) {
      exited = true;
      i.pid = -1;
    }
    const bool open = i.pump(exited ? 0 : 20);
    if (exited && !open) break;
    if (exited && !i.more_pending()) break;
    if (std::chrono::steady_clock::now() >= end) {
      if (!exited) {
        ::kill(i.pid, SIGKILL);
        ::waitpid(i.pid, &status, 0);
        i.pid = -1;
        i.result.timed_out = true;
        i.result.status = -1;
        return i.result;
      }
      break;
    }
  }
  i.result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return i.result;
}

const CliResult& CliProcess::so_far() const { return impl_->result; }
std::int64_t CliProcess::pid() const { return impl_->pid; }

}  // namespace bb::test
