#include "keeper_launcher.h"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <chrono>
#include <cstring>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <fcntl.h>
#include <spawn.h>
#include <sys/file.h>
#include <unistd.h>

#include "keeper_files.h"
#include "os.h"
#include "quiet_timer.h"

namespace bb {

namespace fs = std::filesystem;

namespace {

// The keeper finds its lock on this descriptor.
constexpr int kLockFd = 3;

// The keeper finds the write end of its readiness pipe here: it closes it once the shell runs
// and its run file is written (or it gives up).
constexpr int kReadyFd = 4;
// A keeper that has not reported by then is taken as running anyway (the start is answered
// without a pid; the task is tracked all the same).
constexpr std::chrono::seconds kReadyBound{10};

class PosixKeeperLauncher final : public KeeperLauncher {
 public:
  PosixKeeperLauncher(boost::asio::io_context& io, fs::path keeper_exe)
      : io_(io), exe_(std::move(keeper_exe)) {}
  std::variant<ProcessIdentity, std::string> launch(const KeeperSpec& spec,
                                                    Running on_running) override;

 private:
  boost::asio::io_context& io_;
  fs::path exe_;
};

// Waits for the readiness pipe's end (EOF: the keeper closed it, or exited) without blocking
// the loop, at most kReadyBound.
void await_ready(boost::asio::io_context& io, int fd, KeeperLauncher::Running on_running) {
  struct Wait {
    Wait(boost::asio::io_context& io, int fd) : pipe(io, fd), timer(io) {}
    boost::asio::posix::stream_descriptor pipe;
    QuietTimer timer;
    char buf[64];
    std::string got;  // what the keeper wrote: "shell_pid=N\n"
    bool done = false;
    KeeperLauncher::Running on_running;
  };
  auto w = std::make_shared<Wait>(io, fd);
  w->on_running = std::move(on_running);
  auto finish = [w] {
    if (w->done) return;
    w->done = true;
    boost::system::error_code ec;
    w->timer.cancel();
    w->pipe.close(ec);
    std::optional<std::int64_t> shell;
    if (w->got.rfind("shell_pid=", 0) == 0 && w->got.find('\n') != std::string::npos) {
      char* end = nullptr;
      const long long pid = std::strtoll(w->got.c_str() + 10, &end, 10);
      if (pid > 0 && end != nullptr && *end == '\n') shell = pid;
    }
    w->on_running(shell);
  };
  w->timer.expires_after(kReadyBound);
  w->timer.async_wait([finish](const boost::system::error_code& ec) {
    if (!ec) finish();
  });
  // Read until EOF: the keeper writes one short line and closes its end.
  struct Reader {
    std::shared_ptr<Wait> w;
    std::function<void()> finish;
    void operator()(const boost::system::error_code& ec, std::size_t n) const {
      if (w->done) return;
      if (ec) return finish();
      if (w->got.size() < 64) w->got.append(w->buf, n);
      w->pipe.async_read_some(boost::asio::buffer(w->buf), *this);
    }
  };
  w->pipe.async_read_some(boost::asio::buffer(w->buf), Reader{w, finish});
}

std::string octal(int mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%03o", static_cast<unsigned>(mode) & 0777u);
  return buf;
}

}  // namespace

std::unique_ptr<KeeperLauncher> make_keeper_launcher(boost::asio::io_context& io,
                                                     fs::path keeper_exe) {
  return std::make_unique<PosixKeeperLauncher>(io, std::move(keeper_exe));
}

fs::path default_keeper_path() {
  if (const char* p = std::getenv("BACKBURNER_KEEPER"); p && *p) return p;
  fs::path self = os::current_executable();
  if (self.empty()) return "backburner-keeper";
  return self.parent_path() / "backburner-keeper";
}

std::variant<ProcessIdentity, std::string> PosixKeeperLauncher::launch(const KeeperSpec& spec,
                                                                      Running on_running) {
  // The liveness lock, taken before the keeper exists and inherited by it (flock locks belong
  // to the open file, which the keeper's descriptor keeps open): if this daemon dies at any
  // moment from here on, the next one finds the lock held for as long as the keeper lives.
  const std::string lock_path = (spec.task_dir / keeper::kKeeperLock).string();
  const int lock = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (lock < 0) return "cannot create " + lock_path + ": " + std::strerror(errno);
  if (::flock(lock, LOCK_EX | LOCK_NB) != 0) {
    const std::string err = std::strerror(errno);
    ::close(lock);
    return "cannot lock " + lock_path + ": " + err;
  }

  int ready[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) {
    const std::string err = std::strerror(errno);
    ::close(lock);
    return "cannot create a pipe for the keeper: " + err;
  }
  std::vector<std::string> args = {exe_.string(),  "--task-dir", spec.task_dir.string(),
                                   "--cwd",        spec.cwd,     "--grace-ms",
                                   std::to_string(spec.grace_ms), "--lock-fd",
                                   std::to_string(kLockFd),       "--ready-fd",
                                   std::to_string(kReadyFd),      "--umask",
                                   octal(spec.umask)};
  if (spec.deadline_ms) {
    args.push_back("--deadline-ms");
    args.push_back(std::to_string(*spec.deadline_ms));
  }
  if (spec.stdin_pipe) args.push_back("--stdin-pipe");
  if (!spec.flush) args.push_back("--no-flush");
  if (spec.log_cap_bytes > 0) {
    args.push_back("--log-cap");
    args.push_back(std::to_string(spec.log_cap_bytes));
  }
  args.push_back("--");
  args.push_back(spec.command);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : spec.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  const std::string log = (spec.task_dir / keeper::kKeeperLog).string();
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  // dup2 onto a new number clears close-on-exec: the keeper gets the lock and nothing else of
  // the daemon's (its socket, its database, client connections).
  posix_spawn_file_actions_adddup2(&fa, lock, kLockFd);
  posix_spawn_file_actions_adddup2(&fa, ready[1], kReadyFd);
  posix_spawn_file_actions_addclosefrom_np(&fa, kReadyFd + 1);
  // The keeper handles these through a signalfd. Starting with them already blocked closes
  // the window before it blocks them itself, in which a cancel (SIGUSR1) would kill it
  // before it could record anything.
  sigset_t handled, all;
  sigemptyset(&handled);
  for (int sig : {SIGCHLD, SIGUSR1, SIGUSR2, SIGTERM, SIGINT, SIGHUP}) sigaddset(&handled, sig);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &handled);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, exe_.c_str(), &fa, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  // The keeper holds the lock now (or nobody does, if it did not start).
  ::close(lock);
  ::close(ready[1]);
  if (rc != 0) {
    ::close(ready[0]);
    return "cannot start the keeper " + exe_.string() + ": " + std::strerror(rc);
  }
  await_ready(io_, ready[0], std::move(on_running));
  // A child that has not been reaped keeps its /proc entry even if it already exited.
  auto start = process_start_time(pid);
  return ProcessIdentity{pid, start.value_or(0)};
}

}  // namespace bb
