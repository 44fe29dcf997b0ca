// The daemon's event stream, end to end: subscribers cost an idle daemon nothing.
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

TEST(DaemonEvents, TenOpenSubscriptionsAndNoRunningTaskWakeTheDaemonZeroTimesInTenSeconds) {
  DaemonFixture d;
  d.start();
  const auto started = std::chrono::steady_clock::now();
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
  // Known, not yet fixed: Asio leaves its timerfd armed when a timer is cancelled, so the
  // start's readiness bound (10 s) still wakes the daemon once, 10 s after the start. This
  // measures the idle state after that.
  std::this_thread::sleep_until(started + std::chrono::milliseconds(10500));
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

}  // namespace
}  // namespace bb::test
