// An idle daemon sleeps: open subscriptions cost it nothing, and once its tasks are over nothing
// is left to wake it (no timer armed: Linux's /proc shows the daemon's wake-ups and timers).
#include <gtest/gtest.h>
#include <thread>

#include <time.h>

#include <filesystem>
#include <fstream>

#include "daemon_fixture.h"

namespace bb::test {
namespace {

using nlohmann::json;

// Context switches of every thread of a process: a process blocked in epoll_wait has none.
std::uint64_t context_switches(std::int64_t pid) {
  std::uint64_t total = 0;
  for (const auto& t :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task")) {
    std::ifstream f(t.path() / "status");
    std::string line;
    while (std::getline(f, line))
      if (line.rfind("voluntary_ctxt_switches:", 0) == 0 ||
          line.rfind("nonvoluntary_ctxt_switches:", 0) == 0)
        total += std::stoull(line.substr(line.find(':') + 1));
  }
  return total;
}

// How many of a process's timerfds are armed (their fdinfo's it_value is not zero).
int armed_timerfds(std::int64_t pid) {
  const std::string proc = "/proc/" + std::to_string(pid);
  int armed = 0;
  for (const auto& e : std::filesystem::directory_iterator(proc + "/fd")) {
    std::error_code ec;
    const auto target = std::filesystem::read_symlink(e.path(), ec);
    if (ec || target.string() != "anon_inode:[timerfd]") continue;
    std::ifstream info(proc + "/fdinfo/" + e.path().filename().string());
    std::string line;
    while (std::getline(info, line))
      if (line.rfind("it_value:", 0) == 0 && line.find("(0, 0)") == std::string::npos) ++armed;
  }
  return armed;
}

TEST(DaemonIdle, TenOpenSubscriptionsAndNoRunningTaskWakeTheDaemonZeroTimesInTenSeconds) {
  DaemonFixture d;
  d.start();
  const json done = d.wait_task(d.start_task("echo finished")["task_id"]);
  ASSERT_EQ(done["status"], "completed");
  std::vector<RpcClient> subscribers;
  for (int i = 0; i < 10; ++i) {
    RpcClient c = d.client();
    // Every task's changes, and the output of a (finished) task by name, as the MCP shim asks.
    auto r = c.call("events.subscribe",
                    {{"all", true}, {"task_ids", {done["task_id"]}}, {"output", true}},
                    std::chrono::seconds(10));
    ASSERT_TRUE(std::holds_alternative<json>(r));
    subscribers.push_back(std::move(c));
  }
  // Let the daemon finish what the set-up gave it (on a loaded machine, closing the set-up's
  // connections can come late): idle means no switch for half a second, looked for up to 10 s.
  // The start's readiness bound (10 s, cancelled when the keeper reported) must not wake it.
  std::uint64_t before = context_switches(d.pid());
  for (int i = 0; i < 20; ++i) {
    struct timespec half {
      0, 500'000'000
    };
    nanosleep(&half, nullptr);
    const std::uint64_t now = context_switches(d.pid());
    if (now == before) break;
    before = now;
  }
  struct timespec idle {
    10, 0
  };
  nanosleep(&idle, nullptr);
  const std::uint64_t after = context_switches(d.pid());
  std::printf(
      "[ figure ] daemon wake-ups in 10 s with 10 subscriptions and no running task: %llu\n",
      static_cast<unsigned long long>(after - before));
  EXPECT_EQ(after, before) << "the daemon woke up while idle";
  // The subscriptions still work: a new task's start reaches every subscriber.
  d.start_task("true");
  for (auto& c : subscribers) {
    auto n = c.next_notification(std::chrono::seconds(10));
    ASSERT_TRUE(std::holds_alternative<json>(n));
    EXPECT_EQ(std::get<json>(n)["params"]["kind"], "task");
  }
}

// Every timer the daemon arms on the way (a start's readiness bound, a cancel's answer bound, a
// wait's timeout, the output window of a followed task) is
// disarmed once it has fired or been cancelled: with Asio's timers, the reactor's timerfd stayed
// set after a cancel and was set again for every five minutes after a fire.
TEST(DaemonIdle, ADaemonWhoseTasksAreOverHasNoTimerLeftToWakeIt) {
  DaemonFixture d;
  d.start();
  RpcClient follower = d.client();
  const json writer = d.start_task("for i in 1 2 3 4 5; do echo line $i; sleep 0.05; done");
  auto sub = follower.call("events.subscribe",
                           {{"task_ids", {writer["task_id"]}}, {"output", true}},
                           std::chrono::seconds(10));
  ASSERT_TRUE(std::holds_alternative<json>(sub));
  const json sleeper = d.start_task("sleep 60");
  // A wait that times out, then a cancel (its answer is bounded by a timer too).
  const json waited = d.call("task.wait", {{"task_ids", {sleeper["task_id"]}},
                                           {"timeout_seconds", 0.2}});
  EXPECT_EQ(waited["timed_out"], true) << waited.dump();
  d.call("task.cancel", {{"task_id", sleeper["task_id"]}});
  EXPECT_EQ(d.wait_task(writer["task_id"])["status"], "completed");
  EXPECT_EQ(d.wait_task(sleeper["task_id"])["status"], "cancelled");
  // Output events came through the followed task's window.
  auto n = follower.next_notification(std::chrono::seconds(10));
  ASSERT_TRUE(std::holds_alternative<json>(n));
  // Armed timers show at once; give the daemon up to 10 s to get through what is queued.
  int armed = -1;
  EXPECT_TRUE(eventually([&] { return (armed = armed_timerfds(d.pid())) == 0; },
                         std::chrono::seconds(10)))
      << armed << " timer(s) of the daemon still armed with nothing to do";
}

}  // namespace
}  // namespace bb::test
