// The task state machine. Owns the live set (working tasks and their keepers), answers
// requests, and turns keeper exits into terminal statuses. Runs on the daemon's one Asio thread;
// the OS is reached only through KeeperLauncher and ProcessWatcher, so tests can fake both.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "command_policy.h"
#include "failure.h"
#include "keeper_launcher.h"
#include "process_watcher.h"
#include "protocol.h"
#include "state_paths.h"
#include "task_store.h"

namespace boost::asio {
class io_context;
}

namespace bb {

struct TaskManagerOptions {
  int grace_ms = 5000;  // kill ladder: SIGTERM, this long, then SIGKILL
  // How long a cancel waits for the keeper beyond the grace before answering anyway.
  int cancel_slack_ms = 5000;
  std::vector<std::string> daemon_env;  // "NAME=value": a task's env when the client sends none
  int task_umask = 022;                 // a task's umask when the client sends none
  std::uint64_t log_cap_bytes = 0;      // per-task output cap (0: none)
  bool flush = true;                    // BACKBURNER_DURABILITY=fast turns it off
};

// Told of every change of a task that clients may follow (event subscriptions).
class TaskListener {
 public:
  virtual ~TaskListener() = default;
  virtual void task_changed(const proto::TaskView& task) = 0;
  // The task is gone from the store (retention).
  virtual void task_removed(const std::string& task_id) = 0;
};

class TaskManager {
 public:
  TaskManager(boost::asio::io_context& io, TaskStore& store, KeeperLauncher& launcher,
              ProcessWatcher& watcher, StatePaths paths, TaskManagerOptions options);
  ~TaskManager();

  void add_listener(TaskListener* listener) { listeners_.push_back(listener); }

  // Brings every task the store calls working in line with reality: re-adopts live keepers,
  // records outcomes that arrived meanwhile, marks truly vanished tasks interrupted.
  // Call once, before serving.
  void reconcile();

  // `client` is the connection's hello identity; params.on_behalf_of, when given, names who
  // the task is for (the connection's client then becomes `via`).
  // REQUIRES: the command policies allow params.command (policy_failure is how to check).
  Outcome<proto::TaskView> start(const proto::StartParams& params,
                                 const proto::ClientInfo& client);
  // Calls `done` once the task's keeper has started its shell (so a view carries the shell's
  // pid and its stdin pipe exists), or at once if it already has or the task is no longer
  // live. The daemon answers task.start through this.
  void when_running(const std::string& task_id, std::function<void()> done);
  // A repeated start (its idempotency key already started a task): that task, or a conflict.
  std::optional<Outcome<proto::TaskView>> repeated_start(const proto::StartParams& params);
  Outcome<proto::TaskView> get(const std::string& task_id);
  Outcome<proto::ListResult> list(const proto::ListParams& params);
  // The same, with the dashboard's further filters (ListQuery's client_name, text, active_*).
  Outcome<proto::ListResult> list(const proto::ListParams& params, const ListQuery& extra);
  Outcome<proto::InputResult> input(const proto::InputParams& params);

  using CancelDone = std::function<void(Outcome<proto::CancelResult>)>;
  // Answers once the task's tree is gone (or the ladder's bound passed).
  void cancel(const std::string& task_id, CancelDone done);

  using WaitDone = std::function<void(Outcome<proto::WaitResult>)>;
  // Answers when every listed task (mode any: one of them) is terminal or the timeout passes.
  void wait(const proto::WaitParams& params, WaitDone done);

  // The daemon is stopping: answers every pending wait and cancel with kShuttingDown.
  // Tasks are untouched.
  void abort_pending();

  std::map<std::string, std::uint64_t> counts();
  // Disk used by task logs: finished tasks' (as recorded) plus the running ones' now.
  std::uint64_t log_bytes();
  std::size_t live_count() const { return live_.size(); }
  bool is_live(const std::string& task_id) const { return live_.count(task_id) > 0; }

  // The task as clients see it (for the output reader and event subscriptions).
  proto::TaskView view(const TaskRecord& t);
  // Retention removed a finished task: tell the listeners.
  void removed(const std::string& task_id);
  TaskStore& store() { return store_; }
  const StatePaths& paths() const { return paths_; }

 private:
  struct Live;
  struct Waiter;

  void watch_keeper(const std::string& id, const ProcessIdentity& keeper);
  void identify_keeper(const std::string& id, int attempt);
  void on_keeper_exit(const std::string& id, std::optional<int> exit_status);
  void settle_exited_keeper(const std::string& id, std::optional<int> exit_status);
  void retry_later(const std::string& id, std::function<void()> fn);
  void finish(const std::string& id, const Finish& f, std::vector<std::int64_t> survivors);
  void settle_waiters(const std::string& id);
  void complete_waiter(const std::shared_ptr<Waiter>& w, bool timed_out);
  void notify(const std::string& id);
  bool waiter_done(const Waiter& w) const;

  boost::asio::io_context& io_;
  TaskStore& store_;
  KeeperLauncher& launcher_;
  ProcessWatcher& watcher_;
  StatePaths paths_;
  TaskManagerOptions options_;
  std::vector<TaskListener*> listeners_;
  std::unordered_map<std::string, std::unique_ptr<Live>> live_;
  std::unordered_multimap<std::string, std::shared_ptr<Waiter>> waiters_;
};

// The policies' refusal of `command` as the client sees it (1005), or nullopt: it may run.
// Thread-safe (compiled policies are immutable): a worker runs it for client policies.
std::optional<Failure> policy_failure(std::string_view command,
                                      const std::vector<const CommandPolicy*>& policies);

// An error the store raised, as the client sees it: a full disk is said so (1010), anything
// else is an internal error.
Failure store_failure(const std::exception& e, const std::string& what);

}  // namespace bb
