// Each tool against a fake daemon: the daemon call it makes, the result it returns (checked
// against its own outputSchema), and every failure as an isError result.
#include <gtest/gtest.h>

#include "paths.h"
#include "schema_check.h"
#include "shim_test_support.h"
#include "tool_fixture.h"

namespace bb::shim::test {
namespace {

namespace fs = std::filesystem;
using proto::Status;

TEST_F(ToolCalls, StartTaskSendsTheCommandTheShimsCwdAndItsWholeEnvironment) {
  answer({{"task.start", json(sample_task())}});
  const auto task = ok("start_task", {{"command", "make test"}});
  EXPECT_EQ(task["task_id"], "t1");
  EXPECT_EQ(task["status"], "working");
  const auto p = only_call("task.start");
  EXPECT_EQ(p["command"], "make test");
  EXPECT_EQ(fs::path(p["cwd"].get<std::string>()), fs::temp_directory_path().lexically_normal());
  EXPECT_EQ(p["env"], json({{"PATH", "/usr/bin:/bin"}, {"HOME", "/home/tester"}}));
  EXPECT_FALSE(p.contains("timeout_seconds") && !p["timeout_seconds"].is_null());
}

TEST_F(ToolCalls, StartTaskResolvesARelativeCwdAgainstTheShimsCwdAndPassesTheTimeout) {
  bb::test::TempDir dir;
  fs::create_directory(dir.path() / "sub");
  auto config = ShimHarness::make_config(std::chrono::milliseconds(5000));
  config.cwd = dir.path();
  ShimHarness here(std::move(config), true);
  here.daemon.handler = [](const std::string&, const json&, CancelToken&) -> CallOutcome {
    return json(sample_task());
  };
  EXPECT_EQ(here.call_tool("start_task", {{"command", "ls"},
                                          {"cwd", "sub/"},
                                          {"timeout_seconds", 2.5}})["result"]["isError"],
            false);
  ASSERT_EQ(here.daemon.calls().size(), 1u);
  const auto p = here.daemon.calls()[0].params;
  EXPECT_EQ(p["cwd"], (dir.path() / "sub").string());
  EXPECT_EQ(p["timeout_seconds"], 2.5);
}

TEST_F(ToolCalls, StartTaskExpandsATildeCwdToTheHomeDirectory) {
  answer({{"task.start", json(sample_task())}});
  ok("start_task", {{"command", "ls"}, {"cwd", "~"}});
  EXPECT_EQ(fs::path(only_call("task.start")["cwd"].get<std::string>()),
            fs::temp_directory_path().lexically_normal());
}

TEST_F(ToolCalls, StartTaskWithAMissingCwdFailsWithoutAskingTheDaemon) {
  const auto msg = error("start_task", {{"command", "ls"}, {"cwd", "/no/such/dir"}});
  EXPECT_NE(msg.find("/no/such/dir"), std::string::npos);
  EXPECT_NE(msg.find("does not exist"), std::string::npos);
  EXPECT_TRUE(h.daemon.calls().empty());
}

TEST_F(ToolCalls, BadArgumentsAreIsErrorResultsThatNameTheArgument) {
  struct Case {
    const char* tool;
    json args;
    const char* expect;
  };
  const std::vector<Case> cases = {
      {"start_task", json::object(), "missing required argument \"command\""},
      {"start_task", {{"command", 42}}, "\"command\" must be a string"},
      {"start_task",
       {{"command", "x"}, {"timeout_seconds", -1}},
       "\"timeout_seconds\" must be greater than 0"},
      {"start_task",
       {{"command", "x"}, {"timeout_seconds", 0}},
       "\"timeout_seconds\" must be greater than 0"},
      {"start_task", {{"command", ""}}, "\"command\" must not be empty"},
      {"task_status", {{"task_id", 7}}, "\"task_id\" must be a string"},
      {"task_result", {{"task_id", "a"}, {"tail_lines", 0}}, "\"tail_lines\" must be at least 1"},
      {"cancel_task", json::object(), "missing required argument \"task_id\""},
      {"list_tasks", {{"limit", "ten"}}, "\"limit\" must be an integer"},
      {"wait_task", {{"task_ids", "abc"}}, "\"task_ids\" must be an array"},
      {"wait_task",
       {{"task_ids", {"a"}}, {"timeout_seconds", 301}},
       "\"timeout_seconds\" must be at most 300"},
  };
  int id = 1;
  for (const auto& c : cases) {
    const auto r = h.call_tool(c.tool, c.args, id++);
    ASSERT_TRUE(r.contains("result")) << r.dump();
    EXPECT_EQ(r["result"]["isError"], true) << c.tool << " " << c.args.dump();
    const auto text = r["result"]["content"][0]["text"].get<std::string>();
    EXPECT_NE(text.find(c.expect), std::string::npos) << text;
  }
  EXPECT_TRUE(h.daemon.calls().empty());
}

TEST_F(ToolCalls, TaskStatusAsksTheDaemonForTheTask) {
  answer({{"task.get", json(sample_task("abc", Status::completed))}});
  const auto task = ok("task_status", {{"task_id", "abc"}});
  EXPECT_EQ(only_call("task.get"), json({{"task_id", "abc"}}));
  EXPECT_EQ(task["status"], "completed");
  EXPECT_EQ(task["exit_code"], 0);
  EXPECT_FALSE(task.contains("pid"));
  EXPECT_FALSE(task.contains("running_for_seconds"));
}

TEST_F(ToolCalls, TaskResultReadsTheStateThenTheTailCappedInBytes) {
  proto::OutputResult out;
  out.task_id = "abc";
  out.output = "line 1\nline 2\n";
  out.offset = 0;
  out.next_offset = 14;
  out.output_bytes = 14;
  out.status = Status::completed;
  answer({{"task.get", json(sample_task("abc", Status::completed))}, {"task.output", json(out)}});
  const auto r = ok("task_result", {{"task_id", "abc"}, {"tail_lines", 5}});
  const auto calls = h.daemon.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].method, "task.get");
  EXPECT_EQ(calls[1].method, "task.output");
  EXPECT_EQ(calls[1].params["task_id"], "abc");
  EXPECT_EQ(calls[1].params["tail_lines"], 5);
  EXPECT_EQ(calls[1].params["max_chars"], kToolDefaultMaxChars);
  EXPECT_EQ(calls[1].params["clean"], true);
  EXPECT_EQ(r["output"], "line 1\nline 2\n");
  EXPECT_EQ(r["truncated"], false);
  EXPECT_EQ(r["total_bytes"], 14);
  EXPECT_EQ(r["mode"], "tail");
  EXPECT_FALSE(r.contains("truncated_message"));
  // The text: the status line, where the output sits, then the output itself, unescaped.
  EXPECT_EQ(last_text.rfind("Task abc completed (exit 0)", 0), 0u) << last_text;
  EXPECT_NE(last_text.find("\nline 1\nline 2\n"), std::string::npos) << last_text;
}

TEST_F(ToolCalls, TaskResultDefaultsToOneHundredLinesAndExplainsATruncation) {
  proto::OutputResult out;
  out.task_id = "abc";
  out.output = "last\n";
  out.offset = 995;
  out.next_offset = 1000;
  out.output_bytes = 1000;
  out.truncated = true;
  answer({{"task.get", json(sample_task("abc"))}, {"task.output", json(out)}});
  const auto r = ok("task_result", {{"task_id", "abc"}});
  EXPECT_EQ(h.daemon.calls()[1].params["tail_lines"], 100);
  EXPECT_EQ(r["truncated"], true);
  EXPECT_NE(
      r["truncated_message"].get<std::string>().find("task_result(task_id=\"abc\", offset=0)"),
      std::string::npos)
      << r["truncated_message"];
}

TEST_F(ToolCalls, CancelTaskReturnsTheTaskWithWhatHappened) {
  proto::CancelResult c;
  c.task = sample_task("abc", Status::cancelled);
  c.cancelled = true;
  c.message = "cancelled";
  answer({{"task.cancel", json(c)}});
  const auto r = ok("cancel_task", {{"task_id", "abc"}});
  EXPECT_EQ(only_call("task.cancel"), json({{"task_id", "abc"}}));
  EXPECT_EQ(r["status"], "cancelled");
  EXPECT_FALSE(r.contains("exit_code"));
  EXPECT_EQ(r["cancelled"], true);
  EXPECT_FALSE(r.contains("survivors"));
}

TEST_F(ToolCalls, ListTasksDefaultsToTwentyAndPassesTheFilter) {
  proto::ListResult l;
  l.tasks = {sample_task("b"), sample_task("a", Status::failed)};
  l.total = 7;
  answer({{"task.list", json(l)}});
  const auto r = ok("list_tasks", json::object());
  EXPECT_EQ(only_call("task.list")["limit"], 20);
  EXPECT_EQ(r["total"], 7);
  ASSERT_EQ(r["tasks"].size(), 2u);
  EXPECT_EQ(r["tasks"][0]["task_id"], "b");
  EXPECT_EQ(r["tasks"][1]["exit_code"], 2);

  ok("list_tasks", {{"limit", 5}, {"status", "working"}});
  const auto p = h.daemon.calls().back().params;
  EXPECT_EQ(p["limit"], 5);
  EXPECT_EQ(p["status"], "working");
}

TEST_F(ToolCalls, WaitTaskAsksTheDaemonToWaitForAllTheIds) {
  proto::WaitResult w;
  w.tasks = {sample_task("a", Status::completed), sample_task("b", Status::failed)};
  w.all_finished = true;
  answer({{"task.wait", json(w)}});
  const auto r = ok("wait_task", {{"task_ids", {"a", "b"}}, {"timeout_seconds", 3}});
  const auto p = only_call("task.wait");
  EXPECT_EQ(p["task_ids"], json({"a", "b"}));
  EXPECT_EQ(p["timeout_seconds"], 3);
  EXPECT_EQ(p["report_unknown"], true);
  EXPECT_EQ(r["all_finished"], true);
  EXPECT_EQ(r["wait_expired"], false);
  EXPECT_FALSE(r.contains("timed_out")) << "the wait's flag is not named like a task status";
  EXPECT_NE(r["message"].get<std::string>().find("b failed (exit 2)"), std::string::npos);
}

TEST_F(ToolCalls, AnUnknownTaskIdIsAnIsErrorResultThatSaysWhatToDo) {
  fail_with(proto::error::kTaskNotFound, "no task with id \"zzz\"");
  const auto msg = error("task_status", {{"task_id", "zzz"}});
  EXPECT_NE(msg.find("zzz"), std::string::npos);
  EXPECT_NE(msg.find("list_tasks"), std::string::npos);
}

TEST_F(ToolCalls, APolicyRefusalIsAnIsErrorResultThatForbidsWorkingAround) {
  fail_with(proto::error::kPolicyDenied, "denied by pattern \"rm -rf\"");
  const auto msg = error("start_task", {{"command", "rm -rf /"}});
  EXPECT_NE(msg.find("rm -rf"), std::string::npos);
  EXPECT_NE(msg.find("do not try to get around it"), std::string::npos);
}

TEST_F(ToolCalls, AnUnreachableDaemonIsAnIsErrorResult) {
  fail_with(kTransportError, "Could not reach the backburner daemon: nothing listens.");
  EXPECT_NE(error("list_tasks", json::object()).find("Could not reach"), std::string::npos);
}

TEST_F(ToolCalls, AnAnswerTheShimCannotReadIsAnIsErrorResult) {
  answer({{"task.get", json({{"task_id", 5}})}});
  EXPECT_NE(error("task_status", {{"task_id", "a"}}).find("not understood"), std::string::npos);
}

TEST_F(ToolCalls, OmittedArgumentsCountAsAnEmptyObject) {
  proto::ListResult l;
  answer({{"task.list", json(l)}});
  h.server.handle_line(request(1, "tools/call", {{"name", "list_tasks"}}));
  EXPECT_EQ(h.sink.response(1)["result"]["isError"], false);
}

}  // namespace
}  // namespace bb::shim::test
