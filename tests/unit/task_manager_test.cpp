// Unit: the task state machine with a fake launcher and watcher: no process is started.
#include <map>
#include <set>

#include <SQLiteCpp/SQLiteCpp.h>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "keeper_files.h"
#include "paths.h"
#include "task_manager.h"

namespace bb {
namespace {

using proto::Status;

class FakeLauncher : public KeeperLauncher {
 public:
  std::variant<ProcessIdentity, std::string> launch(const KeeperSpec& spec,
                                                    Running on_running) override {
    if (!fail && on_running) on_running(next_pid + 10000);  // the fake keeper's shell runs at once
    specs.push_back(spec);
    if (on_launch) on_launch(spec);
    if (fail) return std::string("no keeper here");
    return ProcessIdentity{next_pid++, 1};
  }
  std::vector<KeeperSpec> specs;
  std::function<void(const KeeperSpec&)> on_launch;
  bool fail = false;
  std::int64_t next_pid = 1000;
};

class FakeWatcher : public ProcessWatcher {
 public:
  Watch watch(const ProcessIdentity& id, OnExit on_exit) override {
    if (fail_watches > 0) {
      --fail_watches;
      return Watch::failed;
    }
    if (!alive_set.count(id.pid)) return Watch::gone;
    callbacks[id.pid] = std::move(on_exit);
    return Watch::watching;
  }
  int fail_watches = 0;  // the next watches fail as if out of file descriptors
  bool request_cancel(const ProcessIdentity& k) override {
    cancels.push_back(k.pid);
    return alive_set.count(k.pid) > 0;
  }
  bool request_stdin_close(const ProcessIdentity& k) override {
    stdin_closes.push_back(k.pid);
    return alive_set.count(k.pid) > 0;
  }
  void kill_orphaned_group(const ProcessIdentity& leader) override { killed.push_back(leader.pid); }
  bool alive(const ProcessIdentity& id) override { return alive_set.count(id.pid) > 0; }
  // Tests set a task dir's lock state; unset means no lock file (as before locks existed).
  Lock keeper_lock(const std::filesystem::path& task_dir) override {
    auto it = locks.find(task_dir.filename().string());
    return it == locks.end() ? Lock::absent : it->second;
  }
  std::map<std::string, Lock> locks;  // by task id
  std::vector<std::int64_t> stdin_closes;

  // The keeper exits: its callback fires as the pidfd would.
  void exit(std::int64_t pid) {
    alive_set.erase(pid);
    auto cb = std::move(callbacks[pid]);
    callbacks.erase(pid);
    if (cb) cb(std::nullopt);
  }
  std::set<std::int64_t> alive_set;
  std::map<std::int64_t, OnExit> callbacks;
  std::vector<std::int64_t> cancels;
  std::vector<std::int64_t> killed;
};

class TaskManagerTest : public ::testing::Test {
 protected:
  TaskManagerTest() {
    paths.home = dir.path();
    paths.tasks_dir = dir.path() / "tasks";
    store = std::make_unique<TaskStore>(dir.path() / "db");
    launcher.on_launch = [this](const KeeperSpec&) { watcher.alive_set.insert(launcher.next_pid); };
    make_manager();
  }
  void make_manager() {
    TaskManagerOptions o;
    o.grace_ms = 10;
    o.cancel_slack_ms = 10;
    o.daemon_env = {"FROM_DAEMON=1"};
    tasks = std::make_unique<TaskManager>(io, *store, launcher, watcher, paths, o);
  }
  proto::TaskView start(const std::string& command = "true") {
    proto::StartParams p;
    p.command = command;
    p.cwd = dir.path().string();
    auto r = tasks->start(p, {"tests", "1"});
    if (auto* f = std::get_if<Failure>(&r)) throw std::runtime_error(f->message);
    return std::get<proto::TaskView>(r);
  }
  // The keeper records an outcome and exits.
  void finish_keeper(const proto::TaskView& t, keeper::Outcome o) {
    o.finished_at_ms = o.finished_at_ms ? o.finished_at_ms : 5000;
    keeper::write_outcome(task_dir(paths, t.task_id), o);
    watcher.exit(*store->get(t.task_id)->keeper_pid);
    io.poll();
  }
  Status status(const std::string& id) { return std::get<proto::TaskView>(tasks->get(id)).status; }
  // Straight from the database file, bypassing the store under test.
  std::string live_status(const std::string& id) {
    SQLite::Database db((dir.path() / "db").string());
    SQLite::Statement q(db, "SELECT status FROM tasks WHERE id = ?");
    q.bind(1, id);
    return q.executeStep() ? q.getColumn(0).getString() : "";
  }

  test::TempDir dir;
  StatePaths paths;
  boost::asio::io_context io;
  std::unique_ptr<TaskStore> store;
  FakeLauncher launcher;
  FakeWatcher watcher;
  std::unique_ptr<TaskManager> tasks;
};

TEST_F(TaskManagerTest, ATaskIsDurableBeforeItsKeeperStarts) {
  bool recorded_first = false;
  launcher.on_launch = [&](const KeeperSpec& spec) {
    auto id = spec.task_dir.filename().string();
    recorded_first = store->get(id) && store->get(id)->status == Status::working;
    watcher.alive_set.insert(launcher.next_pid);
  };
  auto t = start();
  EXPECT_TRUE(recorded_first);
  EXPECT_EQ(t.status, Status::working);
  EXPECT_EQ(store->get(t.task_id)->keeper_pid, 1000);
}

TEST_F(TaskManagerTest, WithoutAClientEnvironmentATaskGetsTheDaemons) {
  start();
  EXPECT_EQ(launcher.specs.at(0).env, std::vector<std::string>{"FROM_DAEMON=1"});
  proto::StartParams p;
  p.command = "true";
  p.cwd = dir.path().string();
  p.env = std::map<std::string, std::string>{{"A", "b"}};
  tasks->start(p, {});
  EXPECT_EQ(launcher.specs.at(1).env, std::vector<std::string>{"A=b"});
}

TEST_F(TaskManagerTest, ExitZeroCompletesAndNonZeroFails) {
  auto ok = start();
  auto bad = start();
  finish_keeper(ok, {keeper::How::exited, 0});
  finish_keeper(bad, {keeper::How::exited, 4});
  auto a = std::get<proto::TaskView>(tasks->get(ok.task_id));
  auto b = std::get<proto::TaskView>(tasks->get(bad.task_id));
  EXPECT_EQ(a.status, Status::completed);
  EXPECT_EQ(a.exit_code, 0);
  EXPECT_EQ(b.status, Status::failed);
  EXPECT_EQ(b.exit_code, 4);
}

TEST_F(TaskManagerTest, ASignalDeathFailsNamingTheSignalWithoutAnExitCode) {
  auto t = start();
  finish_keeper(t, {keeper::How::signaled, std::nullopt, 9});
  auto v = std::get<proto::TaskView>(tasks->get(t.task_id));
  EXPECT_EQ(v.status, Status::failed);
  EXPECT_EQ(v.signal, "SIGKILL");
  EXPECT_FALSE(v.exit_code);
}

TEST_F(TaskManagerTest, TimedOutAndCancelledTasksReportNoExitCode) {
  auto t = start();
  keeper::Outcome o{keeper::How::timed_out, 143};
  finish_keeper(t, o);
  auto v = std::get<proto::TaskView>(tasks->get(t.task_id));
  EXPECT_EQ(v.status, Status::timed_out);
  EXPECT_FALSE(v.exit_code);
}

TEST_F(TaskManagerTest, AKeeperThatDiesWithoutAnOutcomeLeavesItsTaskInterrupted) {
  auto t = start();
  watcher.exit(1000);
  io.poll();
  EXPECT_EQ(status(t.task_id), Status::interrupted);
}

TEST_F(TaskManagerTest, AKeeperThatCannotStartFailsTheTaskAndSaysWhy) {
  launcher.fail = true;
  proto::StartParams p;
  p.command = "true";
  p.cwd = dir.path().string();
  auto r = tasks->start(p, {});
  ASSERT_TRUE(std::holds_alternative<Failure>(r));
  EXPECT_EQ(std::get<Failure>(r).code, proto::error::kSpawnFailed);
  auto listed = std::get<proto::ListResult>(tasks->list({}));
  ASSERT_EQ(listed.tasks.size(), 1u);
  EXPECT_EQ(listed.tasks[0].status, Status::failed);
  EXPECT_EQ(listed.tasks[0].status_message, "no keeper here");
}

TEST_F(TaskManagerTest, APolicyRefusalIsTheClientsErrorNamingTheRule) {
  auto policy = std::get<CommandPolicy>(CommandPolicy::compile({{}, {"nope"}}, "daemon"));
  auto refused = policy_failure("echo nope", {&policy});
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->code, proto::error::kPolicyDenied);
  EXPECT_EQ(refused->data["rule"], "nope");
  EXPECT_EQ(refused->data["source"], "daemon");
  EXPECT_FALSE(policy_failure("echo yes", {&policy}));
}

TEST_F(TaskManagerTest, ARepeatedIdempotencyKeyGivesTheFirstTaskAndStartsNothing) {
  proto::StartParams p;
  p.command = "true";
  p.cwd = dir.path().string();
  p.idempotency_key = "k1";
  auto first = std::get<proto::TaskView>(tasks->start(p, {}));
  auto again = std::get<proto::TaskView>(tasks->start(p, {}));
  EXPECT_EQ(again.task_id, first.task_id);
  EXPECT_EQ(launcher.specs.size(), 1u);
  p.command = "false";
  auto conflict = tasks->start(p, {});
  ASSERT_TRUE(std::holds_alternative<Failure>(conflict));
  EXPECT_EQ(std::get<Failure>(conflict).code, proto::error::kIdempotencyConflict);
  EXPECT_EQ(launcher.specs.size(), 1u);
}

TEST_F(TaskManagerTest, AMissingCwdIsRefusedBeforeAnythingIsRecorded) {
  proto::StartParams p;
  p.command = "true";
  p.cwd = (dir.path() / "nope").string();
  auto r = tasks->start(p, {});
  ASSERT_TRUE(std::holds_alternative<Failure>(r));
  EXPECT_EQ(std::get<Failure>(r).code, proto::error::kInvalidCwd);
  EXPECT_EQ(store->count(ListQuery{}), 0u);
}

TEST_F(TaskManagerTest, CancelAsksTheKeeperAndAnswersOnceItHasFinished) {
  auto t = start();
  std::optional<Outcome<proto::CancelResult>> answer;
  tasks->cancel(t.task_id, [&](auto r) { answer = r; });
  EXPECT_EQ(watcher.cancels, std::vector<std::int64_t>{1000});
  EXPECT_FALSE(answer);  // not before the tree is gone
  finish_keeper(t, {keeper::How::cancelled});
  ASSERT_TRUE(answer);
  auto& r = std::get<proto::CancelResult>(*answer);
  EXPECT_TRUE(r.cancelled);
  EXPECT_EQ(r.task.status, Status::cancelled);
}

TEST_F(TaskManagerTest, CancelReportsSurvivorsOfTheKillLadder) {
  auto t = start();
  std::optional<Outcome<proto::CancelResult>> answer;
  tasks->cancel(t.task_id, [&](auto r) { answer = r; });
  keeper::Outcome o{keeper::How::cancelled};
  o.survivors = {4242};
  finish_keeper(t, o);
  ASSERT_TRUE(answer);
  EXPECT_EQ(std::get<proto::CancelResult>(*answer).survivors, std::vector<std::int64_t>{4242});
}

TEST_F(TaskManagerTest, CancelAnswersAnywayWhenTheKeeperTakesTooLong) {
  auto t = start();
  std::optional<Outcome<proto::CancelResult>> answer;
  tasks->cancel(t.task_id, [&](auto r) { answer = r; });
  io.run_for(std::chrono::seconds(5));
  ASSERT_TRUE(answer);
  EXPECT_FALSE(std::get<proto::CancelResult>(*answer).cancelled);
  EXPECT_EQ(status(t.task_id), Status::working);
}

TEST_F(TaskManagerTest, CancellingAFinishedTaskChangesNothing) {
  auto t = start();
  finish_keeper(t, {keeper::How::exited, 0});
  std::optional<Outcome<proto::CancelResult>> answer;
  tasks->cancel(t.task_id, [&](auto r) { answer = r; });
  ASSERT_TRUE(answer);
  EXPECT_FALSE(std::get<proto::CancelResult>(*answer).cancelled);
  EXPECT_EQ(status(t.task_id), Status::completed);
  EXPECT_TRUE(watcher.cancels.empty());
}

TEST_F(TaskManagerTest, WaitAnswersWhenTheLastListedTaskFinishes) {
  auto a = start();
  auto b = start();
  std::optional<Outcome<proto::WaitResult>> answer;
  proto::WaitParams w;
  w.task_ids = {a.task_id, b.task_id};
  tasks->wait(w, [&](auto r) { answer = r; });
  finish_keeper(a, {keeper::How::exited, 0});
  EXPECT_FALSE(answer);
  finish_keeper(b, {keeper::How::exited, 1});
  ASSERT_TRUE(answer);
  auto& r = std::get<proto::WaitResult>(*answer);
  EXPECT_TRUE(r.all_finished);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.tasks[1].status, Status::failed);
}

TEST_F(TaskManagerTest, WaitAnswersAtItsTimeout) {
  auto a = start();
  std::optional<Outcome<proto::WaitResult>> answer;
  proto::WaitParams w;
  w.task_ids = {a.task_id};
  w.timeout_seconds = 0.01;
  tasks->wait(w, [&](auto r) { answer = r; });
  io.run_for(std::chrono::seconds(5));
  ASSERT_TRUE(answer);
  EXPECT_TRUE(std::get<proto::WaitResult>(*answer).timed_out);
  EXPECT_FALSE(std::get<proto::WaitResult>(*answer).all_finished);
}

TEST_F(TaskManagerTest, WaitOnAnUnknownTaskIsAnError) {
  std::optional<Outcome<proto::WaitResult>> answer;
  proto::WaitParams w;
  w.task_ids = {"nope"};
  tasks->wait(w, [&](auto r) { answer = r; });
  ASSERT_TRUE(answer);
  EXPECT_EQ(std::get<Failure>(*answer).code, proto::error::kTaskNotFound);
}

TEST_F(TaskManagerTest, AWatchThatFailsForLackOfResourcesIsRetriedNotTakenForAnExit) {
  watcher.fail_watches = 1;
  auto t = start();
  io.poll();
  EXPECT_EQ(status(t.task_id), Status::working);  // not interrupted: nothing says it ended
  io.run_for(std::chrono::seconds(3));              // the retry watches it for real
  ASSERT_TRUE(watcher.callbacks.count(1000));
  finish_keeper(t, {keeper::How::exited, 0});
  EXPECT_EQ(status(t.task_id), Status::completed);
}

TEST_F(TaskManagerTest, AnOutcomeTheStoreCannotTakeYetIsRecordedOnRetry) {
  auto t = start();
  keeper::write_outcome(task_dir(paths, t.task_id), {keeper::How::exited, 0});
  {
    // Another writer holds the database: the store throws "database is locked".
    SQLite::Database other((dir.path() / "db").string(), SQLite::OPEN_READWRITE);
    other.exec("BEGIN IMMEDIATE");
    store->set_busy_timeout(0);
    watcher.exit(1000);
    io.poll();
    EXPECT_EQ(live_status(t.task_id), "working");
    other.exec("ROLLBACK");
  }
  io.run_for(std::chrono::seconds(3));
  EXPECT_EQ(status(t.task_id), Status::completed);
}

TEST_F(TaskManagerTest, ReconcileReadoptsALiveKeeper) {
  auto t = start();
  make_manager();  // a new daemon over the same store; the keeper still runs
  watcher.callbacks.clear();
  tasks->reconcile();
  EXPECT_EQ(status(t.task_id), Status::working);
  EXPECT_TRUE(watcher.callbacks.count(1000));
  finish_keeper(t, {keeper::How::exited, 42});
  EXPECT_EQ(std::get<proto::TaskView>(tasks->get(t.task_id)).exit_code, 42);
}

TEST_F(TaskManagerTest, ReconcileRecordsAnOutcomeThatArrivedWhileTheDaemonWasDown) {
  auto t = start();
  make_manager();
  keeper::write_outcome(task_dir(paths, t.task_id), {keeper::How::timed_out});
  watcher.alive_set.clear();
  tasks->reconcile();
  EXPECT_EQ(status(t.task_id), Status::timed_out);
}

TEST_F(TaskManagerTest, ReconcileMarksOnlyTrulyVanishedTasksInterrupted) {
  auto gone = start();
  auto alive = start();
  make_manager();
  watcher.alive_set.erase(1000);
  tasks->reconcile();
  EXPECT_EQ(status(gone.task_id), Status::interrupted);
  EXPECT_EQ(status(alive.task_id), Status::working);
}

TEST_F(TaskManagerTest, ReconcileKillsTheRemainsOfATaskWhoseKeeperVanished) {
  auto t = start();
  keeper::RunRecord run{1000, 1, 2000, 7, 1};
  keeper::write_run(task_dir(paths, t.task_id), run);
  make_manager();
  watcher.alive_set = {2000};  // the shell lives on, its keeper does not
  tasks->reconcile();
  EXPECT_EQ(status(t.task_id), Status::interrupted);
  EXPECT_EQ(watcher.killed, std::vector<std::int64_t>{2000});
}

TEST_F(TaskManagerTest, ReconcileFindsAKeeperTheStoreNeverHeardOf) {
  // The daemon died between starting the keeper and recording it: the keeper's run file says.
  TaskRecord r;
  r.id = "orphanid01";
  r.command = "true";
  r.cwd = "/";
  r.created_at_ms = 1;
  store->insert(r);
  std::filesystem::create_directories(task_dir(paths, r.id));
  keeper::write_run(task_dir(paths, r.id), keeper::RunRecord{3000, 1, 3001, 1, 2});
  watcher.alive_set = {3000};
  tasks->reconcile();
  EXPECT_EQ(status(r.id), Status::working);
  EXPECT_EQ(store->get(r.id)->keeper_pid, 3000);
}

}  // namespace
}  // namespace bb
