// End to end: bad input gets a JSON-RPC error, and the connection and the daemon keep working.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "daemon_fixture.h"
#include "task_commands.h"
#include "utf8_path.h"

namespace bb::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

class DaemonProtocol : public ::testing::Test {
 protected:
  void SetUp() override {
    d.start();
    c = d.client();
  }
  // Sends a raw line, returns the parsed response.
  json exchange(const std::string& line) {
    auto r = c.raw_exchange(line + "\n", std::chrono::seconds(20));
    if (auto* e = std::get_if<RpcError>(&r)) throw std::runtime_error(e->message);
    return json::parse(std::get<std::string>(r));
  }
  // The connection still answers a well-formed request.
  void expect_still_serving() {
    json r = exchange(R"({"jsonrpc":"2.0","id":99,"method":"daemon.info"})");
    EXPECT_EQ(r["id"], 99);
    EXPECT_TRUE(r.contains("result"));
  }
  DaemonFixture d;
  RpcClient c;
};

TEST_F(DaemonProtocol, MalformedJsonGetsAParseError) {
  json r = exchange("{not json");
  EXPECT_EQ(r["error"]["code"], -32700);
  EXPECT_TRUE(r["id"].is_null());
  expect_still_serving();
}

TEST_F(DaemonProtocol, ANonObjectGetsAnInvalidRequestError) {
  EXPECT_EQ(exchange("[1,2]")["error"]["code"], -32600);
  EXPECT_EQ(exchange(R"({"id":1,"method":"daemon.info"})")["error"]["code"], -32600);
  expect_still_serving();
}

TEST_F(DaemonProtocol, AnUnknownMethodGetsMethodNotFound) {
  json r = exchange(R"({"jsonrpc":"2.0","id":"a","method":"task.explode"})");
  EXPECT_EQ(r["id"], "a");
  EXPECT_EQ(r["error"]["code"], -32601);
  expect_still_serving();
}

TEST_F(DaemonProtocol, WrongTypedParamsGetInvalidParamsNamingTheField) {
  json r = exchange(R"({"jsonrpc":"2.0","id":1,"method":"task.start","params":{"command":5,"cwd":"/"}})");
  EXPECT_EQ(r["error"]["code"], -32602);
  EXPECT_THAT(r["error"]["message"].get<std::string>(), HasSubstr("command"));
  r = exchange(R"({"jsonrpc":"2.0","id":2,"method":"task.get","params":{}})");
  EXPECT_EQ(r["error"]["code"], -32602);
  r = exchange(R"({"jsonrpc":"2.0","id":3,"method":"task.get","params":[1]})");
  EXPECT_EQ(r["error"]["code"], -32602);
  expect_still_serving();
}

TEST_F(DaemonProtocol, ANonPositiveTimeoutIsRefused) {
  for (const char* t : {"0", "-1"}) {
    json r = exchange(std::string(R"({"jsonrpc":"2.0","id":1,"method":"task.start","params":{"command":"true","cwd":"/","timeout_seconds":)") + t + "}}");
    EXPECT_EQ(r["error"]["code"], -32602) << t;
    EXPECT_THAT(r["error"]["message"].get<std::string>(), HasSubstr("timeout_seconds"));
  }
}

TEST_F(DaemonProtocol, AMissingCwdGetsAClearError) {
  const json missing = {{"jsonrpc", "2.0"},
                        {"id", 1},
                        {"method", "task.start"},
                        {"params", {{"command", "true"}, {"cwd", path_utf8(d.home() / "no-such-dir")}}}};
  json r = exchange(missing.dump());
  EXPECT_EQ(r["error"]["code"], 1004);
  EXPECT_THAT(r["error"]["message"].get<std::string>(), HasSubstr("does not exist"));
  r = exchange(R"({"jsonrpc":"2.0","id":2,"method":"task.start","params":{"command":"true","cwd":"relative"}})");
  EXPECT_EQ(r["error"]["code"], 1004);
}

TEST_F(DaemonProtocol, AnUnknownTaskIdGetsTaskNotFound) {
  for (const char* m : {"task.get", "task.output", "task.cancel"}) {
    json r = exchange(std::string(R"({"jsonrpc":"2.0","id":1,"method":")") + m + R"(","params":{"task_id":"nosuchtask"}})");
    EXPECT_EQ(r["error"]["code"], 1003) << m;
    EXPECT_EQ(r["error"]["data"]["task_id"], "nosuchtask");
  }
  json r = exchange(R"({"jsonrpc":"2.0","id":1,"method":"task.wait","params":{"task_ids":["nosuchtask"]}})");
  EXPECT_EQ(r["error"]["code"], 1003);
}

TEST_F(DaemonProtocol, RequestsBeforeHelloAreRefused) {
  auto raw = RpcClient::connect(d.socket());
  RpcClient fresh = std::move(std::get<RpcClient>(raw));
  auto r = fresh.raw_exchange(R"({"jsonrpc":"2.0","id":1,"method":"task.list"})" "\n",
                              std::chrono::seconds(20));
  json j = json::parse(std::get<std::string>(r));
  EXPECT_EQ(j["error"]["code"], 1001);
}

TEST_F(DaemonProtocol, AnUnsupportedProtocolVersionIsRefusedListingTheSupportedOnes) {
  auto raw = RpcClient::connect(d.socket());
  RpcClient fresh = std::move(std::get<RpcClient>(raw));
  auto r = fresh.raw_exchange(
      R"({"jsonrpc":"2.0","id":1,"method":"hello","params":{"protocol_version":99,"client":{"name":"x","version":"1"}}})" "\n",
      std::chrono::seconds(20));
  json j = json::parse(std::get<std::string>(r));
  EXPECT_EQ(j["error"]["code"], 1002);
  EXPECT_EQ(j["error"]["data"]["supported"], json::array({1}));
}

TEST_F(DaemonProtocol, AnOversizedLineGetsAnErrorAndTheConnectionKeepsWorking) {
  std::string big = R"({"jsonrpc":"2.0","id":1,"method":"task.start","params":{"command":")" +
                    std::string(17 * 1024 * 1024, 'a') + R"(","cwd":"/"}})";
  json r = exchange(big);
  EXPECT_EQ(r["error"]["code"], -32600);
  EXPECT_EQ(r["error"]["data"]["kind"], "request_too_large");
  expect_still_serving();
}

TEST_F(DaemonProtocol, AOneMebibyteCommandGetsAClearErrorNotACrash) {
  json p = {{"command", std::string(1024 * 1024, 'x')}, {"cwd", "/"}};
  auto r = c.call("task.start", p, std::chrono::seconds(20));
  ASSERT_TRUE(std::holds_alternative<RpcError>(r));
  EXPECT_EQ(std::get<RpcError>(r).code, -32602);
  EXPECT_THAT(std::get<RpcError>(r).message, HasSubstr("command"));
  expect_still_serving();
}

TEST_F(DaemonProtocol, AbsurdlyDeepNestingGetsAParseErrorNotACrash) {
  std::string deep = R"({"jsonrpc":"2.0","id":5,"method":"task.get","params":{"x":)" +
                     std::string(100000, '[') + std::string(100000, ']') + "}}";
  json r = exchange(deep);
  EXPECT_EQ(r["error"]["code"], -32700);
  expect_still_serving();
}

TEST_F(DaemonProtocol, AClientThatNeverReadsItsRepliesDoesNotStallOthers) {
  json t = d.start_task(cmd::print_bytes(2000000));
  d.wait_task(t["task_id"]);
  // Pipeline many large reads and never read a byte of the answers.
  auto raw = RpcClient::connect(d.socket());
  RpcClient greedy = std::move(std::get<RpcClient>(raw));
  greedy.raw_exchange(R"({"jsonrpc":"2.0","id":0,"method":"hello","params":{"protocol_version":1,"client":{"name":"greedy","version":"1"}}})" "\n",
                      std::chrono::seconds(20));
  std::string burst;
  for (int i = 1; i <= 200; ++i)
    burst += R"({"jsonrpc":"2.0","id":)" + std::to_string(i) +
             R"(,"method":"task.output","params":{"task_id":")" + t["task_id"].get<std::string>() +
             R"(","offset":0,"max_bytes":2097152}})" "\n";
  // Written whole (it fits the socket's buffer); at most one answer line is read back.
  greedy.raw_exchange(burst, std::chrono::milliseconds(1));
  // Another client is still served promptly, well within this generous bound.
  RpcClient other = d.client();
  auto r = other.call("daemon.info", json::object(), std::chrono::seconds(20));
  ASSERT_TRUE(std::holds_alternative<json>(r)) << std::get<RpcError>(r).message;
}

TEST_F(DaemonProtocol, ANotificationGetsNoAnswer) {
  // No id: no response. The next request's answer is the next line on the wire.
  auto r = c.raw_exchange(R"({"jsonrpc":"2.0","method":"daemon.info"})" "\n"
                          R"({"jsonrpc":"2.0","id":7,"method":"daemon.info"})" "\n",
                          std::chrono::seconds(20));
  EXPECT_EQ(json::parse(std::get<std::string>(r))["id"], 7);
}

}  // namespace
}  // namespace bb::test
