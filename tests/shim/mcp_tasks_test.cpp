// MCP Tasks (both eras) and task output resources against a fake daemon and a hand-fed event
// stream: status mapping, handles, notifications pushed from events, error codes.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "mcp_tasks.h"
#include "shim_test_support.h"

namespace bb::shim::test {
namespace {

using proto::Status;

json ext_meta() {
  json m = modern_meta();
  m["io.modelcontextprotocol/clientCapabilities"] = {
      {"extensions", {{"io.modelcontextprotocol/tasks", json::object()}}}};
  return m;
}

std::string ext_request(const json& id, const std::string& method, json params = json::object()) {
  params["_meta"] = ext_meta();
  return request(id, method, std::move(params));
}

// A daemon whose tasks live in a map the test changes.
struct Tasks {
  std::mutex mutex;
  std::map<std::string, proto::TaskView> by_id;
  std::atomic<int> cancels{0};

  void set(const proto::TaskView& t) {
    std::lock_guard lock(mutex);
    by_id[t.task_id] = t;
  }
  FakeDaemon::Handler handler() {
    return [this](const std::string& method, const json& params, CancelToken&) -> CallOutcome {
      std::lock_guard lock(mutex);
      if (method == "daemon.info") {
        proto::DaemonInfo info;
        info.keep_days = 2;
        return json(info);
      }
      if (method == "task.start") {
        auto t = sample_task("new1");
        by_id[t.task_id] = t;
        return json(t);
      }
      if (method == "task.list") {
        proto::ListResult r;
        for (const auto& [_, t] : by_id) r.tasks.push_back(t);
        r.total = r.tasks.size();
        return json(r);
      }
      const auto id = params.value("task_id", std::string());
      auto it = by_id.find(id);
      if (it == by_id.end() && method != "task.wait")
        return RpcError{proto::error::kTaskNotFound, "no task " + id, nullptr};
      if (method == "task.get") return json(it->second);
      if (method == "task.cancel") {
        ++cancels;
        it->second = sample_task(id, Status::cancelled);
        proto::CancelResult r;
        r.task = it->second;
        r.cancelled = true;
        return json(r);
      }
      if (method == "task.output") {
        proto::OutputResult o;
        o.task_id = id;
        o.output = "the output\n";
        o.next_offset = o.output_bytes = o.output.size();
        o.status = it->second.status;
        o.mode = "tail";
        return json(o);
      }
      if (method == "task.wait") {
        proto::WaitResult w;
        const auto wid = params["task_ids"][0].get<std::string>();
        auto found = by_id.find(wid);
        if (found == by_id.end())
          return RpcError{proto::error::kTaskNotFound, "no task " + wid, nullptr};
        w.tasks = {found->second};
        w.all_finished = proto::is_terminal(found->second.status);
        return json(w);
      }
      return RpcError{proto::error::kInternalError, "unexpected " + method, nullptr};
    };
  }
};

TEST(McpTaskMapping, StatusesMapHonestlyInEachEra) {
  struct Case {
    Status status;
    const char* legacy;
    const char* modern;
  };
  for (const auto& c : {Case{Status::working, "working", "working"},
                        Case{Status::completed, "completed", "completed"},
                        Case{Status::failed, "failed", "completed"},
                        Case{Status::cancelled, "cancelled", "cancelled"},
                        Case{Status::timed_out, "failed", "completed"},
                        Case{Status::interrupted, "failed", "completed"}}) {
    const auto t = sample_task("a", c.status);
    EXPECT_EQ(legacy_status(t), c.legacy) << proto::to_string(c.status);
    EXPECT_EQ(modern_status(t), c.modern) << proto::to_string(c.status);
  }
  EXPECT_NE(task_status_message(sample_task("a", Status::timed_out)).find("timed_out"),
            std::string::npos);
  EXPECT_NE(task_status_message(sample_task("a", Status::interrupted)).find("interrupted"),
            std::string::npos);
  auto w = sample_task("a");
  w.progress = proto::Progress{40.0, std::nullopt, std::nullopt, "linking"};
  EXPECT_EQ(task_status_message(w), "working: 40%: linking");
}

TEST(McpTaskMapping, TtlIsTheRetentionCountedFromTheEndAndPollIntervalIsGiven) {
  auto t = sample_task("a", Status::completed);  // created 10:30:00.123, finished 10:31:00.000
  const auto j = legacy_task(t, TaskTiming{1.0, 1500}, 0);
  EXPECT_EQ(j["ttl"], 59877 + 86400000);
  EXPECT_EQ(j["pollInterval"], 1500);
  EXPECT_EQ(j["lastUpdatedAt"], "2026-11-24T10:31:00.000Z");
  EXPECT_TRUE(legacy_task(t, TaskTiming{std::nullopt, 1000}, 0)["ttl"].is_null());
  const auto m = modern_task(t, TaskTiming{1.0, 1500}, 0);
  EXPECT_EQ(m["ttlMs"], 59877 + 86400000);
  EXPECT_EQ(m["pollIntervalMs"], 1500);
}

class McpTasks : public ::testing::Test {
 protected:
  // Declared first so it is destroyed last: the shim's threads may still call into it while
  // the harness shuts down.
  Tasks tasks;
  ShimHarness h;
  void SetUp() override { h.daemon.handler = tasks.handler(); }
};

TEST_F(McpTasks, InitializeAdvertisesTasksAndStartTaskSupportsThem) {
  ShimHarness fresh(false);
  fresh.server.handle_line(initialize_request(1, "2025-11-25"));
  const auto caps = fresh.sink.response(1)["result"]["capabilities"];
  EXPECT_TRUE(caps["tasks"]["requests"]["tools"].contains("call"));
  EXPECT_TRUE(caps["tasks"].contains("list"));
  EXPECT_TRUE(caps["tasks"].contains("cancel"));
  EXPECT_EQ(caps["resources"]["subscribe"], true);
  fresh.server.handle_line(request(2, "tools/list"));
  const json listed = fresh.sink.response(2);  // (a range-for over a temporary's part dangles)
  for (const auto& t : listed["result"]["tools"]) {
    const auto support = t.value("execution", json::object()).value("taskSupport", "forbidden");
    EXPECT_EQ(support, t["name"] == "start_task" ? "optional" : "forbidden") << t["name"];
  }
}

TEST_F(McpTasks, ATaskAugmentedStartAnswersACreateTaskResultAndPushesItsEnd) {
  h.server.handle_line(request(
      1, "tools/call",
      {{"name", "start_task"}, {"arguments", {{"command", "make"}}}, {"task", {{"ttl", 60000}}}}));
  const auto r = h.sink.response(1)["result"];
  EXPECT_EQ(r["task"]["taskId"], "new1");
  EXPECT_EQ(r["task"]["status"], "working");
  EXPECT_TRUE(r["task"]["ttl"].is_number());
  EXPECT_EQ(r["task"]["pollInterval"], 1000);
  EXPECT_TRUE(r["_meta"]["io.modelcontextprotocol/model-immediate-response"].is_string());
  ASSERT_TRUE(h.events.started()) << "the event stream is open before the task could end";

  auto ended = sample_task("new1", Status::timed_out);
  ended.timeout_seconds = 5;
  tasks.set(ended);
  h.events.push_task(ended);
  const auto n = h.sink.notification("notifications/tasks/status")["params"];
  EXPECT_EQ(n["taskId"], "new1");
  EXPECT_EQ(n["status"], "failed");
  EXPECT_NE(n["statusMessage"].get<std::string>().find("timed_out"), std::string::npos);
  // A repeat of the same state is not pushed again.
  h.events.push_task(ended);
  h.server.handle_line(request(2, "ping"));
  h.sink.response(2);
  EXPECT_EQ(h.sink.notifications("notifications/tasks/status").size(), 1u);
}

TEST_F(McpTasks, ProgressKeepsFlowingOnTheOriginalTokenAndOnlyIncreases) {
  h.server.handle_line(request(1, "tools/call",
                               {{"name", "start_task"},
                                {"arguments", {{"command", "make"}}},
                                {"task", json::object()},
                                {"_meta", {{"progressToken", "p-1"}}}}));
  h.sink.response(1);
  auto t = sample_task("new1");
  for (std::int64_t current : {10, 30, 20, 40}) {
    t.progress = proto::Progress{std::nullopt, current, 50, "step"};
    h.events.push_task(t);
  }
  h.sink.notification("notifications/progress", [](const json& p) { return p["progress"] == 40; });
  std::vector<double> seen;
  for (const auto& p : h.sink.notifications("notifications/progress")) {
    EXPECT_EQ(p["progressToken"], "p-1");
    EXPECT_EQ(p["total"], 50);
    EXPECT_EQ(p["_meta"]["io.modelcontextprotocol/related-task"]["taskId"], "new1");
    seen.push_back(p["progress"].get<double>());
  }
  EXPECT_EQ(seen, (std::vector<double>{10, 30, 40}));
  EXPECT_GE(h.events.followers("new1"), 1) << "output growth refreshes the progress";
}

TEST_F(McpTasks, AToolWithoutTaskSupportCalledAsATaskIsMethodNotFound) {
  h.server.handle_line(request(
      1, "tools/call",
      {{"name", "wait_task"}, {"arguments", {{"task_ids", {"a"}}}}, {"task", json::object()}}));
  EXPECT_EQ(h.sink.response(1)["error"]["code"], -32601);
}

TEST_F(McpTasks, TasksGetResultListAndCancelInTheLegacyEra) {
  tasks.set(sample_task("done", Status::completed));
  tasks.set(sample_task("busy"));
  h.server.handle_line(request(1, "tasks/get", {{"taskId", "done"}}));
  EXPECT_EQ(h.sink.response(1)["result"]["status"], "completed");
  h.server.handle_line(request(2, "tasks/result", {{"taskId", "done"}}));
  const auto r = h.sink.response(2)["result"];
  EXPECT_EQ(r["isError"], false);
  EXPECT_EQ(r["_meta"]["io.modelcontextprotocol/related-task"]["taskId"], "done");
  EXPECT_NE(r["content"][0]["text"].get<std::string>().find("the output"), std::string::npos);
  h.server.handle_line(request(3, "tasks/list"));
  EXPECT_EQ(h.sink.response(3)["result"]["tasks"].size(), 2u);
  h.server.handle_line(request(4, "tasks/cancel", {{"taskId", "busy"}}));
  EXPECT_EQ(h.sink.response(4)["result"]["status"], "cancelled");
  h.server.handle_line(request(5, "tasks/cancel", {{"taskId", "done"}}));
  const auto refused = h.sink.response(5);
  EXPECT_EQ(refused["error"]["code"], -32602);
  EXPECT_NE(refused["error"]["message"].get<std::string>().find("terminal"), std::string::npos);
  EXPECT_EQ(tasks.cancels, 1);
  for (const char* m : {"tasks/get", "tasks/result", "tasks/cancel"}) {
    h.server.handle_line(request(std::string("u-") + m, m, {{"taskId", "nosuch"}}));
    EXPECT_EQ(h.sink.response(std::string("u-") + m)["error"]["code"], -32602) << m;
  }
  h.server.handle_line(request(6, "tasks/get", json::object()));
  EXPECT_EQ(h.sink.response(6)["error"]["code"], -32602);
}

TEST_F(McpTasks, TasksResultBlocksUntilTheEnd) {
  tasks.set(sample_task("busy"));
  h.server.handle_line(request(1, "tasks/result", {{"taskId", "busy"}}));
  h.daemon.wait_for_calls(1);
  // The fake's wait answers at once with "not finished": the shim asks again until it is.
  tasks.set(sample_task("busy", Status::failed));
  const auto r = h.sink.response(1)["result"];
  EXPECT_EQ(r["isError"], true) << "a failed command is a tool error";
}

TEST_F(McpTasks, TasksResultWithItsOwnTokenHearsTheTasksProgressWhileItBlocks) {
  std::mutex m;
  std::condition_variable cv;
  bool release = false;
  auto t = sample_task("busy");
  t.progress = proto::Progress{60.0, std::nullopt, std::nullopt, "almost"};
  tasks.set(t);  // the watch's first look finds it
  auto inner = tasks.handler();
  h.daemon.handler = [&, inner](const std::string& method, const json& params,
                                CancelToken& cancel) -> CallOutcome {
    if (method == "task.wait") {
      std::unique_lock lock(m);
      cv.wait_for(lock, std::chrono::seconds(10), [&] { return release; });
    }
    return inner(method, params, cancel);
  };
  h.server.handle_line(
      request(1, "tasks/result", {{"taskId", "busy"}, {"_meta", {{"progressToken", 77}}}}));
  const auto p = h.sink.notification("notifications/progress")["params"];
  EXPECT_EQ(p["progressToken"], 77);
  EXPECT_EQ(p["progress"], 60);
  EXPECT_EQ(p["total"], 100);
  tasks.set(sample_task("busy", Status::completed));
  {
    std::lock_guard lock(m);
    release = true;
  }
  cv.notify_all();
  EXPECT_EQ(h.sink.response(1)["result"]["isError"], false);
}

TEST_F(McpTasks, TheExtensionAnswersAHandleThatTasksGetCanReadAtOnce) {
  h.server.handle_line(
      ext_request(1, "tools/call", {{"name", "start_task"}, {"arguments", {{"command", "make"}}}}));
  const auto r = h.sink.response(1)["result"];
  EXPECT_EQ(r["resultType"], "task");
  EXPECT_EQ(r["taskId"], "new1");
  EXPECT_EQ(r["status"], "working");
  EXPECT_TRUE(r.contains("ttlMs"));
  EXPECT_EQ(r["pollIntervalMs"], 1000);
  h.server.handle_line(ext_request(2, "tasks/get", {{"taskId", "new1"}}));
  EXPECT_EQ(h.sink.response(2)["result"]["status"], "working");
  tasks.set(sample_task("new1", Status::failed));
  h.server.handle_line(ext_request(3, "tasks/get", {{"taskId", "new1"}}));
  const auto done = h.sink.response(3)["result"];
  EXPECT_EQ(done["resultType"], "complete");
  EXPECT_EQ(done["status"], "completed") << "a failed command is a completed call";
  EXPECT_EQ(done["result"]["isError"], true);
  EXPECT_EQ(done["result"]["structuredContent"]["exit_code"], 2);
}

TEST_F(McpTasks, TheExtensionsErrorsAndAcks) {
  tasks.set(sample_task("busy"));
  h.server.handle_line(modern_request(1, "tasks/get", {{"taskId", "busy"}}));
  const auto missing = h.sink.response(1)["error"];
  EXPECT_EQ(missing["code"], -32021);
  EXPECT_TRUE(missing["data"]["requiredCapabilities"]["extensions"].contains(
      "io.modelcontextprotocol/tasks"));
  h.server.handle_line(ext_request(2, "tasks/get", {{"taskId", "nosuch"}}));
  EXPECT_EQ(h.sink.response(2)["error"]["code"], -32602);
  h.server.handle_line(
      ext_request(3, "tasks/update", {{"taskId", "busy"}, {"inputResponses", json::object()}}));
  EXPECT_EQ(h.sink.response(3)["result"]["resultType"], "complete");
  h.server.handle_line(ext_request(4, "tasks/update", {{"taskId", "busy"}}));
  EXPECT_EQ(h.sink.response(4)["error"]["code"], -32602);
  h.server.handle_line(ext_request(5, "tasks/cancel", {{"taskId", "busy"}}));
  EXPECT_EQ(h.sink.response(5)["result"]["resultType"], "complete");
  EXPECT_EQ(tasks.cancels, 1);
  h.server.handle_line(ext_request(6, "tasks/result", {{"taskId", "busy"}}));
  EXPECT_EQ(h.sink.response(6)["error"]["code"], -32601) << "not in the extension";
  // Without the extension a start is a plain tool call.
  h.server.handle_line(
      modern_request(7, "tools/call", {{"name", "start_task"}, {"arguments", {{"command", "x"}}}}));
  EXPECT_EQ(h.sink.response(7)["result"]["resultType"], "complete");
}

TEST_F(McpTasks, SubscriptionsListenAcknowledgesFirstThenPushesTasksAndResourceUpdates) {
  tasks.set(sample_task("busy"));
  const std::string uri = "backburner://tasks/busy/output";
  h.server.handle_line(ext_request(
      "sub", "subscriptions/listen",
      {{"notifications", {{"taskIds", {"busy", "nosuch"}}, {"resourceSubscriptions", {uri}}}}}));
  const auto ack = h.sink.notification("notifications/subscriptions/acknowledged")["params"];
  EXPECT_EQ(ack["_meta"]["io.modelcontextprotocol/subscriptionId"], "sub");
  EXPECT_EQ(ack["notifications"]["taskIds"], json({"busy"}));
  EXPECT_EQ(ack["notifications"]["resourceSubscriptions"], json({uri}));
  // The current state first, then each change.
  h.sink.notification("notifications/tasks",
                      [](const json& p) { return p["status"] == "working"; });
  h.events.push_output("busy", 100);
  h.sink.notification("notifications/resources/updated", [&](const json& p) {
    return p["uri"] == uri && p["_meta"]["io.modelcontextprotocol/subscriptionId"] == "sub";
  });
  tasks.set(sample_task("busy", Status::completed));
  h.events.push_task(sample_task("busy", Status::completed));
  const auto end = h.sink.notification(
      "notifications/tasks", [](const json& p) { return p["status"] == "completed"; })["params"];
  EXPECT_EQ(end["result"]["isError"], false);
  EXPECT_EQ(end["_meta"]["io.modelcontextprotocol/subscriptionId"], "sub");
  // Nothing of the subscription came before its acknowledgement.
  const auto msgs = h.sink.messages();
  std::size_t ack_at = msgs.size();
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    const auto method = msgs[i].value("method", "");
    if (method == "notifications/subscriptions/acknowledged") ack_at = std::min(ack_at, i);
    if (method == "notifications/tasks" || method == "notifications/resources/updated") {
      EXPECT_GT(i, ack_at);
    }
  }
  h.server.handle_line(
      R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"sub"}})");
  ASSERT_TRUE(h.server.wait_idle(std::chrono::seconds(10)));
  for (const auto& m : h.sink.messages()) EXPECT_NE(m.value("id", json()), "sub");
}

TEST_F(McpTasks, ResourcesListTemplatesReadAndLegacySubscribe) {
  tasks.set(sample_task("busy"));
  h.server.handle_line(request(1, "resources/list"));
  const auto list = h.sink.response(1)["result"]["resources"];
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["uri"], "backburner://tasks/busy/output");
  EXPECT_EQ(list[0]["mimeType"], "text/plain");
  h.server.handle_line(request(2, "resources/templates/list"));
  EXPECT_EQ(h.sink.response(2)["result"]["resourceTemplates"][0]["uriTemplate"],
            "backburner://tasks/{task_id}/output");
  h.server.handle_line(request(3, "resources/read", {{"uri", "backburner://tasks/busy/output"}}));
  const auto contents = h.sink.response(3)["result"]["contents"];
  EXPECT_NE(contents[0]["text"].get<std::string>().find("the output"), std::string::npos);
  h.server.handle_line(
      request(4, "resources/read", {{"uri", "backburner://tasks/busy/output?offset=3"}}));
  h.sink.response(4);
  EXPECT_EQ(h.daemon.calls().back().params["offset"], 3);
  h.server.handle_line(request(5, "resources/read", {{"uri", "backburner://tasks/nosuch/output"}}));
  EXPECT_EQ(h.sink.response(5)["error"]["code"], -32002);
  h.server.handle_line(
      modern_request(6, "resources/read", {{"uri", "backburner://tasks/nosuch/output"}}));
  EXPECT_EQ(h.sink.response(6)["error"]["code"], -32602) << "2026-07-28's code";
  h.server.handle_line(request(7, "resources/read", {{"uri", "file:///etc/passwd"}}));
  EXPECT_EQ(h.sink.response(7)["error"]["code"], -32602);

  h.server.handle_line(
      request(8, "resources/subscribe", {{"uri", "backburner://tasks/busy/output"}}));
  EXPECT_EQ(h.sink.response(8)["result"], json::object());
  h.events.push_output("busy", 50);
  EXPECT_EQ(h.sink.notification("notifications/resources/updated")["params"]["uri"],
            "backburner://tasks/busy/output");
  h.server.handle_line(
      request(9, "resources/unsubscribe", {{"uri", "backburner://tasks/busy/output"}}));
  h.sink.response(9);
  EXPECT_EQ(h.events.followers("busy"), 0);
}

TEST_F(McpTasks, WithoutADaemonEventStreamATaskIsStillCreated) {
  h.events.fail = true;
  h.server.handle_line(request(
      1, "tools/call",
      {{"name", "start_task"}, {"arguments", {{"command", "make"}}}, {"task", json::object()}}));
  EXPECT_EQ(h.sink.response(1)["result"]["task"]["taskId"], "new1");
}

}  // namespace
}  // namespace bb::shim::test
