// End to end: a daemon killed at the worst moment of a start, again and again, never leaves a
// live task marked interrupted (nor a task lost). The reproduction of a reported defect: kill -9
// the daemon 0-1.5 ms after a task.start, when the keeper may be spawned but not yet recorded
// anywhere, then start the next daemon. The keeper's inherited lock (keeper_files.h) is what
// keeps the next daemon from judging it gone.
#include <chrono>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "daemon_fixture.h"

namespace bb::test {
namespace {

using nlohmann::json;

std::string start_line(int id, const std::string& command, const json& env,
                       const std::string& cwd) {
  json req = {{"jsonrpc", "2.0"},
              {"id", id},
              {"method", "task.start"},
              {"params", {{"command", command}, {"cwd", cwd}, {"env", env}}}};
  return req.dump() + "\n";
}

TEST(DaemonCrashWindow, ADaemonKilledRightAfterAStartNeverLeavesALiveTaskInterrupted) {
  constexpr int kCycles = 300;
  DaemonFixture d;
  d.start();
  std::mt19937 rng(20261130);
  std::uniform_int_distribution<int> delay_us(0, 1500);
  const json env = d.task_env();
  const std::string cwd = d.home().string();
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    RpcClient c = d.client();
    // Short tasks end while no daemon watches; some run across the next daemon's reconcile.
    const std::string command = cycle % 3 == 0 ? "sleep 0.3; echo done" : "echo done";
    c.raw_exchange(start_line(cycle + 1, command, env, cwd), std::chrono::milliseconds(0));
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us(rng)));
    d.kill9();
    d.start();
  }

  // Every task the store knows: none may be left working, and none that ran to its end (its
  // output says so) may be called interrupted.
  json listed = d.call("task.list", {{"limit", 1000}});
  std::vector<std::string> ids;
  for (const auto& t : listed["tasks"]) ids.push_back(t["task_id"]);
  ASSERT_FALSE(ids.empty());
  json waited = d.call("task.wait", {{"task_ids", ids}, {"timeout_seconds", 60}});
  EXPECT_TRUE(waited["all_finished"]);
  int wrong = 0, interrupted = 0, completed = 0;
  for (const auto& t : waited["tasks"]) {
    const std::string status = t["status"];
    json out = d.call("task.output", {{"task_id", t["task_id"]}});
    const bool ran_to_the_end = out["output"] == "done\n";
    if (status == "interrupted") {
      ++interrupted;
      if (ran_to_the_end) {
        ++wrong;
        ADD_FAILURE() << "task " << t["task_id"] << " ran to its end but is interrupted: "
                      << t.value("status_message", "");
      }
    }
    if (status == "completed") {
      ++completed;
      EXPECT_TRUE(ran_to_the_end) << t["task_id"];
    }
    EXPECT_NE(status, "working") << t["task_id"];
  }
  RecordProperty("cycles", kCycles);
  RecordProperty("tasks", static_cast<int>(ids.size()));
  RecordProperty("completed", completed);
  RecordProperty("interrupted_before_running", interrupted);
  RecordProperty("wrongly_interrupted", wrong);
  EXPECT_EQ(wrong, 0);
}

}  // namespace
}  // namespace bb::test
