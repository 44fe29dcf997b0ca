// backburner cancel and backburner wait: cancelling whole tasks, and wait's exit statuses,
// which tell how each task ended.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>

#include "cli_process.h"

namespace bb::test {
namespace {

using nlohmann::json;
using std::chrono::seconds;
using ::testing::HasSubstr;

std::string id_of(const json& t) { return t["task_id"].get<std::string>(); }

TEST(CliCancel, CancelStopsAWorkingTask) {
  DaemonFixture d;
  d.start();
  auto t = d.start_task("sleep 60");
  auto r = run_cli({"cancel", id_of(t)}, d.daemon_env());
  EXPECT_EQ(r.status, 0) << describe(r);
  EXPECT_THAT(r.out, HasSubstr(id_of(t) + ": cancelled"));
  EXPECT_EQ(d.call("task.get", {{"task_id", t["task_id"]}})["status"], "cancelled");
}

TEST(CliCancel, CancelTakesSeveralIdsAndJsonGivesOneObjectPerTask) {
  DaemonFixture d;
  d.start();
  auto a = d.start_task("sleep 60");
  auto b = d.start_task("sleep 60");
  auto r = run_cli({"cancel", "--json", id_of(a), id_of(b)}, d.daemon_env());
  ASSERT_EQ(r.status, 0) << describe(r);
  std::istringstream lines(r.out);
  std::vector<json> objects;
  for (std::string line; std::getline(lines, line);) objects.push_back(json::parse(line));
  ASSERT_EQ(objects.size(), 2u);
  EXPECT_EQ(objects[0]["task_id"], a["task_id"]);
  EXPECT_EQ(objects[1]["task_id"], b["task_id"]);
  for (const auto& o : objects) {
    EXPECT_EQ(o["status"], "cancelled");
    EXPECT_EQ(o["cancelled"], true);
    EXPECT_TRUE(o["message"].is_string());
    EXPECT_FALSE(o.contains("survivors"));
    EXPECT_FALSE(o.contains("exit_code"));
  }
}

TEST(CliCancel, CancellingAFinishedTaskChangesNothingAndSucceeds) {
  DaemonFixture d;
  d.start();
  auto t = d.start_task("true");
  d.wait_task(id_of(t));
  auto r = run_cli({"cancel", "--json", id_of(t)}, d.daemon_env());
  EXPECT_EQ(r.status, 0) << describe(r);
  json j = json::parse(r.out);
  EXPECT_EQ(j["cancelled"], false);
  EXPECT_EQ(j["status"], "completed");
}

TEST(CliCancel, AnUnknownIdFailsButTheOthersAreStillCancelled) {
  DaemonFixture d;
  d.start();
  auto t = d.start_task("sleep 60");
  auto r = run_cli({"cancel", "nosuch", id_of(t)}, d.daemon_env());
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.err, HasSubstr("no task has id \"nosuch\""));
  EXPECT_EQ(d.call("task.get", {{"task_id", t["task_id"]}})["status"], "cancelled");
}

TEST(CliWait, ACompletedTaskExitsZeroAndSaysSo) {
  DaemonFixture d;
  d.start();
  auto t = d.start_task("sleep 0.2");
  auto r = run_cli({"wait", id_of(t)}, d.daemon_env());
  EXPECT_EQ(r.status, 0) << describe(r);
  EXPECT_THAT(r.out, HasSubstr(id_of(t) + "  completed after"));
}

TEST(CliWait, AFailedTaskExitsWithItsExitCode) {
  DaemonFixture d;
  d.start();
  for (int code : {1, 7, 42, 255}) {
    auto t = d.start_task("exit " + std::to_string(code));
    auto r = run_cli({"wait", id_of(t)}, d.daemon_env());
    EXPECT_EQ(r.status, code) << describe(r);
    EXPECT_THAT(r.out, HasSubstr("failed (exit " + std::to_string(code) + ")"));
  }
}

TEST(CliWait, ATaskKilledByASignalExitsWith128PlusTheSignal) {
  DaemonFixture d;
  d.start();
  auto t = d.start_task("exec " + test_child_command("kill-self SIGSEGV"));
  auto r = run_cli({"wait", id_of(t)}, d.daemon_env());
  EXPECT_EQ(r.status, 128 + SIGSEGV) << describe(r);
  EXPECT_THAT(r.out, HasSubstr("failed (SIGSEGV)"));
}

TEST(CliWait, ACancelledTaskExits130) {
  DaemonFixture d;
  d.start();
  auto t = d.start_task("sleep 60");
  CliProcess wait({"wait", id_of(t)}, d.daemon_env());
  d.call("task.cancel", {{"task_id", t["task_id"]}});
  auto r = wait.finish(seconds(20));
  EXPECT_EQ(r.status, 130) << describe(r);
  EXPECT_THAT(r.out, HasSubstr("cancelled"));
}

TEST(CliWait, ATimedOutTaskExits124) {
  DaemonFixture d;
  d.start();
  auto t = d.start_task("sleep 60", 0.3);
  auto r = run_cli({"wait", id_of(t)}, d.daemon_env());
  EXPECT_EQ(r.status, 124) << describe(r);
  EXPECT_THAT(r.out, HasSubstr("timed_out"));
}

TEST(CliWait, AnInterruptedTaskExits129) {
  DaemonFixture d;
  d.start();
  auto t = d.start_task("sleep 60");
  // Kill the task's keeper: the daemon cannot know how the task ended, so it is interrupted.
  std::map<std::string, long long> run;
  ASSERT_TRUE(eventually([&] {
    std::ifstream f(d.task_dir(id_of(t)) / "run");
    for (std::string line; std::getline(f, line);) {
      auto eq = line.find('=');
      if (eq != std::string::npos && line.compare(0, eq, "boot_id") != 0)
        run[line.substr(0, eq)] = std::stoll(line.substr(eq + 1));
    }
    return run.count("keeper_pid") > 0;
  }));
  ::kill(static_cast<pid_t>(run["keeper_pid"]), SIGKILL);
  auto r = run_cli({"wait", id_of(t)}, d.daemon_env());
  EXPECT_EQ(r.status, 129) << describe(r);
  EXPECT_THAT(r.out, HasSubstr("interrupted"));
}

TEST(CliWait, TheWaitsOwnTimeoutExits125AndLeavesTheTaskRunning) {
  DaemonFixture d;
  d.start();
  auto t = d.start_task("sleep 60");
  auto r = run_cli({"wait", "--timeout", "0.3", id_of(t)}, d.daemon_env());
  EXPECT_EQ(r.status, 125) << describe(r);
  EXPECT_THAT(r.out, HasSubstr("still working"));
  EXPECT_EQ(d.call("task.get", {{"task_id", t["task_id"]}})["status"], "working");
}

TEST(CliWait, WithSeveralTasksTheFirstThatDidNotCompleteDecides) {
  DaemonFixture d;
  d.start();
  auto ok = d.start_task("true");
  auto five = d.start_task("exit 5");
  auto six = d.start_task("exit 6");
  auto r = run_cli({"wait", id_of(ok), id_of(six), id_of(five)}, d.daemon_env());
  EXPECT_EQ(r.status, 6) << describe(r);
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 3);
  EXPECT_EQ(run_cli({"wait", id_of(ok), id_of(ok)}, d.daemon_env()).status, 0);
}

TEST(CliWait, WaitCarriesOnAcrossADaemonRestart) {
  DaemonFixture d;
  d.start();
  const auto gate = d.home() / "gate";
  auto t = d.start_task("while [ ! -e " + shell_quote(gate.string()) +
                        " ]; do sleep 0.02; done; exit 6");
  CliProcess wait({"wait", id_of(t)}, d.daemon_env());
  // Once the wait is under way (its connection is the second one), restart the daemon.
  ASSERT_TRUE(eventually(
      [&] { return d.call("daemon.info", json::object())["connections"].get<int>() >= 2; }));
  d.stop();
  std::ofstream(gate).put('x');
  auto r = wait.finish(seconds(30));
  EXPECT_EQ(r.status, 6) << describe(r);
  EXPECT_EQ(run_cli({"daemon", "stop"}, d.daemon_env()).status, 0);
}

TEST(CliWait, JsonReportsTheTasksAsWaitTaskDoes) {
  DaemonFixture d;
  d.start();
  auto t = d.start_task("exit 3");
  auto r = run_cli({"wait", "--json", id_of(t)}, d.daemon_env());
  EXPECT_EQ(r.status, 3);
  json j = json::parse(r.out);
  EXPECT_EQ(j["all_finished"], true);
  EXPECT_EQ(j["timed_out"], false);
  EXPECT_TRUE(j["waited_seconds"].is_number());
  EXPECT_TRUE(j["message"].is_string());
  ASSERT_EQ(j["tasks"].size(), 1u);
  EXPECT_EQ(j["tasks"][0], d.call("task.get", {{"task_id", t["task_id"]}}));
}

TEST(CliWait, QuietPrintsNothingAndStillExitsWithTheStatus) {
  DaemonFixture d;
  d.start();
  auto t = d.start_task("exit 9");
  auto r = run_cli({"wait", "-q", id_of(t)}, d.daemon_env());
  EXPECT_EQ(r.status, 9);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "");
}

TEST(CliWait, OnATerminalALiveLineShowsTheTimeWaited) {
  DaemonFixture d;
  d.start();
  const auto gate = d.home() / "gate";
  auto t = d.start_task("while [ ! -e " + shell_quote(gate.string()) + " ]; do sleep 0.02; done");
  auto env = d.daemon_env();
  env["TERM"] = "xterm";
  CliProcess wait({"wait", id_of(t)}, env, {.terminal = true});
  EXPECT_TRUE(wait.read_until("waiting for " + id_of(t), seconds(20))) << describe(wait.so_far());
  std::ofstream(gate).put('x');
  auto r = wait.finish(seconds(20));
  EXPECT_EQ(r.status, 0) << describe(r);
  EXPECT_THAT(r.out, HasSubstr("\r\x1b[2K"));
  EXPECT_THAT(r.out, HasSubstr("completed"));
}

TEST(CliWait, ThroughAPipeThereIsNoLiveLine) {
  DaemonFixture d;
  d.start();
  auto t = d.start_task("sleep 1.2");
  auto r = run_cli({"wait", id_of(t)}, d.daemon_env());
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out.find('\r'), std::string::npos);
}

TEST(CliWait, AnUnknownTaskFailsOnStderr) {
  DaemonFixture d;
  d.start();
  auto r = run_cli({"wait", "nosuch"}, d.daemon_env());
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, HasSubstr("no task has id \"nosuch\""));
}

}  // namespace
}  // namespace bb::test
