// End to end: the command policy, from the daemon's environment and the client's hello.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

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

TEST(DaemonPolicy, AnInvalidClientPatternIsRefusedAtHello) {
  DaemonFixture d;
  d.start();
  EXPECT_THROW(d.client(proto::Policy{{}, {"(unclosed"}}), std::runtime_error);
}

TEST(DaemonPolicy, AnInvalidDaemonPatternStopsTheDaemonFromStarting) {
  DaemonFixture d(DaemonEnv{{"BACKBURNER_DENY", "(unclosed"}});
  std::string err;
  EXPECT_EQ(d.run_daemon_expecting_exit({"--foreground"}, std::chrono::seconds(20), &err), 1);
  EXPECT_THAT(err, HasSubstr("(unclosed"));
}

TEST(DaemonPolicy, APathologicalPatternOnAHugeCommandNeitherCrashesNorStalls) {
  DaemonFixture d(DaemonEnv{{"BACKBURNER_DENY", "(a|aa)+b"}});
  d.start();
  RpcClient c = d.client();
  auto r = start(d, c, "echo " + std::string(100 * 1024, 'a'));
  ASSERT_TRUE(std::holds_alternative<RpcError>(r));  // too complex to evaluate: refused
  EXPECT_EQ(std::get<RpcError>(r).code, 1005);
  EXPECT_THAT(std::get<RpcError>(r).message, HasSubstr("too complex"));
  EXPECT_TRUE(std::holds_alternative<json>(c.call("daemon.info", json::object(), std::chrono::seconds(20))));
}

}  // namespace
}  // namespace bb::test
