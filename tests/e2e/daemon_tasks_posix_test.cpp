// End to end: the real daemon in a temp state dir, tasks run by real keepers.
#include <fstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "daemon_fixture.h"
#include "process_identity.h"

namespace bb::test {
namespace {

using nlohmann::json;
using ::testing::AnyOf;
using ::testing::HasSubstr;

std::string child(const std::string& args) { return shell_quote(test_child().string()) + " " + args; }

std::int64_t read_pid_file(const std::filesystem::path& p) {
  std::int64_t pid = 0;
  eventually([&] {
    std::ifstream f(p);
    return static_cast<bool>(f >> pid) && pid > 0;
  });
  return pid;
}

class DaemonTasks : public ::testing::Test {
 protected:
  void SetUp() override { d.start(); }
  DaemonFixture d;
};

TEST_F(DaemonTasks, ACompletedTaskReportsExitZeroAndItsOutput) {
  json t = d.start_task("echo hello; echo world >&2");
  // The start is answered once the shell runs; a task this quick may have ended by then, and
  // the answer is then its end.
  EXPECT_THAT(t["status"].get<std::string>(), AnyOf("working", "completed")) << t.dump();
  EXPECT_EQ(t["task_id"].get<std::string>().size(), 10u);
  json done = d.wait_task(t["task_id"]);
  EXPECT_EQ(done["status"], "completed");
  EXPECT_EQ(done["exit_code"], 0);
  EXPECT_TRUE(done.contains("finished_at"));
  EXPECT_TRUE(done.contains("duration_seconds"));
  EXPECT_FALSE(done.contains("pid"));
  EXPECT_EQ(done["output_bytes"], 12);
  json out = d.call("task.output", {{"task_id", t["task_id"]}});
  EXPECT_EQ(out["output"], "hello\nworld\n");
  EXPECT_EQ(out["truncated"], false);
}

TEST_F(DaemonTasks, AFailingTaskReportsItsExitCode) {
  json done = d.wait_task(d.start_task("echo oops; exit 7")["task_id"]);
  EXPECT_EQ(done["status"], "failed");
  EXPECT_EQ(done["exit_code"], 7);
  EXPECT_FALSE(done.contains("signal"));
}

TEST_F(DaemonTasks, ATaskKilledByASignalNotFromUsFailsNamingTheSignal) {
  json done = d.wait_task(d.start_task("kill -SEGV $$")["task_id"]);
  EXPECT_EQ(done["status"], "failed");
  EXPECT_EQ(done["signal"], "SIGSEGV");
  EXPECT_FALSE(done.contains("exit_code"));
}

TEST_F(DaemonTasks, ATimeoutKillsTheWholeTreeAndReportsNoExitCode) {
  auto pidfile = d.home() / "gc.pid";
  // Long enough for the grandchild to write its pid file on a loaded machine under ASan (0.5 s
  // was not, once in CI-like runs).
  json t = d.start_task(child("grandchild " + shell_quote(pidfile.string()) + " 60"), 3);
  EXPECT_EQ(t["timeout_seconds"], 3);
  std::int64_t gc = read_pid_file(pidfile);
  ASSERT_GT(gc, 0);
  json done = d.wait_task(t["task_id"]);
  EXPECT_EQ(done["status"], "timed_out");
  EXPECT_FALSE(done.contains("exit_code"));
  EXPECT_TRUE(eventually([&] { return !process_exists(gc); }));
}

TEST_F(DaemonTasks, CancelKillsGrandchildrenIncludingASetsidEscapee) {
  auto gcfile = d.home() / "gc.pid";
  auto escfile = d.home() / "esc.pid";
  json t = d.start_task(child("grandchild " + shell_quote(gcfile.string()) + " 60") + " & " +
                        child("setsid-escape " + shell_quote(escfile.string()) + " 60") +
                        " & wait");
  std::int64_t gc = read_pid_file(gcfile);
  std::int64_t esc = read_pid_file(escfile);
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

TEST_F(DaemonTasks, CancelEscalatesToSigkillForATaskThatIgnoresSigterm) {
  json t = d.start_task(child("ignore-term 60"));
  json out;
  ASSERT_TRUE(eventually([&] {
    out = d.call("task.get", {{"task_id", t["task_id"]}});
    return out.contains("pid");
  }));
  json r = d.call("task.cancel", {{"task_id", t["task_id"]}});
  EXPECT_EQ(r["task"]["status"], "cancelled");
  EXPECT_FALSE(process_exists(out["pid"].get<std::int64_t>()));
}

TEST_F(DaemonTasks, CancellingAFinishedTaskIsAHarmlessNoOpThatSaysSo) {
  json t = d.start_task("true");
  d.wait_task(t["task_id"]);
  json r = d.call("task.cancel", {{"task_id", t["task_id"]}});
  EXPECT_EQ(r["cancelled"], false);
  EXPECT_EQ(r["task"]["status"], "completed");
  EXPECT_THAT(r["message"].get<std::string>(), HasSubstr("already finished"));
}

TEST_F(DaemonTasks, OutputCanBeReadWhileTheTaskStillRuns) {
  json t = d.start_task("echo first; sleep 60");
  json out;
  ASSERT_TRUE(eventually([&] {
    out = d.call("task.output", {{"task_id", t["task_id"]}});
    return out["output"] == "first\n";
  }));
  EXPECT_EQ(out["status"], "working");
  // The shell may print before its keeper has recorded the shell's pid: pid follows shortly.
  json got;
  EXPECT_TRUE(eventually([&] {
    got = d.call("task.get", {{"task_id", t["task_id"]}});
    return got.contains("pid");
  }));
  EXPECT_EQ(got["status"], "working");
  EXPECT_TRUE(got.contains("running_for_seconds"));
  d.call("task.cancel", {{"task_id", t["task_id"]}});
}

TEST_F(DaemonTasks, TailAndOffsetReadsWorkOnAHundredMegabyteLog) {
  // 100 MiB of numbered lines, produced by the task itself.
  json t = d.start_task("seq 1 13000000 | head -c 104857600");
  json done = d.wait_task(t["task_id"], 120);
  ASSERT_EQ(done["status"], "completed");
  ASSERT_EQ(done["output_bytes"], 104857600);
  json tail = d.call("task.output", {{"task_id", t["task_id"]}, {"tail_lines", 3}});
  EXPECT_EQ(tail["truncated"], true);
  EXPECT_EQ(tail["next_offset"], 104857600);
  std::string text = tail["output"];
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);  // the last line is cut, no newline
  // seq's lines are consecutive numbers: the two whole lines returned follow each other.
  long a = std::stol(text.substr(0, text.find('\n')));
  long b = std::stol(text.substr(text.find('\n') + 1));
  EXPECT_EQ(b, a + 1);
  EXPECT_GT(a, 11000000);
  json mid = d.call("task.output",
                    {{"task_id", t["task_id"]}, {"offset", 52428800}, {"max_bytes", 4096}});
  EXPECT_EQ(mid["offset"], 52428800);
  EXPECT_EQ(mid["next_offset"], 52428800 + 4096);
  EXPECT_EQ(mid["output"].get<std::string>().size(), 4096u);
  EXPECT_EQ(mid["truncated"], true);
}

TEST_F(DaemonTasks, NonAsciiOutputIsKeptAndInvalidBytesBecomeReplacementCharacters) {
  json t = d.start_task("printf 'caf\\303\\251 \\342\\234\\223\\n'; printf 'bad \\377\\376 end\\n'");
  d.wait_task(t["task_id"]);
  json out = d.call("task.output", {{"task_id", t["task_id"]}});
  EXPECT_EQ(out["output"], "caf\xc3\xa9 \xe2\x9c\x93\nbad \xef\xbf\xbd\xef\xbf\xbd end\n");
}

TEST_F(DaemonTasks, TheTasksStdinIsDevNull) {
  json t = d.start_task(child("stdin"));
  d.wait_task(t["task_id"]);
  std::string out = d.call("task.output", {{"task_id", t["task_id"]}})["output"];
  EXPECT_THAT(out, HasSubstr("/dev/null"));
  EXPECT_THAT(out, HasSubstr("eof"));
}

TEST_F(DaemonTasks, NoDaemonFileDescriptorLeaksIntoATask) {
  json t = d.start_task(child("fds"));
  d.wait_task(t["task_id"]);
  std::string out = d.call("task.output", {{"task_id", t["task_id"]}})["output"];
  EXPECT_EQ(out, "0\n1\n2\n");
}

TEST_F(DaemonTasks, ATaskRunsWithTheClientsEnvironmentAndCwd) {
  json p = {{"command", "echo \"$BB_PROBE\"; pwd"},
            {"cwd", "/usr"},
            {"env", {{"BB_PROBE", "from-the-client"}, {"PATH", "/usr/bin:/bin"},
                     {"BB_TEST_TAG", d.tag()}}}};
  json t = d.call("task.start", p);
  EXPECT_EQ(t["cwd"], "/usr");
  d.wait_task(t["task_id"]);
  EXPECT_EQ(d.call("task.output", {{"task_id", t["task_id"]}})["output"], "from-the-client\n/usr\n");
}

TEST_F(DaemonTasks, WaitReturnsWhenEveryListedTaskHasFinished) {
  json a = d.start_task("true");
  json b = d.start_task("sleep 0.2");
  json r = d.call("task.wait", {{"task_ids", {a["task_id"], b["task_id"]}}, {"timeout_seconds", 30}});
  EXPECT_EQ(r["all_finished"], true);
  EXPECT_EQ(r["timed_out"], false);
  ASSERT_EQ(r["tasks"].size(), 2u);
  EXPECT_EQ(r["tasks"][0]["status"], "completed");
  EXPECT_EQ(r["tasks"][1]["status"], "completed");
}

TEST_F(DaemonTasks, WaitReturnsAtItsTimeoutWithTheTasksStillWorking) {
  json t = d.start_task("sleep 60");
  json r = d.call("task.wait", {{"task_ids", {t["task_id"]}}, {"timeout_seconds", 0.2}});
  EXPECT_EQ(r["all_finished"], false);
  EXPECT_EQ(r["timed_out"], true);
  EXPECT_EQ(r["tasks"][0]["status"], "working");
  d.call("task.cancel", {{"task_id", t["task_id"]}});
}

TEST_F(DaemonTasks, ListShowsTheNewestTasksFirstAndFiltersByStatus) {
  json a = d.start_task("true");
  json b = d.start_task("exit 3");
  d.wait_task(a["task_id"]);
  d.wait_task(b["task_id"]);
  json all = d.call("task.list", json::object());
  ASSERT_EQ(all["tasks"].size(), 2u);
  EXPECT_EQ(all["tasks"][0]["task_id"], b["task_id"]);
  EXPECT_EQ(all["total"], 2);
  json failed = d.call("task.list", {{"status", "failed"}, {"limit", 5}});
  ASSERT_EQ(failed["tasks"].size(), 1u);
  EXPECT_EQ(failed["tasks"][0]["task_id"], b["task_id"]);
}

TEST_F(DaemonTasks, TwoClientsWorkConcurrentlyOnTheSameDaemon) {
  json t = d.start_task("sleep 60");
  RpcClient waiter = d.client();
  std::thread th([&] {
    auto r = waiter.call("task.wait", {{"task_ids", {t["task_id"]}}, {"timeout_seconds", 30}},
                         std::chrono::seconds(40));
    ASSERT_TRUE(std::holds_alternative<json>(r));
    EXPECT_EQ(std::get<json>(r)["tasks"][0]["status"], "cancelled");
  });
  // While the first client waits, a second one is served at once and cancels the task.
  RpcClient other = d.client();
  auto got = other.call("task.get", {{"task_id", t["task_id"]}}, std::chrono::seconds(10));
  ASSERT_TRUE(std::holds_alternative<json>(got));
  auto c = other.call("task.cancel", {{"task_id", t["task_id"]}}, std::chrono::seconds(20));
  ASSERT_TRUE(std::holds_alternative<json>(c));
  th.join();
}

TEST_F(DaemonTasks, TaskFilesLiveInAPrivateDirPerTask) {
  json t = d.start_task("echo x");
  d.wait_task(t["task_id"]);
  auto dir = d.task_dir(t["task_id"]);
  EXPECT_TRUE(std::filesystem::exists(dir / "output.log"));
  EXPECT_TRUE(std::filesystem::exists(dir / "outcome"));
  auto perms = std::filesystem::status(dir).permissions();
  EXPECT_EQ(perms & std::filesystem::perms::all, std::filesystem::perms::owner_all);
}

}  // namespace
}  // namespace bb::test
