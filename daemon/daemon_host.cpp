#include "daemon_host.h"

#include <cstdlib>
#include <iostream>
#include <chrono>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>

#include "command_policy.h"
#include "dashboard.h"
#include "daemon_log.h"
#include "event_hub.h"
#include "file_io.h"
#include "iso_time.h"
#include "keeper_launcher.h"
#include "os.h"
#include "policy_config.h"
#include "process_watcher.h"
#include "output_watcher.h"
#include "quiet_timer.h"
#include "retention.h"
#include "rpc_dispatcher.h"
#include "rpc_server.h"
#include "state_dir.h"
#include "task_manager.h"
#include "task_output.h"
#include "task_store.h"
#include "version.h"
#include "worker_pool.h"

namespace bb {

namespace {

// Reports the start's result to whoever detached us (or to stderr in the foreground).
class Readiness {
 public:
  explicit Readiness(std::unique_ptr<ReadyChannel> channel) : channel_(std::move(channel)) {}
  int fail(int status, const std::string& message) {
    daemon_log("cannot start: " + message);
    if (channel_) {
      channel_->report(status, message);
      channel_.reset();
    } else {
      std::cerr << "backburnerd: " << message << "\n";
    }
    return status;
  }
  void ready() {
    if (channel_) channel_->report(kExitOk, "ready");
    channel_.reset();
  }

 private:
  std::unique_ptr<ReadyChannel> channel_;
};

// BACKBURNER_LOG_MAX_BYTES: a task's log cap, a byte count with an optional K/M/G suffix
// (powers of 1024); 0 means no cap. Default 1 GiB.
std::uint64_t log_cap_from_env(std::vector<std::string>& warnings) {
  constexpr std::uint64_t kDefault = 1024ull * 1024 * 1024;
  const char* v = std::getenv("BACKBURNER_LOG_MAX_BYTES");
  if (v == nullptr || *v == '\0') return kDefault;
  char* end = nullptr;
  const double d = std::strtod(v, &end);
  double scale = 1;
  const std::string suffix = end ? end : "";
  if (suffix == "K") scale = 1024.0;
  if (suffix == "M") scale = 1024.0 * 1024;
  if (suffix == "G") scale = 1024.0 * 1024 * 1024;
  if (end == v || !(suffix.empty() || scale != 1) || d < 0 || d > 1e18) {
    warnings.push_back(std::string("BACKBURNER_LOG_MAX_BYTES=") + v +
                       " is not a size (e.g. 1G, 500M, 0 for none); keeping the default of 1G");
    return kDefault;
  }
  return static_cast<std::uint64_t>(d * scale);
}

// Threads for CPU-bound work on what clients send (worker_pool.h).
constexpr int kWorkerThreads = 2;

// BACKBURNER_DURABILITY: "full" (default) flushes acknowledged starts and recorded ends to
// disk before they are reported; "fast" does not (a power cut may roll back the last ones).
bool flush_from_env(std::vector<std::string>& warnings) {
  const char* v = std::getenv("BACKBURNER_DURABILITY");
  if (v == nullptr || *v == '\0' || std::string(v) == "full") return true;
  if (std::string(v) == "fast") return false;
  warnings.push_back(std::string("BACKBURNER_DURABILITY=") + v +
                     " is neither full nor fast; keeping full");
  return true;
}

// How long a start waits for a state dir lock whose daemon is gone (see run_daemon).
constexpr std::chrono::milliseconds kLockSettleTime{3000};

bool pid_file_names_a_live_process(const std::filesystem::path& pid_file) {
  auto text = fileio::read_small_file(pid_file, 64);
  if (!text) return false;
  const long pid = std::strtol(text->c_str(), nullptr, 10);
  return pid > 0 && os::process_exists(pid);
}

int grace_ms_from_env() {
  const char* v = std::getenv("BACKBURNER_KILL_GRACE");
  if (v == nullptr || *v == '\0') return 5000;
  char* end = nullptr;
  double secs = std::strtod(v, &end);
  if (end == v || *end != '\0' || secs < 0 || secs > 3600) return 5000;
  return static_cast<int>(secs * 1000);
}

}  // namespace

int run_daemon(DaemonOptions options) {
  const bool detached = options.ready != nullptr;
  Readiness readiness(std::move(options.ready));
  StatePaths paths;
  try {
    paths = resolve_state_paths(process_env());
  } catch (const std::exception& e) {
    return readiness.fail(kExitFailed, e.what());
  }
  std::string tightened;
  if (auto err = ensure_private_dir(paths.home, &tightened); !err.empty())
    return readiness.fail(kExitFailed, err);
  const ProcessSetup setup = prepare_daemon_process(paths, detached);
  if (!tightened.empty()) daemon_log(tightened);

  bool busy = false;
  auto lock = InstanceLock::acquire(paths.lock_file, busy);
  // A daemon killed while it was starting a keeper leaves the lock with that keeper for the
  // moment before it execs (the new process holds copies of all the daemon's descriptors until
  // then). If the daemon the pid file names is gone, the lock is about to be free: wait for it.
  const auto give_up = std::chrono::steady_clock::now() + kLockSettleTime;
  while (busy && !pid_file_names_a_live_process(paths.pid_file) &&
         std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    lock = InstanceLock::acquire(paths.lock_file, busy);
  }
  if (auto* err = std::get_if<std::string>(&lock)) {
    if (!busy) return readiness.fail(kExitFailed, *err);
    std::string who = "another backburnerd";
    if (auto pid = fileio::read_small_file(paths.pid_file, 64)) {
      const long n = std::strtol(pid->c_str(), nullptr, 10);
      if (n > 0) who += " (pid " + std::to_string(n) + ")";
    }
    return readiness.fail(kExitAlreadyRunning,
                          who + " already serves " + paths.home.string() + " on " +
                              paths.socket.string());
  }
  // Files an older version created with the umask's modes become private too.
  for (const auto* f : {&paths.db, &paths.log_file, &paths.pid_file, &paths.lock_file}) {
    make_file_private(*f);
    make_file_private(std::filesystem::path(f->string() + "-wal"));
    make_file_private(std::filesystem::path(f->string() + "-shm"));
  }
  if (auto err = ensure_private_dir(paths.tasks_dir); !err.empty())
    return readiness.fail(kExitFailed, err);
  if (paths.socket.parent_path() != paths.home) {
    if (auto err = ensure_private_dir(paths.socket.parent_path()); !err.empty())
      return readiness.fail(kExitFailed, "socket dir: " + err);
  }

  auto compiled = CommandPolicy::compile(policy_from_env(process_env()), "daemon");
  if (auto* err = std::get_if<std::string>(&compiled)) return readiness.fail(kExitFailed, *err);
  CommandPolicy daemon_policy = std::move(std::get<CommandPolicy>(compiled));

  std::vector<std::string> warnings;
  const bool flush = flush_from_env(warnings);
  fileio::set_flushes(flush);
  boost::asio::io_context io(1);
  if (auto err = prepare_quiet_timers(io); !err.empty()) return readiness.fail(kExitFailed, err);
  std::optional<TaskStore> store;
  try {
    store.emplace(paths.db, flush);
  } catch (const std::exception& e) {
    return readiness.fail(kExitFailed, "cannot open " + paths.db.string() + ": " + e.what());
  }
  auto launcher = make_keeper_launcher(io, default_keeper_path());
  auto watcher = make_process_watcher(io);
  TaskManagerOptions topts;
  topts.grace_ms = grace_ms_from_env();
  topts.task_umask = setup.task_umask;
  topts.daemon_env = os::environment();
  topts.log_cap_bytes = log_cap_from_env(warnings);
  topts.flush = flush;
  TaskManager tasks(io, *store, *launcher, *watcher, paths, topts);
  auto output_watcher = make_output_watcher(io);
  EventHub events(io, tasks, *output_watcher);
  Retention retention(io, tasks, retention_from_env(process_env(), &warnings));
  tasks.add_listener(&events);
  tasks.add_listener(&retention);
  // After io (it posts there) and the policies (its jobs read them): destroyed before both.
  WorkerPool workers(io, kWorkerThreads);
  OutputService output(io, tasks, workers);
  for (const auto& w : warnings) daemon_log("warning: " + w);
  try {
    tasks.reconcile();
  } catch (const std::exception& e) {
    return readiness.fail(kExitFailed, std::string("cannot reconcile tasks: ") + e.what());
  }

  const std::int64_t started_ms = now_ms();
  std::optional<RpcServer> server;
  std::optional<Dashboard> dashboard;  // listens once dashboard.open asks
  auto stop = [&] {
    boost::asio::post(io, [&] {
      tasks.abort_pending();
      if (dashboard) dashboard->stop();
      if (server) server->stop();
      io.stop();
    });
  };
  auto info = [&] {
    proto::DaemonInfo d;
    d.version = BACKBURNER_VERSION;
    d.pid = os::current_pid();
    d.started_at = iso_utc(started_ms);
    d.uptime_seconds = (now_ms() - started_ms) / 1000.0;
    d.state_dir = paths.home.string();
    d.socket = paths.socket.string();
    d.counts = tasks.counts();
    d.connections = server ? server->connection_count() : 0;
    d.log_bytes = tasks.log_bytes();
    d.keep_days = retention.settings().keep_days;
    d.keep_bytes = retention.settings().keep_bytes;
    if (dashboard) d.dashboard_url = dashboard->base_url();
    return d;
  };
  DashboardOptions dopts;
  std::vector<std::string> dashboard_warnings;
  dopts.port = dashboard_port_from_env(process_env(), &dashboard_warnings);
  dopts.default_port = dashboard::default_port_for_user(os::current_user_id());
  dashboard.emplace(io, DashboardServices{tasks, workers, output, events, daemon_policy, info},
                    dopts);
  for (const auto& w : dashboard_warnings) daemon_log("warning: " + w);
  RpcDispatcher dispatcher(DaemonServices{tasks, workers, output, events, retention,
                                          daemon_policy, info, stop,
                                          [&] { return dashboard->open(); }});
  server.emplace(io, dispatcher);
  if (auto err = server->listen(paths.socket); !err.empty())
    return readiness.fail(kExitFailed, err);
  if (fileio::replace_file(paths.pid_file, std::to_string(os::current_pid()) + "\n"))
    return readiness.fail(kExitFailed, "cannot write " + paths.pid_file.string());

  boost::asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    daemon_log(std::string("received ") + (sig == SIGTERM ? "SIGTERM" : "SIGINT") +
               "; stopping (tasks keep running)");
    stop();
  });
  daemon_log("serving " + paths.home.string() + " on " + paths.socket.string() + " (" +
             std::to_string(tasks.live_count()) + " running tasks adopted)");
  readiness.ready();
  // Tasks that ended while no daemon ran may have passed a retention limit.
  boost::asio::post(io, [&] { retention.prune_if_needed(); });
  // A request's exceptions are caught where it is served; anything else that escapes a
  // handler is logged and the loop goes on: tasks outlive any one mishap, so must the daemon.
  for (;;) {
    try {
      io.run();
      break;
    } catch (const std::exception& e) {
      daemon_log(std::string("unexpected error, continuing: ") + e.what());
    }
  }
  server.reset();
  std::error_code ec;
  std::filesystem::remove(paths.pid_file, ec);
  daemon_log("stopped");
  return kExitOk;
}

}  // namespace bb
