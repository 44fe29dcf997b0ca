// Runs the real `backburner` binary for the CLI's end-to-end tests: with a given environment,
// stdin from /dev/null, and stdout/stderr captured through pipes (or both on one pseudo-terminal,
// to see what a person at a terminal sees). Every wait is bounded; a child still running at its
// deadline is killed and reported as timed out.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "daemon_fixture.h"
#include "paths.h"

namespace bb::test {

struct CliResult {
  int status = -1;  // exit status; 128+N if killed by signal N; -1 if it timed out
  std::string out;  // stdout (with a terminal: everything written to it)
  std::string err;  // stderr (empty with a terminal)
  bool timed_out = false;
};

struct CliOptions {
  bool terminal = false;      // stdout and stderr on a pseudo-terminal (100 columns)
  std::filesystem::path cwd;  // empty: the test's own
};

class CliProcess {
 public:
  CliProcess(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
             CliOptions options = {}) {
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
      out_fd_ = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
      if (out_fd_ < 0 || ::grantpt(out_fd_) != 0 || ::unlockpt(out_fd_) != 0)
        throw std::runtime_error("no pseudo-terminal");
      slave = ::ptsname(out_fd_);
      winsize ws{};
      ws.ws_col = 100;
      ws.ws_row = 40;
      ::ioctl(out_fd_, TIOCSWINSZ, &ws);
      posix_spawn_file_actions_addopen(&fa, 1, slave.c_str(), O_RDWR | O_NOCTTY, 0);
      posix_spawn_file_actions_adddup2(&fa, 1, 2);
    } else {
      if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0)
        throw std::runtime_error("pipe failed");
      posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
      posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
      out_fd_ = out_pipe[0];
      err_fd_ = err_pipe[0];
    }
    if (!options.cwd.empty()) posix_spawn_file_actions_addchdir_np(&fa, options.cwd.c_str());
    const int rc = ::posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    if (out_pipe[1] >= 0) ::close(out_pipe[1]);
    if (err_pipe[1] >= 0) ::close(err_pipe[1]);
    if (rc != 0)
      throw std::runtime_error(std::string("cannot run backburner: ") + std::strerror(rc));
    for (int fd : {out_fd_, err_fd_})
      if (fd >= 0) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  }
  CliProcess(const CliProcess&) = delete;
  CliProcess& operator=(const CliProcess&) = delete;

  ~CliProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    for (int fd : {out_fd_, err_fd_})
      if (fd >= 0) ::close(fd);
  }

  // Reads until stdout contains `needle` (true) or the deadline passes (false).
  bool read_until(const std::string& needle, std::chrono::milliseconds deadline) {
    const auto end = std::chrono::steady_clock::now() + deadline;
    while (result_.out.find(needle) == std::string::npos) {
      if (std::chrono::steady_clock::now() >= end || !pump(50)) {
        return result_.out.find(needle) != std::string::npos;
      }
    }
    return true;
  }

  // Reads all output until the process exits (killing it at the deadline) and returns it.
  CliResult finish(std::chrono::milliseconds deadline = std::chrono::seconds(30)) {
    const auto end = std::chrono::steady_clock::now() + deadline;
    int status = 0;
    bool exited = false;
    while (true) {
      if (!exited && ::waitpid(pid_, &status, WNOHANG) == pid_) {
        exited = true;
        pid_ = -1;
      }
      const bool open = pump(exited ? 0 : 20);
      if (exited && !open) break;
      if (exited && !more_pending()) break;
      if (std::chrono::steady_clock::now() >= end) {
        if (!exited) {
          ::kill(pid_, SIGKILL);
          ::waitpid(pid_, &status, 0);
          pid_ = -1;
          result_.timed_out = true;
          result_.status = -1;
          return result_;
        }
        break;
      }
    }
    result_.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result_;
  }

  const CliResult& so_far() const { return result_; }
  pid_t pid() const { return pid_; }

 private:
  // Reads what is available (waiting up to `wait_ms` for something). False once every stream
  // is closed.
  bool pump(int wait_ms) {
    pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
    if (out_fd_ < 0 && err_fd_ < 0) return false;
    ::poll(fds, 2, wait_ms);
    read_from(out_fd_, result_.out);
    read_from(err_fd_, result_.err);
    return out_fd_ >= 0 || err_fd_ >= 0;
  }
  bool more_pending() {
    pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
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

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  CliResult result_;
};

// Runs `backburner args...` to completion (bounded).
inline CliResult run_cli(const std::vector<std::string>& args,
                         const std::map<std::string, std::string>& env,
                         std::chrono::milliseconds deadline = std::chrono::seconds(30),
                         CliOptions options = {}) {
  CliProcess p(args, env, std::move(options));
  return p.finish(deadline);
}

// A command line for the purpose-built test child (tests/child).
inline std::string test_child_command(const std::string& args) {
  return shell_quote(test_child().string()) + " " + args;
}

// What a CLI result looked like, for assertion messages.
inline std::string describe(const CliResult& r) {
  return "status " + std::to_string(r.status) + (r.timed_out ? " (timed out)" : "") +
         "\n--- stdout ---\n" + r.out + "\n--- stderr ---\n" + r.err;
}

}  // namespace bb::test
