#include "daemon_host.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "command_policy.h"
#include "iso_time.h"
#include "keeper_launcher.h"
#include "policy_config.h"
#include "process_watcher.h"
#include "rpc_dispatcher.h"
#include "rpc_server.h"
#include "state_dir.h"
#include "state_paths.h"
#include "task_manager.h"
#include "task_store.h"
#include "version.h"

extern char** environ;

namespace bb {

namespace {

void log(const std::string& message) {
  std::string line = iso_utc(now_ms()) + " backburnerd[" + std::to_string(::getpid()) + "]: " +
                     message + "\n";
  (void)!::write(2, line.data(), line.size());
}

// Reports the start's result to whoever detached us (or to stderr when in the foreground).
class Readiness {
 public:
  explicit Readiness(int fd) : fd_(fd) {}
  ~Readiness() {
    if (fd_ >= 0) ::close(fd_);
  }
  int fail(int status, const std::string& message) {
    log("cannot start: " + message);
    if (fd_ >= 0) {
      std::string line = std::to_string(status) + " " + message + "\n";
      (void)!::write(fd_, line.data(), line.size());
      ::close(fd_);
      fd_ = -1;
    } else {
      std::cerr << "backburnerd: " << message << "\n";
    }
    return status;
  }
  void ready() {
    if (fd_ >= 0) {
      (void)!::write(fd_, "0 ready\n", 8);
      ::close(fd_);
      fd_ = -1;
    }
  }

 private:
  int fd_;
};

int grace_ms_from_env() {
  const char* v = std::getenv("BACKBURNER_KILL_GRACE");
  if (v == nullptr || *v == '\0') return 5000;
  char* end = nullptr;
  double secs = std::strtod(v, &end);
  if (end == v || *end != '\0' || secs < 0 || secs > 3600) return 5000;
  return static_cast<int>(secs * 1000);
}

// A socket handed over by systemd socket activation (LISTEN_FDS), if it is meant for us.
std::optional<int> activation_socket() {
  const char* pid = std::getenv("LISTEN_PID");
  const char* fds = std::getenv("LISTEN_FDS");
  if (pid == nullptr || fds == nullptr) return std::nullopt;
  if (std::strtol(pid, nullptr, 10) != ::getpid() || std::strtol(fds, nullptr, 10) < 1)
    return std::nullopt;
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDS");
  ::unsetenv("LISTEN_FDNAMES");
  ::fcntl(3, F_SETFD, FD_CLOEXEC);
  return 3;
}

}  // namespace

int run_daemon(const DaemonOptions& options) {
  Readiness readiness(options.ready_fd);
  StatePaths paths;
  try {
    paths = resolve_state_paths(process_env());
  } catch (const std::exception& e) {
    return readiness.fail(kExitFailed, e.what());
  }
  if (auto err = ensure_private_dir(paths.home); !err.empty())
    return readiness.fail(kExitFailed, err);
  // Hold no directory busy (every path is absolute by now), and use every file descriptor the
  // hard limit allows: one pidfd per running task plus one socket per client.
  (void)!::chdir("/");
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
  if (options.ready_fd >= 0) {
    // Detached: our stderr becomes the state dir's log.
    int fd = ::open(paths.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd >= 0) {
      ::dup2(fd, 2);
      ::close(fd);
    }
  }
  bool busy = false;
  auto lock = InstanceLock::acquire(paths.lock_file, busy);
  if (auto* err = std::get_if<std::string>(&lock)) {
    if (!busy) return readiness.fail(kExitFailed, *err);
    std::string who = "another backburnerd";
    if (FILE* f = std::fopen(paths.pid_file.c_str(), "r")) {
      long pid = 0;
      if (std::fscanf(f, "%ld", &pid) == 1) who += " (pid " + std::to_string(pid) + ")";
      std::fclose(f);
    }
    return readiness.fail(kExitAlreadyRunning,
                          who + " already serves " + paths.home.string() + " on " +
                              paths.socket.string());
  }
  if (auto err = ensure_private_dir(paths.tasks_dir); !err.empty())
    return readiness.fail(kExitFailed, err);
  if (paths.socket_in_runtime_dir || std::getenv("BACKBURNER_SOCKET")) {
    if (auto err = ensure_private_dir(paths.socket.parent_path()); !err.empty())
      return readiness.fail(kExitFailed, "socket dir: " + err);
  }

  auto compiled = CommandPolicy::compile(policy_from_env(process_env()), "daemon");
  if (auto* err = std::get_if<std::string>(&compiled)) return readiness.fail(kExitFailed, *err);
  CommandPolicy daemon_policy = std::move(std::get<CommandPolicy>(compiled));

  boost::asio::io_context io(1);
  std::optional<TaskStore> store;
  try {
    store.emplace(paths.db);
  } catch (const std::exception& e) {
    return readiness.fail(kExitFailed, "cannot open " + paths.db.string() + ": " + e.what());
  }
  PosixKeeperLauncher launcher(default_keeper_path());
  PidfdWatcher watcher(io);
  TaskManagerOptions topts;
  topts.grace_ms = grace_ms_from_env();
  for (char** e = environ; *e != nullptr; ++e) topts.daemon_env.emplace_back(*e);
  TaskManager tasks(io, *store, launcher, watcher, paths, topts);
  try {
    tasks.reconcile();
  } catch (const std::exception& e) {
    return readiness.fail(kExitFailed, std::string("cannot reconcile tasks: ") + e.what());
  }

  const std::int64_t started_ms = now_ms();
  std::optional<RpcServer> server;
  auto stop = [&] {
    boost::asio::post(io, [&] {
      tasks.abort_pending();
      if (server) server->stop();
      io.stop();
    });
  };
  auto info = [&] {
    proto::DaemonInfo d;
    d.version = BACKBURNER_VERSION;
    d.pid = ::getpid();
    d.started_at = iso_utc(started_ms);
    d.uptime_seconds = (now_ms() - started_ms) / 1000.0;
    d.state_dir = paths.home.string();
    d.socket = paths.socket.string();
    d.counts = tasks.counts();
    d.connections = server ? server->connection_count() : 0;
    return d;
  };
  RpcDispatcher dispatcher(tasks, daemon_policy, info, stop);
  server.emplace(io, dispatcher);
  std::string err;
  const std::optional<int> activated = activation_socket();
  if (activated)
    err = server->adopt(*activated);
  else
    err = server->listen(paths.socket);
  if (!err.empty()) return readiness.fail(kExitFailed, err);
  if (!write_file_atomically(paths.pid_file, std::to_string(::getpid()) + "\n"))
    return readiness.fail(kExitFailed, "cannot write " + paths.pid_file.string());

  std::signal(SIGPIPE, SIG_IGN);
  boost::asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    log(std::string("received ") + (sig == SIGTERM ? "SIGTERM" : "SIGINT") +
        "; stopping (tasks keep running)");
    stop();
  });
  log("serving " + paths.home.string() + " on " + paths.socket.string() + " (" +
      std::to_string(tasks.live_count()) + " running tasks adopted)");
  readiness.ready();
  // A request's exceptions are caught where it is served; anything else that escapes a
  // handler is logged and the loop goes on: tasks outlive any one mishap, so must the daemon.
  for (;;) {
    try {
      io.run();
      break;
    } catch (const std::exception& e) {
      log(std::string("unexpected error, continuing: ") + e.what());
    }
  }
  // A socket handed over by systemd belongs to its socket unit, which serves it again next time.
  if (!activated) ::unlink(paths.socket.c_str());
  ::unlink(paths.pid_file.c_str());
  log("stopped");
  return kExitOk;
}

int detach_and_run() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    std::cerr << "backburnerd: pipe: " << std::strerror(errno) << "\n";
    return kExitFailed;
  }
  // Fork before anything else exists in this process (no threads, no Asio).
  pid_t pid = ::fork();
  if (pid < 0) {
    std::cerr << "backburnerd: fork: " << std::strerror(errno) << "\n";
    return kExitFailed;
  }
  if (pid == 0) {
    ::close(fds[0]);
    ::setsid();
    int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
      ::dup2(null, 0);
      ::dup2(null, 1);
      if (null > 2) ::close(null);
    }
    DaemonOptions o;
    o.ready_fd = fds[1];
    std::_Exit(run_daemon(o));
  }
  ::close(fds[1]);
  std::string report;
  char buf[512];
  for (;;) {
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    report.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  if (report.empty()) {
    std::cerr << "backburnerd: the daemon exited before it was ready (see its log in the state "
                 "dir)\n";
    return kExitFailed;
  }
  int status = std::atoi(report.c_str());
  std::string message = report.substr(report.find(' ') + 1);
  while (!message.empty() && message.back() == '\n') message.pop_back();
  if (status != 0) std::cerr << "backburnerd: " << message << "\n";
  return status;
}

}  // namespace bb
