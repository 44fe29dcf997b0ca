// The MCP layer without a daemon: era negotiation, envelope validation, JSON-RPC errors.
#include <gtest/gtest.h>

#include "shim_test_support.h"

namespace bb::shim::test {
namespace {

class Protocol : public ::testing::Test {
 protected:
  ShimHarness h{/*initialize=*/false};

  json send(const std::string& line, const json& id) {
    h.server.handle_line(line);
    return h.sink.response(id);
  }
};

TEST_F(Protocol, EachSupportedLegacyVersionIsAnsweredWithTheSameVersion) {
  int id = 1;
  for (const char* v : {"2025-11-25", "2025-06-18", "2025-03-26"}) {
    const auto r = send(initialize_request(id, v), id);
    EXPECT_EQ(r["result"]["protocolVersion"], v);
    ++id;
  }
}

TEST_F(Protocol, AnUnknownLegacyVersionIsAnsweredWithTheLatest) {
  for (const char* v : {"2024-11-05", "1999-01-01", "2026-07-28"}) {
    const auto r = send(initialize_request(v, v), v);
    EXPECT_EQ(r["result"]["protocolVersion"], "2025-11-25") << v;
  }
}

TEST_F(Protocol, InitializeReportsServerInfoToolsCapabilityAndInstructions) {
  const auto r = send(initialize_request(1, "2025-06-18"), 1)["result"];
  EXPECT_EQ(r["serverInfo"]["name"], "backburner");
  EXPECT_FALSE(r["serverInfo"]["title"].get<std::string>().empty());
  EXPECT_EQ(r["serverInfo"]["version"], "9.9.9");
  EXPECT_TRUE(r["capabilities"].contains("tools"));
  const auto instructions = r["instructions"].get<std::string>();
  EXPECT_NE(instructions.find("wait_task"), std::string::npos);
  EXPECT_NE(instructions.find("since_last_read"), std::string::npos);
  EXPECT_NE(instructions.find("send_input"), std::string::npos);
  EXPECT_FALSE(r.contains("resultType")) << "legacy results carry no resultType";
}

TEST_F(Protocol, AfterInitializeRequestsWithoutTheEnvelopeAreServed) {
  send(initialize_request(1, "2025-11-25"), 1);
  h.server.handle_line(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  const auto r = send(request(2, "tools/list"), 2);
  ASSERT_TRUE(r.contains("result"));
  EXPECT_EQ(r["result"]["tools"].size(), 7u);
}

TEST_F(Protocol, PingIsAnsweredWithAnEmptyObjectEvenBeforeInitialize) {
  const auto r = send(request("p", "ping"), "p");
  EXPECT_EQ(r["result"], json::object());
}

TEST_F(Protocol, AModernRequestWithoutTheEnvelopeIsInvalidParams) {
  const auto r = send(request(1, "tools/list"), 1);
  EXPECT_EQ(r["error"]["code"], -32602);
}

TEST_F(Protocol, AModernRequestMissingClientCapabilitiesIsInvalidParams) {
  const auto r =
      send(request(1, "tools/list",
                   {{"_meta", {{"io.modelcontextprotocol/protocolVersion", "2026-07-28"}}}}),
           1);
  EXPECT_EQ(r["error"]["code"], -32602);
  EXPECT_NE(r["error"]["message"].get<std::string>().find("clientCapabilities"), std::string::npos);
}

TEST_F(Protocol, AModernRequestMissingTheProtocolVersionIsInvalidParams) {
  const auto r =
      send(request(1, "server/discover",
                   {{"_meta", {{"io.modelcontextprotocol/clientCapabilities", json::object()}}}}),
           1);
  EXPECT_EQ(r["error"]["code"], -32602);
  EXPECT_NE(r["error"]["message"].get<std::string>().find("protocolVersion"), std::string::npos);
}

TEST_F(Protocol, AnUnsupportedModernVersionIsRefusedWithTheSupportedList) {
  json meta = modern_meta();
  meta["io.modelcontextprotocol/protocolVersion"] = "2031-01-01";
  const auto r = send(request(1, "tools/list", {{"_meta", meta}}), 1);
  EXPECT_EQ(r["error"]["code"], -32022);
  EXPECT_EQ(r["error"]["data"]["requested"], "2031-01-01");
  const auto supported = r["error"]["data"]["supported"];
  ASSERT_TRUE(supported.is_array());
  EXPECT_EQ(supported[0], "2026-07-28");
}

TEST_F(Protocol, TheVersionIsCheckedOnEveryRequestNotOnlyTheFirst) {
  EXPECT_TRUE(send(modern_request(1, "tools/list"), 1).contains("result"));
  json meta = modern_meta();
  meta["io.modelcontextprotocol/protocolVersion"] = "2031-01-01";
  EXPECT_EQ(send(request(2, "tools/list", {{"_meta", meta}}), 2)["error"]["code"], -32022);
  EXPECT_EQ(send(request(3, "tools/list"), 3)["error"]["code"], -32602);
}

TEST_F(Protocol, ServerDiscoverReportsVersionsCapabilitiesServerInfoAndCachingHints) {
  const auto r = send(modern_request(1, "server/discover"), 1)["result"];
  EXPECT_EQ(r["resultType"], "complete");
  EXPECT_EQ(r["supportedVersions"][0], "2026-07-28");
  EXPECT_TRUE(r["capabilities"].contains("tools"));
  EXPECT_EQ(r["_meta"]["io.modelcontextprotocol/serverInfo"]["name"], "backburner");
  EXPECT_FALSE(r["instructions"].get<std::string>().empty());
  EXPECT_TRUE(r["ttlMs"].is_number_integer());
  EXPECT_EQ(r["cacheScope"], "public");
}

TEST_F(Protocol, EveryModernResultCarriesResultTypeComplete) {
  h.daemon.handler = [](const std::string&, const json&, CancelToken&) -> CallOutcome {
    return json(sample_task());
  };
  for (const auto& line :
       {modern_request(1, "server/discover"), modern_request(2, "tools/list"),
        modern_request(3, "ping"),
        modern_request(4, "tools/call",
                       {{"name", "task_status"}, {"arguments", {{"task_id", "t1"}}}}),
        modern_request(5, "tools/call",
                       {{"name", "task_status"}, {"arguments", json::object()}})}) {
    h.server.handle_line(line);
  }
  for (int id = 1; id <= 5; ++id) {
    const auto r = h.sink.response(id);
    ASSERT_TRUE(r.contains("result")) << r.dump();
    EXPECT_EQ(r["result"]["resultType"], "complete") << "id " << id;
  }
}

TEST_F(Protocol, ModernToolsListCarriesCachingHints) {
  const auto r = send(modern_request(1, "tools/list"), 1)["result"];
  EXPECT_TRUE(r["ttlMs"].is_number_integer());
  EXPECT_GE(r["ttlMs"].get<int>(), 0);
  EXPECT_EQ(r["cacheScope"], "public");
}

TEST_F(Protocol, AMalformedLineIsAParseErrorAndTheShimKeepsGoing) {
  EXPECT_EQ(send("{not json", nullptr)["error"]["code"], -32700);
  EXPECT_TRUE(send(request("after", "ping"), "after").contains("result"));
}

TEST_F(Protocol, AbsurdNestingIsAParseErrorNotACrash) {
  h.server.handle_line(std::string(100000, '[') + std::string(100000, ']'));
  EXPECT_EQ(h.sink.response(nullptr)["error"]["code"], -32700);
  EXPECT_TRUE(send(request("after", "ping"), "after").contains("result"));
}

TEST_F(Protocol, InvalidRequestsAreRefusedWithInvalidRequestAndTheShimKeepsGoing) {
  const std::vector<std::string> bad = {
      R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])",  // a batch
      R"("just a string")",
      R"({"jsonrpc":"1.0","id":"v","method":"ping"})",
      R"({"jsonrpc":"2.0","id":"m"})",
      R"({"jsonrpc":"2.0","id":"n","method":42})",
      R"({"jsonrpc":"2.0","id":null,"method":"ping"})",
      R"({"jsonrpc":"2.0","id":1.5,"method":"ping"})",
  };
  for (const auto& line : bad) h.server.handle_line(line);
  const auto msgs = h.sink.messages();
  ASSERT_EQ(msgs.size(), bad.size());
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    EXPECT_EQ(msgs[i]["error"]["code"], -32600) << bad[i];
  }
  EXPECT_EQ(msgs[2]["id"], "v");
  EXPECT_EQ(msgs[3]["id"], "m");
  EXPECT_TRUE(send(request("after", "ping"), "after").contains("result"));
}

TEST_F(Protocol, AnUnknownMethodIsMethodNotFoundAndTheShimKeepsGoing) {
  EXPECT_EQ(send(modern_request(1, "tasks/list"), 1)["error"]["code"], -32601)
      << "tasks/list is not part of the 2026 Tasks extension";
  EXPECT_EQ(send(modern_request(2, "nonsense/method"), 2)["error"]["code"], -32601);
  EXPECT_TRUE(send(modern_request(3, "tools/list"), 3).contains("result"));
}

TEST_F(Protocol, AnUnknownToolIsInvalidParamsAndTheShimKeepsGoing) {
  const auto r = send(
      modern_request(1, "tools/call", {{"name", "rm_everything"}, {"arguments", json::object()}}),
      1);
  EXPECT_EQ(r["error"]["code"], -32602);
  EXPECT_NE(r["error"]["message"].get<std::string>().find("rm_everything"), std::string::npos);
  EXPECT_TRUE(send(modern_request(2, "tools/list"), 2).contains("result"));
  EXPECT_TRUE(h.daemon.calls().empty());
}

TEST_F(Protocol, ToolsCallWithoutANameOrWithNonObjectArgumentsIsInvalidParams) {
  EXPECT_EQ(
      send(modern_request(1, "tools/call", {{"arguments", json::object()}}), 1)["error"]["code"],
      -32602);
  EXPECT_EQ(
      send(modern_request(2, "tools/call", {{"name", "list_tasks"}, {"arguments", json::array()}}),
           2)["error"]["code"],
      -32602);
}

TEST_F(Protocol, NotificationsAndClientResponsesGetNoAnswer) {
  h.server.handle_line(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  h.server.handle_line(R"({"jsonrpc":"2.0","method":"notifications/whatever","params":{"x":1}})");
  h.server.handle_line(
      R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"nobody"}})");
  h.server.handle_line(R"({"jsonrpc":"2.0","id":7,"result":{}})");
  h.server.handle_line("   ");
  h.server.handle_line("");
  EXPECT_TRUE(h.sink.lines().empty());
}

TEST_F(Protocol, EveryLineWrittenIsOneCompactJsonRpcMessage) {
  send(initialize_request(1, "2025-11-25"), 1);
  send(request(2, "tools/list"), 2);
  for (const auto& line : h.sink.lines()) {
    EXPECT_EQ(line.find('\n'), std::string::npos);
    EXPECT_EQ(json::parse(line)["jsonrpc"], "2.0");
  }
}

TEST_F(Protocol, InitializeWithoutAStringProtocolVersionIsInvalidParams) {
  for (const json& v : {json(), json(20251125), json::object()}) {
    json params = {{"capabilities", json::object()},
                   {"clientInfo", {{"name", "c"}, {"version", "1"}}}};
    if (!v.is_null()) params["protocolVersion"] = v;
    const auto r = send(request("i", "initialize", params), "i");
    EXPECT_EQ(r["error"]["code"], -32602) << v.dump();
    h.sink.clear();
  }
  // Still uninitialized: a legacy request is refused.
  EXPECT_EQ(send(request(2, "tools/list"), 2)["error"]["code"], -32602);
}

TEST_F(Protocol, AModernEnvelopeDeclaringALegacyVersionIsUnsupportedVersion) {
  json meta = modern_meta();
  meta["io.modelcontextprotocol/protocolVersion"] = "2025-11-25";
  const auto r = send(request(1, "tools/list", {{"_meta", meta}}), 1);
  EXPECT_EQ(r["error"]["code"], -32022);
  EXPECT_EQ(r["error"]["data"]["requested"], "2025-11-25");
  EXPECT_NE(r["error"]["message"].get<std::string>().find("initialize"), std::string::npos);
}

TEST_F(Protocol, BatchesAreAnsweredAsOneArrayAfterNegotiating20250326) {
  send(initialize_request(1, "2025-03-26"), 1);
  h.sink.clear();
  h.server.handle_line(R"([{"jsonrpc":"2.0","id":"a","method":"ping"},)"
                       R"({"jsonrpc":"2.0","method":"notifications/initialized"},)"
                       R"({"jsonrpc":"2.0","id":"b","method":"tools/list"},)"
                       R"({"jsonrpc":"2.0","id":"c","method":"no/such"},)"
                       R"(42])");
  const auto lines = h.sink.lines();
  ASSERT_EQ(lines.size(), 1u) << "one array for the whole batch";
  const auto batch = json::parse(lines[0]);
  ASSERT_TRUE(batch.is_array());
  ASSERT_EQ(batch.size(), 4u) << "every request and the invalid element, not the notification";
  std::map<std::string, json> by_id;
  for (const auto& m : batch) by_id[m["id"].dump()] = m;
  EXPECT_EQ(by_id["\"a\""]["result"], json::object());
  EXPECT_EQ(by_id["\"b\""]["result"]["tools"].size(), 7u);
  EXPECT_EQ(by_id["\"c\""]["error"]["code"], -32601);
  EXPECT_EQ(by_id["null"]["error"]["code"], -32600);
}

TEST_F(Protocol, ABatchWaitsForItsToolCallsAndAnEmptyBatchIsInvalid) {
  h.daemon.handler = [](const std::string&, const json&, CancelToken&) -> CallOutcome {
    return json(sample_task("t9"));
  };
  send(initialize_request(1, "2025-03-26"), 1);
  h.sink.clear();
  h.server.handle_line(
      R"([{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"task_status","arguments":{"task_id":"t9"}}},)"
      R"({"jsonrpc":"2.0","id":2,"method":"ping"}])");
  ASSERT_TRUE(h.server.wait_idle(std::chrono::seconds(10)));
  const auto lines = h.sink.lines();
  ASSERT_EQ(lines.size(), 1u);
  const auto batch = json::parse(lines[0]);
  ASSERT_EQ(batch.size(), 2u);
  h.server.handle_line("[]");
  EXPECT_EQ(json::parse(h.sink.lines().back())["error"]["code"], -32600);
}

TEST_F(Protocol, BatchesAreRefusedUnder20251125) {
  send(initialize_request(1, "2025-11-25"), 1);
  const auto r = send(R"([{"jsonrpc":"2.0","id":"a","method":"ping"}])", nullptr);
  EXPECT_EQ(r["error"]["code"], -32600);
}

TEST_F(Protocol, ARequestReusingAnIdInFlightGetsOneErrorAndTheFirstGoesOn) {
  std::mutex m;
  std::condition_variable cv;
  bool release = false;
  h.daemon.handler = [&](const std::string&, const json&, CancelToken&) -> CallOutcome {
    std::unique_lock lock(m);
    cv.wait_for(lock, std::chrono::seconds(10), [&] { return release; });
    return json(sample_task("t1"));
  };
  send(initialize_request(1, "2025-11-25"), 1);
  h.sink.clear();
  h.server.handle_line(
      request(7, "tools/call", {{"name", "task_status"}, {"arguments", {{"task_id", "t1"}}}}));
  h.daemon.wait_for_calls(1);
  h.server.handle_line(request(7, "ping"));
  h.server.handle_line(
      request(7, "tools/call", {{"name", "task_status"}, {"arguments", {{"task_id", "t1"}}}}));
  {
    std::lock_guard lock(m);
    release = true;
  }
  cv.notify_all();
  ASSERT_TRUE(h.server.wait_idle(std::chrono::seconds(10)));
  const auto msgs = h.sink.messages();
  ASSERT_EQ(msgs.size(), 3u);
  EXPECT_EQ(msgs[0]["error"]["code"], -32600);
  EXPECT_EQ(msgs[1]["error"]["code"], -32600);
  EXPECT_EQ(msgs[2]["result"]["structuredContent"]["task_id"], "t1");
  EXPECT_EQ(h.daemon.calls().size(), 1u) << "the duplicates ran nothing";
}

TEST_F(Protocol, AnOversizedLineIsRefusedWithInvalidRequest) {
  h.server.reject_oversized_line(20 << 20);
  EXPECT_EQ(h.sink.response(nullptr)["error"]["code"], -32600);
}

}  // namespace
}  // namespace bb::shim::test
