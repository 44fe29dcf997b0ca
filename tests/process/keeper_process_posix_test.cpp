// backburner-keeper as the daemon runs it: started in a new session with only fds 0-2, against
// a temp task directory, using bb-testchild as the task. Every wait has an upper bound only to
// turn a hang into a failure; nothing here asserts on speed.
#include <chrono>
#include <csignal>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "iso_time.h"
#include "keeper_files.h"
#include "paths.h"
#include "process_identity.h"

extern char** environ;

namespace bb::keeper {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kHang = 20s;  // upper bound for any wait

std::string slurp(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// Polls `done` until it holds or `limit` passes.
template <typename Pred>
bool eventually(Pred done, Clock::duration limit = kHang) {
  const auto until = Clock::now() + limit;
  while (!done()) {
    if (Clock::now() >= until) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

// The identities a bb-testchild PIDFILE lists ("PID STARTTIME" per line).
std::vector<ProcessIdentity> read_pidfile(const fs::path& path) {
  std::vector<ProcessIdentity> ids;
  std::istringstream in(slurp(path));
  ProcessIdentity id;
  while (in >> id.pid >> id.start_time) ids.push_back(id);
  return ids;
}

// The parent pid from /proc/PID/stat (field 4, after the parenthesised command name); -1 if gone.
std::int64_t parent_of(std::int64_t pid) {
  std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
  auto close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream rest(stat.substr(close + 1));
  std::string state;
  std::int64_t ppid = -1;
  rest >> state >> ppid;
  return ppid;
}

// One backburner-keeper, started the way the daemon starts it (new session, stdin and stdout on
// /dev/null, stderr to a log), optionally through `prefix` (a program that execs the rest, so
// the pid stays the keeper's). The destructor kills and reaps it if a test bailed out early.
class KeeperProcess {
 public:
  KeeperProcess(const std::vector<std::string>& args, const std::vector<std::string>& extra_env,
                const fs::path& stderr_path, const std::vector<std::string>& prefix = {}) {
    std::vector<std::string> argv_s(prefix);
    argv_s.push_back((test::bin_dir() / "backburner-keeper").string());
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_s(extra_env);
    for (char** e = environ; *e != nullptr; ++e) env_s.emplace_back(*e);
    std::vector<char*> envp;
    for (auto& e : env_s) envp.push_back(e.data());
    envp.push_back(nullptr);

    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                     0600);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
    int rc = ::posix_spawnp(&pid_, argv[0], &fa, &attr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) pid_ = -1;
  }
  KeeperProcess(const KeeperProcess&) = delete;
  KeeperProcess& operator=(const KeeperProcess&) = delete;

  ~KeeperProcess() {
    if (pid_ <= 0 || status_) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }

  pid_t pid() const { return pid_; }
  bool started() const { return pid_ > 0; }
  void signal(int sig) const { ::kill(pid_, sig); }

  // The keeper's wait status once it has exited; nullopt if it did not within kHang.
  std::optional<int> wait() {
    if (status_) return status_;
    int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
    if (fd < 0) return std::nullopt;
    pollfd p{fd, POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(std::chrono::milliseconds(kHang).count()));
    ::close(fd);
    int status = 0;
    if (ready == 1 && ::waitpid(pid_, &status, 0) == pid_) status_ = status;
    return status_;
  }

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
};

class KeeperTest : public ::testing::Test {
 protected:
  KeeperTest() : task_dir_(tmp_.path() / "task") { fs::create_directory(task_dir_); }

  ~KeeperTest() override {
    // Nothing a failed test started may outlive it.
    for (const auto& id : watched_) {
      int fd = static_cast<int>(::syscall(SYS_pidfd_open, static_cast<pid_t>(id.pid), 0));
      if (fd >= 0 && is_alive(id)) ::syscall(SYS_pidfd_send_signal, fd, SIGKILL, nullptr, 0);
      if (fd >= 0) ::close(fd);
    }
  }

  static std::string child() { return test::shell_quote(test::test_child().string()); }
  static std::string quoted(const fs::path& p) { return test::shell_quote(p.string()); }
  fs::path path(const std::string& name) const { return tmp_.path() / name; }

  std::unique_ptr<KeeperProcess> start(const std::string& command,
                                       const std::vector<std::string>& options = {},
                                       const std::vector<std::string>& extra_env = {},
                                       const std::vector<std::string>& prefix = {}) {
    std::vector<std::string> args = {"--task-dir", task_dir_.string(), "--cwd",
                                     tmp_.path().string()};
    args.insert(args.end(), options.begin(), options.end());
    args.push_back("--");
    args.push_back(command);
    auto k = std::make_unique<KeeperProcess>(args, extra_env, task_dir_ / kKeeperLog, prefix);
    EXPECT_TRUE(k->started());
    return k;
  }

  // Waits for the keeper to exit 0 and returns the outcome it recorded.
  Outcome finish(KeeperProcess& keeper) {
    auto status = keeper.wait();
    EXPECT_TRUE(status) << "the keeper did not exit; its log:\n" << keeper_log();
    if (status) {
      EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
          << "keeper wait status " << *status << "; its log:\n"
          << keeper_log();
    }
    auto outcome = read_outcome(task_dir_);
    EXPECT_TRUE(outcome) << "no outcome file; keeper log:\n" << keeper_log();
    return outcome.value_or(Outcome{How::interrupted, {}, {}, 0, 0, {}, "no outcome"});
  }

  // Waits for a bb-testchild PIDFILE and remembers its processes for cleanup.
  std::vector<ProcessIdentity> await_pidfile(const fs::path& pidfile) {
    EXPECT_TRUE(eventually([&] { return fs::exists(pidfile); })) << pidfile << " never appeared";
    auto ids = read_pidfile(pidfile);
    watched_.insert(watched_.end(), ids.begin(), ids.end());
    return ids;
  }

  std::optional<RunRecord> await_run() {
    std::optional<RunRecord> run;
    EXPECT_TRUE(eventually([&] { return (run = read_run(task_dir_)).has_value(); }));
    if (run) watched_.push_back({run->shell_pid, run->shell_start});
    return run;
  }

  std::string output() const { return slurp(task_dir_ / kOutputFile); }
  std::string keeper_log() const { return slurp(task_dir_ / kKeeperLog); }

  test::TempDir tmp_;
  fs::path task_dir_;
  std::vector<ProcessIdentity> watched_;
};

void expect_all_gone(const std::vector<ProcessIdentity>& ids) {
  for (const auto& id : ids) EXPECT_FALSE(is_alive(id)) << "pid " << id.pid << " survived";
}

TEST_F(KeeperTest, ACompletedCommandRecordsExitZeroAndItsOutput) {
  const std::int64_t before = now_ms();
  auto keeper = start(child() + " print 3 && " + child() + " stderr oops");
  Outcome o = finish(*keeper);
  EXPECT_EQ(o.how, How::exited);
  EXPECT_EQ(o.exit_code, 0);
  EXPECT_FALSE(o.signal);
  EXPECT_TRUE(o.survivors.empty());
  EXPECT_EQ(o.message, "exited with code 0");
  EXPECT_LE(before, o.started_at_ms);
  EXPECT_LE(o.started_at_ms, o.finished_at_ms);
  EXPECT_EQ(output(), "line 1\nline 2\nline 3\noops\n");
  struct stat st {};
  ASSERT_EQ(::stat((task_dir_ / kOutputFile).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(KeeperTest, ANonZeroExitIsRecordedWithItsCode) {
  auto keeper = start(child() + " exit 7");
  Outcome o = finish(*keeper);
  EXPECT_EQ(o.how, How::exited);
  EXPECT_EQ(o.exit_code, 7);
  EXPECT_EQ(o.message, "exited with code 7");
}

TEST_F(KeeperTest, AShellKilledBySignalIsRecordedAsSignaledWithTheNumber) {
  auto keeper = start("exec " + child() + " kill-self SIGUSR2");
  Outcome o = finish(*keeper);
  EXPECT_EQ(o.how, How::signaled);
  EXPECT_EQ(o.signal, SIGUSR2);
  EXPECT_FALSE(o.exit_code);
  EXPECT_EQ(o.message, "killed by SIGUSR2");
}

TEST_F(KeeperTest, TheRunFileIdentifiesTheKeeperAndTheShellInItsOwnGroup) {
  auto keeper = start("exec " + child() + " sleep 60");
  auto run = await_run();
  ASSERT_TRUE(run);
  EXPECT_EQ(run->keeper_pid, keeper->pid());
  EXPECT_TRUE(is_alive({run->keeper_pid, run->keeper_start}));
  EXPECT_TRUE(is_alive({run->shell_pid, run->shell_start}));
  EXPECT_EQ(::getpgid(static_cast<pid_t>(run->shell_pid)), run->shell_pid);
  EXPECT_GT(run->started_at_ms, 0);
  keeper->signal(SIGUSR1);
  Outcome o = finish(*keeper);
  EXPECT_EQ(o.how, How::cancelled);
  EXPECT_EQ(o.started_at_ms, run->started_at_ms);
  expect_all_gone({{run->shell_pid, run->shell_start}});
}

TEST_F(KeeperTest, TheDeadlineKillsTheWholeTree) {
  const fs::path pidfile = path("tree.pid");
  auto keeper = start(child() + " grandchild " + quoted(pidfile) + " 60",
                      {"--deadline-ms", std::to_string(now_ms() + 2000)});
  Outcome o = finish(*keeper);
  EXPECT_EQ(o.how, How::timed_out);
  EXPECT_FALSE(o.exit_code);
  EXPECT_FALSE(o.signal);
  EXPECT_TRUE(o.survivors.empty());
  EXPECT_EQ(o.message.rfind("timed out after ", 0), 0u) << o.message;
  ASSERT_TRUE(fs::exists(pidfile)) << "the task did not get as far as forking before its deadline";
  auto ids = read_pidfile(pidfile);
  ASSERT_EQ(ids.size(), 2u);
  expect_all_gone(ids);
}

TEST_F(KeeperTest, CancelKillsGrandchildrenIncludingASetsidEscapee) {
  const fs::path escape_pidfile = path("escape.pid");
  const fs::path tree_pidfile = path("tree.pid");
  auto keeper = start(child() + " setsid-escape " + quoted(escape_pidfile) + " 60 & " + child() +
                      " grandchild " + quoted(tree_pidfile) + " 60");
  auto escapee = await_pidfile(escape_pidfile);
  auto tree = await_pidfile(tree_pidfile);
  auto run = await_run();
  ASSERT_EQ(escapee.size(), 1u);
  ASSERT_EQ(tree.size(), 2u);
  ASSERT_TRUE(run);
  // It really escaped: another session, and (once its parent has exited) re-parented to the
  // keeper, the subreaper.
  EXPECT_NE(::getsid(static_cast<pid_t>(escapee[0].pid)),
            ::getsid(static_cast<pid_t>(run->shell_pid)));
  EXPECT_TRUE(eventually([&] { return parent_of(escapee[0].pid) == keeper->pid(); }));

  keeper->signal(SIGUSR1);
  Outcome o = finish(*keeper);
  EXPECT_EQ(o.how, How::cancelled);
  EXPECT_FALSE(o.exit_code);
  EXPECT_TRUE(o.survivors.empty());
  EXPECT_EQ(o.message, "cancelled; SIGTERM sufficed");
  expect_all_gone(escapee);
  expect_all_gone(tree);
}

TEST_F(KeeperTest, AChildIgnoringSigtermIsKilledAfterTheGrace) {
  auto keeper = start("exec " + child() + " ignore-term 60", {"--grace-ms", "300"});
  auto run = await_run();
  ASSERT_TRUE(run);
  ASSERT_TRUE(eventually([&] { return output() == "ready\n"; }));
  keeper->signal(SIGUSR1);
  Outcome o = finish(*keeper);
  EXPECT_EQ(o.how, How::cancelled);
  EXPECT_TRUE(o.survivors.empty());
  EXPECT_EQ(o.message, "cancelled; 1 process ignored SIGTERM and was killed");
  expect_all_gone({{run->shell_pid, run->shell_start}});
}

TEST_F(KeeperTest, TheTaskReadsEndOfFileFromDevNull) {
  auto keeper = start("exec " + child() + " stdin");
  Outcome o = finish(*keeper);
  EXPECT_EQ(o.exit_code, 0);
  EXPECT_EQ(output(), "/dev/null\neof\n");
}

TEST_F(KeeperTest, TheTaskSeesOnlyTheStandardFdsEvenIfTheKeeperInheritedMore) {
  // An fd the starter forgot to close (no close-on-exec): the keeper must not pass it on.
  int original = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int leaked = ::fcntl(original, F_DUPFD, 50);  // the duplicate is not close-on-exec
  ::close(original);
  ASSERT_GE(leaked, 50);
  auto keeper = start("exec " + child() + " fds");
  ::close(leaked);
  Outcome o = finish(*keeper);
  EXPECT_EQ(o.exit_code, 0);
  EXPECT_EQ(output(), "0\n1\n2\n");
}

TEST_F(KeeperTest, TheTaskSeesTheKeepersEnvironment) {
  auto keeper = start(child() + " env BB_KEEPER_TEST_MARK", {}, {"BB_KEEPER_TEST_MARK=two words"});
  Outcome o = finish(*keeper);
  EXPECT_EQ(o.exit_code, 0);
  EXPECT_EQ(output(), "two words\n");
}

TEST_F(KeeperTest, TheTaskRunsInTheGivenDirectory) {
  fs::create_directory(path("work"));
  std::vector<std::string> args = {
      "--task-dir", task_dir_.string(), "--cwd", path("work").string(), "--", "pwd -P"};
  KeeperProcess keeper(args, {}, task_dir_ / kKeeperLog);
  Outcome o = finish(keeper);
  EXPECT_EQ(o.exit_code, 0);
  EXPECT_EQ(output(), fs::canonical(path("work")).string() + "\n");
}

TEST_F(KeeperTest, AMissingWorkingDirectoryIsASpawnFailure) {
  const fs::path missing = path("no-such-dir");
  std::vector<std::string> args = {"--task-dir", task_dir_.string(),   "--cwd", missing.string(),
                                   "--",         "echo should not run"};
  KeeperProcess keeper(args, {}, task_dir_ / kKeeperLog);
  Outcome o = finish(keeper);
  EXPECT_EQ(o.how, How::spawn_failed);
  EXPECT_FALSE(o.exit_code);
  EXPECT_EQ(o.message,
            "cannot start /bin/sh in " + missing.string() + ": No such file or directory");
  EXPECT_FALSE(read_run(task_dir_));
  EXPECT_EQ(output(), "");
}

TEST_F(KeeperTest, ADeadlineAlreadyPastTimesOutWithoutRunningTheCommand) {
  auto keeper = start(child() + " print 1 && " + child() + " sleep 60",
                      {"--deadline-ms", std::to_string(now_ms() - 1000)});
  Outcome o = finish(*keeper);
  EXPECT_EQ(o.how, How::timed_out);
  EXPECT_FALSE(o.exit_code);
  EXPECT_EQ(o.message, "timed out: the deadline had passed before the command started");
  EXPECT_FALSE(read_run(task_dir_));
  EXPECT_EQ(output(), "");
}

TEST_F(KeeperTest, LeftoversOfAFinishedShellAreKilledAndItsExitCodeKept) {
  const fs::path pidfile = path("left.pid");
  auto keeper = start(child() + " grandchild " + quoted(pidfile) + " 100 & until [ -e " +
                      quoted(pidfile) + " ]; do " + child() + " sleep 0.02; done; exit 3");
  Outcome o = finish(*keeper);
  EXPECT_EQ(o.how, How::exited);
  EXPECT_EQ(o.exit_code, 3);
  EXPECT_TRUE(o.survivors.empty());
  EXPECT_EQ(o.message, "exited with code 3; 2 processes were left running: SIGTERM sufficed");
  EXPECT_LE(o.finished_at_ms, now_ms());
  auto ids = read_pidfile(pidfile);
  ASSERT_EQ(ids.size(), 2u);
  expect_all_gone(ids);
}

TEST_F(KeeperTest, SigtermToTheKeeperInterruptsTheTask) {
  const fs::path pidfile = path("tree.pid");
  auto keeper = start(child() + " grandchild " + quoted(pidfile) + " 60");
  auto ids = await_pidfile(pidfile);
  ASSERT_EQ(ids.size(), 2u);
  keeper->signal(SIGTERM);
  Outcome o = finish(*keeper);
  EXPECT_EQ(o.how, How::interrupted);
  EXPECT_FALSE(o.exit_code);
  EXPECT_EQ(o.message, "interrupted by SIGTERM; SIGTERM sufficed");
  expect_all_gone(ids);
}

// Ignored dispositions survive exec. A keeper started by something that ignored SIGCHLD
// (children reaped behind its back) or SIGUSR1 (a cancel may be dropped) must still see both.
TEST_F(KeeperTest, TheShellsExitIsSeenEvenIfTheStarterIgnoredSigchld) {
  auto keeper = start(child() + " exit 5", {}, {}, {"env", "--ignore-signal=CHLD"});
  Outcome o = finish(*keeper);
  EXPECT_EQ(o.how, How::exited);
  EXPECT_EQ(o.exit_code, 5);
}

TEST_F(KeeperTest, ACancelIsSeenEvenIfTheStarterIgnoredSigusr1) {
  auto keeper = start("exec " + child() + " sleep 60", {}, {}, {"env", "--ignore-signal=USR1"});
  ASSERT_TRUE(await_run());
  keeper->signal(SIGUSR1);
  Outcome o = finish(*keeper);
  EXPECT_EQ(o.how, How::cancelled);
}

TEST_F(KeeperTest, OutputIsAppendedToAnExistingLog) {
  std::ofstream(task_dir_ / kOutputFile, std::ios::binary) << "earlier\n";
  auto keeper = start(child() + " print 2");
  finish(*keeper);
  EXPECT_EQ(output(), "earlier\nline 1\nline 2\n");
}

TEST_F(KeeperTest, ALargeOutputIsCapturedByteForByte) {
  auto keeper = start(child() + " bytes 3000000");
  Outcome o = finish(*keeper);
  EXPECT_EQ(o.exit_code, 0);
  EXPECT_EQ(fs::file_size(task_dir_ / kOutputFile), 3000000u);
}

TEST_F(KeeperTest, BadUsageExitsWithStatusTwo) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {},
           {"--task-dir", task_dir_.string(), "--cwd", "/"},
           {"--task-dir", task_dir_.string(), "--", "true"},
           {"--task-dir", task_dir_.string(), "--cwd", "/", "--grace-ms", "soon", "--", "true"},
           {"--task-dir", task_dir_.string(), "--cwd", "/", "--", "true", "extra"},
           {"--task-dir", task_dir_.string(), "--cwd", "/", "--bogus", "--", "true"}}) {
    KeeperProcess keeper(args, {}, path("usage.log"));
    auto status = keeper.wait();
    ASSERT_TRUE(status);
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 2);
  }
  EXPECT_NE(slurp(path("usage.log")).find("usage: backburner-keeper"), std::string::npos);
  EXPECT_FALSE(read_outcome(task_dir_));
}

}  // namespace
}  // namespace bb::keeper
