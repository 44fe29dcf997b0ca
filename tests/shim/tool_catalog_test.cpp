// The embedded catalogue (proto/mcp) and the schema subset the shim checks arguments with.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "paths.h"
#include "schema_check.h"
#include "shim_test_support.h"

namespace bb::shim::test {
namespace {

const std::vector<std::string> kToolNames = {"start_task", "task_status", "task_result",
                                             "send_input", "cancel_task", "list_tasks",
                                             "wait_task"};

TEST(ToolCatalog, ListsTheOriginalSixToolsAndSendInput) {
  std::vector<std::string> names;
  for (const auto& t : ToolCatalog::embedded().tools()) names.push_back(t["name"]);
  EXPECT_EQ(names, kToolNames);
}

TEST(ToolCatalog, EveryToolHasTitleDescriptionSchemasAndAnnotations) {
  for (const auto& t : ToolCatalog::embedded().tools()) {
    SCOPED_TRACE(t["name"].get<std::string>());
    EXPECT_FALSE(t["title"].get<std::string>().empty());
    EXPECT_GT(t["description"].get<std::string>().size(), 80u)
        << "a description written for a model";
    EXPECT_EQ(t["inputSchema"]["type"], "object");
    EXPECT_EQ(t["outputSchema"]["type"], "object");
    EXPECT_TRUE(t["outputSchema"].contains("properties"));
    for (const char* hint :
         {"readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"}) {
      EXPECT_TRUE(t["annotations"][hint].is_boolean()) << hint;
    }
  }
}

TEST(ToolCatalog, ServedSchemasAreSelfContained) {
  const auto dumped = ToolCatalog::embedded().tools().dump();
  EXPECT_EQ(dumped.find("$ref"), std::string::npos);
}

TEST(ToolCatalog, TaskReturningToolsDescribeTheWholeTaskObject) {
  for (const char* name : {"start_task", "task_status", "task_result", "cancel_task"}) {
    const auto& schema = (*ToolCatalog::embedded().find(name))["outputSchema"];
    for (const char* field : {"task_id", "command", "cwd", "status", "created_at", "started_at",
                              "finished_at", "running_for_seconds", "duration_seconds", "exit_code",
                              "signal", "pid", "timeout_seconds", "output_bytes"}) {
      EXPECT_TRUE(schema["properties"].contains(field)) << name << " lacks " << field;
    }
  }
  const auto& result = (*ToolCatalog::embedded().find("task_result"))["outputSchema"];
  EXPECT_TRUE(result["properties"].contains("output"));
  EXPECT_NE(std::find(result["required"].begin(), result["required"].end(), "task_id"),
            result["required"].end());
  EXPECT_NE(std::find(result["required"].begin(), result["required"].end(), "output"),
            result["required"].end());
}

TEST(ToolCatalog, DocumentedBoundsMatchTheSchemas) {
  const auto& c = ToolCatalog::embedded();
  const auto& list = (*c.find("list_tasks"))["inputSchema"]["properties"]["limit"];
  EXPECT_EQ(list["default"], 20);
  EXPECT_EQ(list["maximum"], 100);
  const auto& wait = (*c.find("wait_task"))["inputSchema"]["properties"]["timeout_seconds"];
  EXPECT_EQ(wait["default"], 30);
  EXPECT_LE(wait["maximum"].get<double>(), proto::kMaxWaitSeconds);
  const auto& tail = (*c.find("task_result"))["inputSchema"]["properties"]["tail_lines"];
  EXPECT_EQ(tail["default"], proto::kDefaultTailLines);
  EXPECT_EQ(tail["maximum"], proto::kMaxTailLines);
  EXPECT_EQ((*c.find("wait_task"))["inputSchema"]["properties"]["task_ids"]["maxItems"],
            proto::kMaxWaitTasks);
  const auto& result = (*c.find("task_result"))["inputSchema"]["properties"];
  EXPECT_EQ(result["max_chars"]["default"], kToolDefaultMaxChars);
  EXPECT_EQ(result["max_chars"]["maximum"], kToolMaxChars);
  EXPECT_LE(kToolMaxChars, proto::kMaxChars);
  EXPECT_EQ(result["max_bytes"]["maximum"], proto::kMaxMaxBytes);
  EXPECT_EQ(result["head_lines"]["maximum"], proto::kMaxTailLines);
  EXPECT_EQ(result["grep"]["maxLength"], proto::kMaxGrepPatternBytes);
  EXPECT_EQ(result["context_lines"]["maximum"], proto::kMaxGrepContext);
  EXPECT_EQ(result["max_matches"]["maximum"], proto::kMaxGrepMatches);
  EXPECT_EQ((*c.find("send_input"))["inputSchema"]["properties"]["text"]["maxLength"],
            proto::kMaxInputBytes);
  EXPECT_EQ((*c.find("start_task"))["inputSchema"]["properties"]["label"]["maxLength"],
            proto::kMaxLabelBytes);
  EXPECT_EQ((*c.find("start_task"))["execution"]["taskSupport"], "optional");
}

TEST(ToolCatalog, TheEmbeddedCopyIsTheOneInProto) {
  std::ifstream in(bb::test::source_dir() / "proto/mcp/tools.json");
  std::stringstream s;
  s << in.rdbuf();
  const auto tools = json::parse(s.str());
  ASSERT_EQ(tools.size(), ToolCatalog::embedded().tools().size());
  for (std::size_t i = 0; i < tools.size(); ++i) {
    EXPECT_EQ(tools[i]["description"], ToolCatalog::embedded().tools()[i]["description"]);
  }
}

TEST(ToolCatalog, ARefWithExtraPropertiesMergesThemIntoTheTaskSchema) {
  auto parsed = ToolCatalog::parse(
      R"({"name":"n","title":"t","instructions":"i"})",
      R"({"type":"object","properties":{"a":{"type":"string"}},"required":["a"]})",
      R"([{"name":"x","title":"X","description":"d","inputSchema":{"type":"object"},
           "outputSchema":{"$ref":"task.schema.json","properties":{"b":{"type":"integer"}},"required":["b"]},
           "annotations":{}}])");
  ASSERT_TRUE(std::holds_alternative<ToolCatalog>(parsed)) << std::get<std::string>(parsed);
  const auto& out = (*std::get<ToolCatalog>(parsed).find("x"))["outputSchema"];
  EXPECT_EQ(out["properties"].size(), 2u);
  EXPECT_EQ(out["required"], json::array({"a", "b"}));
}

TEST(ToolCatalog, AToolMissingAFieldIsRejected) {
  auto parsed =
      ToolCatalog::parse(R"({"name":"n","title":"t","instructions":"i"})", R"({"type":"object"})",
                         R"([{"name":"x","inputSchema":{"type":"object"}}])");
  EXPECT_TRUE(std::holds_alternative<std::string>(parsed));
}

TEST(SchemaCheck, ReportsAMissingRequiredArgumentByName) {
  const auto& schema = (*ToolCatalog::embedded().find("start_task"))["inputSchema"];
  EXPECT_EQ(check_schema(json::object(), schema), "missing required argument \"command\"");
}

TEST(SchemaCheck, ReportsAWrongTypeWithWhatWasGiven) {
  const auto& schema = (*ToolCatalog::embedded().find("task_result"))["inputSchema"];
  const auto e = check_schema({{"task_id", "a"}, {"tail_lines", "50"}}, schema);
  ASSERT_TRUE(e);
  EXPECT_EQ(*e, "argument \"tail_lines\" must be an integer, got a string (\"50\")");
}

TEST(SchemaCheck, AcceptsAnIntegralFloatAsAnInteger) {
  const auto& schema = (*ToolCatalog::embedded().find("task_result"))["inputSchema"];
  EXPECT_FALSE(check_schema({{"task_id", "a"}, {"tail_lines", 50.0}}, schema));
  EXPECT_TRUE(check_schema({{"task_id", "a"}, {"tail_lines", 50.5}}, schema));
}

TEST(SchemaCheck, ReportsRangesAndExclusiveBounds) {
  const auto& start = (*ToolCatalog::embedded().find("start_task"))["inputSchema"];
  EXPECT_EQ(check_schema({{"command", "x"}, {"timeout_seconds", 0}}, start),
            "argument \"timeout_seconds\" must be greater than 0, got 0");
  const auto& list = (*ToolCatalog::embedded().find("list_tasks"))["inputSchema"];
  EXPECT_EQ(check_schema({{"limit", 101}}, list),
            "argument \"limit\" must be at most 100, got 101");
  EXPECT_EQ(check_schema({{"limit", 0}}, list), "argument \"limit\" must be at least 1, got 0");
}

TEST(SchemaCheck, ReportsAnUnknownArgumentAndListsTheAcceptedOnes) {
  const auto& schema = (*ToolCatalog::embedded().find("start_task"))["inputSchema"];
  const auto e = check_schema({{"command", "x"}, {"timeout", 5}}, schema);
  ASSERT_TRUE(e);
  EXPECT_NE(e->find("unknown argument \"timeout\""), std::string::npos);
  EXPECT_NE(e->find("timeout_seconds"), std::string::npos);
}

TEST(SchemaCheck, ChecksArrayItemsAndSizes) {
  const auto& schema = (*ToolCatalog::embedded().find("wait_task"))["inputSchema"];
  EXPECT_EQ(check_schema({{"task_ids", json::array()}}, schema),
            "argument \"task_ids\" must have at least 1 item(s), got 0");
  EXPECT_EQ(check_schema({{"task_ids", {"a", 3}}}, schema),
            "argument \"task_ids[1]\" must be a string, got a number (3)");
  EXPECT_EQ(check_schema({{"task_ids", "abc"}}, schema),
            "argument \"task_ids\" must be an array, got a string (\"abc\")");
}

TEST(SchemaCheck, ChecksEnumsAndEmptyStrings) {
  const auto& list = (*ToolCatalog::embedded().find("list_tasks"))["inputSchema"];
  const auto e = check_schema({{"status", "running"}}, list);
  ASSERT_TRUE(e);
  EXPECT_NE(e->find("must be one of"), std::string::npos);
  const auto& status = (*ToolCatalog::embedded().find("task_status"))["inputSchema"];
  EXPECT_EQ(check_schema({{"task_id", ""}}, status), "argument \"task_id\" must not be empty");
}

}  // namespace
}  // namespace bb::shim::test
