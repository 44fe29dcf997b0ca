// The real backburner.exe on Windows against a real daemon: what a person at a Windows prompt
// does, with cmd.exe as the task shell. Arguments reach the CLI as UTF-16 (its command line) and
// task output comes back byte for byte (no CRLF translation on the way out).
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli_process.h"
#include "task_commands.h"
#include "utf8_path.h"

namespace bb::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

class CliWin : public ::testing::Test {
 protected:
  void SetUp() override { d.start(); }
  CliResult cli(const std::vector<std::string>& args) {
    return run_cli(args, d.daemon_env(), std::chrono::seconds(30));
  }
  std::string start(const std::vector<std::string>& args) {
    std::vector<std::string> a = {"start"};
    a.insert(a.end(), args.begin(), args.end());
    auto r = cli(a);
    EXPECT_EQ(r.status, 0) << describe(r);
    EXPECT_EQ(r.out.find('\r'), std::string::npos) << "a CR in the id line";
    return trimmed(r.out);
  }
  DaemonFixture d;
};

TEST_F(CliWin, StartRunsTheCommandInCmdAndWaitExitsWithItsCode) {
  const std::string id = start({"--", "echo hi& exit 3"});
  ASSERT_EQ(id.size(), 10u);
  auto w = cli({"wait", id});
  EXPECT_EQ(w.status, 3) << describe(w);
  EXPECT_THAT(w.out, HasSubstr("failed (exit 3)"));
  auto logs = cli({"logs", id});
  EXPECT_EQ(logs.status, 0) << describe(logs);
  EXPECT_EQ(logs.out, "hi\r\n");  // cmd.exe's own line end, relayed as is
}

// The CLI's argv is its UTF-16 command line, the task's output the keeper's UTF-8 console: a
// non-ASCII command and its output survive the round trip unchanged.
TEST_F(CliWin, NonAsciiCommandsAndTheirOutputRoundTrip) {
  const std::string text = "h\xc3\xa9llo w\xc3\xb6rld \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x8e\x89";
  const std::string id = start({"--", "echo " + text});
  EXPECT_EQ(cli({"wait", id}).status, 0);
  auto status = cli({"status", "--json", id});
  ASSERT_EQ(status.status, 0) << describe(status);
  EXPECT_EQ(json::parse(status.out)["command"], "echo " + text);
  EXPECT_EQ(cli({"logs", id}).out, text + "\r\n");
}

TEST_F(CliWin, ListAndStatusShowTheTask) {
  const std::string id = start({"--", cmd::exit_with(0)});
  cli({"wait", id});
  auto list = cli({"list"});
  EXPECT_EQ(list.status, 0) << describe(list);
  EXPECT_THAT(list.out, HasSubstr(id));
  EXPECT_THAT(list.out, HasSubstr("completed"));
  auto status = cli({"status", id});
  EXPECT_EQ(status.status, 0) << describe(status);
  EXPECT_THAT(status.out, HasSubstr("completed"));
}

TEST_F(CliWin, CancelEndsTheWholeTreeAndWaitReportsIt) {
  const std::string id = start({"--", cmd::sleep(60)});
  auto c = cli({"cancel", id});
  EXPECT_EQ(c.status, 0) << describe(c);
  EXPECT_THAT(c.out, HasSubstr("cancelled"));
  EXPECT_EQ(cli({"wait", id}).status, 130);
}

TEST_F(CliWin, ATimeoutEndsTheTaskAndWaitExits124) {
  const std::string id = start({"--timeout", "0.5", "--", cmd::sleep(60)});
  EXPECT_EQ(cli({"wait", id}).status, 124);
}

TEST_F(CliWin, SendWritesToTheTasksStdinAndClosesIt) {
  const std::string id = start({"--stdin", "--", test_child_command("read-stdin")});
  CliResult sent;
  ASSERT_TRUE(eventually([&] {
    sent = run_cli({"send", id, "caf\xc3\xa9"}, d.daemon_env());
    return sent.status == 0;
  })) << describe(sent);
  auto closed = cli({"send", "--close", id});
  EXPECT_EQ(closed.status, 0) << describe(closed);
  EXPECT_EQ(cli({"wait", id}).status, 0);
  EXPECT_THAT(cli({"logs", id}).out, HasSubstr("caf\xc3\xa9"));
  EXPECT_THAT(cli({"logs", id}).out, HasSubstr("eof\n"));
}

TEST_F(CliWin, LogsFollowsATaskUntilItEnds) {
  const auto gate = d.home() / "gate";
  const std::string id =
      start({"--", cmd::then(cmd::print_line("before"),
                             cmd::then(cmd::wait_for_file(gate), cmd::print_line("after")))});
  CliProcess follow({"logs", "-f", id}, d.daemon_env());
  ASSERT_TRUE(follow.read_until("before\n", std::chrono::seconds(20)));
  std::ofstream(gate).put('x');
  auto r = follow.finish(std::chrono::seconds(30));
  EXPECT_EQ(r.status, 0) << describe(r);
  EXPECT_EQ(r.out, "before\nafter\n");
}

TEST_F(CliWin, DaemonStatusAndStopTalkToTheDaemonOverItsPipe) {
  auto status = cli({"daemon", "status"});
  EXPECT_EQ(status.status, 0) << describe(status);
  EXPECT_THAT(status.out, HasSubstr("running (pid " + std::to_string(d.pid()) + ")"));
  EXPECT_THAT(status.out, HasSubstr("\\\\.\\pipe\\backburner-"));
  auto stop = cli({"daemon", "stop"});
  EXPECT_EQ(stop.status, 0) << describe(stop);
  EXPECT_TRUE(eventually([&] { return !process_exists(d.pid()); }));
  EXPECT_EQ(cli({"daemon", "status"}).status, 3);
}

TEST(CliWinAutostart, TheFirstCommandStartsTheDaemonNextToTheCli) {
  DaemonFixture d;  // its state dir and environment, but no daemon yet
  auto started = run_cli({"start", "--", "echo autostarted"}, d.daemon_env(),
                         std::chrono::seconds(30));
  ASSERT_EQ(started.status, 0) << describe(started);
  auto status = run_cli({"daemon", "status"}, d.daemon_env());
  EXPECT_EQ(status.status, 0) << describe(status);
  EXPECT_EQ(run_cli({"wait", trimmed(started.out)}, d.daemon_env()).status, 0);
  EXPECT_EQ(run_cli({"daemon", "stop"}, d.daemon_env()).status, 0);
}

TEST(CliWinService, InstallRegistersTheLogonTaskThroughThePackagedScript) {
  TempDir home;
  std::map<std::string, std::string> env = {{"LOCALAPPDATA", path_utf8(home.path())}};
  auto r = run_cli({"service", "install", "--dry-run"}, env);
  EXPECT_EQ(r.status, 0) << describe(r);
  EXPECT_THAT(r.out, HasSubstr("install-service.ps1"));
  EXPECT_THAT(r.out, HasSubstr("backburnerd.exe"));
  auto s = run_cli({"service", "status", "--dry-run"}, env);
  EXPECT_THAT(s.out, HasSubstr("schtasks.exe"));
}

}  // namespace
}  // namespace bb::test
