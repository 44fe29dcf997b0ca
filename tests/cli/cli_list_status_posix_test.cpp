// backburner list / ls and backburner status: what people read, and --json exactly as the
// daemon reports the tasks.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "cli_process.h"

namespace bb::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// Three finished tasks, oldest first: completed, failed (exit 3), killed by SIGKILL.
std::vector<std::string> three_finished_tasks(DaemonFixture& d) {
  std::vector<std::string> ids;
  for (const char* cmd : {"echo first", "exit 3", "kill -9 $$"}) {
    ids.push_back(d.start_task(cmd)["task_id"]);
    d.wait_task(ids.back());
  }
  return ids;
}

TEST(CliList, ListShowsATableNewestFirstWithStatusAndExitCode) {
  DaemonFixture d;
  d.start();
  auto ids = three_finished_tasks(d);
  auto r = run_cli({"list"}, d.daemon_env());
  ASSERT_EQ(r.status, 0) << describe(r);
  auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 4u) << r.out;
  EXPECT_THAT(lines[0], StartsWith("ID"));
  for (const char* h : {"STATUS", "AGE", "DURATION", "EXIT", "COMMAND"})
    EXPECT_THAT(lines[0], HasSubstr(h));
  EXPECT_THAT(lines[1], StartsWith(ids[2]));
  EXPECT_THAT(lines[1], HasSubstr("failed"));
  EXPECT_THAT(lines[1], HasSubstr("SIGKILL"));
  EXPECT_THAT(lines[2], StartsWith(ids[1]));
  EXPECT_THAT(lines[2], HasSubstr("failed"));
  EXPECT_THAT(lines[2], HasSubstr(" 3 "));
  EXPECT_THAT(lines[2], HasSubstr("exit 3"));
  EXPECT_THAT(lines[3], StartsWith(ids[0]));
  EXPECT_THAT(lines[3], HasSubstr("completed"));
  EXPECT_THAT(lines[3], HasSubstr("echo first"));
}

TEST(CliList, LsIsTheSameAsList) {
  DaemonFixture d;
  d.start();
  three_finished_tasks(d);
  auto list = run_cli({"list", "--json"}, d.daemon_env());
  auto ls = run_cli({"ls", "--json"}, d.daemon_env());
  EXPECT_EQ(ls.status, 0);
  EXPECT_EQ(json::parse(ls.out), json::parse(list.out));
}

TEST(CliList, JsonIsTheDaemonsListOfTaskViews) {
  DaemonFixture d;
  d.start();
  three_finished_tasks(d);
  auto r = run_cli({"list", "--json"}, d.daemon_env());
  ASSERT_EQ(r.status, 0) << describe(r);
  EXPECT_EQ(json::parse(r.out), d.call("task.list", json::object()));
}

TEST(CliList, StatusAndLimitFilterLikeTheDaemon) {
  DaemonFixture d;
  d.start();
  auto ids = three_finished_tasks(d);
  auto failed = json::parse(run_cli({"list", "--status", "failed", "--json"}, d.daemon_env()).out);
  EXPECT_EQ(failed["total"], 2);
  ASSERT_EQ(failed["tasks"].size(), 2u);
  EXPECT_EQ(failed["tasks"][0]["task_id"], ids[2]);
  auto one = json::parse(run_cli({"list", "-n", "1", "--json"}, d.daemon_env()).out);
  EXPECT_EQ(one["total"], 3);
  ASSERT_EQ(one["tasks"].size(), 1u);
  EXPECT_EQ(one["tasks"][0]["task_id"], ids[2]);
  auto all = json::parse(run_cli({"list", "--all", "--json"}, d.daemon_env()).out);
  EXPECT_EQ(all["tasks"].size(), 3u);
  auto none = run_cli({"list", "--status", "cancelled"}, d.daemon_env());
  EXPECT_EQ(none.status, 0);
  EXPECT_EQ(none.out, "No cancelled tasks.\n");
}

TEST(CliList, AnEmptyListSaysHowToStartATask) {
  DaemonFixture d;
  d.start();
  auto r = run_cli({"list"}, d.daemon_env());
  EXPECT_EQ(r.status, 0);
  EXPECT_THAT(r.out, HasSubstr("backburner start"));
}

TEST(CliList, OnATerminalALongCommandIsCutToTheWidth) {
  DaemonFixture d;
  d.start();
  const std::string long_cmd = "echo " + std::string(300, 'x');
  d.wait_task(d.start_task(long_cmd)["task_id"]);
  auto piped = run_cli({"list"}, d.daemon_env());
  EXPECT_THAT(piped.out, HasSubstr(long_cmd));
  auto env = d.daemon_env();
  env["NO_COLOR"] = "1";  // escape sequences would count as width here
  auto tty = run_cli({"list"}, env, std::chrono::seconds(30), {.terminal = true});
  EXPECT_THAT(tty.out, HasSubstr("xxx..."));
  for (const auto& line : lines_of(tty.out)) EXPECT_LE(line.size(), 101u) << line;  // 100 + \r
}

TEST(CliStatus, JsonIsExactlyTheDaemonsTaskView) {
  DaemonFixture d;
  d.start();
  auto ids = three_finished_tasks(d);
  for (const auto& id : ids) {
    auto r = run_cli({"status", "--json", id}, d.daemon_env());
    ASSERT_EQ(r.status, 0) << describe(r);
    EXPECT_EQ(json::parse(r.out), d.call("task.get", {{"task_id", id}}));
  }
}

TEST(CliStatus, StatusShowsTheFieldsForPeople) {
  DaemonFixture d;
  d.start();
  auto ids = three_finished_tasks(d);
  auto r = run_cli({"status", ids[1]}, d.daemon_env());
  ASSERT_EQ(r.status, 0) << describe(r);
  EXPECT_THAT(r.out, HasSubstr("task      " + ids[1]));
  EXPECT_THAT(r.out, HasSubstr("failed (exit 3)"));
  EXPECT_THAT(r.out, HasSubstr("command   exit 3"));
  EXPECT_THAT(r.out, HasSubstr("cwd       " + d.home().string()));
  for (const char* k : {"created", "started", "finished", "duration", "output", "client"})
    EXPECT_THAT(r.out, HasSubstr(std::string("\n") + k)) << k;
}

TEST(CliStatus, AWorkingTaskShowsItsPidAndRunningTime) {
  DaemonFixture d;
  d.start();
  auto t = d.start_task("sleep 30");
  ASSERT_TRUE(eventually([&] {
    return d.call("task.get", {{"task_id", t["task_id"]}}).contains("pid");
  }));
  auto r = run_cli({"status", t["task_id"].get<std::string>()}, d.daemon_env());
  EXPECT_THAT(r.out, HasSubstr("working"));
  EXPECT_THAT(r.out, HasSubstr("\npid "));
  EXPECT_THAT(r.out, HasSubstr("\nrunning "));
}

TEST(CliStatus, AnUnknownTaskIsAnErrorOnStderr) {
  DaemonFixture d;
  d.start();
  auto r = run_cli({"status", "nosuchtask"}, d.daemon_env());
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, HasSubstr("no task has id \"nosuchtask\""));
  EXPECT_THAT(r.err, HasSubstr("backburner list"));
}

}  // namespace
}  // namespace bb::test
