#include "task_manager.h"

#include <algorithm>
#include <cstdio>
#include <chrono>
#include <system_error>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <sys/random.h>
#include <sys/stat.h>

#include "iso_time.h"
#include "keeper_files.h"
#include "output_reader.h"
#include "signal_names.h"

namespace bb {

namespace fs = std::filesystem;
using proto::Status;

struct TaskManager::Live {
  ProcessIdentity keeper;
  std::optional<std::int64_t> shell_pid;  // from the keeper's run file, once it is there
  std::vector<CancelDone> cancels;
  std::unique_ptr<boost::asio::steady_timer> cancel_timer;
  std::unique_ptr<boost::asio::steady_timer> retry_timer;  // a watch or a record to try again
};

struct TaskManager::Waiter {
  std::vector<std::string> ids;
  WaitDone done;
  std::unique_ptr<boost::asio::steady_timer> timer;
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
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return 0;
  return static_cast<std::uint64_t>(st.st_size);
}

}  // namespace

TaskManager::TaskManager(boost::asio::io_context& io, TaskStore& store, KeeperLauncher& launcher,
                         ProcessWatcher& watcher, StatePaths paths, TaskManagerOptions options)
    : io_(io),
      store_(store),
      launcher_(launcher),
      watcher_(watcher),
      paths_(std::move(paths)),
      options_(std::move(options)) {}

TaskManager::~TaskManager() = default;

std::string TaskManager::new_task_id() {
  // 10 characters of base32: 50 random bits, short enough to type, hard to guess.
  static constexpr char kAlphabet[] = "abcdefghijkmnpqrstuvwxyz23456789";
  unsigned char bytes[10];
  if (::getrandom(bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes))
    throw std::system_error(errno, std::generic_category(), "getrandom");
  std::string id;
  for (unsigned char b : bytes) id += kAlphabet[b % 32];
  return id;
}

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
  if (t.status == Status::working) {
    v.running_for_seconds = std::max<std::int64_t>(0, now_ms() - begin) / 1000.0;
    if (auto it = live_.find(t.id); it != live_.end()) {
      Live& live = *it->second;
      if (!live.shell_pid) {
        if (auto run = keeper::read_run(task_dir(paths_, t.id))) live.shell_pid = run->shell_pid;
      }
      v.pid = live.shell_pid;
    }
  } else if (t.finished_at_ms) {
    v.duration_seconds = std::max<std::int64_t>(0, *t.finished_at_ms - begin) / 1000.0;
  }
  if (t.status == Status::completed || t.status == Status::failed) v.exit_code = t.exit_code;
  if (t.signal) v.signal = signal_name(*t.signal);
  if (t.timeout_ms) v.timeout_seconds = *t.timeout_ms / 1000.0;
  v.output_bytes = log_size(task_dir(paths_, t.id) / keeper::kOutputFile);
  if (!t.status_message.empty()) v.status_message = t.status_message;
  v.client = {t.client_name, t.client_version};
  return v;
}

void TaskManager::reconcile() {
  for (const TaskRecord& t : store_.working()) {
    const fs::path dir = task_dir(paths_, t.id);
    // The keeper writes its own identity into `run`; the store may lack it if the daemon died
    // between starting the keeper and recording it.
    std::optional<ProcessIdentity> keeper;
    if (t.keeper_pid && t.keeper_start)
      keeper = ProcessIdentity{*t.keeper_pid, *t.keeper_start};
    auto run = keeper::read_run(dir);
    if (!keeper && run) keeper = ProcessIdentity{run->keeper_pid, run->keeper_start};
    // Alive first: a keeper writes its outcome before it exits, so once it is seen gone any
    // outcome it recorded is already on disk.
    if (keeper && watcher_.alive(*keeper)) {
      if (!t.keeper_pid) store_.set_keeper(t.id, keeper->pid, keeper->start_time,
                                           run ? run->started_at_ms : t.created_at_ms);
      watch_keeper(t.id, *keeper);
      continue;
    }
    if (auto o = keeper::read_outcome(dir)) {
      finish(t.id, finish_from(*o), o->survivors);
      continue;
    }
    Finish f;
    f.status = Status::interrupted;
    f.finished_at_ms = now_ms();
    if (run && watcher_.alive(ProcessIdentity{run->shell_pid, run->shell_start})) {
      watcher_.kill_orphaned_group(ProcessIdentity{run->shell_pid, run->shell_start});
      f.message = "the task's keeper vanished while the daemon was down; its processes were killed";
    } else {
      f.message = "the task's processes vanished while the daemon was down (e.g. a reboot)";
    }
    finish(t.id, f, {});
  }
}

Outcome<proto::TaskView> TaskManager::start(const proto::StartParams& p,
                                            const proto::ClientInfo& client,
                                            const std::vector<const CommandPolicy*>& policies) {
  std::error_code ec;
  fs::path cwd(p.cwd);
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
  if (auto refusal = check_policies(p.command, policies)) {
    nlohmann::json data = {{"kind", "policy_denied"},
                           {"rule", refusal->rule},
                           {"list", refusal->list},
                           {"source", refusal->source}};
    if (!refusal->patterns.empty()) data["patterns"] = refusal->patterns;
    return Failure{proto::error::kPolicyDenied, refusal->message, data};
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
  t.client_name = client.name;
  t.client_version = client.version;
  // Durable before anything runs: a crash from here on leaves a record that reconcile settles.
  do t.id = new_task_id();
  while (!store_.insert(t));

  const fs::path dir = task_dir(paths_, t.id);
  auto fail = [&](std::string message) -> Outcome<proto::TaskView> {
    Finish f;
    f.status = Status::failed;
    f.finished_at_ms = now_ms();
    f.message = message;
    store_.finish(t.id, f);
    return Failure{proto::error::kSpawnFailed, "the task could not start: " + message,
                   {{"kind", "spawn_failed"}, {"task_id", t.id}}};
  };
  fs::create_directories(dir, ec);
  if (ec) return fail("cannot create " + dir.string() + ": " + ec.message());
  fs::permissions(dir, fs::perms::owner_all, ec);

  KeeperSpec spec;
  spec.task_dir = dir;
  spec.cwd = t.cwd;
  spec.command = t.command;
  spec.deadline_ms = t.deadline_ms;
  spec.grace_ms = options_.grace_ms;
  if (p.env) {
    for (const auto& [k, v] : *p.env) spec.env.push_back(k + "=" + v);
  } else {
    spec.env = options_.daemon_env;
  }
  auto launched = launcher_.launch(spec);
  if (auto* err = std::get_if<std::string>(&launched)) return fail(*err);
  const ProcessIdentity keeper = std::get<ProcessIdentity>(launched);
  const std::int64_t started = now_ms();
  // Watched before anything else can fail: from here the task is running and must be tracked.
  watch_keeper(t.id, keeper);
  t.keeper_pid = keeper.pid;
  t.keeper_start = keeper.start_time;
  t.started_at_ms = started;
  try {
    store_.set_keeper(t.id, keeper.pid, keeper.start_time, started);
  } catch (const std::exception& e) {
    // Not fatal: the keeper's own run file identifies it to a later reconcile.
    std::fprintf(stderr, "backburnerd: cannot record the keeper of task %s: %s\n",
                 t.id.c_str(), e.what());
  }
  return view(t);
}

void TaskManager::watch_keeper(const std::string& id, const ProcessIdentity& keeper) {
  auto& live = live_[id];
  if (!live) live = std::make_unique<Live>();
  live->keeper = keeper;
  switch (watcher_.watch(keeper, [this, id] { on_keeper_exit(id); })) {
    case ProcessWatcher::Watch::watching:
      return;
    case ProcessWatcher::Watch::gone:
      // Settle it on the next turn of the loop, as if the watch had fired.
      boost::asio::post(io_, [this, id] { on_keeper_exit(id); });
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
  live->retry_timer = std::make_unique<boost::asio::steady_timer>(io_, std::chrono::seconds(1));
  live->retry_timer->async_wait([fn = std::move(fn)](const boost::system::error_code& ec) {
    if (!ec) fn();
  });
}

void TaskManager::on_keeper_exit(const std::string& id) {
  if (!live_.count(id)) return;
  try {
    settle_exited_keeper(id);
  } catch (const std::exception& e) {
    // The store is busy or failing: the outcome is safe on disk, so record it a moment later
    // instead of losing it (or the daemon).
    std::fprintf(stderr, "backburnerd: cannot record the end of task %s yet (%s); retrying\n",
                 id.c_str(), e.what());
    retry_later(id, [this, id] { on_keeper_exit(id); });
  }
}

void TaskManager::settle_exited_keeper(const std::string& id) {
  const fs::path dir = task_dir(paths_, id);
  if (auto o = keeper::read_outcome(dir)) {
    finish(id, finish_from(*o), o->survivors);
    return;
  }
  // The keeper died without recording an outcome (it was SIGKILLed): whatever of the task is
  // left has no supervisor, so end it rather than leave it running unaccounted for.
  Finish f;
  f.status = Status::interrupted;
  f.finished_at_ms = now_ms();
  f.message = "the task's keeper was killed before the task ended";
  if (auto run = keeper::read_run(dir)) {
    ProcessIdentity shell{run->shell_pid, run->shell_start};
    if (watcher_.alive(shell)) {
      watcher_.kill_orphaned_group(shell);
      f.message += "; its remaining processes were killed";
    }
  }
  finish(id, f, {});
}

void TaskManager::finish(const std::string& id, const Finish& f,
                         std::vector<std::int64_t> survivors) {
  store_.finish(id, f);  // no-op if already terminal: terminal statuses never change
  std::unique_ptr<Live> live;
  if (auto it = live_.find(id); it != live_.end()) {
    live = std::move(it->second);
    live_.erase(it);
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
  settle_waiters(id);
}

Outcome<proto::TaskView> TaskManager::get(const std::string& task_id) {
  auto t = store_.get(task_id);
  if (!t) return not_found(task_id);
  return view(*t);
}

Outcome<proto::OutputResult> TaskManager::output(const proto::OutputParams& p) {
  auto t = store_.get(p.task_id);
  if (!t) return not_found(p.task_id);
  const fs::path log = task_dir(paths_, t->id) / keeper::kOutputFile;
  const std::uint64_t max_bytes = p.max_bytes.value_or(proto::kDefaultMaxBytes);
  // A finished task's log is complete: an unfinished character at its end is garbage, not a
  // character still being written.
  const bool final = proto::is_terminal(t->status);
  auto chunk = p.offset ? read_range(log, *p.offset, max_bytes, final)
                        : read_tail(log, static_cast<std::uint32_t>(
                                             p.tail_lines.value_or(proto::kDefaultTailLines)),
                                    max_bytes, final);
  if (!chunk)
    return Failure{proto::error::kInternalError,
                   "cannot read the output of task " + t->id + ": " + chunk.error().message(),
                   {{"kind", "io_error"}, {"task_id", t->id}}};
  proto::OutputResult r;
  r.task_id = t->id;
  r.output = std::move(chunk->text);
  r.offset = chunk->offset;
  r.next_offset = chunk->next_offset;
  r.output_bytes = chunk->total_bytes;
  r.truncated = chunk->truncated;
  r.status = t->status;
  return r;
}

proto::ListResult TaskManager::list(const proto::ListParams& p) {
  proto::ListResult r;
  for (const auto& t : store_.list(p.limit.value_or(proto::kDefaultListLimit), p.status))
    r.tasks.push_back(view(t));
  r.total = store_.count(p.status);
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
  // signalled for another reason the timer below still answers.
  watcher_.request_cancel(live.keeper);
  live.cancel_timer = std::make_unique<boost::asio::steady_timer>(
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

void TaskManager::wait(const proto::WaitParams& p, WaitDone done) {
  for (const auto& id : p.task_ids)
    if (!store_.get(id)) return done(not_found(id));
  auto w = std::make_shared<Waiter>();
  w->ids = p.task_ids;
  w->done = std::move(done);
  bool all = std::all_of(w->ids.begin(), w->ids.end(),
                         [this](const std::string& id) { return !live_.count(id); });
  const double secs = p.timeout_seconds.value_or(proto::kDefaultWaitSeconds);
  if (all || secs <= 0) return complete_waiter(w, !all);
  for (const auto& id : w->ids)
    if (live_.count(id)) waiters_.emplace(id, w);
  w->timer = std::make_unique<boost::asio::steady_timer>(
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
  for (auto& w : ws) {
    bool all = std::all_of(w->ids.begin(), w->ids.end(),
                           [this](const std::string& tid) { return !live_.count(tid); });
    if (all) complete_waiter(w, false);
  }
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
  for (const auto& id : w->ids) {
    auto t = store_.get(id);
    if (!t) continue;
    r.tasks.push_back(view(*t));
    if (!proto::is_terminal(t->status)) r.all_finished = false;
  }
  r.timed_out = timed_out && !r.all_finished;
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

}  // namespace bb
