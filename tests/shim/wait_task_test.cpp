// wait_task's slices, progress notifications and cancellation, against a fake daemon. Slices
// are made short so nothing here depends on how fast the machine is.
#include <gtest/gtest.h>

#include <atomic>

#include "shim_test_support.h"

namespace bb::shim::test {
namespace {

using proto::Status;
using std::chrono::milliseconds;

// A daemon whose task.wait reports "still working" for the first `slices_working` slices.
FakeDaemon::Handler wait_that_finishes_after(int slices_working) {
  auto seen = std::make_shared<std::atomic<int>>(0);
  return [seen, slices_working](const std::string& method, const json& params,
                                CancelToken&) -> CallOutcome {
    if (method != "task.wait") return RpcError{proto::error::kInternalError, "unexpected", nullptr};
    proto::WaitResult w;
    const bool done = ++*seen > slices_working;
    for (const auto& id : params["task_ids"]) {
      w.tasks.push_back(
          sample_task(id.get<std::string>(), done ? Status::completed : Status::working));
    }
    w.all_finished = done;
    w.timed_out = !done;
    return json(w);
  };
}

std::string wait_request(const json& id, const json& args, const json& progress_token = nullptr) {
  json params = {{"name", "wait_task"}, {"arguments", args}};
  if (!progress_token.is_null()) params["_meta"] = {{"progressToken", progress_token}};
  return request(id, "tools/call", params);
}

TEST(WaitTask, WithoutAProgressTokenOneDaemonWaitCoversTheWholeBudget) {
  ShimHarness h(true, milliseconds(2000));
  h.daemon.handler = wait_that_finishes_after(100);
  h.server.handle_line(wait_request(1, {{"task_ids", {"a"}}, {"timeout_seconds", 7}}));
  const auto r = h.sink.response(1)["result"]["structuredContent"];
  ASSERT_EQ(h.daemon.calls().size(), 1u);
  EXPECT_EQ(h.daemon.calls()[0].params["timeout_seconds"], 7);
  EXPECT_EQ(r["wait_expired"], true);
}

TEST(WaitTask, WithAProgressTokenALongWaitIsCutIntoSlicesOfTheConfiguredLength) {
  ShimHarness h(true, milliseconds(2000));
  h.daemon.handler = wait_that_finishes_after(100);
  h.server.handle_line(wait_request(1, {{"task_ids", {"a"}}, {"timeout_seconds", 7}}, "tok"));
  const auto r = h.sink.response(1)["result"]["structuredContent"];
  const auto calls = h.daemon.calls();
  ASSERT_EQ(calls.size(), 4u);
  EXPECT_EQ(calls[0].params["timeout_seconds"], 2);
  EXPECT_EQ(calls[2].params["timeout_seconds"], 2);
  EXPECT_EQ(calls[3].params["timeout_seconds"], 1);
  EXPECT_EQ(r["wait_expired"], true);
  EXPECT_EQ(r["all_finished"], false);
  EXPECT_NE(r["message"].get<std::string>().find("Still working"), std::string::npos);
  EXPECT_NE(r["message"].get<std::string>().find("wait_task again"), std::string::npos);
}

TEST(WaitTask, TheDefaultWaitIsThirtySeconds) {
  ShimHarness h(true, milliseconds(60000));
  h.daemon.handler = wait_that_finishes_after(0);
  h.server.handle_line(wait_request(1, {{"task_ids", {"a"}}}));
  h.sink.response(1);
  EXPECT_EQ(h.daemon.calls().at(0).params["timeout_seconds"], 30);
}

TEST(WaitTask, AZeroTimeoutAsksOnceWithoutWaiting) {
  ShimHarness h(true, milliseconds(5000));
  h.daemon.handler = wait_that_finishes_after(100);
  h.server.handle_line(wait_request(1, {{"task_ids", {"a"}}, {"timeout_seconds", 0}}));
  EXPECT_EQ(h.sink.response(1)["result"]["structuredContent"]["wait_expired"], true);
  ASSERT_EQ(h.daemon.calls().size(), 1u);
  EXPECT_EQ(h.daemon.calls()[0].params["timeout_seconds"], 0);
}

TEST(WaitTask, ProgressIsNotifiedBetweenSlicesWhenTheRequestHasAProgressToken) {
  ShimHarness h(true, milliseconds(1000));
  h.daemon.handler = wait_that_finishes_after(3);
  h.server.handle_line(
      wait_request(1, {{"task_ids", {"a", "b"}}, {"timeout_seconds", 30}}, "tok-1"));
  const auto response = h.sink.response(1);
  EXPECT_EQ(response["result"]["structuredContent"]["all_finished"], true);

  std::vector<json> progress;
  for (const auto& m : h.sink.messages()) {
    if (m.value("method", "") == "notifications/progress") progress.push_back(m["params"]);
  }
  ASSERT_EQ(progress.size(), 3u);
  double last = 0;
  for (const auto& p : progress) {
    EXPECT_EQ(p["progressToken"], "tok-1");
    EXPECT_GT(p["progress"].get<double>(), last) << "progress must increase";
    last = p["progress"].get<double>();
    EXPECT_EQ(p["total"], 30);
    EXPECT_NE(p["message"].get<std::string>().find("2 of 2"), std::string::npos);
  }
  // Every notification precedes the response.
  const auto lines = h.sink.messages();
  EXPECT_EQ(lines.back()["id"], 1);
}

TEST(WaitTask, ProgressCarriesTheTasksOwnProgressAndNeverGoesBack) {
  ShimHarness h(true, milliseconds(1000));
  auto n = std::make_shared<std::atomic<int>>(0);
  // The task's own progress: 10/50, 30/50, then a new phase at 5/50, then done.
  h.daemon.handler = [n](const std::string&, const json& params, CancelToken&) -> CallOutcome {
    const int slice = ++*n;
    proto::WaitResult w;
    auto t = sample_task(params["task_ids"][0].get<std::string>(),
                         slice >= 4 ? Status::completed : Status::working);
    const std::int64_t current[] = {10, 30, 5};
    if (slice < 4) t.progress = proto::Progress{std::nullopt, current[slice - 1], 50, "step"};
    w.tasks = {t};
    w.all_finished = slice >= 4;
    return json(w);
  };
  h.server.handle_line(wait_request(1, {{"task_ids", {"a"}}, {"timeout_seconds", 30}}, 1.5));
  h.sink.response(1);
  const auto progress = h.sink.notifications("notifications/progress");
  ASSERT_EQ(progress.size(), 3u);
  EXPECT_EQ(progress[0]["progressToken"], 1.5) << "any number is a token";
  EXPECT_EQ(progress[0]["progress"], 10);
  EXPECT_EQ(progress[0]["total"], 50);
  EXPECT_EQ(progress[1]["progress"], 30);
  EXPECT_GT(progress[2]["progress"].get<double>(), 30) << "progress never decreases";
  EXPECT_LT(progress[2]["progress"].get<double>(), 30.01);
}

TEST(WaitTask, NoProgressIsSentWithoutAProgressToken) {
  ShimHarness h(true, milliseconds(1000));
  h.daemon.handler = wait_that_finishes_after(3);
  h.server.handle_line(wait_request(1, {{"task_ids", {"a"}}, {"timeout_seconds", 30}}));
  h.sink.response(1);
  for (const auto& m : h.sink.messages()) EXPECT_FALSE(m.contains("method")) << m.dump();
}

TEST(WaitTask, ACancelledWaitStopsAndSendsNoResponse) {
  ShimHarness h(true, milliseconds(5000));
  h.daemon.handler = [](const std::string&, const json&, CancelToken& cancel) {
    return block_until_cancelled(cancel);
  };
  h.server.handle_line(wait_request("w", {{"task_ids", {"a"}}, {"timeout_seconds", 300}}, 9));
  h.daemon.wait_for_calls(1);
  h.server.handle_line(
      R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"w","reason":"user"}})");
  ASSERT_TRUE(h.server.wait_idle(milliseconds(10000))) << "the wait did not stop";
  EXPECT_EQ(h.daemon.calls().size(), 1u) << "no further slice after the cancel";
  // The shim goes on answering, and never answers the cancelled call.
  h.server.handle_line(request("after", "ping"));
  h.sink.response("after");
  for (const auto& m : h.sink.messages()) EXPECT_NE(m.value("id", json()), "w") << m.dump();
}

TEST(WaitTask, OtherRequestsAreAnsweredWhileAWaitIsInFlight) {
  ShimHarness h(true, milliseconds(5000));
  h.daemon.handler = [](const std::string& method, const json&,
                        CancelToken& cancel) -> CallOutcome {
    if (method == "task.wait") return block_until_cancelled(cancel);
    return json(sample_task("s"));
  };
  h.server.handle_line(wait_request("w", {{"task_ids", {"a"}}}));
  h.daemon.wait_for_calls(1);
  h.server.handle_line(request("p", "ping"));
  EXPECT_EQ(h.sink.response("p")["result"], json::object());
  h.server.handle_line(
      request("s", "tools/call", {{"name", "task_status"}, {"arguments", {{"task_id", "s"}}}}));
  EXPECT_EQ(h.sink.response("s")["result"]["structuredContent"]["task_id"], "s");
  h.server.cancel_all();
  EXPECT_TRUE(h.server.wait_idle(milliseconds(10000)));
}

TEST(WaitTask, CancellingEverythingAtEndOfInputDropsEveryPendingResponse) {
  ShimHarness h(true, milliseconds(5000));
  h.daemon.handler = [](const std::string&, const json&, CancelToken& cancel) {
    return block_until_cancelled(cancel);
  };
  h.server.handle_line(wait_request(1, {{"task_ids", {"a"}}}));
  h.server.handle_line(wait_request(2, {{"task_ids", {"b"}}}));
  h.daemon.wait_for_calls(2);
  const auto before = h.sink.lines().size();
  h.server.cancel_all();
  ASSERT_TRUE(h.server.wait_idle(milliseconds(10000)));
  EXPECT_EQ(h.sink.lines().size(), before);
}

TEST(WaitTask, ACancelForAFinishedCallIsIgnored) {
  ShimHarness h(true, milliseconds(5000));
  h.daemon.handler = wait_that_finishes_after(0);
  h.server.handle_line(wait_request(1, {{"task_ids", {"a"}}}));
  h.sink.response(1);
  h.server.handle_line(
      R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}})");
  h.server.handle_line(request(2, "ping"));
  EXPECT_TRUE(h.sink.response(2).contains("result"));
}

TEST(WaitTask, AnErrorFromTheDaemonMidWaitIsAnIsErrorResult) {
  ShimHarness h(true, milliseconds(1000));
  auto n = std::make_shared<std::atomic<int>>(0);
  auto working = wait_that_finishes_after(100);
  h.daemon.handler = [n, working](const std::string& m, const json& p,
                                  CancelToken& c) -> CallOutcome {
    if (++*n == 2) return RpcError{proto::error::kTaskNotFound, "no task with id \"a\"", nullptr};
    return working(m, p, c);
  };
  h.server.handle_line(wait_request(1, {{"task_ids", {"a"}}, {"timeout_seconds", 10}}, "t"));
  const auto r = h.sink.response(1)["result"];
  EXPECT_EQ(r["isError"], true);
  EXPECT_NE(r["content"][0]["text"].get<std::string>().find("list_tasks"), std::string::npos);
}

}  // namespace
}  // namespace bb::shim::test
