// End to end: the command policy, from the daemon's environment and the client's hello.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <thread>

#include "daemon_fixture.h"

namespace bb::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

CallOutcome start(DaemonFixture& d, RpcClient& c, const std::string& command) {
  json p = {{"command", command}, {"cwd", d.home().string()}, {"env", d.task_env()}};
  return c.call("task.start", p, std::chrono::seconds(20));
}

TEST(DaemonPolicy, TheDaemonsDenyListRefusesMatchingCommandsNamingTheRule) {
  DaemonFixture d(DaemonEnv{{"BACKBURNER_DENY", "rm -rf,SHUTDOWN"}});
  d.start();
  RpcClient c = d.client();
  auto r = start(d, c, "echo hi && shutdown -h now");  // case-insensitive, anywhere
  ASSERT_TRUE(std::holds_alternative<RpcError>(r));
  const RpcError& e = std::get<RpcError>(r);
  EXPECT_EQ(e.code, 1005);
  EXPECT_THAT(e.message, HasSubstr("SHUTDOWN"));
  EXPECT_EQ(e.data["source"], "daemon");
  EXPECT_EQ(e.data["list"], "deny");
  EXPECT_TRUE(std::holds_alternative<json>(start(d, c, "echo fine")));
}

TEST(DaemonPolicy, AnAllowListAdmitsOnlyMatchingCommands) {
  DaemonFixture d(DaemonEnv{{"BACKBURNER_ALLOW", "^echo ,^true$"}});
  d.start();
  RpcClient c = d.client();
  EXPECT_TRUE(std::holds_alternative<json>(start(d, c, "echo ok")));
  auto r = start(d, c, "ls /");
  ASSERT_TRUE(std::holds_alternative<RpcError>(r));
  EXPECT_EQ(std::get<RpcError>(r).data["list"], "allow");
  EXPECT_THAT(std::get<RpcError>(r).message, HasSubstr("none of the allow patterns"));
}

TEST(DaemonPolicy, DenyWinsOverAllow) {
  DaemonFixture d(DaemonEnv{{"BACKBURNER_ALLOW", "^echo"}, {"BACKBURNER_DENY", "secret"}});
  d.start();
  RpcClient c = d.client();
  auto r = start(d, c, "echo secret");
  ASSERT_TRUE(std::holds_alternative<RpcError>(r));
  EXPECT_EQ(std::get<RpcError>(r).data["list"], "deny");
}

TEST(DaemonPolicy, TheClientsPolicyAppliesOnTopOfTheDaemons) {
  DaemonFixture d(DaemonEnv{{"BACKBURNER_DENY", "daemon-says-no"}});
  d.start();
  RpcClient c = d.client(proto::Policy{{"^echo"}, {"client-says-no"}});
  auto by_client = start(d, c, "echo client-says-no");
  ASSERT_TRUE(std::holds_alternative<RpcError>(by_client));
  EXPECT_EQ(std::get<RpcError>(by_client).data["source"], "client");
  auto by_daemon = start(d, c, "echo daemon-says-no");
  ASSERT_TRUE(std::holds_alternative<RpcError>(by_daemon));
  EXPECT_EQ(std::get<RpcError>(by_daemon).data["source"], "daemon");
  auto not_allowed = start(d, c, "true");
  ASSERT_TRUE(std::holds_alternative<RpcError>(not_allowed));
  EXPECT_EQ(std::get<RpcError>(not_allowed).data["list"], "allow");
  EXPECT_TRUE(std::holds_alternative<json>(start(d, c, "echo fine")));
  // Another client without a policy is bound only by the daemon's.
  RpcClient other = d.client();
  EXPECT_TRUE(std::holds_alternative<json>(start(d, other, "true")));
}

// The error a hello with this policy gets.
RpcError hello_error(DaemonFixture& d, const proto::Policy& policy) {
  auto c = RpcClient::connect(d.socket().string());
  if (auto* msg = std::get_if<std::string>(&c)) throw std::runtime_error(*msg);
  proto::HelloParams hello;
  hello.client = {"policy-test", "1"};
  hello.policy = policy;
  auto h = std::get<RpcClient>(c).hello(hello);
  if (!std::holds_alternative<RpcError>(h)) throw std::runtime_error("hello was accepted");
  return std::get<RpcError>(h);
}

TEST(DaemonPolicy, AnInvalidClientPatternIsRefusedAtHello) {
  DaemonFixture d;
  d.start();
  EXPECT_THROW(d.client(proto::Policy{{}, {"(unclosed"}}), std::runtime_error);
  const RpcError lookahead = hello_error(d, proto::Policy{{"^make(?! install)"}, {}});
  EXPECT_EQ(lookahead.code, -32602);
  EXPECT_THAT(lookahead.message, HasSubstr("\"^make(?! install)\""));
  EXPECT_THAT(lookahead.message, HasSubstr("no lookaround"));
  EXPECT_EQ(lookahead.data["field"], "policy");
}

TEST(DaemonPolicy, APolicyBeyondTheBoundsIsRefusedAtHelloNamingTheField) {
  DaemonFixture d;
  d.start();
  const std::vector<std::string> too_many(proto::kMaxPolicyPatterns + 1, "x");
  const RpcError many = hello_error(d, proto::Policy{too_many, {}});
  EXPECT_EQ(many.code, -32602);
  EXPECT_EQ(many.message, "policy.allow may hold at most 64 patterns, got 65");
  const RpcError large = hello_error(d, proto::Policy{{}, {"\\pL+ \\pN+"}});
  EXPECT_EQ(large.code, -32602);
  EXPECT_THAT(large.message, HasSubstr("too large to match quickly"));
}

TEST(DaemonPolicy, AnInvalidDaemonPatternStopsTheDaemonFromStarting) {
  DaemonFixture d(DaemonEnv{{"BACKBURNER_DENY", "(unclosed"}});
  std::string err;
  EXPECT_EQ(d.run_daemon_expecting_exit({"--foreground"}, std::chrono::seconds(20), &err), 1);
  EXPECT_THAT(err, HasSubstr("(unclosed"));
}

TEST(DaemonPolicy, APatternThatWouldBacktrackIsDecidedOnAHugeCommand) {
  DaemonFixture d(DaemonEnv{{"BACKBURNER_DENY", "(a|aa)+b"}});
  d.start();
  RpcClient c = d.client();
  const std::string many_as = std::string(100 * 1024, 'a');
  auto denied = start(d, c, "echo " + many_as + "b");
  ASSERT_TRUE(std::holds_alternative<RpcError>(denied));
  EXPECT_EQ(std::get<RpcError>(denied).code, 1005);
  EXPECT_EQ(std::get<RpcError>(denied).data["rule"], "(a|aa)+b");
  auto allowed = start(d, c, "echo " + many_as + " > /dev/null");
  ASSERT_TRUE(std::holds_alternative<json>(allowed)) << std::get<RpcError>(allowed).message;
  d.wait_task(std::get<json>(allowed)["task_id"]);
}

// The adversarial run: one client declares patterns built to backtrack and sends the longest
// commands the protocol allows, again and again; with Boost.Regex each start took 25 s and
// every other client waited. Another client's task.get must keep being answered. The bound is
// generous (the machine may be busy); the latencies go to the test report.
// Two kinds of worst policy: patterns that would backtrack (harmless to RE2), and patterns that
// defeat RE2's DFA so that each check of a 128 KiB command takes seconds. The daemon checks a
// client's policy on a worker thread, so either costs only the client that declared it.
class DaemonHostilePolicy : public ::testing::TestWithParam<int> {};

TEST_P(DaemonHostilePolicy, AClientWithAHostilePolicyDoesNotStallTheOthers) {
  DaemonFixture d;
  d.start();
  proto::Policy hostile;
  std::string command;
  if (GetParam() == 0) {
    for (char x : std::string("cdefghi")) {
      hostile.allow.push_back(std::string("(a+)+") + x + "$");
      hostile.allow.push_back(std::string("(a|aa)+") + x + "$");
      hostile.allow.push_back(std::string("(.*a){") + (x < 'f' ? "20}" : "3}") + x);
    }
    command = "echo " + std::string(proto::kMaxCommandBytes - 6, 'a') + "!";
  } else {
    for (int i = 0; i < 45; ++i)
      (i % 2 ? hostile.allow : hostile.deny).push_back("[ab]*a[ab]{" + std::to_string(12 + i % 8) + "}z");
    // Random a/b: the DFA would have to remember the last bytes, so its cache thrashes.
    command = std::string(proto::kMaxCommandBytes, 'a');
    std::mt19937 rng(1);
    for (char& ch : command) ch = (rng() & 1) ? 'a' : 'b';
  }
  RpcClient attacker = d.client(hostile);
  RpcClient bystander = d.client();
  const std::string id = d.start_task("true")["task_id"];

  std::atomic<bool> stop{false};
  std::atomic<int> refused{0};
  std::string attacker_error;
  std::thread attack([&] {
    const json p = {{"command", command}, {"cwd", d.home().string()}, {"env", d.task_env()}};
    while (!stop) {
      auto r = attacker.call("task.start", p, std::chrono::seconds(60));
      auto* e = std::get_if<RpcError>(&r);
      if (e == nullptr || e->code != 1005) {
        attacker_error = e ? e->message : "a hostile start was not refused";
        return;
      }
      ++refused;
    }
  });

  std::vector<double> ms;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (std::chrono::steady_clock::now() < until) {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = bystander.call("task.get", {{"task_id", id}}, std::chrono::seconds(5));
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                     .count());
    if (!std::holds_alternative<json>(r)) {
      ADD_FAILURE() << "task.get not answered within 5 s: " << std::get<RpcError>(r).message;
      break;
    }
  }
  stop = true;
  attack.join();
  EXPECT_EQ(attacker_error, "");
  EXPECT_GT(refused.load(), 0);
  std::sort(ms.begin(), ms.end());
  ASSERT_FALSE(ms.empty());
  RecordProperty("hostile_starts_refused", std::to_string(refused.load()));
  RecordProperty("bystander_requests", std::to_string(ms.size()));
  RecordProperty("bystander_median_ms", std::to_string(ms[ms.size() / 2]));
  RecordProperty("bystander_p90_ms", std::to_string(ms[ms.size() * 9 / 10]));
  RecordProperty("bystander_max_ms", std::to_string(ms.back()));
}

INSTANTIATE_TEST_SUITE_P(BacktrackingAndDfaDefeating, DaemonHostilePolicy, ::testing::Values(0, 1));

}  // namespace
}  // namespace bb::test
