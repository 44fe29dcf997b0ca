// backburner daemon status|start|stop, and the autostart every task command shares with the
// MCP shim: a command with no daemon running starts exactly one.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <csignal>
#include <fstream>

#include "cli_process.h"

namespace bb::test {
namespace {

using nlohmann::json;
using std::chrono::seconds;
using ::testing::HasSubstr;

std::string trimmed(std::string s) {
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

// The pid a daemon wrote to the fixture's state dir, or 0.
long daemon_pid_file(const DaemonFixture& d) {
  std::ifstream f(d.home() / "state" / "backburnerd.pid");
  long pid = 0;
  f >> pid;
  return pid;
}

// Live backburnerd processes whose environment carries this test's tag.
int tagged_daemons(const DaemonFixture& d) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    const std::string pid = e.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream comm(e.path() / "comm");
    std::string name;
    std::getline(comm, name);
    if (name != "backburnerd" || !process_exists(std::stol(pid))) continue;
    std::ifstream env(e.path() / "environ", std::ios::binary);
    std::string block((std::istreambuf_iterator<char>(env)), std::istreambuf_iterator<char>());
    if (block.find("BB_TEST_TAG=" + d.tag() + '\0') != std::string::npos) ++n;
  }
  return n;
}

// Stops a daemon that the CLI started (not the fixture's child), bounded.
void stop_cli_started_daemon(const DaemonFixture& d) {
  auto r = run_cli({"daemon", "stop"}, d.daemon_env());
  EXPECT_EQ(r.status, 0) << describe(r);
}

TEST(CliDaemon, StatusShowsTheRunningDaemon) {
  DaemonFixture d;
  d.start();
  auto r = run_cli({"daemon", "status"}, d.daemon_env());
  EXPECT_EQ(r.status, 0) << describe(r);
  EXPECT_THAT(r.out, HasSubstr("running (pid " + std::to_string(d.pid()) + ")"));
  EXPECT_THAT(r.out, HasSubstr((d.home() / "state").string()));
  EXPECT_THAT(r.out, HasSubstr(d.socket().string()));
}

TEST(CliDaemon, StatusJsonIsDaemonInfo) {
  DaemonFixture d;
  d.start();
  d.wait_task(d.start_task("true")["task_id"]);
  auto r = run_cli({"daemon", "status", "--json"}, d.daemon_env());
  ASSERT_EQ(r.status, 0) << describe(r);
  json j = json::parse(r.out);
  EXPECT_EQ(j["pid"], d.pid());
  EXPECT_EQ(j["state_dir"], (d.home() / "state").string());
  EXPECT_EQ(j["socket"], d.socket().string());
  EXPECT_EQ(j["counts"]["completed"], 1);
  for (const char* k : {"version", "started_at", "uptime_seconds", "connections"})
    EXPECT_TRUE(j.contains(k)) << k;
}

TEST(CliDaemon, StatusWithNoDaemonExits3AndStartsNone) {
  DaemonFixture d;  // never started
  auto r = run_cli({"daemon", "status"}, d.daemon_env());
  EXPECT_EQ(r.status, 3) << describe(r);
  EXPECT_THAT(r.out, HasSubstr("no backburnerd is running"));
  auto j = run_cli({"daemon", "status", "--json"}, d.daemon_env());
  EXPECT_EQ(j.status, 3);
  EXPECT_EQ(j.out, "");
  EXPECT_THAT(j.err, HasSubstr("no backburnerd is running"));
  EXPECT_FALSE(std::filesystem::exists(d.socket()));
}

TEST(CliDaemon, StopShutsTheDaemonDownAndTasksKeepRunning) {
  DaemonFixture d;
  d.start();
  auto gate = d.home() / "gate";
  auto t = d.start_task("while [ ! -e " + shell_quote(gate.string()) +
                        " ]; do sleep 0.02; done; exit 5");
  const std::int64_t pid = d.pid();
  auto r = run_cli({"daemon", "stop"}, d.daemon_env());
  EXPECT_EQ(r.status, 0) << describe(r);
  EXPECT_THAT(r.out, HasSubstr("Stopped backburnerd (pid " + std::to_string(pid) + ")"));
  EXPECT_THAT(r.out, HasSubstr("1 task keeps running"));
  EXPECT_FALSE(process_exists(pid));  // it returned only once the daemon had exited
  d.stop();                           // reap the fixture's child
  EXPECT_EQ(run_cli({"daemon", "status"}, d.daemon_env()).status, 3);

  // The task lives on; the next daemon (started by the CLI) adopts it and records its end.
  std::ofstream(gate).put('x');
  auto w = run_cli({"wait", t["task_id"]}, d.daemon_env());
  EXPECT_EQ(w.status, 5) << describe(w);
  stop_cli_started_daemon(d);
}

TEST(CliDaemon, StopWithNoDaemonSaysSoAndSucceeds) {
  DaemonFixture d;
  auto r = run_cli({"daemon", "stop"}, d.daemon_env());
  EXPECT_EQ(r.status, 0) << describe(r);
  EXPECT_THAT(r.out, HasSubstr("not running"));
}

TEST(CliDaemon, StartStartsOneAndThenSaysItIsAlreadyRunning) {
  DaemonFixture d;
  auto first = run_cli({"daemon", "start"}, d.daemon_env());
  ASSERT_EQ(first.status, 0) << describe(first);
  EXPECT_THAT(first.out, HasSubstr("Started backburnerd (pid"));
  const long pid = daemon_pid_file(d);
  EXPECT_GT(pid, 0);
  EXPECT_THAT(first.out, HasSubstr(std::to_string(pid)));
  auto second = run_cli({"daemon", "start"}, d.daemon_env());
  EXPECT_EQ(second.status, 0);
  EXPECT_THAT(second.out, HasSubstr("already running (pid " + std::to_string(pid) + ")"));
  stop_cli_started_daemon(d);
  EXPECT_FALSE(process_exists(pid));
}

TEST(CliAutostart, ATaskCommandWithNoDaemonRunningStartsOne) {
  DaemonFixture d;  // never started: the CLI must start the daemon itself
  auto started = run_cli({"start", "--", "echo autostarted"}, d.daemon_env(), seconds(30));
  ASSERT_EQ(started.status, 0) << describe(started);
  const std::string id = trimmed(started.out);
  auto w = run_cli({"wait", id}, d.daemon_env());
  EXPECT_EQ(w.status, 0) << describe(w);
  EXPECT_EQ(run_cli({"logs", id}, d.daemon_env()).out, "autostarted\n");
  auto status = run_cli({"daemon", "status", "--json"}, d.daemon_env());
  ASSERT_EQ(status.status, 0);
  EXPECT_EQ(json::parse(status.out)["pid"], daemon_pid_file(d));
  stop_cli_started_daemon(d);
}

TEST(CliAutostart, CommandsRacingOnAFreshStateDirEndWithOneDaemon) {
  DaemonFixture d;
  std::vector<std::unique_ptr<CliProcess>> racers;
  for (int i = 0; i < 4; ++i)
    racers.push_back(
        std::make_unique<CliProcess>(std::vector<std::string>{"list"}, d.daemon_env()));
  for (auto& p : racers) {
    auto r = p->finish(seconds(30));
    EXPECT_EQ(r.status, 0) << describe(r);
  }
  const long pid = daemon_pid_file(d);
  auto status = json::parse(run_cli({"daemon", "status", "--json"}, d.daemon_env()).out);
  EXPECT_EQ(status["pid"], pid);
  EXPECT_EQ(tagged_daemons(d), 1);
  stop_cli_started_daemon(d);
}

}  // namespace
}  // namespace bb::test
