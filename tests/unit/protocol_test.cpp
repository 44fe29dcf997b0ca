// The C++ protocol types against proto/: every example round-trips through them unchanged, every
// invalid-params example fails with the example's exact message, and the schema's methods, codes
// and limits are the header's. So common/protocol.h and proto/ cannot drift apart silently.

#include "protocol.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "paths.h"

namespace bb::proto {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json read_json(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  return json::parse(in);
}

fs::path proto_dir() { return bb::test::source_dir() / "proto"; }

struct Example {
  std::string file;
  json body;
  const json& request() const { return body.at("request"); }
  const json& response() const { return body.at("response"); }
  bool has_request_object() const {
    return body.contains("request") && body["request"].is_object();
  }
  bool is_success() const { return response().contains("result"); }
  int error_code() const { return response().at("error").at("code").get<int>(); }
  // A request's params as the daemon reads them: absent means null.
  json params() const { return request().value("params", json()); }
};

std::vector<Example> examples() {
  std::vector<Example> out;
  for (const auto& entry : fs::directory_iterator(proto_dir() / "examples"))
    if (entry.path().extension() == ".json")
      out.push_back({entry.path().filename().string(), read_json(entry.path())});
  std::sort(out.begin(), out.end(),
            [](const Example& a, const Example& b) { return a.file < b.file; });
  return out;
}

json schema() { return read_json(proto_dir() / "daemon.schema.json"); }

// Parses into T and serializes back.
template <typename T>
json round_trip(const json& j) {
  T value = j.get<T>();
  return json(value);
}

// What each method's params and result parse into. A null entry: no C++ type (the method
// takes no params, or its result is {}).
struct MethodTypes {
  std::function<json(const json&)> params;
  std::function<json(const json&)> result;
};

const std::map<std::string, MethodTypes>& method_types() {
  static const std::map<std::string, MethodTypes> types = {
      {method::kHello, {round_trip<HelloParams>, round_trip<HelloResult>}},
      {method::kTaskStart, {round_trip<StartParams>, round_trip<TaskView>}},
      {method::kTaskGet, {round_trip<TaskIdParams>, round_trip<TaskView>}},
      {method::kTaskOutput, {round_trip<OutputParams>, round_trip<OutputResult>}},
      {method::kTaskCancel, {round_trip<TaskIdParams>, round_trip<CancelResult>}},
      {method::kTaskList, {round_trip<ListParams>, round_trip<ListResult>}},
      {method::kTaskWait, {round_trip<WaitParams>, round_trip<WaitResult>}},
      {method::kDaemonInfo, {nullptr, round_trip<DaemonInfo>}},
      {method::kDaemonShutdown, {nullptr, nullptr}},
  };
  return types;
}

// The ParamsError message from parsing `params` as T, or "" if it parsed.
template <typename T>
std::string params_error(const json& params) {
  try {
    (void)params.get<T>();
  } catch (const ParamsError& e) {
    return e.message;
  }
  return "";
}

const char* const kAllMethods[] = {
    method::kHello,      method::kTaskStart,  method::kTaskGet,
    method::kTaskOutput, method::kTaskCancel, method::kTaskList,
    method::kTaskWait,   method::kDaemonInfo, method::kDaemonShutdown};

// ---- proto/ examples through the C++ types

TEST(ProtocolExamples, EverySuccessfulExampleRoundTripsThroughTheCppTypesUnchanged) {
  int checked = 0;
  for (const Example& ex : examples()) {
    if (!ex.has_request_object() || !ex.is_success()) continue;
    SCOPED_TRACE(ex.file);
    const std::string m = ex.request().at("method").get<std::string>();
    auto it = method_types().find(m);
    ASSERT_NE(it, method_types().end()) << "no C++ types registered for " << m;
    const json params = ex.params().is_null() ? json::object() : ex.params();
    if (it->second.params) {
      EXPECT_EQ(it->second.params(ex.params()), params);
      ++checked;
    } else {
      EXPECT_EQ(params, json::object()) << m << " takes no params";
    }
    if (it->second.result) {
      EXPECT_EQ(it->second.result(ex.response().at("result")), ex.response().at("result"));
      ++checked;
    } else {
      EXPECT_EQ(ex.response().at("result"), json::object()) << m << " answers {}";
    }
  }
  EXPECT_GT(checked, 20);
}

TEST(ProtocolExamples, EveryInvalidParamsExampleFailsToParseWithTheExamplesMessage) {
  const std::map<std::string, std::function<std::string(const json&)>> parsers = {
      {method::kHello, params_error<HelloParams>},
      {method::kTaskStart, params_error<StartParams>},
      {method::kTaskGet, params_error<TaskIdParams>},
      {method::kTaskOutput, params_error<OutputParams>},
      {method::kTaskCancel, params_error<TaskIdParams>},
      {method::kTaskList, params_error<ListParams>},
      {method::kTaskWait, params_error<WaitParams>},
  };
  int checked = 0;
  for (const Example& ex : examples()) {
    if (!ex.has_request_object() || ex.is_success() || ex.error_code() != error::kInvalidParams)
      continue;
    SCOPED_TRACE(ex.file);
    auto it = parsers.find(ex.request().at("method").get<std::string>());
    ASSERT_NE(it, parsers.end());
    EXPECT_EQ(it->second(ex.params()), ex.response()["error"]["message"].get<std::string>());
    ++checked;
  }
  EXPECT_GE(checked, 5);
}

TEST(ProtocolExamples, RequestsThatGetAnApplicationErrorHaveParamsThatParse) {
  // 1003, 1004, 1005...: the daemon got past the params, so the C++ types must accept them.
  for (const Example& ex : examples()) {
    if (!ex.has_request_object() || ex.is_success() || ex.error_code() < 1000) continue;
    SCOPED_TRACE(ex.file);
    auto it = method_types().find(ex.request().at("method").get<std::string>());
    ASSERT_NE(it, method_types().end());
    if (it->second.params) {
      EXPECT_NO_THROW(it->second.params(ex.params()));
    }
  }
}

TEST(ProtocolExamples, EveryMethodHasASuccessfulExample) {
  std::set<std::string> seen;
  for (const Example& ex : examples())
    if (ex.has_request_object() && ex.is_success())
      seen.insert(ex.request()["method"].get<std::string>());
  for (const char* m : kAllMethods) EXPECT_TRUE(seen.count(m)) << m;
}

// ---- the schema against the header

TEST(ProtocolSchema, ListsExactlyTheMethodsTheHeaderDeclares) {
  const json s = schema();
  std::vector<std::string> declared(std::begin(kAllMethods), std::end(kAllMethods));
  EXPECT_EQ(s["$defs"]["Method"]["enum"].get<std::vector<std::string>>(), declared);
  for (const auto& m : declared) {
    EXPECT_TRUE(s["$defs"].contains(m + ".params")) << m;
    EXPECT_TRUE(s["$defs"].contains(m + ".result")) << m;
  }
}

TEST(ProtocolSchema, ListsExactlyTheErrorCodesTheHeaderDeclares) {
  const std::vector<int> declared = {
      error::kParseError,         error::kInvalidRequest, error::kMethodNotFound,
      error::kInvalidParams,      error::kInternalError,  error::kHelloRequired,
      error::kUnsupportedVersion, error::kTaskNotFound,   error::kInvalidCwd,
      error::kPolicyDenied,       error::kSpawnFailed,    error::kShuttingDown};
  EXPECT_EQ(schema()["$defs"]["ErrorCodes"]["enum"].get<std::vector<int>>(), declared);
}

TEST(ProtocolSchema, StatesTheHeadersLimitsAndDefaults) {
  const json d = schema()["$defs"];
  const json& out = d["task.output.params"]["properties"];
  EXPECT_EQ(out["tail_lines"]["maximum"], kMaxTailLines);
  EXPECT_EQ(out["tail_lines"]["default"], kDefaultTailLines);
  EXPECT_EQ(out["max_bytes"]["maximum"], kMaxMaxBytes);
  EXPECT_EQ(out["max_bytes"]["default"], kDefaultMaxBytes);
  const json& list = d["task.list.params"]["properties"];
  EXPECT_EQ(list["limit"]["maximum"], kMaxListLimit);
  EXPECT_EQ(list["limit"]["default"], kDefaultListLimit);
  const json& wait = d["task.wait.params"]["properties"];
  EXPECT_EQ(wait["timeout_seconds"]["maximum"], kMaxWaitSeconds);
  EXPECT_EQ(wait["timeout_seconds"]["default"], kDefaultWaitSeconds);
  EXPECT_EQ(wait["task_ids"]["maxItems"], kMaxWaitTasks);
  EXPECT_EQ(d["task.start.params"]["properties"]["command"]["maxLength"], kMaxCommandBytes);
  EXPECT_EQ(d["Policy"]["properties"]["allow"]["maxItems"], kMaxPolicyPatterns);
  EXPECT_EQ(d["Policy"]["properties"]["deny"]["maxItems"], kMaxPolicyPatterns);
  EXPECT_EQ(d["Pattern"]["maxLength"], kMaxPolicyPatternBytes);
  EXPECT_EQ(d["hello.result"]["properties"]["max_line_bytes"]["const"], kMaxLineBytes);
  EXPECT_EQ(d["RequestTooLargeData"]["properties"]["limit"]["const"], kMaxLineBytes);
}

TEST(ProtocolSchema, NamesTheStatusesTheHeaderDeclares) {
  std::vector<std::string> names;
  for (Status s : {Status::working, Status::completed, Status::failed, Status::cancelled,
                   Status::timed_out, Status::interrupted})
    names.push_back(to_string(s));
  EXPECT_EQ(schema()["$defs"]["Status"]["enum"].get<std::vector<std::string>>(), names);
}

TEST(ProtocolSchema, VersionFileStatesTheHeadersProtocolVersion) {
  const json v = read_json(proto_dir() / "version.json");
  EXPECT_EQ(v["protocol_version"], kProtocolVersion);
  EXPECT_EQ(v["supported_versions"], json::array({kProtocolVersion}));
}

// ---- statuses

TEST(ProtocolStatus, EveryStatusRoundTripsThroughItsName) {
  for (Status s : {Status::working, Status::completed, Status::failed, Status::cancelled,
                   Status::timed_out, Status::interrupted}) {
    EXPECT_EQ(status_from_string(to_string(s)), s);
    EXPECT_EQ(json(s).get<Status>(), s);
  }
  EXPECT_EQ(to_string(Status::timed_out), std::string("timed_out"));
  EXPECT_EQ(status_from_string("Completed"), std::nullopt);
  EXPECT_EQ(status_from_string(""), std::nullopt);
  EXPECT_TRUE(is_terminal(Status::interrupted));
  EXPECT_FALSE(is_terminal(Status::working));
}

// ---- params errors a user reads

TEST(ProtocolParams, AMissingFieldIsNamedWithTheTypeItNeeds) {
  EXPECT_EQ(params_error<StartParams>(json{{"cwd", "/tmp"}}),
            "missing required field \"command\" (string)");
  EXPECT_EQ(params_error<StartParams>(json{{"command", "ls"}}),
            "missing required field \"cwd\" (string, an absolute directory path)");
  EXPECT_EQ(params_error<TaskIdParams>(json::object()),
            "missing required field \"task_id\" (string)");
  EXPECT_EQ(params_error<WaitParams>(json::object()),
            "missing required field \"task_ids\" (array of task ids)");
  EXPECT_EQ(params_error<HelloParams>(json{{"protocol_version", 1}, {"client", json::object()}}),
            "missing required field \"client.name\" (string)");
}

TEST(ProtocolParams, AWrongTypeNamesTheFieldAndShowsTheValue) {
  EXPECT_EQ(params_error<StartParams>(json{{"command", 5}, {"cwd", "/"}}),
            "command must be a string, got 5");
  EXPECT_EQ(
      params_error<StartParams>(json{{"command", "ls"}, {"cwd", "/"}, {"timeout_seconds", "60"}}),
      "timeout_seconds must be a number greater than 0 and at most 315360000 (10 years), got \"60\"");
  EXPECT_EQ(params_error<OutputParams>(json{{"task_id", "a"}, {"tail_lines", 2.5}}),
            "tail_lines must be an integer from 1 to 10000, got 2.5");
  EXPECT_EQ(params_error<OutputParams>(json{{"task_id", "a"}, {"offset", -3}}),
            "offset must be a non-negative integer, got -3");
  EXPECT_EQ(params_error<WaitParams>(json{{"task_ids", "abc"}}),
            "task_ids must be an array of task ids, got \"abc\"");
  EXPECT_EQ(params_error<WaitParams>(json{{"task_ids", json::array({"a", 7})}}),
            "task_ids[1] must be a non-empty string, got 7");
  EXPECT_EQ(params_error<StartParams>(json{{"command", "ls"}, {"cwd", "/"}, {"env", {{"A", 1}}}}),
            "env[\"A\"] must be a string, got 1");
  EXPECT_EQ(
      params_error<StartParams>(json{{"command", "ls"}, {"cwd", "/"}, {"env", json::array()}}),
      "env must be an object mapping variable names to strings, got an array");
  EXPECT_EQ(params_error<HelloParams>(json{{"protocol_version", "1"}, {"client", {{"name", "x"}}}}),
            "protocol_version must be a positive integer, got \"1\"");
  EXPECT_EQ(params_error<HelloParams>(json{{"protocol_version", 1},
                                           {"client", {{"name", "x"}}},
                                           {"policy", {{"deny", json::array({""})}}}}),
            "policy.deny[0] must be a non-empty string, got \"\"");
  EXPECT_EQ(params_error<TaskIdParams>(json::array()), "params must be an object, got an array");
}

TEST(ProtocolParams, ValuesOutOfRangeAreRefusedWithTheRange) {
  EXPECT_EQ(
      params_error<StartParams>(json{{"command", "ls"}, {"cwd", "/"}, {"timeout_seconds", 0}}),
      "timeout_seconds must be a number greater than 0 and at most 315360000 (10 years), got 0");
  EXPECT_EQ(params_error<OutputParams>(json{{"task_id", "a"}, {"tail_lines", 0}}),
            "tail_lines must be an integer from 1 to 10000, got 0");
  EXPECT_EQ(params_error<OutputParams>(json{{"task_id", "a"}, {"max_bytes", kMaxMaxBytes + 1}}),
            "max_bytes must be an integer from 1 to 2097152, got 2097153");
  EXPECT_EQ(params_error<ListParams>(json{{"limit", 1001}}),
            "limit must be an integer from 1 to 1000, got 1001");
  EXPECT_EQ(
      params_error<WaitParams>(json{{"task_ids", json::array({"a"})}, {"timeout_seconds", 3600.5}}),
      "timeout_seconds must be a number from 0 to 3600, got 3600.5");
  EXPECT_EQ(params_error<WaitParams>(json{{"task_ids", json::array()}}),
            "task_ids must list at least one task id");
  EXPECT_EQ(params_error<WaitParams>(json{{"task_ids", std::vector<std::string>(101, "a")}}),
            "task_ids may list at most 100 task ids, got 101");
  EXPECT_EQ(params_error<StartParams>(json{{"command", ""}, {"cwd", "/"}}),
            "command must not be empty");
  EXPECT_EQ(params_error<StartParams>(
                json{{"command", std::string(kMaxCommandBytes + 1, 'x')}, {"cwd", "/"}}),
            "command is 131072 bytes; the limit is 131071 bytes");
  EXPECT_EQ(params_error<StartParams>(json{{"command", std::string("a\0b", 3)}, {"cwd", "/"}}),
            "command must not contain a NUL character");
  EXPECT_EQ(
      params_error<StartParams>(json{{"command", "ls"}, {"cwd", "/"}, {"env", {{"A=B", "x"}}}}),
      "env has an invalid variable name \"A=B\" (names must be non-empty and contain no \"=\")");
  EXPECT_EQ(params_error<HelloParams>(json{{"protocol_version", 0}, {"client", {{"name", "x"}}}}),
            "protocol_version must be a positive integer, got 0");
}

json hello_with_policy(const json& policy) {
  return json{{"protocol_version", 1}, {"client", {{"name", "x"}}}, {"policy", policy}};
}

TEST(ProtocolParams, APolicyBeyondItsBoundsIsRefusedNamingTheField) {
  EXPECT_EQ(params_error<HelloParams>(hello_with_policy(
                {{"allow", std::vector<std::string>(kMaxPolicyPatterns + 1, "x")}})),
            "policy.allow may list at most 64 patterns, got 65");
  EXPECT_EQ(params_error<HelloParams>(hello_with_policy(
                {{"deny", {"a", "b", "c", std::string(kMaxPolicyPatternBytes + 1, 'x')}}})),
            "policy.deny[3] is 1025 bytes; the limit is 1024 bytes");
  // The bound counts bytes of UTF-8: 342 three-byte characters are over it.
  std::string euros;
  for (int i = 0; i < 342; ++i) euros += "\xE2\x82\xAC";
  EXPECT_EQ(params_error<HelloParams>(hello_with_policy({{"allow", {euros}}})),
            "policy.allow[0] is 1026 bytes; the limit is 1024 bytes");
  EXPECT_EQ(params_error<HelloParams>(hello_with_policy(
                {{"allow", std::vector<std::string>(kMaxPolicyPatterns, "x")},
                 {"deny", std::vector<std::string>(kMaxPolicyPatterns,
                                                   std::string(kMaxPolicyPatternBytes, 'x'))}})),
            "");
}

TEST(ProtocolParams, BoundaryValuesAreAccepted) {
  EXPECT_EQ(params_error<OutputParams>(
                json{{"task_id", "a"}, {"tail_lines", kMaxTailLines}, {"max_bytes", kMaxMaxBytes}}),
            "");
  EXPECT_EQ(params_error<OutputParams>(json{{"task_id", "a"}, {"offset", 0}, {"max_bytes", 1}}),
            "");
  EXPECT_EQ(params_error<ListParams>(json{{"limit", 1}}), "");
  EXPECT_EQ(
      params_error<WaitParams>(
          json{{"task_ids", std::vector<std::string>(kMaxWaitTasks, "a")}, {"timeout_seconds", 0}}),
      "");
  EXPECT_EQ(params_error<StartParams>(json{{"command", std::string(kMaxCommandBytes, 'x')},
                                           {"cwd", "/"},
                                           {"timeout_seconds", 0.001}}),
            "");
  // JSON Schema's "integer" takes 5.0; so does the C++ side.
  const json five = {{"task_id", "a"}, {"tail_lines", 5.0}};
  EXPECT_EQ(five.get<OutputParams>().tail_lines, 5);
}

TEST(ProtocolParams, LongValuesAreShortenedInMessagesWithoutSplittingACharacter) {
  // 39 ASCII bytes then a 3-byte character straddling the 40-byte cut.
  const std::string value = std::string(39, 'a') + "\u2714" + std::string(20, 'b');
  const std::string msg = params_error<TaskIdParams>(json{{"task_id", json{{"x", 1}}}});
  EXPECT_EQ(msg, "task_id must be a non-empty string, got an object");
  const std::string shortened = params_error<ListParams>(json{{"status", value}});
  EXPECT_EQ(shortened,
            "status must be one of working, completed, failed, cancelled, timed_out, "
            "interrupted; got \"" +
                std::string(39, 'a') + "...\"");
}

TEST(ProtocolParams, UnknownFieldsAreIgnored) {
  const json j = {
      {"command", "make"}, {"cwd", "/src"}, {"priority", "high"}, {"_meta", {{"x", 1}}}};
  const StartParams p = j.get<StartParams>();
  EXPECT_EQ(p.command, "make");
  EXPECT_EQ(json(p), (json{{"command", "make"}, {"cwd", "/src"}}));
  const HelloParams h = json{
      {"protocol_version", 1},
      {"client", {{"name", "cli"}, {"version", "1"}, {"pid", 4}}},
      {"capabilities",
       json::object()}}.get<HelloParams>();
  EXPECT_EQ(h.client.name, "cli");
  TaskView t = json{
      {"task_id", "a"},
      {"command", "c"},
      {"cwd", "/"},
      {"status", "working"},
      {"created_at", "2026-11-24T10:30:00.123Z"},
      {"output_bytes", 0},
      {"client", {{"name", "x"}}},
      {"added_later",
       true}}.get<TaskView>();
  EXPECT_EQ(t.task_id, "a");
}

TEST(ProtocolParams, AbsentOrNullParamsMeanNoOptionsWhereEveryFieldIsOptional) {
  const ListParams from_null = json().get<ListParams>();
  EXPECT_FALSE(from_null.limit);
  EXPECT_FALSE(from_null.status);
  EXPECT_EQ(json(json::object().get<ListParams>()), json::object());
  // Where a field is required, null params name that field rather than the container.
  EXPECT_EQ(params_error<TaskIdParams>(json()), "missing required field \"task_id\" (string)");
}

TEST(ProtocolParams, HelloWithoutPolicyOrVersionOfClientGetsEmptyDefaults) {
  const HelloParams h =
      json{{"protocol_version", 1}, {"client", {{"name", "cli"}}}}.get<HelloParams>();
  EXPECT_EQ(h.client.version, "");
  EXPECT_TRUE(h.policy.allow.empty());
  EXPECT_TRUE(h.policy.deny.empty());
  // A future version still parses, so the daemon can answer it with kUnsupportedVersion.
  const json v2 = {{"protocol_version", 2}, {"client", {{"name", "cli"}}}};
  EXPECT_EQ(v2.get<HelloParams>().protocol_version, 2);
}

TEST(ProtocolParams, OffsetAndTailLinesTogetherAreRefused) {
  EXPECT_EQ(params_error<OutputParams>(json{{"task_id", "a"}, {"tail_lines", 5}, {"offset", 0}}),
            "give either offset (read a byte range) or tail_lines (read the last lines), not both");
}

// ---- results

TEST(ProtocolResults, OptionalFieldsAreOmittedNeverNull) {
  TaskView t;
  t.task_id = "a";
  t.command = "true";
  t.cwd = "/";
  t.created_at = "2026-11-24T10:30:00.123Z";
  t.client = {"cli", "0.1.0"};
  const json j = t;
  for (const char* key : {"started_at", "finished_at", "running_for_seconds", "duration_seconds",
                          "exit_code", "signal", "pid", "timeout_seconds", "status_message"})
    EXPECT_FALSE(j.contains(key)) << key;
  for (const auto& [key, value] : j.items()) EXPECT_FALSE(value.is_null()) << key;
  EXPECT_EQ(j["status"], "working");
  EXPECT_EQ(j["output_bytes"], 0);
  EXPECT_EQ(j.get<TaskView>().exit_code, std::nullopt);

  StartParams p;
  p.command = "ls";
  p.cwd = "/";
  EXPECT_EQ(json(p), (json{{"command", "ls"}, {"cwd", "/"}}));
}

TEST(ProtocolResults, AMalformedResultIsRefusedNamingTheNestedField) {
  json list = read_json(proto_dir() / "examples" / "task.list.json")["response"]["result"];
  list["tasks"][1]["status"] = "done";
  try {
    (void)list.get<ListResult>();
    FAIL() << "parsed";
  } catch (const ParamsError& e) {
    EXPECT_EQ(e.message,
              "tasks[1].status must be one of working, completed, failed, cancelled, "
              "timed_out, interrupted; got \"done\"");
  }
  json cancel = read_json(proto_dir() / "examples" / "task.cancel.json")["response"]["result"];
  cancel["task"]["client"].erase("name");
  try {
    (void)cancel.get<CancelResult>();
    FAIL() << "parsed";
  } catch (const ParamsError& e) {
    EXPECT_EQ(e.message, "missing required field \"task.client.name\" (string)");
  }
}

}  // namespace
}  // namespace bb::proto
