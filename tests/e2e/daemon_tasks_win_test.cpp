// End to end on Windows: the real daemon in a temp state dir, tasks run by real keepers in
// cmd.exe. The Windows counterparts of daemon_tasks_posix_test.cpp, and what only Windows has:
// exit codes as Windows gives them, the console code page, Job Objects.
#include <fstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "daemon_fixture.h"
#include "process_identity.h"
#include "task_commands.h"
#include "utf8_path.h"

namespace bb::test {
namespace {

using nlohmann::json;
using ::testing::AnyOf;
using ::testing::HasSubstr;

std::string child(const std::string& args) {
  return shell_quote(path_utf8(test_child())) + " " + args;
}
std::string quoted(const std::filesystem::path& p) { return shell_quote(path_utf8(p)); }

std::int64_t read_pid_file(const std::filesystem::path& p) {
  std::int64_t pid = 0;
  eventually([&] {
    std::ifstream f(p);
    return static_cast<bool>(f >> pid) && pid > 0;
  });
  return pid;
}

class DaemonTasksWin : public ::testing::Test {
 protected:
  void SetUp() override { d.start(); }
  std::string output(const json& t) {
    return d.call("task.output", {{"task_id", t["task_id"]}})["output"];
  }
  DaemonFixture d;
};

TEST_F(DaemonTasksWin, ACompletedTaskReportsExitZeroAndItsOutput) {
  json t = d.start_task(child("print 1 hello") + " && " + child("stderr world"));
  // The start is answered once the shell runs; a task this quick may have ended by then, and
  // the answer is then its end (TheStartIsAnsweredWhileTheTaskStillRuns covers a longer one).
  EXPECT_THAT(t["status"].get<std::string>(), AnyOf("working", "completed")) << t.dump();
  json done = d.wait_task(t["task_id"]);
  EXPECT_EQ(done["status"], "completed");
  EXPECT_EQ(done["exit_code"], 0);
  EXPECT_FALSE(done.contains("signal"));
  EXPECT_EQ(done["output_bytes"], 14);
  EXPECT_EQ(output(t), "hello 1\nworld\n");
}

TEST_F(DaemonTasksWin, AFailingTaskReportsItsExitCode) {
  json done = d.wait_task(d.start_task("echo oops& exit 7")["task_id"]);
  EXPECT_EQ(done["status"], "failed");
  EXPECT_EQ(done["exit_code"], 7);
  EXPECT_FALSE(done.contains("signal"));
}

// There are no signals: a crash is its exception code, as %ERRORLEVEL% shows it.
TEST_F(DaemonTasksWin, ACrashFailsWithTheExceptionCodeAndNoSignal) {
  json done = d.wait_task(d.start_task(child("crash"))["task_id"]);
  EXPECT_EQ(done["status"], "failed");
  EXPECT_EQ(done["exit_code"], static_cast<int>(0xC0000005u));
  EXPECT_FALSE(done.contains("signal"));
}

TEST_F(DaemonTasksWin, ATimeoutKillsTheWholeTreeAndReportsNoExitCode) {
  auto pidfile = d.home() / "gc.pid";
  json t = d.start_task(child("grandchild " + quoted(pidfile) + " 60"), 3.0);
  std::int64_t gc = read_pid_file(pidfile);
  ASSERT_GT(gc, 0);
  json done = d.wait_task(t["task_id"]);
  EXPECT_EQ(done["status"], "timed_out");
  EXPECT_FALSE(done.contains("exit_code"));
  EXPECT_TRUE(eventually([&] { return !process_exists(gc); }));
}

TEST_F(DaemonTasksWin, CancelKillsGrandchildrenIncludingOneThatTriedToLeaveTheJob) {
  auto gcfile = d.home() / "gc.pid";
  auto escfile = d.home() / "esc.pid";
  json t = d.start_task(child("escape " + quoted(escfile) + " 60") + " & " +
                        child("grandchild " + quoted(gcfile) + " 60"));
  std::int64_t esc = read_pid_file(escfile);
  std::int64_t gc = read_pid_file(gcfile);
  ASSERT_GT(gc, 0);
  ASSERT_GT(esc, 0);
  json r = d.call("task.cancel", {{"task_id", t["task_id"]}});
  EXPECT_EQ(r["cancelled"], true);
  EXPECT_EQ(r["task"]["status"], "cancelled");
  EXPECT_FALSE(r["task"].contains("exit_code"));
  EXPECT_TRUE(r["survivors"].empty());
  // The cancel answers once the tree is gone: no waiting needed here.
  EXPECT_FALSE(process_exists(gc));
  EXPECT_FALSE(process_exists(esc));
}

TEST_F(DaemonTasksWin, CancelEndsATaskThatIgnoresCtrlBreak) {
  json t = d.start_task(child("ignore-term 60"));
  json got;
  ASSERT_TRUE(eventually([&] {
    got = d.call("task.get", {{"task_id", t["task_id"]}});
    return got.contains("pid");
  }));
  json r = d.call("task.cancel", {{"task_id", t["task_id"]}});
  EXPECT_EQ(r["task"]["status"], "cancelled");
  EXPECT_FALSE(process_exists(got["pid"].get<std::int64_t>()));
}

TEST_F(DaemonTasksWin, TheStartAnswerCarriesTheShellsPid) {
  // The keeper reports its shell's pid on the readiness pipe before the start is answered.
  json t = d.start_task(child("sleep 60"));
  ASSERT_TRUE(t.contains("pid")) << t.dump();
  const std::int64_t pid = t["pid"].get<std::int64_t>();
  EXPECT_TRUE(process_exists(pid));
  EXPECT_EQ(d.call("task.get", {{"task_id", t["task_id"]}})["pid"], pid);
  d.call("task.cancel", {{"task_id", t["task_id"]}});
  EXPECT_FALSE(process_exists(pid));
}

// The start is answered once the shell runs, not once it ends: the task waits for a file the
// test makes only after the answer (giving up after 8 s, before the daemon's 10 s bound on a
// keeper that never reports), so an answer held back until the end would say "failed".
TEST_F(DaemonTasksWin, TheStartIsAnsweredWhileTheTaskStillRuns) {
  const auto gate = d.home() / "gate";
  json t = d.start_task(child("wait-for " + quoted(gate) + " 8"));
  EXPECT_EQ(t["status"], "working");
  EXPECT_TRUE(t.contains("pid")) << t.dump();
  std::ofstream(gate).put('x');
  EXPECT_EQ(d.wait_task(t["task_id"])["status"], "completed");
}

TEST_F(DaemonTasksWin, OutputCanBeReadWhileTheTaskStillRuns) {
  json t = d.start_task(cmd::then(cmd::print_line("first"), cmd::sleep(60)));
  json out;
  ASSERT_TRUE(eventually([&] {
    out = d.call("task.output", {{"task_id", t["task_id"]}});
    return out["output"] == "first\n";
  }));
  EXPECT_EQ(out["status"], "working");
  d.call("task.cancel", {{"task_id", t["task_id"]}});
}

TEST_F(DaemonTasksWin, TailAndOffsetReadsWorkOnALargeLog) {
  json t = d.start_task(child("bytes 20971520"));
  json done = d.wait_task(t["task_id"], 120);
  ASSERT_EQ(done["status"], "completed");
  ASSERT_EQ(done["output_bytes"], 20971520);
  json tail = d.call("task.output", {{"task_id", t["task_id"]}, {"tail_lines", 3}});
  EXPECT_EQ(tail["truncated"], true);
  EXPECT_EQ(tail["next_offset"], 20971520);
  json mid = d.call("task.output",
                    {{"task_id", t["task_id"]}, {"offset", 10485760}, {"max_bytes", 4096}});
  EXPECT_EQ(mid["next_offset"], 10485760 + 4096);
  EXPECT_EQ(mid["output"].get<std::string>().size(), 4096u);
}

// The bug the original product shipped: cmd.exe's echo wrote the console's OEM code page.
TEST_F(DaemonTasksWin, NonAsciiTextEchoedByCmdComesBackAsTheSameText) {
  json t = d.start_task("echo caf\xc3\xa9 \xe2\x9c\x93 \xe6\x97\xa5\xe6\x9c\xac");
  EXPECT_EQ(t["command"], "echo caf\xc3\xa9 \xe2\x9c\x93 \xe6\x97\xa5\xe6\x9c\xac");
  d.wait_task(t["task_id"]);
  EXPECT_EQ(output(t), "caf\xc3\xa9 \xe2\x9c\x93 \xe6\x97\xa5\xe6\x9c\xac\r\n");
}

TEST_F(DaemonTasksWin, Utf8FromAProgramIsKeptAndInvalidBytesBecomeReplacementCharacters) {
  json t = d.start_task(child("utf8") + " & " + child("invalid-utf8"));
  d.wait_task(t["task_id"]);
  const std::string out = output(t);
  EXPECT_THAT(out, HasSubstr("h\xc3\xa9llo w\xc3\xb6rld"));
  EXPECT_THAT(out, HasSubstr("bad \xef\xbf\xbd | \xef\xbf\xbd\xef\xbf\xbd"));
}

TEST_F(DaemonTasksWin, TheTasksStdinIsNul) {
  json t = d.start_task(child("stdin"));
  d.wait_task(t["task_id"]);
  EXPECT_EQ(output(t), "nul\neof\n");
}

TEST_F(DaemonTasksWin, ATaskRunsWithTheClientsEnvironmentAndANonAsciiCwd) {
  const auto dir = d.home() / utf8_path("r\xc3\xa9pertoire \xe6\x97\xa5");
  std::filesystem::create_directory(dir);
  auto env = d.task_env();
  env["BB_PROBE"] = "from-the-client \xc3\xa9";
  json p = {{"command", child("env BB_PROBE") + " & cd"}, {"cwd", path_utf8(dir)}, {"env", env}};
  json t = d.call("task.start", p);
  EXPECT_EQ(t["cwd"], path_utf8(dir));
  d.wait_task(t["task_id"]);
  EXPECT_EQ(output(t), "from-the-client \xc3\xa9\n" + path_utf8(dir) + "\r\n");
}

TEST_F(DaemonTasksWin, StdinSentThroughTheDaemonReachesTheTask) {
  json p = {{"command", child("read-stdin")},
            {"cwd", path_utf8(d.home())},
            {"env", d.task_env()},
            {"stdin", "pipe"}};
  json t = d.call("task.start", p);
  json sent;
  ASSERT_TRUE(eventually([&] {
    auto r = d.try_call("task.input", {{"task_id", t["task_id"]}, {"text", "one\n"}});
    if (std::holds_alternative<json>(r)) sent = std::get<json>(r);
    return std::holds_alternative<json>(r);
  }));
  d.call("task.input", {{"task_id", t["task_id"]}, {"text", "deux \xc3\xa9\n"}, {"close", true}});
  json done = d.wait_task(t["task_id"]);
  EXPECT_EQ(done["status"], "completed");
  EXPECT_EQ(output(t), "one\ndeux \xc3\xa9\neof\n");
}

TEST_F(DaemonTasksWin, WaitReturnsWhenEveryListedTaskHasFinished) {
  json a = d.start_task(cmd::succeed());
  json b = d.start_task(cmd::sleep(0.2));
  json r = d.call("task.wait", {{"task_ids", {a["task_id"], b["task_id"]}}, {"timeout_seconds", 30}});
  EXPECT_EQ(r["all_finished"], true);
  ASSERT_EQ(r["tasks"].size(), 2u);
  EXPECT_EQ(r["tasks"][0]["status"], "completed");
  EXPECT_EQ(r["tasks"][1]["status"], "completed");
}

TEST_F(DaemonTasksWin, TwoClientsWorkConcurrentlyOnTheSameDaemon) {
  json t = d.start_task(cmd::sleep(60));
  RpcClient waiter = d.client();
  std::thread th([&] {
    auto r = waiter.call("task.wait", {{"task_ids", {t["task_id"]}}, {"timeout_seconds", 30}},
                         std::chrono::seconds(40));
    ASSERT_TRUE(std::holds_alternative<json>(r));
    EXPECT_EQ(std::get<json>(r)["tasks"][0]["status"], "cancelled");
  });
  RpcClient other = d.client();
  auto got = other.call("task.get", {{"task_id", t["task_id"]}}, std::chrono::seconds(10));
  ASSERT_TRUE(std::holds_alternative<json>(got));
  auto c = other.call("task.cancel", {{"task_id", t["task_id"]}}, std::chrono::seconds(20));
  ASSERT_TRUE(std::holds_alternative<json>(c));
  th.join();
}

// The task writes its second line only once the test follows it (a gate), so what is seen is
// the watch on a running task's log, whatever the machine's speed.
TEST_F(DaemonTasksWin, FollowingATasksOutputSeesItGrow) {
  const auto gate = d.home() / "gate";
  json t = d.start_task(cmd::then(cmd::print_line("first"),
                                  cmd::then(cmd::wait_for_file(gate), cmd::print_line("second"))));
  RpcClient c = d.client();
  auto sub = c.call("events.subscribe", {{"task_ids", {t["task_id"]}}, {"output", true}},
                    std::chrono::seconds(10));
  ASSERT_TRUE(std::holds_alternative<json>(sub)) << std::get<RpcError>(sub).message;
  std::ofstream(gate).put('x');
  bool saw_output = false;
  for (int i = 0; i < 50 && !saw_output; ++i) {
    auto n = c.next_notification(std::chrono::seconds(1));
    if (auto* j = std::get_if<json>(&n))
      saw_output = (*j)["params"].value("kind", "") == "output";
  }
  EXPECT_TRUE(saw_output);
  d.wait_task(t["task_id"]);
}

}  // namespace
}  // namespace bb::test
