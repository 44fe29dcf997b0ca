// backburner start: the task gets the command, the caller's cwd and environment, and the id
// (or the whole task with --json) comes back on stdout.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "cli_process.h"

namespace bb::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// Starts a task through the CLI and returns its id (asserting success).
std::string start_via_cli(DaemonFixture& d, const std::vector<std::string>& args,
                          std::map<std::string, std::string> env = {}, CliOptions options = {}) {
  auto full = d.daemon_env();
  for (auto& [k, v] : env) full[k] = v;
  std::vector<std::string> a = {"start"};
  a.insert(a.end(), args.begin(), args.end());
  auto r = run_cli(a, full, std::chrono::seconds(30), std::move(options));
  EXPECT_EQ(r.status, 0) << describe(r);
  return trimmed(r.out);
}

TEST(CliStart, StartPrintsOnlyTheTaskIdAndTheTaskRuns) {
  DaemonFixture d;
  d.start();
  auto id = start_via_cli(d, {"--", "echo started-by-cli"});
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(id.find_first_of(" \n\t"), std::string::npos) << id;
  auto t = d.wait_task(id);
  EXPECT_EQ(t["status"], "completed");
  EXPECT_EQ(t["command"], "echo started-by-cli");
  EXPECT_EQ(t["client"]["name"], "backburner");
}

TEST(CliStart, SeveralWordsRunAsExactlyThoseWordsLikeNohupOrTimeout) {
  DaemonFixture d;
  d.start();
  auto id = start_via_cli(d, {"--", "sh", "-c", "echo a; echo b"});
  EXPECT_EQ(d.wait_task(id)["command"], "sh -c 'echo a; echo b'");
  EXPECT_EQ(run_cli({"logs", id}, d.daemon_env()).out, "a\nb\n");
  // Nothing in a word is the shell's to interpret: not $, not quotes, not spaces.
  auto lit = start_via_cli(d, {"--", "printf", "%s|", "$((40 + 2))", "it's", ""});
  d.wait_task(lit);
  EXPECT_EQ(run_cli({"logs", lit}, d.daemon_env()).out, "$((40 + 2))|it's||");
}

TEST(CliStart, ASingleArgumentIsPassedAsItIsWithItsShellSyntax) {
  DaemonFixture d;
  d.start();
  auto id = start_via_cli(d, {"echo one two | tr o 0; exit 4"});
  auto t = d.wait_task(id);
  EXPECT_EQ(t["command"], "echo one two | tr o 0; exit 4");
  EXPECT_EQ(t["exit_code"], 4);
  EXPECT_EQ(run_cli({"logs", id}, d.daemon_env()).out, "0ne tw0\n");
}

TEST(CliStart, OptionsEndAtTheFirstWordOfTheCommand) {
  DaemonFixture d;
  d.start();
  auto id = start_via_cli(d, {"echo", "--help", "--json"});
  EXPECT_EQ(d.wait_task(id)["command"], "echo --help --json");
}

TEST(CliStart, TheTaskRunsInTheCallersDirectoryWithTheCallersEnvironment) {
  DaemonFixture d;
  d.start();
  auto dir = d.home() / "work dir";
  std::filesystem::create_directories(dir);
  auto id = start_via_cli(d, {"--", "pwd; echo \"$CLI_ONLY_VAR\""},
                          {{"CLI_ONLY_VAR", "from the cli"}}, {.cwd = dir});
  auto t = d.wait_task(id);
  EXPECT_EQ(t["cwd"], dir.string());
  EXPECT_EQ(run_cli({"logs", id}, d.daemon_env()).out, dir.string() + "\nfrom the cli\n");
}

TEST(CliStart, ARelativeCwdIsResolvedAgainstTheCallersDirectory) {
  DaemonFixture d;
  d.start();
  std::filesystem::create_directories(d.home() / "a" / "b");
  auto id = start_via_cli(d, {"--cwd", "b/../b", "--", "true"}, {}, {.cwd = d.home() / "a"});
  EXPECT_EQ(d.wait_task(id)["cwd"], (d.home() / "a" / "b").string());
}

TEST(CliStart, JsonPrintsTheDaemonsTaskView) {
  DaemonFixture d;
  d.start();
  auto r = run_cli({"start", "--json", "--timeout", "90", "--", "sleep 30"}, d.daemon_env(),
                   std::chrono::seconds(30), {.cwd = d.home()});
  ASSERT_EQ(r.status, 0) << describe(r);
  json t = json::parse(r.out);
  EXPECT_EQ(r.out.find('\n'), r.out.size() - 1) << "one line when not on a terminal";
  EXPECT_EQ(t["command"], "sleep 30");
  EXPECT_EQ(t["cwd"], d.home().string());
  EXPECT_EQ(t["status"], "working");
  EXPECT_EQ(t["timeout_seconds"], 90);
  EXPECT_EQ(t["client"]["name"], "backburner");
  EXPECT_TRUE(t.contains("created_at"));
  EXPECT_FALSE(t.contains("exit_code"));
  json got = d.call("task.get", {{"task_id", t["task_id"]}});
  EXPECT_EQ(got["created_at"], t["created_at"]);
  d.call("task.cancel", {{"task_id", t["task_id"]}});
}

TEST(CliStart, TimeoutAcceptsUnitsAndEndsTheTaskTimedOut) {
  DaemonFixture d;
  d.start();
  auto id = start_via_cli(d, {"--timeout", "0.3s", "--", "sleep 30"});
  auto t = d.wait_task(id);
  EXPECT_EQ(t["status"], "timed_out");
  EXPECT_DOUBLE_EQ(t["timeout_seconds"].get<double>(), 0.3);
  auto m = run_cli({"start", "--json", "--timeout", "2m", "--", "true"}, d.daemon_env());
  EXPECT_EQ(json::parse(m.out)["timeout_seconds"], 120);
}

TEST(CliStart, AMissingDirectoryFailsOnStderrAndStartsNothing) {
  DaemonFixture d;
  d.start();
  auto r = run_cli({"start", "--cwd", (d.home() / "nope").string(), "--", "true"}, d.daemon_env());
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, HasSubstr("does not exist"));
  EXPECT_EQ(d.call("task.list", json::object())["total"], 0);
}

TEST(CliStart, TheUsersDenyPolicyRefusesTheCommandAndNamesTheRule) {
  DaemonFixture d;
  d.start();
  auto env = d.daemon_env();
  env["BACKBURNER_DENY"] = "rm\\s+-rf";
  auto r = run_cli({"start", "--", "rm -rf /tmp/nothing-here"}, env);
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, HasSubstr("rm\\s+-rf"));
  EXPECT_EQ(d.call("task.list", json::object())["total"], 0);
}

}  // namespace
}  // namespace bb::test
