// The tools' newer abilities against a fake daemon: reading output every way (and paging
// through a whole log), writing to a task's stdin, start options, list filters, waiting for
// any, and who a task is for.
#include <gtest/gtest.h>

#include "shim_test_support.h"
#include "task_json.h"
#include "tool_fixture.h"

namespace bb::shim::test {
namespace {

using proto::Status;

// Serves task.output range reads of `log` the way the daemon does (bytes; never splitting a
// character), so a test can page through it with the tool.
FakeDaemon::Handler log_server(std::string log, Status status = Status::completed) {
  return [log, status](const std::string& method, const json& params, CancelToken&) -> CallOutcome {
    if (method == "task.get") {
      auto t = sample_task("big", status);
      t.output_bytes = log.size();
      return json(t);
    }
    if (method != "task.output")
      return RpcError{proto::error::kInternalError, "unexpected", nullptr};
    const auto p = params.get<proto::OutputParams>();
    proto::OutputResult r;
    r.task_id = "big";
    r.output_bytes = log.size();
    r.status = status;
    r.mode = "range";
    const std::uint64_t from = std::min<std::uint64_t>(p.offset.value_or(0), log.size());
    std::uint64_t n = std::min<std::uint64_t>({p.max_bytes.value_or(proto::kDefaultMaxBytes),
                                               p.max_chars.value_or(~0ull), log.size() - from});
    while (from + n < log.size() && n > 0 &&
           (static_cast<unsigned char>(log[from + n]) & 0xC0) == 0x80)
      --n;
    r.offset = from;
    r.next_offset = from + n;
    r.output = log.substr(from, n);
    r.truncated = r.next_offset < log.size();
    r.chars = n;
    r.log_path = "/state/tasks/big/output.log";
    return json(r);
  };
}

proto::OutputResult output(std::string text, std::uint64_t offset, std::uint64_t total,
                           bool truncated, const char* mode) {
  proto::OutputResult r;
  r.task_id = "abc";
  r.output = std::move(text);
  r.offset = offset;
  r.next_offset = offset + r.output.size();
  r.output_bytes = total;
  r.truncated = truncated;
  r.status = Status::working;
  r.mode = mode;
  r.chars = r.output.size();
  r.log_path = "/state/tasks/abc/output.log";
  return r;
}

TEST_F(ToolCalls, PagingWithOffsetAndNextOffsetReadsAWholeLogExactlyOnce) {
  std::string log;
  for (int i = 1; i <= 3000; ++i) log += "line " + std::to_string(i) + " ✓ éà\n";
  h.daemon.handler = log_server(log);
  std::string read;
  std::uint64_t offset = 0;
  int pages = 0;
  for (; pages < 1000; ++pages) {
    const auto r = ok("task_result", {{"task_id", "big"}, {"offset", offset}, {"max_bytes", 7001}});
    EXPECT_EQ(r["offset"], offset);
    read += r["output"].get<std::string>();
    offset = r["next_offset"].get<std::uint64_t>();
    if (!r["truncated"].get<bool>()) break;
    // The message names the exact call that continues.
    EXPECT_NE(r["truncated_message"].get<std::string>().find(
                  "task_result(task_id=\"big\", offset=" + std::to_string(offset) + ")"),
              std::string::npos);
  }
  EXPECT_EQ(read, log);
  EXPECT_GT(pages, 5);
}

TEST_F(ToolCalls, TaskResultPassesEachReadingModeToTheDaemon) {
  answer({{"task.get", json(sample_task("abc"))},
          {"task.output", json(output("x\n", 0, 2, false, "head"))}});
  ok("task_result", {{"task_id", "abc"}, {"head_lines", 7}, {"raw", true}, {"max_chars", 500}});
  auto p = h.daemon.calls().back().params;
  EXPECT_EQ(p["head_lines"], 7);
  EXPECT_FALSE(p.value("clean", false)) << "raw keeps escapes";
  EXPECT_EQ(p["max_chars"], 500);
  EXPECT_EQ(p["max_bytes"], kToolDefaultReadBytes);

  ok("task_result", {{"task_id", "abc"}, {"offset", 10}, {"max_bytes", 99}});
  p = h.daemon.calls().back().params;
  EXPECT_EQ(p["offset"], 10);
  EXPECT_EQ(p["max_bytes"], 99);
  EXPECT_FALSE(p.contains("tail_lines"));
}

TEST_F(ToolCalls, SinceLastReadDefaultsToThisClientSessionAsTheReader) {
  answer({{"task.get", json(sample_task("abc"))},
          {"task.output", json(output("new\n", 40, 44, false, "since_last_read"))}});
  const auto r = ok("task_result", {{"task_id", "abc"}, {"since_last_read", true}});
  auto p = h.daemon.calls().back().params;
  EXPECT_EQ(p["since_last_read"], true);
  EXPECT_EQ(p["reader"], "test-client/" + h.server.session());
  EXPECT_EQ(r["output"], "new\n");
  EXPECT_EQ(r["mode"], "since_last_read");

  ok("task_result", {{"task_id", "abc"}, {"since_last_read", true}, {"reader", "ci-watch"}});
  EXPECT_EQ(h.daemon.calls().back().params["reader"], "ci-watch");
}

TEST_F(ToolCalls, ASinceLastReadThatWasCutSaysToCallAgain) {
  answer({{"task.get", json(sample_task("abc"))},
          {"task.output", json(output("part\n", 0, 9000, true, "since_last_read"))}});
  const auto r = ok("task_result", {{"task_id", "abc"}, {"since_last_read", true}});
  EXPECT_EQ(r["truncated"], true);
  EXPECT_NE(r["truncated_message"].get<std::string>().find("since_last_read=true"),
            std::string::npos);
}

TEST_F(ToolCalls, GrepRendersNumberedMatchesWithContextAndSaysWhereTheSearchStopped) {
  proto::OutputResult out = output("", 0, 5000, false, "grep");
  proto::GrepMatch m1;
  m1.line = {12, 300, "error: first"};
  m1.before = {{11, 280, "compiling a"}};
  m1.after = {{13, 320, "note: here"}};
  proto::GrepMatch m2;
  m2.line = {40, 900, "error: second"};
  out.matches = std::vector<proto::GrepMatch>{m1, m2};
  out.grep_complete = false;
  out.scanned_to = 4096;
  answer({{"task.get", json(sample_task("abc"))}, {"task.output", json(out)}});
  const auto r =
      ok("task_result",
         {{"task_id", "abc"}, {"grep", "error"}, {"context_lines", 1}, {"ignore_case", true}});
  const auto p = h.daemon.calls().back().params;
  EXPECT_EQ(p["grep"], "error");
  EXPECT_EQ(p["context_lines"], 1);
  EXPECT_EQ(p["ignore_case"], true);
  EXPECT_EQ(r["output"], "11-compiling a\n12:error: first\n13-note: here\n--\n40:error: second\n");
  ASSERT_EQ(r["matches"].size(), 2u);
  EXPECT_EQ(r["matches"][0]["line"], 12);
  EXPECT_EQ(r["matches"][0]["offset"], 300);
  EXPECT_EQ(r["grep_complete"], false);
  EXPECT_EQ(r["truncated"], true);
  EXPECT_NE(r["truncated_message"].get<std::string>().find(
                "task_result(task_id=\"abc\", grep=\"error\", offset=4096)"),
            std::string::npos)
      << r["truncated_message"];
}

TEST_F(ToolCalls, AGrepContinuedFromAnOffsetShowsUnnumberedLinesByTheirOffset) {
  proto::OutputResult out = output("", 0, 9000, false, "grep");
  proto::GrepMatch m;
  m.line = {0, 8123, "error: late"};
  out.matches = std::vector<proto::GrepMatch>{m};
  out.grep_complete = true;
  out.scanned_to = 9000;
  answer({{"task.get", json(sample_task("abc"))}, {"task.output", json(out)}});
  const auto r = ok("task_result", {{"task_id", "abc"}, {"grep", "error"}, {"offset", 4096}});
  EXPECT_EQ(h.daemon.calls().back().params["offset"], 4096);
  EXPECT_EQ(r["output"], "@8123:error: late\n");
  EXPECT_EQ(r["truncated"], false);
}

TEST_F(ToolCalls, TwoWaysOfReadingAtOnceAreRefusedWithoutAskingTheDaemon) {
  for (const json& args :
       {json{{"task_id", "a"}, {"tail_lines", 5}, {"head_lines", 5}},
        json{{"task_id", "a"}, {"offset", 0}, {"since_last_read", true}},
        json{{"task_id", "a"}, {"context_lines", 2}}, json{{"task_id", "a"}, {"reader", "me"}}}) {
    EXPECT_NE(error("task_result", args).find("Invalid arguments"), std::string::npos)
        << args.dump();
  }
  EXPECT_TRUE(h.daemon.calls().empty());
}

TEST_F(ToolCalls, StartTaskAddsEnvLabelStdinAnIdempotencyKeyAndTheClient) {
  auto t = sample_task();
  t.label = "tests";
  t.stdin_state = "pipe";
  answer({{"task.start", json(t)}});
  const auto r = ok("start_task", {{"command", "make test"},
                                   {"env", {{"RUST_LOG", "debug"}, {"HOME", "/elsewhere"}}},
                                   {"label", "tests"},
                                   {"stdin", "pipe"}});
  EXPECT_EQ(r["label"], "tests");
  EXPECT_EQ(r["stdin"], "pipe");
  const auto p = only_call("task.start");
  EXPECT_EQ(p["env"],
            json({{"PATH", "/usr/bin:/bin"}, {"HOME", "/elsewhere"}, {"RUST_LOG", "debug"}}));
  EXPECT_EQ(p["label"], "tests");
  EXPECT_EQ(p["stdin"], "pipe");
  EXPECT_TRUE(p["idempotency_key"].is_string());
  EXPECT_GE(p["idempotency_key"].get<std::string>().size(), 16u);
  EXPECT_EQ(p["client"]["name"], "test-client");
  EXPECT_EQ(p["client"]["version"], "1");
  EXPECT_EQ(p["client"]["session"], h.server.session());
  EXPECT_NE(last_text.find("send_input"), std::string::npos);
}

TEST_F(ToolCalls, EveryStartGetsItsOwnIdempotencyKey) {
  answer({{"task.start", json(sample_task())}});
  ok("start_task", {{"command", "a"}});
  ok("start_task", {{"command", "a"}});
  const auto calls = h.daemon.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_NE(calls[0].params["idempotency_key"], calls[1].params["idempotency_key"]);
}

TEST_F(ToolCalls, AModernRequestsClientInfoNamesTheTasksClient) {
  answer({{"task.start", json(sample_task())}});
  json params = {{"name", "start_task"}, {"arguments", {{"command", "x"}}}};
  params["_meta"] = modern_meta();
  params["_meta"]["io.modelcontextprotocol/clientInfo"] = {{"name", "modern-ide"},
                                                           {"version", "7.1"}};
  h.server.handle_line(request(50, "tools/call", params));
  EXPECT_EQ(h.sink.response(50)["result"]["isError"], false);
  const auto p = only_call("task.start");
  EXPECT_EQ(p["client"]["name"], "modern-ide");
  EXPECT_EQ(p["client"]["version"], "7.1");
  EXPECT_EQ(p["client"]["session"], h.server.session());
}

TEST_F(ToolCalls, SendInputWritesTheTextAndClosesOnRequest) {
  proto::InputResult in;
  in.task = sample_task("abc");
  in.written = 4;
  answer({{"task.input", json(in)}});
  const auto r = ok("send_input", {{"task_id", "abc"}, {"text", "yes\n"}, {"close", true}});
  EXPECT_EQ(only_call("task.input"),
            json({{"task_id", "abc"}, {"text", "yes\n"}, {"close", true}}));
  EXPECT_EQ(r["written"], 4);
  EXPECT_EQ(r["closed"], true);
}

TEST_F(ToolCalls, SendInputOverSixtyFourKibibytesIsRefusedBeforeTheDaemon) {
  std::string text;
  for (int i = 0; i < 30000; ++i) text += "€";  // 30,000 characters, 90,000 bytes
  const auto msg = error("send_input", {{"task_id", "abc"}, {"text", text}});
  EXPECT_NE(msg.find("65536"), std::string::npos) << msg;
  EXPECT_TRUE(h.daemon.calls().empty());
}

TEST_F(ToolCalls, EachReasonInputIsUnavailableGetsItsOwnAdvice) {
  const std::map<std::string, std::string> advice = {
      {"no_stdin", "stdin: \"pipe\""},  {"finished", "Nothing reads"},
      {"closed", "cannot be reopened"}, {"input_full", "has not yet read"},
      {"not_ready", "starting"},
  };
  for (const auto& [reason, words] : advice) {
    h.daemon.handler = [reason = reason](const std::string&, const json&,
                                         CancelToken&) -> CallOutcome {
      return RpcError{proto::error::kInputUnavailable,
                      "task abc is starting",
                      {{"kind", "input_unavailable"}, {"reason", reason}}};
    };
    const auto msg = error("send_input", {{"task_id", "abc"}, {"text", "y\n"}});
    EXPECT_NE(msg.find(words), std::string::npos) << reason << ": " << msg;
  }
}

TEST_F(ToolCalls, ListTasksFiltersByLabelCommandAndThisSessionAndPages) {
  proto::ListResult l;
  l.tasks = {sample_task("b")};
  l.total = 300;
  l.next_cursor = "c-100";
  answer({{"task.list", json(l)}});
  const auto r =
      ok("list_tasks",
         {{"label", "tests"}, {"command_contains", "pytest"}, {"mine", true}, {"cursor", "c-0"}});
  const auto p = only_call("task.list");
  EXPECT_EQ(p["label"], "tests");
  EXPECT_EQ(p["command_contains"], "pytest");
  EXPECT_EQ(p["session"], h.server.session());
  EXPECT_EQ(p["cursor"], "c-0");
  EXPECT_EQ(r["next_cursor"], "c-100");
  EXPECT_NE(last_text.find("cursor=\"c-100\""), std::string::npos);
}

TEST_F(ToolCalls, WaitForAnyReturnsWhenOneHasEndedAndReportsUnknownIds) {
  proto::WaitResult w;
  w.tasks = {sample_task("a", Status::completed), sample_task("b")};
  w.any_finished = true;
  w.unknown_task_ids = std::vector<std::string>{"nope"};
  answer({{"task.wait", json(w)}});
  const auto r = ok("wait_task", {{"task_ids", {"a", "b", "nope"}}, {"mode", "any"}});
  const auto p = only_call("task.wait");
  EXPECT_EQ(p["mode"], "any");
  EXPECT_EQ(p["report_unknown"], true);
  EXPECT_EQ(r["any_finished"], true);
  EXPECT_EQ(r["all_finished"], false);
  EXPECT_EQ(r["wait_expired"], false);
  EXPECT_EQ(r["unknown_task_ids"], json({"nope"}));
  EXPECT_NE(r["message"].get<std::string>().find("nope"), std::string::npos);
}

TEST_F(ToolCalls, WaitTaskAcceptsAThousandIds) {
  std::vector<std::string> ids;
  proto::WaitResult w;
  for (int i = 0; i < 1000; ++i) {
    ids.push_back("t" + std::to_string(i));
    w.tasks.push_back(sample_task(ids.back(), Status::completed));
  }
  w.all_finished = true;
  answer({{"task.wait", json(w)}});
  EXPECT_EQ(ok("wait_task", {{"task_ids", ids}})["all_finished"], true);
  EXPECT_NE(error("wait_task", {{"task_ids", json(std::vector<std::string>(1001, "x"))}})
                .find("at most 1000"),
            std::string::npos);
}

TEST(TaskText, TheStatusLineSaysStateKeyFactsAndTheCommand) {
  auto t = sample_task("k3f", Status::working);
  t.progress = proto::Progress{45.0, 12, 50, "building docs"};
  t.label = "docs";
  EXPECT_EQ(status_line(t),
            "Task k3f is working (pid 4242, running 1.5 s, 45%, 12/50: building docs) [docs]: "
            "make test");
  auto f = sample_task("k3f", Status::failed);
  EXPECT_EQ(status_line(f), "Task k3f failed (exit 2) after 60 s: make test");
  auto s = sample_task("k3f", Status::failed);
  s.exit_code.reset();
  s.signal = "SIGSEGV";
  EXPECT_EQ(outcome_words(s), "failed (SIGSEGV)");
  auto long_command = sample_task();
  long_command.command = std::string(300, 'x') + "\nsecond line";
  EXPECT_LT(status_line(long_command).size(), 200u);
}

}  // namespace
}  // namespace bb::shim::test
