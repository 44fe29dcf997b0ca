// A fixture for tool tests: a legacy-initialized server over a fake daemon that answers
// from a table, and helpers that call a tool and check its result's shape.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "schema_check.h"
#include "shim_test_support.h"

namespace bb::shim::test {

class ToolCalls : public ::testing::Test {
 protected:
  ShimHarness h;
  int next_id = 1;
  std::string last_text;  // the text item of the last ok() result

  // Answers every daemon method from a table.
  void answer(std::map<std::string, json> by_method) {
    h.daemon.handler = [by_method](const std::string& m, const json&, CancelToken&) -> CallOutcome {
      auto it = by_method.find(m);
      if (it == by_method.end())
        return RpcError{proto::error::kInternalError, "unexpected " + m, nullptr};

      return it->second;
    };
  }
  void fail_with(int code, std::string message) {
    h.daemon.handler = [code, message](const std::string&, const json&,
                                       CancelToken&) -> CallOutcome {
      return RpcError{code, message, nullptr};
    };
  }

  // Calls a tool that must succeed; checks content mirrors structuredContent and that the
  // structured result conforms to the tool's outputSchema.
  json ok(const std::string& tool, const json& args) {
    const auto r = h.call_tool(tool, args, next_id++);
    EXPECT_TRUE(r.contains("result")) << r.dump();
    const auto& result = r["result"];
    EXPECT_EQ(result["isError"], false) << result.dump();
    const auto& structured = result["structuredContent"];
    EXPECT_EQ(result["content"][0]["type"], "text");
    // The text is written for a model: a readable first line, not the JSON dumped again.
    const auto text = result["content"][0]["text"].get<std::string>();
    EXPECT_FALSE(text.empty());
    EXPECT_NE(text.front(), '{') << text;
    last_text = text;
    const auto& schema = (*ToolCatalog::embedded().find(tool))["outputSchema"];
    EXPECT_EQ(check_schema(structured, schema), std::nullopt) << structured.dump();
    return structured;
  }
  // Calls a tool that must fail; returns its message.
  std::string error(const std::string& tool, const json& args) {
    const auto r = h.call_tool(tool, args, next_id++);
    EXPECT_TRUE(r.contains("result"))
        << "a tool failure is a result, not a JSON-RPC error: " << r.dump();
    EXPECT_EQ(r["result"]["isError"], true);
    EXPECT_FALSE(r["result"].contains("structuredContent"));
    return r["result"]["content"][0]["text"].get<std::string>();
  }
  json only_call(const std::string& method) {
    const auto calls = h.daemon.calls();
    EXPECT_EQ(calls.size(), 1u);
    if (calls.empty()) return nullptr;
    EXPECT_EQ(calls[0].method, method);
    return calls[0].params;
  }
};

}  // namespace bb::shim::test
