#include "task_manager.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <system_error>

#include <SQLiteCpp/Exception.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "daemon_log.h"
#include "file_io.h"
#include "iso_time.h"
#include "keeper.h"
#include "keeper_files.h"
#include "log_cut.h"
#include "log_progress.h"
#include "os.h"
#include "quiet_timer.h"
#include "signal_names.h"
#include "task_input.h"
#include "utf8_path.h"

namespace bb {

namespace fs = std::filesystem;
using proto::Status;

struct TaskManager::Live {
  std::optional<ProcessIdentity> keeper;  // unknown for a moment after a crash (identify_keeper)
  std::optional<std::int64_t> shell_pid;  // from the keeper's run file, once it is there
  // The progress last read from the log, and the log's size then: a log that has not grown is
  // not read again.
  std::optional<proto::Progress> progress;
  std::uint64_t progress_at = ~std::uint64_t{0};
  std::vector<CancelDone> cancels;
  bool cancel_requested = false;          // asked before the keeper was identified
  std::unique_ptr<QuietTimer> cancel_timer;
  std::unique_ptr<QuietTimer> retry_timer;  // a watch or a record to try again
  std::optional<Finish> pending_finish;  // an end the store could not take yet
  std::vector<std::int64_t> pending_survivors;
  bool running = true;  // the keeper has started the shell (false between launch and then)
  std::vector<std::function<void()>> on_running;
};

struct TaskManager::Waiter {
  std::vector<std::string> ids;
  bool any = false;
  std::vector<std::string> unknown;
  WaitDone done;
  std::unique_ptr<QuietTimer> timer;
  bool finished = false;
};

namespace {

Failure not_found(const std::string& id) {
  return Failure{proto::error::kTaskNotFound,
                 "no task with id \"" + id + "\"; list tasks to see the ids that exist",
                 {{"kind", "task_not_found"}, {"task_id", id}}};
}

Finish finish_from(const keeper::Outcome& o) {
  Finish f;
  // The keeper flushed its outcome file before it exited: a power cut that rolled the store's
  // commit back would leave the task for reconcile, which records this same end again.
  f.durable_elsewhere = true;
  f.finished_at_ms = o.finished_at_ms;
  if (o.started_at_ms > 0) f.started_at_ms = o.started_at_ms;
  f.message = o.message;
  switch (o.how) {
    case keeper::How::exited:
      f.exit_code = o.exit_code.value_or(0);
      f.status = *f.exit_code == 0 ? Status::completed : Status::failed;
      if (f.message.empty()) f.message = "exited with code " + std::to_string(*f.exit_code);
      break;
    case keeper::How::signaled:
      f.status = Status::failed;
      f.signal = o.signal;
      if (f.message.empty()) f.message = "killed by " + signal_name(o.signal.value_or(0));
      break;
    case keeper::How::timed_out:
      f.status = Status::timed_out;
      break;
    case keeper::How::cancelled:
      f.status = Status::cancelled;
      break;
    case keeper::How::interrupted:
      f.status = Status::interrupted;
      break;
    case keeper::How::spawn_failed:
      f.status = Status::failed;
      break;
  }
  return f;
}

std::uint64_t log_size(const fs::path& p) {
  std::error_code ec;
  const auto n = fs::file_size(p, ec);
  return ec ? 0 : static_cast<std::uint64_t>(n);
}

// What the task's log holds on disk: its size less a middle the keeper cut (keeper/log_cut.h).
std::uint64_t log_disk_bytes(const fs::path& dir) {
  const std::uint64_t size = log_size(dir / keeper::kOutputFile);
  const auto cut = keeper::read_log_cut(dir);
  return cut && cut->bytes_cut() <= size ? size - cut->bytes_cut() : size;
}

bool is_disk_full(const std::exception& e) {
  if (const auto* s = dynamic_cast<const SQLite::Exception*>(&e)) return s->getErrorCode() == 13;
  if (const auto* s = dynamic_cast<const std::system_error*>(&e))
    return s->code() == std::errc::no_space_on_device;
  return false;
}

// How long after a daemon crash a keeper that holds its lock may take to say who it is.
constexpr int kIdentifyQuickAttempts = 500;  // x 10 ms
constexpr auto kIdentifyQuick = std::chrono::milliseconds(10);
constexpr auto kIdentifySlow = std::chrono::seconds(1);

}  // namespace

Failure store_failure(const std::exception& e, const std::string& what) {
  if (is_disk_full(e))
    return Failure{proto::error::kDiskFull,
                   what + ": the disk holding the state dir is full. Free some space (for "
                   "example with `backburner prune`) and try again",
                   {{"kind", "disk_full"}}};
  return Failure{proto::error::kInternalError, what + ": " + e.what(),
                 {{"kind", "internal_error"}}};
}

TaskManager::TaskManager(boost::asio::io_context& io, TaskStore& store, KeeperLauncher& launcher,
                         ProcessWatcher& watcher, StatePaths paths, TaskManagerOptions options)
    : io_(io),
      store_(store),
      launcher_(launcher),
      watcher_(watcher),
      paths_(std::move(paths)),
      options_(std::move(options)) {}

TaskManager::~TaskManager() = default;

proto::TaskView TaskManager::view(const TaskRecord& t) {
  proto::TaskView v;
  v.task_id = t.id;
  v.command = t.command;
  v.cwd = t.cwd;
  v.status = t.status;
  v.created_at = iso_utc(t.created_at_ms);
  if (t.started_at_ms) v.started_at = iso_utc(*t.started_at_ms);
  if (t.finished_at_ms) v.finished_at = iso_utc(*t.finished_at_ms);
  const std::int64_t begin = t.started_at_ms.value_or(t.created_at_ms);
  const fs::path dir = task_dir(paths_, t.id);
  v.output_bytes = log_size(dir / keeper::kOutputFile);
  if (t.status == Status::working) {
    v.running_for_seconds = std::max<std::int64_t>(0, now_ms() - begin) / 1000.0;
    if (auto it = live_.find(t.id); it != live_.end()) {
      Live& live = *it->second;
      if (!live.shell_pid) {
        if (auto run = keeper::read_run(dir)) live.shell_pid = run->shell_pid;
      }
      v.pid = live.shell_pid;
      if (v.output_bytes != live.progress_at) {
        live.progress = progress_of(dir / keeper::kOutputFile);
        live.progress_at = v.output_bytes;
      }
      v.progress = live.progress;
    }
  } else if (t.finished_at_ms) {
    v.duration_seconds = std::max<std::int64_t>(0, *t.finished_at_ms - begin) / 1000.0;
  }
  if (t.status == Status::completed || t.status == Status::failed) v.exit_code = t.exit_code;
  if (t.signal) v.signal = signal_name(*t.signal);
  if (t.timeout_ms) v.timeout_seconds = *t.timeout_ms / 1000.0;
  if (!t.status_message.empty()) v.status_message = t.status_message;
  v.client.name = t.client_name;
  v.client.version = t.client_version;
  if (!t.client_session.empty()) v.client.session = t.client_session;
  if (!t.client_user.empty()) v.client.user = t.client_user;
  if (!t.client_via.empty()) v.client.via = t.client_via;
  if (!t.label.empty()) v.label = t.label;
  if (!t.stdin_mode.empty()) v.stdin_state = t.stdin_mode;
  v.log_path = (dir / keeper::kOutputFile).string();
  return v;
}

void TaskManager::notify(const std::string& id) {
  if (listeners_.empty()) return;
  try {
    if (auto t = store_.get(id)) {
      const proto::TaskView v = view(*t);
      for (auto* l : listeners_) l->task_changed(v);
    }
  } catch (const std::exception& e) {
    daemon_log("cannot report a change of task " + id + ": " + e.what());
  }
}

void TaskManager::removed(const std::string& task_id) {
  for (auto* l : listeners_) l->task_removed(task_id);
}

void TaskManager::reconcile() {
  const std::string& boot = os::boot_id();
  for (const TaskRecord& t : store_.working()) {
    const fs::path dir = task_dir(paths_, t.id);
    const auto lock = watcher_.keeper_lock(dir);
    // Who the keeper is: the store knows unless the daemon died right after starting it; the
    // keeper writes itself into its lock file first thing, and into `run` once the shell runs.
    std::optional<ProcessIdentity> keeper;
    std::string keeper_boot = t.keeper_boot;
    if (t.keeper_pid && t.keeper_start) keeper = ProcessIdentity{*t.keeper_pid, *t.keeper_start};
    const auto run = keeper::read_run(dir);
    if (!keeper) {
      if (auto id = keeper::read_keeper_identity(dir)) {
        keeper = ProcessIdentity{id->pid, id->start_time};
        keeper_boot = id->boot_id;
      } else if (run) {
        keeper = ProcessIdentity{run->keeper_pid, run->keeper_start};
        keeper_boot = run->boot_id;
      }
    }
    // A keeper of an earlier boot is dead whatever its pid names now.
    const bool same_boot = keeper_boot.empty() || boot.empty() || keeper_boot == boot;
    bool alive;
    switch (lock) {
      case ProcessWatcher::Lock::held:
        alive = true;  // the lock cannot lie: a keeper lives, known or not yet
        break;
      case ProcessWatcher::Lock::free:
        alive = false;
        break;
      case ProcessWatcher::Lock::absent:
      default:
        alive = keeper && same_boot && watcher_.alive(*keeper);
        break;
    }
    if (alive) {
      if (keeper && !t.keeper_pid)
        store_.set_keeper(t.id, keeper->pid, keeper->start_time, keeper_boot,
                          run ? run->started_at_ms : t.created_at_ms);
      if (keeper) {
        watch_keeper(t.id, *keeper);
      } else {
        live_[t.id] = std::make_unique<Live>();
        identify_keeper(t.id, 0);
      }
      continue;
    }
    // Gone. A keeper writes its outcome before it exits (and before it lets go of its lock), so
    // any outcome it made is on disk now.
    if (auto o = keeper::read_outcome(dir)) {
      Finish f = finish_from(*o);
      f.output_bytes = log_disk_bytes(dir);
      finish(t.id, f, o->survivors);
      continue;
    }
    Finish f;
    f.status = Status::interrupted;
    f.finished_at_ms = now_ms();
    f.output_bytes = log_disk_bytes(dir);
    const std::string run_boot = run ? run->boot_id : std::string();
    if (run && (run_boot.empty() || run_boot == boot) &&
        watcher_.alive(ProcessIdentity{run->shell_pid, run->shell_start})) {
      watcher_.kill_orphaned_group(ProcessIdentity{run->shell_pid, run->shell_start});
      f.message = "the task's keeper vanished while the daemon was down; its processes were killed";
    } else {
      f.message = "the task's processes vanished while the daemon was down (e.g. a reboot)";
    }
    finish(t.id, f, {});
  }
}

// A keeper that holds its lock but has not said who it is yet (the daemon died between starting
// it and recording it, a moment ago): look again shortly until it has, or has exited.
void TaskManager::identify_keeper(const std::string& id, int attempt) {
  auto it = live_.find(id);
  if (it == live_.end()) return;
  const fs::path dir = task_dir(paths_, id);
  std::optional<ProcessIdentity> keeper;
  std::string boot;
  if (auto k = keeper::read_keeper_identity(dir)) {
    keeper = ProcessIdentity{k->pid, k->start_time};
    boot = k->boot_id;
  } else if (auto run = keeper::read_run(dir)) {
    keeper = ProcessIdentity{run->keeper_pid, run->keeper_start};
    boot = run->boot_id;
  }
  if (keeper) {
    try {
      store_.set_keeper(id, keeper->pid, keeper->start_time, boot, now_ms());
    } catch (const std::exception& e) {
      daemon_log("cannot record the keeper of task " + id + ": " + e.what());
    }
    watch_keeper(id, *keeper);
    return;
  }
  if (watcher_.keeper_lock(dir) != ProcessWatcher::Lock::held) {
    on_keeper_exit(id, std::nullopt);
    return;
  }
  auto& live = *it->second;
  live.retry_timer = std::make_unique<QuietTimer>(
      io_, attempt < kIdentifyQuickAttempts ? std::chrono::duration_cast<std::chrono::milliseconds>(
                                                  kIdentifyQuick)
                                            : std::chrono::duration_cast<std::chrono::milliseconds>(
                                                  kIdentifySlow));
  live.retry_timer->async_wait([this, id, attempt](const boost::system::error_code& ec) {
    if (!ec) identify_keeper(id, attempt + 1);
  });
}

std::optional<Failure> policy_failure(std::string_view command,
                                      const std::vector<const CommandPolicy*>& policies) {
  auto refusal = check_policies(command, policies);
  if (!refusal) return std::nullopt;
  nlohmann::json data = {{"kind", "policy_denied"},
                         {"rule", refusal->rule},
                         {"list", refusal->list},
                         {"source", refusal->source}};
  if (!refusal->patterns.empty()) data["patterns"] = refusal->patterns;
  return Failure{proto::error::kPolicyDenied, refusal->message, data};
}

std::optional<Outcome<proto::TaskView>> TaskManager::repeated_start(const proto::StartParams& p) {
  if (!p.idempotency_key) return std::nullopt;
  // A start that was already made (the client lost our answer and asked again): the same
  // task, and nothing new runs.
  auto existing = store_.find_by_idempotency_key(*p.idempotency_key);
  if (!existing) return std::nullopt;
  if (existing->command != p.command)
    return Failure{proto::error::kIdempotencyConflict,
                   "idempotency_key \"" + *p.idempotency_key + "\" already started task " +
                       existing->id + " with another command; use a new key for a new task",
                   {{"kind", "idempotency_conflict"}, {"task_id", existing->id}}};
  return view(*existing);
}

Outcome<proto::TaskView> TaskManager::start(const proto::StartParams& p,
                                            const proto::ClientInfo& client) {
  if (auto repeat = repeated_start(p)) return *repeat;
  std::error_code ec;
  fs::path cwd = utf8_path(p.cwd);
  if (!cwd.is_absolute())
    return Failure{proto::error::kInvalidCwd, "cwd must be an absolute path, got \"" + p.cwd + "\"",
                   {{"kind", "invalid_cwd"}, {"cwd", p.cwd}, {"reason", "not_absolute"}}};
  if (!fs::is_directory(cwd, ec)) {
    const bool exists = fs::exists(cwd, ec);
    return Failure{proto::error::kInvalidCwd,
                   "cwd \"" + p.cwd + "\" " + (exists ? "is not a directory" : "does not exist") +
                       "; pass an existing directory",
                   {{"kind", "invalid_cwd"},
                    {"cwd", p.cwd},
                    {"reason", exists ? "not_a_directory" : "not_found"}}};
  }

  TaskRecord t;
  t.command = p.command;
  t.cwd = cwd.lexically_normal().string();
  t.created_at_ms = now_ms();
  if (p.timeout_seconds) {
    // At least 1 ms: a positive timeout never becomes "no time at all".
    t.timeout_ms = std::max<std::int64_t>(1, static_cast<std::int64_t>(*p.timeout_seconds * 1000.0 + 0.5));
    t.deadline_ms = t.created_at_ms + *t.timeout_ms;
  }
  const proto::ClientInfo& who = p.on_behalf_of ? *p.on_behalf_of : client;
  t.client_name = who.name;
  t.client_version = who.version;
  t.client_session = who.session.value_or(client.session.value_or(""));
  t.client_user = who.user.value_or(client.user.value_or(""));
  if (p.on_behalf_of)
    t.client_via = client.version.empty() ? client.name : client.name + " " + client.version;
  t.label = p.label.value_or("");
  t.stdin_mode = p.stdin_pipe ? "pipe" : "";
  t.idempotency_key = p.idempotency_key.value_or("");
  // Durable before anything runs: a crash from here on leaves a record that reconcile settles.
  try {
    do t.id = os::random_id(10);
    while (!store_.insert(t, &t.seq));
  } catch (const std::exception& e) {
    return store_failure(e, "the task could not be recorded, so it was not started");
  }

  const fs::path dir = task_dir(paths_, t.id);
  auto fail = [&](std::string message) -> Outcome<proto::TaskView> {
    Finish f;
    f.status = Status::failed;
    f.finished_at_ms = now_ms();
    f.message = message;
    live_[t.id] = std::make_unique<Live>();
    finish(t.id, f, {});
    return Failure{proto::error::kSpawnFailed, "the task could not start: " + message,
                   {{"kind", "spawn_failed"}, {"task_id", t.id}}};
  };
  // The directory is private by the daemon's umask (077) from its first instant.
  fs::create_directories(dir, ec);
  if (ec) return fail("cannot create " + dir.string() + ": " + ec.message());
  // The new entry in tasks/ is made durable before the keeper writes anything in it: a crash
  // must not keep the task's record and lose the directory its outcome goes to. (The keeper
  // syncs the directory's own entries.) Skipped with durability "fast", like every sync.
  if (const auto synced = fileio::sync_directory(dir.parent_path()))
    return fail("cannot sync " + dir.parent_path().string() + ": " + synced.message());

  KeeperSpec spec;
  spec.task_dir = dir;
  spec.cwd = t.cwd;
  spec.command = t.command;
  spec.deadline_ms = t.deadline_ms;
  spec.grace_ms = options_.grace_ms;
  spec.umask = p.umask.value_or(options_.task_umask);
  spec.stdin_pipe = p.stdin_pipe;
  spec.log_cap_bytes = options_.log_cap_bytes;
  spec.flush = options_.flush;
  if (p.env) {
    for (const auto& [k, v] : *p.env) spec.env.push_back(k + "=" + v);
  } else {
    spec.env = options_.daemon_env;
  }
  auto& live = live_[t.id];
  live = std::make_unique<Live>();
  live->running = false;
  const std::string id = t.id;
  auto launched = launcher_.launch(spec, [this, id](std::optional<std::int64_t> shell_pid) {
    auto it = live_.find(id);
    if (it == live_.end()) return;
    it->second->running = true;
    if (shell_pid) it->second->shell_pid = shell_pid;
    auto waiting = std::move(it->second->on_running);
    it->second->on_running.clear();
    for (auto& done : waiting) done();
  });
  if (auto* err = std::get_if<std::string>(&launched)) return fail(*err);
  const ProcessIdentity keeper = std::get<ProcessIdentity>(launched);
  const std::int64_t started = now_ms();
  // Watched before anything else can fail: from here the task is running and must be tracked.
  watch_keeper(t.id, keeper);
  t.keeper_pid = keeper.pid;
  t.keeper_start = keeper.start_time;
  t.keeper_boot = os::boot_id();
  t.started_at_ms = started;
  try {
    store_.set_keeper(t.id, keeper.pid, keeper.start_time, t.keeper_boot, started);
  } catch (const std::exception& e) {
    // Not fatal: the keeper's lock and run files identify it to a later reconcile.
    daemon_log("cannot record the keeper of task " + t.id + ": " + e.what());
  }
  proto::TaskView v = view(t);
  for (auto* l : listeners_) l->task_changed(v);
  return v;
}

void TaskManager::when_running(const std::string& task_id, std::function<void()> done) {
  auto it = live_.find(task_id);
  if (it == live_.end() || it->second->running) return done();
  it->second->on_running.push_back(std::move(done));
}

void TaskManager::watch_keeper(const std::string& id, const ProcessIdentity& keeper) {
  auto& live = live_[id];
  if (!live) live = std::make_unique<Live>();
  live->keeper = keeper;
  if (live->cancel_requested) watcher_.request_cancel(keeper);
  switch (watcher_.watch(keeper, [this, id](std::optional<int> status) {
    on_keeper_exit(id, status);
  })) {
    case ProcessWatcher::Watch::watching:
      return;
    case ProcessWatcher::Watch::gone:
      // Settle it on the next turn of the loop, as if the watch had fired.
      boost::asio::post(io_, [this, id] { on_keeper_exit(id, std::nullopt); });
      return;
    case ProcessWatcher::Watch::failed:
      // Out of file descriptors, say: the keeper may well be alive. Look again shortly rather
      // than conclude anything.
      retry_later(id, [this, id, keeper] {
        if (live_.count(id)) watch_keeper(id, keeper);
      });
      return;
  }
}

void TaskManager::retry_later(const std::string& id, std::function<void()> fn) {
  auto& live = live_[id];
  if (!live) return;
  live->retry_timer = std::make_unique<QuietTimer>(io_, std::chrono::seconds(1));
  live->retry_timer->async_wait([fn = std::move(fn)](const boost::system::error_code& ec) {
    if (!ec) fn();
  });
}

void TaskManager::on_keeper_exit(const std::string& id, std::optional<int> exit_status) {
  if (!live_.count(id)) return;
  settle_exited_keeper(id, exit_status);
}

void TaskManager::settle_exited_keeper(const std::string& id, std::optional<int> exit_status) {
  const fs::path dir = task_dir(paths_, id);
  const std::uint64_t bytes = log_disk_bytes(dir);
  if (auto o = keeper::read_outcome(dir)) {
    Finish f = finish_from(*o);
    f.output_bytes = bytes;
    finish(id, f, o->survivors);
    return;
  }
  Finish f;
  f.status = exit_status == keeper::kExitNoSpace ? Status::failed : Status::interrupted;
  f.finished_at_ms = now_ms();
  f.output_bytes = bytes;
  if (exit_status == keeper::kExitNoSpace) {
    f.message = "the task did not run: the disk holding the state dir is full";
  } else {
    // The keeper died without recording an outcome (it was SIGKILLed): whatever of the task is
    // left has no supervisor, so end it rather than leave it running unaccounted for.
    f.message = "the task's keeper was killed before the task ended";
    if (auto run = keeper::read_run(dir)) {
      ProcessIdentity shell{run->shell_pid, run->shell_start};
      if (watcher_.alive(shell)) {
        watcher_.kill_orphaned_group(shell);
        f.message += "; its remaining processes were killed";
      }
    }
  }
  finish(id, f, {});
}

void TaskManager::finish(const std::string& id, const Finish& f,
                         std::vector<std::int64_t> survivors) {
  try {
    store_.finish(id, f);  // no-op if already terminal: terminal statuses never change
  } catch (const std::exception& e) {
    // The store is busy or the disk is full: the outcome is safe on disk (or here), so record
    // it a moment later instead of losing it (or the daemon).
    daemon_log("cannot record the end of task " + id + " yet (" + e.what() + "); retrying");
    auto& live = live_[id];
    if (!live) live = std::make_unique<Live>();
    live->pending_finish = f;
    live->pending_survivors = survivors;
    retry_later(id, [this, id] {
      auto it = live_.find(id);
      if (it == live_.end() || !it->second->pending_finish) return;
      Finish again = *it->second->pending_finish;
      finish(id, again, it->second->pending_survivors);
    });
    return;
  }
  std::unique_ptr<Live> live;
  if (auto it = live_.find(id); it != live_.end()) {
    live = std::move(it->second);
    live_.erase(it);
  }
  if (live) {
    // A task that ended before its keeper reported it running: whoever waits for that, learns
    // the end instead.
    for (auto& done : live->on_running) done();
    live->on_running.clear();
  }
  if (live && !live->cancels.empty()) {
    if (live->cancel_timer) live->cancel_timer->cancel();
    auto t = store_.get(id);
    proto::CancelResult r;
    r.task = view(*t);
    r.cancelled = t->status == Status::cancelled;
    r.survivors = survivors;
    if (r.cancelled)
      r.message = survivors.empty()
                      ? "cancelled; every process of the task is gone"
                      : "cancelled, but " + std::to_string(survivors.size()) +
                            " process(es) survived SIGKILL (see survivors)";
    else
      r.message = "the task ended on its own (" + std::string(proto::to_string(t->status)) +
                  ") before the cancel took effect";
    for (auto& done : live->cancels) done(r);
  }
  notify(id);
  settle_waiters(id);
}

Outcome<proto::TaskView> TaskManager::get(const std::string& task_id) {
  auto t = store_.get(task_id);
  if (!t) return not_found(task_id);
  return view(*t);
}

Outcome<proto::ListResult> TaskManager::list(const proto::ListParams& p) {
  return list(p, ListQuery{});
}

Outcome<proto::ListResult> TaskManager::list(const proto::ListParams& p, const ListQuery& extra) {
  ListQuery q;
  q.client_name = extra.client_name;
  q.text = extra.text;
  q.active_from_ms = extra.active_from_ms;
  q.active_to_ms = extra.active_to_ms;
  q.limit = p.limit.value_or(proto::kDefaultListLimit);
  q.status = p.status;
  q.label = p.label;
  q.command_contains = p.command_contains;
  q.session = p.session;
  if (p.cursor) {
    char* end = nullptr;
    const long long seq = std::strtoll(p.cursor->c_str(), &end, 10);
    if (end == p.cursor->c_str() || *end != '\0' || seq <= 0)
      return Failure{proto::error::kInvalidParams,
                     "cursor must be the next_cursor of an earlier task.list, got \"" +
                         *p.cursor + "\"",
                     {{"kind", "invalid_params"}, {"field", "cursor"}}};
    q.before_seq = seq;
  }
  // One more than asked: whether another page follows.
  ListQuery probe = q;
  probe.limit = q.limit + 1;
  auto rows = store_.list(probe);
  proto::ListResult r;
  const bool more = static_cast<int>(rows.size()) > q.limit;
  if (more) rows.pop_back();
  for (const auto& t : rows) r.tasks.push_back(view(t));
  if (more && !rows.empty()) r.next_cursor = std::to_string(rows.back().seq);
  r.total = store_.count(q);
  return r;
}

Outcome<proto::InputResult> TaskManager::input(const proto::InputParams& p) {
  auto t = store_.get(p.task_id);
  if (!t) return not_found(p.task_id);
  auto unavailable = [&](const char* reason, const std::string& message) {
    return Failure{proto::error::kInputUnavailable, message,
                   {{"kind", "input_unavailable"}, {"reason", reason}, {"task_id", t->id}}};
  };
  if (t->stdin_mode.empty())
    return unavailable("no_stdin", "task " + t->id +
                                       " has no stdin to write to: start it with stdin \"pipe\" "
                                       "to send it input");
  if (proto::is_terminal(t->status))
    return unavailable("finished", "task " + t->id + " has already ended (" +
                                       proto::to_string(t->status) + "); its input is closed");
  if (t->stdin_mode == "closed")
    return unavailable("closed", "the input of task " + t->id + " was already closed");
  auto it = live_.find(t->id);
  if (it == live_.end() || !it->second->keeper)
    return unavailable("not_ready", "task " + t->id + " is still starting; try again in a moment");
  proto::InputResult r;
  if (!p.text.empty()) {
    auto written = write_task_input(task_dir(paths_, t->id), p.text);
    if (auto* err = std::get_if<InputError>(&written))
      return unavailable(err->reason.c_str(), err->message);
    r.written = std::get<std::uint64_t>(written);
  }
  if (p.close) {
    if (!watcher_.request_stdin_close(*it->second->keeper))
      return unavailable("finished", "task " + t->id + " is ending; its input is closed");
    store_.set_stdin_mode(t->id, "closed");
    t->stdin_mode = "closed";
    notify(t->id);
  }
  r.task = view(*t);
  return r;
}

void TaskManager::cancel(const std::string& task_id, CancelDone done) {
  auto t = store_.get(task_id);
  if (!t) return done(not_found(task_id));
  auto it = live_.find(task_id);
  if (proto::is_terminal(t->status) || it == live_.end()) {
    proto::CancelResult r;
    r.task = view(*t);
    r.cancelled = false;
    r.message = "task " + task_id + " already finished (" + proto::to_string(t->status) +
                "); nothing to cancel";
    return done(r);
  }
  Live& live = *it->second;
  live.cancels.push_back(std::move(done));
  if (live.cancels.size() > 1) return;  // the ladder already runs; answer everyone at its end
  // If the keeper is already gone its exit notification answers us shortly; if it could not be
  // signalled for another reason the timer below still answers. A keeper not identified yet
  // gets the request as soon as it is.
  live.cancel_requested = true;
  if (live.keeper) watcher_.request_cancel(*live.keeper);
  live.cancel_timer = std::make_unique<QuietTimer>(
      io_, std::chrono::milliseconds(options_.grace_ms + options_.cancel_slack_ms));
  live.cancel_timer->async_wait([this, task_id](const boost::system::error_code& ec) {
    if (ec) return;
    auto lit = live_.find(task_id);
    if (lit == live_.end()) return;
    auto cur = store_.get(task_id);
    proto::CancelResult r;
    r.task = view(*cur);
    r.cancelled = false;
    r.message = "the cancel was sent but the task's keeper has not finished its kill ladder "
                "yet; check the task's status again shortly";
    auto cancels = std::move(lit->second->cancels);
    lit->second->cancels.clear();
    for (auto& d : cancels) d(r);
  });
}

bool TaskManager::waiter_done(const Waiter& w) const {
  auto ended = [this](const std::string& id) { return !live_.count(id); };
  return w.any ? std::any_of(w.ids.begin(), w.ids.end(), ended)
               : std::all_of(w.ids.begin(), w.ids.end(), ended);
}

void TaskManager::wait(const proto::WaitParams& p, WaitDone done) {
  auto w = std::make_shared<Waiter>();
  w->any = p.any;
  for (const auto& id : p.task_ids) {
    if (store_.get(id)) {
      w->ids.push_back(id);
    } else if (p.report_unknown) {
      w->unknown.push_back(id);
    } else {
      return done(not_found(id));
    }
  }
  w->done = std::move(done);
  const double secs = p.timeout_seconds.value_or(proto::kDefaultWaitSeconds);
  const bool ready = w->ids.empty() || waiter_done(*w);
  if (ready || secs <= 0) return complete_waiter(w, !ready);
  for (const auto& id : w->ids)
    if (live_.count(id)) waiters_.emplace(id, w);
  w->timer = std::make_unique<QuietTimer>(
      io_, std::chrono::microseconds(static_cast<std::int64_t>(secs * 1e6)));
  w->timer->async_wait([this, w](const boost::system::error_code& ec) {
    if (!ec) complete_waiter(w, true);
  });
}

void TaskManager::settle_waiters(const std::string& id) {
  auto [b, e] = waiters_.equal_range(id);
  std::vector<std::shared_ptr<Waiter>> ws;
  for (auto it = b; it != e; ++it) ws.push_back(it->second);
  waiters_.erase(b, e);
  for (auto& w : ws)
    if (waiter_done(*w)) complete_waiter(w, false);
}

void TaskManager::complete_waiter(const std::shared_ptr<Waiter>& w, bool timed_out) {
  if (w->finished) return;
  w->finished = true;
  if (w->timer) w->timer->cancel();
  for (const auto& id : w->ids) {
    auto [b, e] = waiters_.equal_range(id);
    for (auto it = b; it != e;) it = it->second == w ? waiters_.erase(it) : std::next(it);
  }
  proto::WaitResult r;
  r.all_finished = true;
  bool any = false;
  for (const auto& id : w->ids) {
    auto t = store_.get(id);
    if (!t) continue;
    r.tasks.push_back(view(*t));
    if (proto::is_terminal(t->status))
      any = true;
    else
      r.all_finished = false;
  }
  if (w->any) r.any_finished = any;
  if (!w->unknown.empty()) r.unknown_task_ids = w->unknown;
  r.timed_out = timed_out && !(w->any ? any : r.all_finished);
  w->done(r);
}

void TaskManager::abort_pending() {
  const Failure stopping{proto::error::kShuttingDown,
                         "the daemon is stopping; the tasks keep running: ask again once it is "
                         "back",
                         {{"kind", "shutting_down"}}};
  std::vector<std::shared_ptr<Waiter>> ws;
  for (auto& [id, w] : waiters_) ws.push_back(w);
  waiters_.clear();
  for (auto& w : ws) {
    if (w->finished) continue;
    w->finished = true;
    if (w->timer) w->timer->cancel();
    w->done(stopping);
  }
  for (auto& [id, live] : live_) {
    if (live->cancel_timer) live->cancel_timer->cancel();
    auto cancels = std::move(live->cancels);
    live->cancels.clear();
    for (auto& d : cancels) d(stopping);
  }
}

std::map<std::string, std::uint64_t> TaskManager::counts() { return store_.counts(); }

std::uint64_t TaskManager::log_bytes() {
  std::uint64_t total = store_.finished_output_bytes();
  for (const auto& [id, live] : live_) total += log_disk_bytes(task_dir(paths_, id));
  return total;
}

}  // namespace bb
