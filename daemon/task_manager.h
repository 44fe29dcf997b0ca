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
};

class TaskManager {
 public:
  TaskManager(boost::asio::io_context& io, TaskStore& store, KeeperLauncher& launcher,
              ProcessWatcher& watcher, StatePaths paths, TaskManagerOptions options);
  ~TaskManager();

  // Brings every task the store calls working in line with reality: re-adopts live keepers,
  // records outcomes that arrived meanwhile, marks truly vanished tasks interrupted.
  // Call once, before serving.
  void reconcile();

  Outcome<proto::TaskView> start(const proto::StartParams& params, const proto::ClientInfo& client,
                                 const std::vector<const CommandPolicy*>& policies);
  Outcome<proto::TaskView> get(const std::string& task_id);
  Outcome<proto::OutputResult> output(const proto::OutputParams& params);
  proto::ListResult list(const proto::ListParams& params);

  using CancelDone = std::function<void(Outcome<proto::CancelResult>)>;
  // Answers once the task's tree is gone (or the ladder's bound passed).
  void cancel(const std::string& task_id, CancelDone done);

  using WaitDone = std::function<void(Outcome<proto::WaitResult>)>;
  // Answers when every listed task is terminal or the timeout passes.
  void wait(const proto::WaitParams& params, WaitDone done);

  // The daemon is stopping: answers every pending wait and cancel with kShuttingDown.
  // Tasks are untouched.
  void abort_pending();

  std::map<std::string, std::uint64_t> counts();
  std::size_t live_count() const { return live_.size(); }

 private:
  struct Live;
  struct Waiter;

  proto::TaskView view(const TaskRecord& t);
  void watch_keeper(const std::string& id, const ProcessIdentity& keeper);
  void on_keeper_exit(const std::string& id);
  void settle_exited_keeper(const std::string& id);
  void retry_later(const std::string& id, std::function<void()> fn);
  void finish(const std::string& id, const Finish& f, std::vector<std::int64_t> survivors);
  void settle_waiters(const std::string& id);
  void complete_waiter(const std::shared_ptr<Waiter>& w, bool timed_out);
  std::string new_task_id();

  boost::asio::io_context& io_;
  TaskStore& store_;
  KeeperLauncher& launcher_;
  ProcessWatcher& watcher_;
  StatePaths paths_;
  TaskManagerOptions options_;
  std::unordered_map<std::string, std::unique_ptr<Live>> live_;
  std::unordered_multimap<std::string, std::shared_ptr<Waiter>> waiters_;
};

}  // namespace bb
