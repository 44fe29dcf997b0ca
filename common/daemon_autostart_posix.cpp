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

#include "daemon_autostart.h"

extern char** environ;

namespace bb {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

constexpr const char* kDaemonName = "backburnerd";
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

bool is_executable_file(const fs::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
}

// Takes the start lock, polling so that a stuck holder cannot block us forever.
// Returns the locked fd or a message.
std::variant<int, std::string> take_lock(const fs::path& lock_path, milliseconds timeout) {
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
  return fd;
}

struct SpawnOutcome {
  bool exited = false;
  int exit_status = -1;  // valid when exited
  std::string stderr_text;
  std::string error;  // the spawn itself failed
};

// Starts the daemon (it detaches and its parent exits once it serves) and waits for that exit.
// stdin and stdout are /dev/null: the caller's stdout may be a protocol channel (the shim's).
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

// Connects, retrying for up to `patience` (a daemon that just reported readiness, or one that
// another client started a moment ago, may need a few ms more).
std::variant<RpcClient, std::string> connect_with_patience(const fs::path& socket,
                                                           milliseconds patience) {
  const auto deadline = Clock::now() + patience;
  while (true) {
    auto c = RpcClient::connect(socket.string());
    if (std::holds_alternative<RpcClient>(c) || Clock::now() >= deadline) return c;
    std::this_thread::sleep_for(milliseconds(25));
  }
}

}  // namespace

fs::path autostart_lock_path(const StatePaths& paths) { return paths.home / "autostart.lock"; }

std::vector<fs::path> default_daemon_candidates(const EnvLookup& env) {
  std::vector<fs::path> out;
  std::error_code ec;
  const auto self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) out.push_back(self.parent_path() / kDaemonName);
  if (auto path = env("PATH")) {
    std::string_view rest = *path;
    while (true) {
      const auto colon = rest.find(':');
      const auto dir = rest.substr(0, colon);
      out.push_back((dir.empty() ? fs::path(".") : fs::path(dir)) / kDaemonName);
      if (colon == std::string_view::npos) break;
      rest.remove_prefix(colon + 1);
    }
  }
  return out;
}

std::variant<RpcClient, std::string> connect_or_start_daemon(const StatePaths& paths,
                                                             const AutostartOptions& options) {
  auto first = RpcClient::connect(paths.socket.string());
  if (std::holds_alternative<RpcClient>(first)) return first;
  const std::string first_error = std::get<std::string>(first);

  auto locked = take_lock(autostart_lock_path(paths), options.lock_timeout);
  if (auto* msg = std::get_if<std::string>(&locked)) {
    return "no daemon answers at " + paths.socket.string() + " (" + first_error +
           ") and it could not be started: " + *msg;
  }
  Fd lock(std::get<int>(locked));  // released (closed) on every return below

  // Someone may have started it while we waited for the lock.
  auto second = RpcClient::connect(paths.socket.string());
  if (std::holds_alternative<RpcClient>(second)) return second;

  const auto candidates = options.daemon_candidates.empty()
                              ? default_daemon_candidates(process_env())
                              : options.daemon_candidates;
  std::optional<fs::path> exe;
  for (const auto& c : candidates) {
    if (is_executable_file(c)) {
      exe = c;
      break;
    }
  }
  if (!exe) {
    return "no daemon answers at " + paths.socket.string() + " (" + first_error +
           ") and backburnerd was found neither next to this program nor on PATH; "
           "install backburnerd there or start it yourself";
  }

  const auto spawned = spawn_daemon(*exe, options.start_timeout);
  if (!spawned.error.empty()) return "could not start the daemon: " + spawned.error;
  // Exit 0: it serves now. Non-zero may mean that another daemon (started without this lock,
  // e.g. by hand) already serves this state dir: connecting decides.
  const auto patience =
      spawned.exited && spawned.exit_status == 0 ? milliseconds(2000) : milliseconds(1000);
  auto third = connect_with_patience(paths.socket, patience);
  if (std::holds_alternative<RpcClient>(third)) return third;

  std::string why;
  if (!spawned.exited) {
    why = "it did not report readiness within " +
          std::to_string(options.start_timeout.count() / 1000) + " s";
  } else if (spawned.exit_status != 0) {
    why = "it exited with status " + std::to_string(spawned.exit_status);
  } else {
    why = "it reported readiness but does not accept connections (" + std::get<std::string>(third) +
          ")";
  }
  if (!spawned.stderr_text.empty()) why += ": " + spawned.stderr_text;
  return "started " + exe->string() + " but " + why + ". See " + paths.log_file.string();
}

}  // namespace bb
