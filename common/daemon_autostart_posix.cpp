#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "autostart_platform.h"

extern char** environ;

namespace bb {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

constexpr std::size_t kMaxStderrBytes = 4096;

// Closes an fd on scope exit.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

std::string errno_text(int err) { return std::strerror(err); }

class FlockStartLock final : public StartLock {
 public:
  explicit FlockStartLock(int fd) : fd_(fd) {}
  ~FlockStartLock() override { ::close(fd_); }

 private:
  int fd_;
};

}  // namespace

const char kPathListSeparator = ':';
const char* const kExeSuffix = "";

bool is_executable_file(const fs::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
}

// Polls the lock so that a stuck holder cannot block us forever.
std::variant<std::unique_ptr<StartLock>, std::string> take_start_lock(const fs::path& lock_path,
                                                                      milliseconds timeout) {
  // A missing state dir is created private from its first instant; an existing one is left
  // as it is (the daemon refuses one that others can write, and says how to fix it).
  const fs::path dir = lock_path.parent_path();
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    fs::create_directories(dir.parent_path(), ec);
    ::mkdir(dir.c_str(), 0700);
  }
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return "cannot open the start lock " + lock_path.string() + ": " + errno_text(errno);
  }
  const auto deadline = Clock::now() + timeout;
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) {
      const int err = errno;
      ::close(fd);
      return "cannot lock " + lock_path.string() + ": " + errno_text(err);
    }
    if (Clock::now() >= deadline) {
      ::close(fd);
      return "another process has been starting the daemon for too long (lock " +
             lock_path.string() + " held)";
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
  return std::unique_ptr<StartLock>(std::make_unique<FlockStartLock>(fd));
}

// Only fds 0-2 are inherited, so the daemon never holds our lock or our other connections.
SpawnOutcome spawn_daemon(const fs::path& exe, milliseconds timeout) {
  SpawnOutcome out;
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    out.error = "pipe: " + errno_text(errno);
    return out;
  }
  Fd read_end(pipe_fds[0]);
  Fd write_end(pipe_fds[1]);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), 2);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  const std::string path = exe.string();
  char* argv[] = {const_cast<char*>(path.c_str()), nullptr};
  pid_t pid = -1;
  // The daemon serves every client of this user, so a client's own command policy must not
  // become the daemon's: each client declares its policy at hello instead.
  std::vector<char*> envp;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view kv(*e);
    if (kv.rfind("BACKBURNER_ALLOW=", 0) == 0 || kv.rfind("BACKBURNER_DENY=", 0) == 0) continue;
    envp.push_back(*e);
  }
  envp.push_back(nullptr);
  const int rc = ::posix_spawn(&pid, path.c_str(), &actions, nullptr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  write_end.reset();
  if (rc != 0) {
    out.error = "cannot run " + path + ": " + errno_text(rc);
    return out;
  }

  // Read stderr while waiting for the exit. A detached daemon may keep the pipe open, so the
  // exit, not EOF, ends the wait.
  const auto deadline = Clock::now() + timeout;
  bool pipe_open = true;
  while (true) {
    int status = 0;
    const pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) {
      out.exited = true;
      out.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    if (pipe_open) {
      pollfd pfd{read_end.get(), POLLIN, 0};
      if (::poll(&pfd, 1, out.exited ? 0 : 20) > 0) {
        char buf[1024];
        const ssize_t n = ::read(read_end.get(), buf, sizeof buf);
        if (n > 0) {
          const auto room = kMaxStderrBytes - std::min(kMaxStderrBytes, out.stderr_text.size());
          out.stderr_text.append(buf, std::min<std::size_t>(room, static_cast<std::size_t>(n)));
          if (Clock::now() < deadline) continue;  // drain before deciding
        }
        if (n == 0) pipe_open = false;
      }
    } else if (!out.exited) {
      std::this_thread::sleep_for(milliseconds(20));
    }
    if (out.exited || Clock::now() >= deadline) break;
  }
  // A daemon that did not report in time is left running (it may be recovering a large store);
  // it stays our child until we exit, which costs one zombie at worst.
  while (!out.stderr_text.empty() &&
         (out.stderr_text.back() == '\n' || out.stderr_text.back() == '\r')) {
    out.stderr_text.pop_back();
  }
  return out;
}

}  // namespace bb
