// backburner-keeper on Windows as the daemon runs it: a console of its own, stdin and stdout
// on NUL, stderr to its log, against a temp task directory, with bb-testchild as the task and
// cmd.exe as the shell. Requests go through the keeper's named events. Every wait has an upper
// bound only to turn a hang into a failure; nothing here asserts on speed.
#include <windows.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "iso_time.h"
#include "keeper_files.h"
#include "keeper_requests_win.h"
#include "os.h"
#include "paths.h"
#include "process_identity.h"
#include "process_watcher.h"
#include "task_input.h"
#include "test_process.h"
#include "utf8_path.h"
#include "win_handle_win.h"

namespace bb::keeper {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kHang = 20s;

std::string slurp(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

template <typename Pred>
bool eventually(Pred done, Clock::duration limit = kHang) {
  const auto until = Clock::now() + limit;
  while (!done()) {
    if (Clock::now() >= until) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

std::vector<ProcessIdentity> read_pidfile(const fs::path& path) {
  std::vector<ProcessIdentity> ids;
  std::istringstream in(slurp(path));
  ProcessIdentity id;
  while (in >> id.pid >> id.start_time) ids.push_back(id);
  return ids;
}

void expect_all_gone(const std::vector<ProcessIdentity>& ids) {
  for (const auto& id : ids) EXPECT_FALSE(is_alive(id)) << "pid " << id.pid << " survived";
}

class KeeperTest : public ::testing::Test {
 protected:
  KeeperTest() : task_dir_(tmp_.path() / "task") { fs::create_directory(task_dir_); }
  ~KeeperTest() override { test::kill_tagged_processes(tag_); }

  static std::string child() { return test::shell_quote(path_utf8(test::test_child())); }
  static std::string quoted(const fs::path& p) { return test::shell_quote(path_utf8(p)); }
  fs::path path(const std::string& name) const { return tmp_.path() / utf8_path(name); }

  std::unique_ptr<test::TestProcess> start_args(const std::vector<std::string>& args,
                                                const std::map<std::string, std::string>& extra_env = {},
                                                const fs::path& log = {}) {
    test::ProcessOptions o;
    o.exe = test::bin_dir() / "backburner-keeper.exe";
    o.args = args;
    for (const auto& e : os::environment()) {
      const auto eq = e.find('=', 1);
      if (eq != std::string::npos) o.env.emplace(e.substr(0, eq), e.substr(eq + 1));
    }
    for (const auto& [k, v] : extra_env) o.env[k] = v;
    o.stderr_file = log.empty() ? task_dir_ / kKeeperLog : log;
    o.tag = tag_;
    return test::TestProcess::start(o);
  }

  std::unique_ptr<test::TestProcess> start(const std::string& command,
                                           const std::vector<std::string>& options = {},
                                           const std::map<std::string, std::string>& env = {},
                                           const fs::path& cwd = {}) {
    std::vector<std::string> args = {"--task-dir", path_utf8(task_dir_), "--cwd",
                                     path_utf8(cwd.empty() ? tmp_.path() : cwd)};
    args.insert(args.end(), options.begin(), options.end());
    args.push_back("--");
    args.push_back(command);
    return start_args(args, env);
  }

  Outcome finish(test::TestProcess& keeper) {
    const int status = keeper.wait(kHang);
    EXPECT_EQ(status, 0) << "keeper exit status " << status << "; its log:\n" << keeper_log();
    auto outcome = read_outcome(task_dir_);
    EXPECT_TRUE(outcome) << "no outcome file; keeper log:\n" << keeper_log();
    return outcome.value_or(Outcome{How::interrupted, {}, {}, 0, 0, {}, "no outcome"});
  }

  std::vector<ProcessIdentity> await_pidfile(const fs::path& pidfile) {
    EXPECT_TRUE(eventually([&] { return fs::exists(pidfile); })) << pidfile << " never appeared";
    // The file appears whole (renamed into place), but give a reader a moment to see it all.
    return read_pidfile(pidfile);
  }

  std::optional<RunRecord> await_run() {
    std::optional<RunRecord> run;
    EXPECT_TRUE(eventually([&] { return (run = read_run(task_dir_)).has_value(); }));
    return run;
  }

  // What the daemon does to cancel (process_watcher_win.cpp), through a fresh watcher.
  bool request(Request r, const ProcessIdentity& keeper) {
    boost::asio::io_context io;
    auto watcher = make_process_watcher(io);
    return r == Request::cancel ? watcher->request_cancel(keeper)
                                : watcher->request_stdin_close(keeper);
  }
  bool cancel(const RunRecord& run) {
    return request(Request::cancel, {run.keeper_pid, run.keeper_start});
  }

  std::string output() const { return slurp(task_dir_ / kOutputFile); }
  std::string keeper_log() const { return slurp(task_dir_ / kKeeperLog); }

  test::TempDir tmp_;
  fs::path task_dir_;
  std::string tag_ = "keeper-" + os::random_id(8);
};

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
}

TEST_F(KeeperTest, ANonZeroExitIsRecordedWithItsCode) {
  auto keeper = start(child() + " exit 7");
  Outcome o = finish(*keeper);
  EXPECT_EQ(o.how, How::exited);
  EXPECT_EQ(o.exit_code, 7);
  EXPECT_EQ(o.message, "exited with code 7");
}

TEST_F(KeeperTest, CmdExitCodesComeThroughAsWindowsGivesThem) {
  auto keeper = start("echo hi & exit 300");
  Outcome o = finish(*keeper);
  EXPECT_EQ(o.how, How::exited);
  EXPECT_EQ(o.exit_code, 300);
  EXPECT_EQ(output(), "hi \r\n");
}

TEST_F(KeeperTest, TheRunFileIdentifiesTheKeeperAndTheShell) {
  auto keeper = start(child() + " sleep 60");
  auto run = await_run();
  ASSERT_TRUE(run);
  EXPECT_EQ(run->keeper_pid, keeper->pid());
  EXPECT_TRUE(is_alive({run->keeper_pid, run->keeper_start}));
  EXPECT_TRUE(is_alive({run->shell_pid, run->shell_start}));
  EXPECT_EQ(run->boot_id, os::boot_id());
  EXPECT_GT(run->started_at_ms, 0);
  ASSERT_TRUE(cancel(*run));
  Outcome o = finish(*keeper);
  EXPECT_EQ(o.how, How::cancelled);
  EXPECT_FALSE(o.signal);
  EXPECT_EQ(o.started_at_ms, run->started_at_ms);
  expect_all_gone({{run->shell_pid, run->shell_start}});
}

TEST_F(KeeperTest, TheKeeperHoldsItsLivenessLockForItsWholeLife) {
  boost::asio::io_context io;
  auto watcher = make_process_watcher(io);
  auto keeper = start(child() + " sleep 60");
  auto run = await_run();
  ASSERT_TRUE(run);
  EXPECT_EQ(watcher->keeper_lock(task_dir_), ProcessWatcher::Lock::held);
  auto id = read_keeper_identity(task_dir_);
  ASSERT_TRUE(id);
  EXPECT_EQ(id->pid, run->keeper_pid);
  EXPECT_EQ(id->start_time, run->keeper_start);
  ASSERT_TRUE(cancel(*run));
  finish(*keeper);
  EXPECT_EQ(watcher->keeper_lock(task_dir_), ProcessWatcher::Lock::free);
  // A request to a keeper that is gone finds nobody.
  EXPECT_FALSE(cancel(*run));
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
  ASSERT_TRUE(fs::exists(pidfile)) << "the task did not start its child before its deadline";
  auto ids = read_pidfile(pidfile);
  ASSERT_EQ(ids.size(), 2u);
  expect_all_gone(ids);
}

TEST_F(KeeperTest, CancelKillsGrandchildrenIncludingOneThatTriedToLeaveTheJob) {
  const fs::path escape_pidfile = path("escape.pid");
  const fs::path tree_pidfile = path("tree.pid");
  auto keeper = start(child() + " escape " + quoted(escape_pidfile) + " 60 & " + child() +
                      " grandchild " + quoted(tree_pidfile) + " 60");
  auto escapee = await_pidfile(escape_pidfile);
  auto tree = await_pidfile(tree_pidfile);
  auto run = await_run();
  ASSERT_EQ(escapee.size(), 1u);
  ASSERT_EQ(tree.size(), 2u);
  ASSERT_TRUE(run);
  for (const auto& id : escapee) EXPECT_TRUE(is_alive(id));
  ASSERT_TRUE(cancel(*run));
  Outcome o = finish(*keeper);
  EXPECT_EQ(o.how, How::cancelled);
  EXPECT_FALSE(o.exit_code);
  EXPECT_TRUE(o.survivors.empty());
  EXPECT_EQ(o.message.rfind("cancelled; ", 0), 0u) << o.message;
  expect_all_gone(escapee);
  expect_all_gone(tree);
}

// The polite step (CTRL_BREAK) cannot reach a program that ignores it: the job ends it. (Under
// wine CTRL_BREAK is never delivered, so there the job ends every task; see docs/WINDOWS.md.)
TEST_F(KeeperTest, AChildIgnoringCtrlBreakIsTerminated) {
  auto keeper = start(child() + " ignore-term 60", {"--grace-ms", "300"});
  auto run = await_run();
  ASSERT_TRUE(run);
  ASSERT_TRUE(eventually([&] { return output() == "ready\n"; }));
  ASSERT_TRUE(cancel(*run));
  Outcome o = finish(*keeper);
  EXPECT_EQ(o.how, How::cancelled);
  EXPECT_TRUE(o.survivors.empty());
  EXPECT_NE(o.message.find("terminated (job)"), std::string::npos) << o.message;
  expect_all_gone({{run->shell_pid, run->shell_start}});
}

TEST_F(KeeperTest, TheTaskReadsEndOfFileFromNul) {
  auto keeper = start(child() + " stdin");
  Outcome o = finish(*keeper);
  EXPECT_EQ(o.exit_code, 0);
  EXPECT_EQ(output(), "nul\neof\n");
}

TEST_F(KeeperTest, TheTaskSeesTheKeepersEnvironment) {
  auto keeper = start(child() + " env BB_KEEPER_TEST_MARK", {}, {{"BB_KEEPER_TEST_MARK", "two words"}});
  Outcome o = finish(*keeper);
  EXPECT_EQ(o.exit_code, 0);
  EXPECT_EQ(output(), "two words\n");
}

TEST_F(KeeperTest, TheTaskRunsInTheGivenDirectory) {
  fs::create_directory(path("work"));
  auto keeper = start("cd", {}, {}, path("work"));  // cmd.exe's cd prints where it is
  Outcome o = finish(*keeper);
  EXPECT_EQ(o.exit_code, 0);
  EXPECT_EQ(output(), path_utf8(path("work")) + "\r\n");
}

TEST_F(KeeperTest, AMissingWorkingDirectoryIsASpawnFailure) {
  const fs::path missing = path("no-such-dir");
  auto keeper = start("echo should not run", {}, {}, missing);
  Outcome o = finish(*keeper);
  EXPECT_EQ(o.how, How::spawn_failed);
  EXPECT_FALSE(o.exit_code);
  EXPECT_EQ(o.message, "cannot start cmd.exe in " + path_utf8(missing) + ": no such directory");
  EXPECT_FALSE(read_run(task_dir_));
  EXPECT_EQ(output(), "");
}

TEST_F(KeeperTest, AnUnknownShellIsASpawnFailure) {
  auto keeper = start("echo should not run", {}, {{"BACKBURNER_SHELL", "bash"}});
  Outcome o = finish(*keeper);
  EXPECT_EQ(o.how, How::spawn_failed);
  EXPECT_NE(o.message.find("BACKBURNER_SHELL=bash"), std::string::npos) << o.message;
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
  auto keeper = start("start \"\" /b " + child() + " grandchild " + quoted(pidfile) + " 100 & " +
                      child() + " wait-for " + quoted(pidfile) + " 15 & exit 3");
  Outcome o = finish(*keeper);
  EXPECT_EQ(o.how, How::exited);
  EXPECT_EQ(o.exit_code, 3);
  EXPECT_TRUE(o.survivors.empty());
  EXPECT_EQ(o.message.rfind("exited with code 3; 2 processes were left running: ", 0), 0u)
      << o.message;
  auto ids = read_pidfile(pidfile);
  ASSERT_EQ(ids.size(), 2u);
  expect_all_gone(ids);
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
  const std::string dir = path_utf8(task_dir_);
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {},
           {"--task-dir", dir, "--cwd", "C:\\"},
           {"--task-dir", dir, "--", "exit 0"},
           {"--task-dir", dir, "--cwd", "C:\\", "--grace-ms", "soon", "--", "exit 0"},
           {"--task-dir", dir, "--cwd", "C:\\", "--", "exit 0", "extra"},
           {"--task-dir", dir, "--cwd", "C:\\", "--bogus", "--", "exit 0"}}) {
    auto keeper = start_args(args, {}, path("usage.log"));
    EXPECT_EQ(keeper->wait(kHang), 2);
  }
  EXPECT_NE(slurp(path("usage.log")).find("usage: backburner-keeper"), std::string::npos);
  EXPECT_FALSE(read_outcome(task_dir_));
}

// The bug the original product shipped: cmd.exe writes in the console's code page (OEM 437 or
// 850 on most machines), so non-ASCII text came out as mojibake. The keeper's console speaks
// UTF-8, so the log holds what was meant.
TEST_F(KeeperTest, NonAsciiTextEchoedByCmdReachesTheLogAsUtf8) {
  auto keeper = start("echo h\xc3\xa9llo w\xc3\xb6rld \xe6\x97\xa5\xe6\x9c\xac");
  Outcome o = finish(*keeper);
  EXPECT_EQ(o.exit_code, 0);
  EXPECT_EQ(output(), "h\xc3\xa9llo w\xc3\xb6rld \xe6\x97\xa5\xe6\x9c\xac\r\n");
}

TEST_F(KeeperTest, AProgramWritingUtf8IsCapturedAsIs) {
  auto keeper = start(child() + " utf8");
  finish(*keeper);
  EXPECT_EQ(output(), "h\xc3\xa9llo w\xc3\xb6rld \xe2\x80\x94 \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e "
                      "\xf0\x9f\x8e\x89\n");
}

TEST_F(KeeperTest, NonAsciiArgumentsAndDirectoriesReachTheTaskIntact) {
  const fs::path dir = path("d\xc3\xa9p\xc3\xb4t \xe6\x97\xa5");
  fs::create_directory(dir);
  auto keeper = start(child() + " args \"\xc3\xa9t\xc3\xa9 \xe2\x80\x94\" \xf0\x9f\x8e\x89 & cd", {},
                      {}, dir);
  Outcome o = finish(*keeper);
  EXPECT_EQ(o.exit_code, 0);
  EXPECT_EQ(output(), "\xc3\xa9t\xc3\xa9 \xe2\x80\x94\n\xf0\x9f\x8e\x89\n" + path_utf8(dir) + "\r\n");
}

TEST_F(KeeperTest, WhatTheDaemonSendsReachesTheTasksStdinThenEndOfFile) {
  auto keeper = start(child() + " read-stdin", {"--stdin-pipe"});
  auto run = await_run();
  ASSERT_TRUE(run);
  ASSERT_TRUE(fs::exists(task_dir_ / kStdinFifo));
  auto sent = write_task_input(task_dir_, "first line\n");
  ASSERT_TRUE(std::holds_alternative<std::uint64_t>(sent))
      << std::get<InputError>(sent).message;
  EXPECT_EQ(std::get<std::uint64_t>(sent), 11u);
  sent = write_task_input(task_dir_, "caf\xc3\xa9\n");
  ASSERT_TRUE(std::holds_alternative<std::uint64_t>(sent));
  ASSERT_TRUE(request(Request::stdin_close, {run->keeper_pid, run->keeper_start}));
  Outcome o = finish(*keeper);
  EXPECT_EQ(o.exit_code, 0);
  EXPECT_EQ(output(), "first line\ncaf\xc3\xa9\neof\n");
  // Closed: the file naming the pipe is gone, and a write says so.
  EXPECT_FALSE(fs::exists(task_dir_ / kStdinFifo));
  auto late = write_task_input(task_dir_, "late\n");
  ASSERT_TRUE(std::holds_alternative<InputError>(late));
  EXPECT_EQ(std::get<InputError>(late).reason, "closed");
}

TEST_F(KeeperTest, InputBeyondWhatTheTaskHasReadIsRefusedWhole) {
  auto keeper = start(child() + " sleep 60", {"--stdin-pipe"});
  auto run = await_run();
  ASSERT_TRUE(run);
  // The task never reads: the keeper holds up to its capacity, then refuses whole writes.
  const std::string chunk(300 * 1024, 'x');
  int accepted = 0;
  std::optional<InputError> refused;
  for (int i = 0; i < 10 && !refused; ++i) {
    auto sent = write_task_input(task_dir_, chunk);
    if (auto* e = std::get_if<InputError>(&sent))
      refused = *e;
    else
      ++accepted;
  }
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->reason, "input_full") << refused->message;
  EXPECT_GE(accepted, 3);
  ASSERT_TRUE(cancel(*run));
  EXPECT_EQ(finish(*keeper).how, How::cancelled);
}

}  // namespace
}  // namespace bb::keeper
