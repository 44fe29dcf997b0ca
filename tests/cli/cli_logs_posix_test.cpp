// backburner logs: the whole output, its tail, --json as task_result returns it, and -f, which
// prints output as it is written and returns once the task has ended and everything is printed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "cli_process.h"

namespace bb::test {
namespace {

using nlohmann::json;
using std::chrono::seconds;
using ::testing::HasSubstr;

std::string numbered_lines(int from, int to) {
  std::string s;
  for (int i = from; i <= to; ++i) s += "line " + std::to_string(i) + "\n";
  return s;
}

// A task that prints `before`, waits for the gate file, prints `after`, and exits 0.
json gated_task(DaemonFixture& d, const std::string& before, const std::string& after) {
  const auto gate = shell_quote((d.home() / "gate").string());
  return d.start_task("echo " + before + "; while [ ! -e " + gate +
                      " ]; do sleep 0.02; done; echo " + after);
}

void open_gate(DaemonFixture& d) { std::ofstream(d.home() / "gate").put('x'); }

TEST(CliLogs, LogsPrintsTheWholeOutputExactly) {
  DaemonFixture d;
  d.start();
  auto t = d.start_task(test_child_command("print 2000 row"));
  d.wait_task(t["task_id"]);
  auto r = run_cli({"logs", t["task_id"]}, d.daemon_env());
  ASSERT_EQ(r.status, 0) << describe(r);
  std::string expected;
  for (int i = 1; i <= 2000; ++i) expected += "row " + std::to_string(i) + "\n";
  EXPECT_EQ(r.out, expected);
  EXPECT_EQ(r.err, "");
}

TEST(CliLogs, LogsReadsOutputLargerThanOneReadInChunks) {
  DaemonFixture d;
  d.start();
  auto t = d.start_task(test_child_command("bytes 3000000"));
  d.wait_task(t["task_id"]);
  auto r = run_cli({"logs", t["task_id"]}, d.daemon_env());
  ASSERT_EQ(r.status, 0);
  EXPECT_EQ(r.out.size(), 3000000u);
}

TEST(CliLogs, TailPrintsOnlyTheLastLines) {
  DaemonFixture d;
  d.start();
  auto t = d.start_task(test_child_command("print 50"));
  d.wait_task(t["task_id"]);
  for (const char* flag : {"--tail", "-n"}) {
    auto r = run_cli({"logs", flag, "3", t["task_id"]}, d.daemon_env());
    EXPECT_EQ(r.status, 0) << describe(r);
    EXPECT_EQ(r.out, numbered_lines(48, 50));
  }
}

TEST(CliLogs, JsonIsTheTaskWithItsOutputAsTaskResultReturnsIt) {
  DaemonFixture d;
  d.start();
  auto t = d.start_task(test_child_command("print 5"));
  const std::string id = t["task_id"];
  json done = d.wait_task(id);
  auto whole = run_cli({"logs", "--json", id}, d.daemon_env());
  ASSERT_EQ(whole.status, 0) << describe(whole);
  json j = json::parse(whole.out);
  EXPECT_EQ(j["output"], numbered_lines(1, 5));
  EXPECT_EQ(j["truncated"], false);
  for (const char* k : {"task_id", "status", "exit_code", "command", "cwd", "output_bytes"})
    EXPECT_EQ(j[k], done[k]) << k;

  auto tail = json::parse(run_cli({"logs", "--json", "--tail", "2", id}, d.daemon_env()).out);
  EXPECT_EQ(tail["output"], numbered_lines(4, 5));
  EXPECT_EQ(tail["truncated"], true);
  EXPECT_THAT(tail["truncated_message"].get<std::string>(), HasSubstr("last 2 lines"));
}

TEST(CliLogs, FollowPrintsOutputWrittenAfterItStartedAndEndsWithTheTask) {
  DaemonFixture d;
  d.start();
  auto t = gated_task(d, "before-gate", "after-gate");
  CliProcess follow({"logs", "-f", t["task_id"]}, d.daemon_env());
  ASSERT_TRUE(follow.read_until("before-gate\n", seconds(20))) << describe(follow.so_far());
  EXPECT_EQ(follow.so_far().out.find("after-gate"), std::string::npos);
  open_gate(d);
  auto r = follow.finish(seconds(20));
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.status, 0) << describe(r);
  EXPECT_EQ(r.out, "before-gate\nafter-gate\n");
  EXPECT_EQ(d.call("task.get", {{"task_id", t["task_id"]}})["status"], "completed");
}

TEST(CliLogs, FollowPrintsEverythingOfATaskThatWritesFast) {
  DaemonFixture d;
  d.start();
  auto t = d.start_task(test_child_command("print 20000 fast"));
  auto r = run_cli({"logs", "--follow", t["task_id"]}, d.daemon_env(), seconds(60));
  ASSERT_EQ(r.status, 0) << describe(r);
  std::string expected;
  for (int i = 1; i <= 20000; ++i) expected += "fast " + std::to_string(i) + "\n";
  EXPECT_EQ(r.out, expected);
}

TEST(CliLogs, FollowWithTailStartsFromTheLastLines) {
  DaemonFixture d;
  d.start();
  const auto gate = shell_quote((d.home() / "gate").string());
  auto t = d.start_task(test_child_command("print 10") + "; while [ ! -e " + gate +
                        " ]; do sleep 0.02; done; echo end");
  const std::size_t printed = numbered_lines(1, 10).size();
  ASSERT_TRUE(eventually([&] {
    return d.call("task.get", {{"task_id", t["task_id"]}})["output_bytes"] == printed;
  }));
  CliProcess follow({"logs", "-f", "--tail", "2", t["task_id"]}, d.daemon_env());
  ASSERT_TRUE(follow.read_until("line 10\n", seconds(20))) << describe(follow.so_far());
  open_gate(d);
  auto r = follow.finish(seconds(20));
  EXPECT_EQ(r.status, 0) << describe(r);
  EXPECT_EQ(r.out, "line 9\nline 10\nend\n");
}

TEST(CliLogs, FollowOnAFinishedTaskPrintsItAllAndReturns) {
  DaemonFixture d;
  d.start();
  auto t = d.start_task("echo done; exit 2");
  d.wait_task(t["task_id"]);
  auto r = run_cli({"logs", "-f", t["task_id"]}, d.daemon_env(), seconds(20));
  EXPECT_EQ(r.status, 0) << describe(r);
  EXPECT_EQ(r.out, "done\n");
}

TEST(CliLogs, FollowEndsWhenTheTaskIsCancelled) {
  DaemonFixture d;
  d.start();
  auto t = gated_task(d, "waiting", "never");
  CliProcess follow({"logs", "-f", t["task_id"]}, d.daemon_env());
  ASSERT_TRUE(follow.read_until("waiting\n", seconds(20)));
  d.call("task.cancel", {{"task_id", t["task_id"]}});
  auto r = follow.finish(seconds(20));
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "waiting\n");
}

TEST(CliLogs, FollowCarriesOnAcrossADaemonRestart) {
  DaemonFixture d;
  d.start();
  auto t = gated_task(d, "before-restart", "after-restart");
  CliProcess follow({"logs", "-f", t["task_id"]}, d.daemon_env());
  ASSERT_TRUE(follow.read_until("before-restart\n", seconds(20))) << describe(follow.so_far());
  d.stop();  // the task keeps running; the follower reaches (starts) the next daemon
  open_gate(d);
  auto r = follow.finish(seconds(30));
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.status, 0) << describe(r);
  EXPECT_EQ(r.out, "before-restart\nafter-restart\n");
  EXPECT_EQ(run_cli({"daemon", "stop"}, d.daemon_env()).status, 0);
}

TEST(CliLogs, FollowAndJsonTogetherAreAUsageError) {
  DaemonFixture d;
  d.start();
  auto t = d.start_task("true");
  auto r = run_cli({"logs", "-f", "--json", t["task_id"]}, d.daemon_env());
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out, "");
}

TEST(CliLogs, LogsOfAnUnknownTaskFailOnStderr) {
  DaemonFixture d;
  d.start();
  for (const std::vector<std::string>& args : {std::vector<std::string>{"logs", "zzz"},
                                               {"logs", "-f", "zzz"},
                                               {"logs", "--tail", "5", "zzz"}}) {
    auto r = run_cli(args, d.daemon_env(), seconds(20));
    EXPECT_EQ(r.status, 1) << describe(r);
    EXPECT_EQ(r.out, "");
    EXPECT_THAT(r.err, HasSubstr("no task has id \"zzz\""));
  }
}

}  // namespace
}  // namespace bb::test
