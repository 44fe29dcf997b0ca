// The C++ protocol types against proto/: every example (exchanges and event notifications)
// round-trips through them unchanged, every invalid-params example fails with the example's exact
// message, and the schema's methods, codes and limits are the header's. So common/protocol.h and
// proto/ cannot drift apart silently.

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
  bool is_notification() const { return body.contains("notification"); }
  const json& notification() const { return body.at("notification"); }
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
      {method::kTaskInput, {round_trip<InputParams>, round_trip<InputResult>}},
      {method::kTaskPrune, {round_trip<PruneParams>, round_trip<PruneResult>}},
      {method::kEventsSubscribe, {round_trip<SubscribeParams>, round_trip<SubscribeResult>}},
      // Unsubscribing reads the same params (only task_ids counts) and answers the same way.
      {method::kEventsUnsubscribe, {round_trip<SubscribeParams>, round_trip<SubscribeResult>}},
      {method::kDaemonInfo, {nullptr, round_trip<DaemonInfo>}},
      {method::kDaemonShutdown, {nullptr, nullptr}},
      {method::kDashboardOpen, {nullptr, round_trip<DashboardOpenResult>}},
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
    method::kHello,           method::kTaskStart,         method::kTaskGet,
    method::kTaskOutput,      method::kTaskCancel,        method::kTaskList,
    method::kTaskWait,        method::kTaskInput,         method::kTaskPrune,
    method::kEventsSubscribe, method::kEventsUnsubscribe, method::kDaemonInfo,
    method::kDaemonShutdown,  method::kDashboardOpen};

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
      {method::kTaskInput, params_error<InputParams>},
      {method::kTaskPrune, params_error<PruneParams>},
      {method::kEventsSubscribe, params_error<SubscribeParams>},
      {method::kEventsUnsubscribe, params_error<SubscribeParams>},
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

TEST(ProtocolExamples, EveryNotificationExampleRoundTripsThroughTheEventType) {
  int checked = 0;
  for (const Example& ex : examples()) {
    if (!ex.is_notification()) continue;
    SCOPED_TRACE(ex.file);
    const json& n = ex.notification();
    EXPECT_EQ(n.at("method"), method::kEvent);
    EXPECT_FALSE(n.contains("id")) << "a notification has no id";
    EXPECT_EQ(round_trip<Event>(n.at("params")), n.at("params"));
    ++checked;
  }
  EXPECT_GE(checked, 4);
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
  EXPECT_EQ(s["$defs"]["EventNotification"]["properties"]["method"]["const"], method::kEvent);
}

TEST(ProtocolSchema, ListsExactlyTheErrorCodesTheHeaderDeclares) {
  const std::vector<int> declared = {
      error::kParseError,          error::kInvalidRequest,   error::kMethodNotFound,
      error::kInvalidParams,       error::kInternalError,    error::kHelloRequired,
      error::kUnsupportedVersion,  error::kTaskNotFound,     error::kInvalidCwd,
      error::kPolicyDenied,        error::kSpawnFailed,      error::kShuttingDown,
      error::kIdempotencyConflict, error::kInputUnavailable, error::kDiskFull,
      error::kDashboardUnavailable};
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
  EXPECT_EQ(d["task.wait.result"]["properties"]["unknown_task_ids"]["maxItems"], kMaxWaitTasks);
  const json& start = d["task.start.params"]["properties"];
  EXPECT_EQ(start["command"]["maxLength"], kMaxCommandBytes);
  EXPECT_EQ(start["label"]["maxLength"], kMaxLabelBytes);
  EXPECT_EQ(start["idempotency_key"]["maxLength"], kMaxIdempotencyKeyBytes);
  EXPECT_EQ(start["umask"]["maximum"], 0777);
  EXPECT_EQ(d["hello.result"]["properties"]["max_line_bytes"]["const"], kMaxLineBytes);
  EXPECT_EQ(d["RequestTooLargeData"]["properties"]["limit"]["const"], kMaxLineBytes);
  // hello: the client and its policy
  for (const char* field : {"name", "version", "session", "user"})
    EXPECT_EQ(d["ClientInfo"]["properties"][field]["maxLength"], kMaxClientFieldBytes) << field;
  EXPECT_EQ(d["Policy"]["properties"]["allow"]["maxItems"], kMaxPolicyPatterns);
  EXPECT_EQ(d["Policy"]["properties"]["deny"]["maxItems"], kMaxPolicyPatterns);
  EXPECT_EQ(d["Pattern"]["maxLength"], kMaxPolicyPatternBytes);
  // task.output's other modes and bounds
  EXPECT_EQ(out["head_lines"]["maximum"], kMaxTailLines);
  EXPECT_EQ(out["max_chars"]["maximum"], kMaxChars);
  EXPECT_EQ(out["reader"]["maxLength"], kMaxReaderBytes);
  EXPECT_EQ(out["grep"]["maxLength"], kMaxGrepPatternBytes);
  EXPECT_EQ(out["context_lines"]["maximum"], kMaxGrepContext);
  EXPECT_EQ(out["max_matches"]["maximum"], kMaxGrepMatches);
  EXPECT_EQ(out["max_matches"]["default"], kDefaultGrepMatches);
  EXPECT_EQ(d["task.output.result"]["properties"]["matches"]["maxItems"], kMaxGrepMatches);
  EXPECT_EQ(d["GrepMatch"]["properties"]["before"]["maxItems"], kMaxGrepContext);
  EXPECT_EQ(d["GrepMatch"]["properties"]["after"]["maxItems"], kMaxGrepContext);
  // task.input, task.list filters, events
  EXPECT_EQ(d["task.input.params"]["properties"]["text"]["maxLength"], kMaxInputBytes);
  EXPECT_EQ(d["task.input.result"]["properties"]["written"]["maximum"], kMaxInputBytes);
  EXPECT_EQ(list["label"]["maxLength"], kMaxLabelBytes);
  EXPECT_EQ(list["command_contains"]["maxLength"], kMaxCommandFilterBytes);
  EXPECT_EQ(list["session"]["maxLength"], kMaxClientFieldBytes);
  EXPECT_EQ(d["events.subscribe.params"]["properties"]["task_ids"]["maxItems"],
            kMaxSubscribedTasks);
  EXPECT_EQ(d["events.subscribe.result"]["properties"]["tasks"]["maximum"], kMaxSubscribedTasks);
  EXPECT_EQ(d["events.unsubscribe.params"]["properties"]["task_ids"]["maxItems"],
            kMaxSubscribedTasks);
}

// The properties a schema definition names, through $ref and allOf.
std::set<std::string> schema_properties(const json& defs, const json& def) {
  std::set<std::string> out;
  if (def.contains("$ref")) {
    const std::string ref = def["$ref"].get<std::string>();
    const std::string prefix = "#/$defs/";
    return schema_properties(defs, defs.at(ref.substr(prefix.size())));
  }
  if (def.contains("properties"))
    for (const auto& [key, value] : def["properties"].items()) out.insert(key);
  if (def.contains("allOf"))
    for (const auto& part : def["allOf"])
      if (part.contains("$ref")) out.merge(schema_properties(defs, part));
  return out;
}

// Every field a C++ type writes, when all its optional fields are set, is named in the schema:
// the schema allows unknown properties, so without this a field could be left out unnoticed.
TEST(ProtocolSchema, NamesEveryFieldTheTypesWrite) {
  const json d = schema()["$defs"];
  const auto expect_named = [&](const char* def, const json& written) {
    SCOPED_TRACE(def);
    ASSERT_TRUE(d.contains(def));
    const std::set<std::string> named = schema_properties(d, d[def]);
    for (const auto& [key, value] : written.items()) EXPECT_TRUE(named.count(key)) << key;
  };
  Progress progress{50.0, 3, 6, "linking"};
  ClientInfo client{"Visual Studio Code", "1.99.3", "mcp-5d1e8a04", "ada", "backburner-mcp 0.1.0"};
  TaskView t;
  t.started_at = t.finished_at = "2026-11-24T10:30:00.123Z";
  t.running_for_seconds = t.duration_seconds = t.timeout_seconds = 1;
  t.exit_code = 1;
  t.signal = "SIGKILL";
  t.pid = 4;
  t.status_message = "m";
  t.client = client;
  t.label = "l";
  t.stdin_state = "pipe";
  t.log_path = "/p";
  t.progress = progress;
  expect_named("TaskView", t);
  expect_named("ClientInfo", client);
  expect_named("Progress", progress);
  expect_named("hello.params", HelloParams{1, client, Policy{{"a"}, {"b"}}});
  expect_named("Policy", Policy{{"a"}, {"b"}});
  expect_named("hello.result", HelloResult{});

  StartParams start;
  start.timeout_seconds = 1;
  start.env = std::map<std::string, std::string>{{"A", "b"}};
  start.label = "l";
  start.stdin_pipe = true;
  start.idempotency_key = "k";
  start.on_behalf_of = client;
  start.umask = 022;
  expect_named("task.start.params", start);
  expect_named("task.start.result", t);
  expect_named("task.get.params", TaskIdParams{"a"});
  expect_named("task.get.result", t);

  OutputParams op;
  op.tail_lines = op.head_lines = op.context_lines = op.max_matches = 1;
  op.offset = op.max_bytes = op.max_chars = 1;
  op.since_last_read = op.ignore_case = op.clean = op.progress = true;
  op.reader = op.grep = "x";
  expect_named("task.output.params", op);
  OutputResult orr;
  orr.mode = orr.log_path = "x";
  orr.chars = orr.first_line = orr.cut_bytes = orr.scanned_to = 1;
  GrepLine line{1, 0, "x"};
  orr.matches = std::vector<GrepMatch>{GrepMatch{line, {line}, {line}}};
  orr.grep_complete = true;
  orr.progress = progress;
  expect_named("task.output.result", orr);
  expect_named("GrepMatch", json(GrepMatch{line, {line}, {line}}));
  expect_named("GrepLine", json(line));

  expect_named("task.cancel.params", TaskIdParams{"a"});
  expect_named("task.cancel.result", CancelResult{t, true, "m", {4}});
  expect_named("task.input.params", InputParams{"a", "y\n", true});
  expect_named("task.input.result", InputResult{t, 2});
  ListParams lp{1, Status::working, "l", "c", "s", "1"};
  expect_named("task.list.params", lp);
  expect_named("task.list.result", ListResult{{t}, 1, "1"});
  expect_named("task.wait.params", WaitParams{{"a"}, 1, true, true});
  expect_named("task.wait.result",
               WaitResult{{t}, true, false, true, std::vector<std::string>{"a"}});
  expect_named("task.prune.params", PruneParams{1, 1, true});
  expect_named("task.prune.result", PruneResult{1, 1, 1, {"a"}});
  expect_named("events.subscribe.params", SubscribeParams{{"a"}, true, true});
  expect_named("events.subscribe.result", SubscribeResult{1, true, true});
  expect_named("events.unsubscribe.params", SubscribeParams{{"a"}, false, false});
  expect_named("events.unsubscribe.result", SubscribeResult{1, true, true});
  expect_named("Event", Event{"task", t, "a", 1});
  DaemonInfo info;
  info.counts = {{"working", 1}};
  info.log_bytes = info.keep_bytes = 1;
  info.keep_days = 30;
  info.dashboard_url = "http://127.0.0.1:7781/";
  expect_named("daemon.info.result", info);
  expect_named("dashboard.open.result", DashboardOpenResult{"http://127.0.0.1:1/?token=a",
                                                            "http://127.0.0.1:1/", 1, 600});
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
  EXPECT_EQ(params_error<WaitParams>(
                json{{"task_ids", std::vector<std::string>(kMaxWaitTasks + 1, "a")}}),
            "task_ids may list at most 1000 task ids, got 1001");
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

TEST(ProtocolParams, PolicyBoundsAreRefusedNamingTheListOrPattern) {
  const auto hello = [](json policy) {
    return params_error<HelloParams>(
        json{{"protocol_version", 1}, {"client", {{"name", "x"}}}, {"policy", policy}});
  };
  EXPECT_EQ(hello({{"allow", std::vector<std::string>(kMaxPolicyPatterns + 1, "^make\\b")}}),
            "policy.allow may hold at most 64 patterns, got 65");
  EXPECT_EQ(hello({{"deny", {"a", "b", "c", std::string(1500, 'x')}}}),
            "policy.deny[3] is 1500 bytes; the limit is 1024");
  EXPECT_EQ(hello({{"deny", "rm"}}),
            "policy.deny must be an array of regular expressions (strings), got \"rm\"");
  EXPECT_EQ(hello({{"allow", std::vector<std::string>(kMaxPolicyPatterns, "^make\\b")},
                   {"deny", {std::string(kMaxPolicyPatternBytes, 'x')}}}),
            "");
}

TEST(ProtocolParams, StartOptionsAreRefusedWithTheirBounds) {
  const auto start = [](json extra) {
    json p = {{"command", "make"}, {"cwd", "/src"}};
    p.update(extra);
    return params_error<StartParams>(p);
  };
  EXPECT_EQ(start({{"label", std::string(kMaxLabelBytes + 1, 'l')}}),
            "label is 201 bytes; the limit is 200");
  EXPECT_EQ(start({{"label", 7}}), "label must be a string, got 7");
  EXPECT_EQ(start({{"stdin", "file"}}),
            "stdin must be \"pipe\" (a stdin the task reads from task.input) or \"none\", got "
            "\"file\"");
  EXPECT_EQ(start({{"idempotency_key", ""}}), "idempotency_key must not be empty");
  EXPECT_EQ(start({{"idempotency_key", std::string(kMaxIdempotencyKeyBytes + 1, 'k')}}),
            "idempotency_key is 201 bytes; the limit is 200");
  EXPECT_EQ(start({{"umask", 0777 + 1}}), "umask must be an integer from 0 to 511, got 512");
  EXPECT_EQ(start({{"umask", -1}}), "umask must be an integer from 0 to 511, got -1");
  EXPECT_EQ(start({{"client", {{"version", "1"}}}}),
            "missing required field \"client.name\" (string)");
  // At the bounds.
  EXPECT_EQ(start({{"label", std::string(kMaxLabelBytes, 'l')},
                   {"stdin", "none"},
                   {"idempotency_key", std::string(kMaxIdempotencyKeyBytes, 'k')},
                   {"umask", 0777},
                   {"client", {{"name", "Visual Studio Code"}, {"session", "s"}}}}),
            "");
  EXPECT_EQ(start({{"umask", 0}}), "");
  // An empty label is no label.
  EXPECT_EQ(json(json{{"command", "make"}, {"cwd", "/src"}, {"label", ""}}.get<StartParams>()),
            (json{{"command", "make"}, {"cwd", "/src"}}));
}

TEST(ProtocolParams, OutputOptionsAreRefusedWithTheirBounds) {
  const auto output = [](json extra) {
    json p = {{"task_id", "k3v9q2xmtb"}};
    p.update(extra);
    return params_error<OutputParams>(p);
  };
  EXPECT_EQ(output({{"head_lines", 0}}), "head_lines must be an integer from 1 to 10000, got 0");
  EXPECT_EQ(output({{"head_lines", kMaxTailLines + 1}}),
            "head_lines must be an integer from 1 to 10000, got 10001");
  EXPECT_EQ(output({{"since_last_read", true}, {"reader", std::string(kMaxReaderBytes + 1, 'r')}}),
            "reader is 201 bytes; the limit is 200");
  EXPECT_EQ(output({{"since_last_read", true}, {"reader", ""}}), "reader must not be empty");
  EXPECT_EQ(output({{"since_last_read", "yes"}}), "since_last_read must be a boolean, got \"yes\"");
  EXPECT_EQ(output({{"grep", std::string(kMaxGrepPatternBytes + 1, 'g')}}),
            "grep is 1025 bytes; the limit is 1024");
  EXPECT_EQ(output({{"grep", ""}}), "grep must not be empty");
  EXPECT_EQ(output({{"grep", "x"}, {"context_lines", kMaxGrepContext + 1}}),
            "context_lines must be an integer from 0 to 20, got 21");
  EXPECT_EQ(output({{"grep", "x"}, {"max_matches", 0}}),
            "max_matches must be an integer from 1 to 1000, got 0");
  EXPECT_EQ(output({{"grep", "x"}, {"max_matches", kMaxGrepMatches + 1}}),
            "max_matches must be an integer from 1 to 1000, got 1001");
  EXPECT_EQ(output({{"max_chars", 0}}), "max_chars must be an integer from 1 to 1048576, got 0");
  EXPECT_EQ(output({{"max_chars", kMaxChars + 1}}),
            "max_chars must be an integer from 1 to 1048576, got 1048577");
  EXPECT_EQ(output({{"clean", 1}}), "clean must be a boolean, got 1");
  // At the bounds.
  EXPECT_EQ(output({{"head_lines", kMaxTailLines}, {"max_chars", kMaxChars}, {"clean", true}}), "");
  EXPECT_EQ(output({{"since_last_read", true}, {"reader", std::string(kMaxReaderBytes, 'r')}}), "");
  EXPECT_EQ(output({{"grep", std::string(kMaxGrepPatternBytes, 'g')},
                    {"context_lines", kMaxGrepContext},
                    {"max_matches", kMaxGrepMatches},
                    {"ignore_case", true},
                    {"progress", true}}),
            "");
  EXPECT_EQ(output({{"grep", "x"}, {"context_lines", 0}, {"max_matches", 1}}), "");
}

TEST(ProtocolParams, AReadHasAtMostOneMode) {
  const json modes = {{"tail_lines", 5},
                      {"head_lines", 5},
                      {"offset", 0},
                      {"since_last_read", true},
                      {"grep", "error"}};
  for (const auto& [a, va] : modes.items()) {
    for (const auto& [b, vb] : modes.items()) {
      if (a >= b) continue;
      // With grep, offset is where the search starts: not a second mode.
      if ((a == "grep" && b == "offset") || (a == "offset" && b == "grep")) continue;
      SCOPED_TRACE(a + " + " + b);
      json p = {{"task_id", "k3v9q2xmtb"}, {"reader", "agent-7"}, {a, va}, {b, vb}};
      const std::string expected =
          (a == "offset" && b == "tail_lines")
              ? "give either offset (read a byte range) or tail_lines (read the last lines), "
                "not both"
              : "give one way of reading: tail_lines, head_lines, offset, since_last_read or "
                "grep";
      EXPECT_EQ(params_error<OutputParams>(p), expected);
    }
    json one = {{"task_id", "k3v9q2xmtb"}, {"reader", "agent-7"}, {a, va}};
    EXPECT_EQ(params_error<OutputParams>(one), "") << a;
  }
  EXPECT_EQ(params_error<OutputParams>(
                json{{"task_id", "k3v9q2xmtb"}, {"grep", "error"}, {"offset", 4096}}),
            "");
  // since_last_read: false is no mode.
  EXPECT_EQ(params_error<OutputParams>(
                json{{"task_id", "k3v9q2xmtb"}, {"since_last_read", false}, {"offset", 10}}),
            "");
  EXPECT_EQ(params_error<OutputParams>(json{{"task_id", "k3v9q2xmtb"}, {"since_last_read", true}}),
            "since_last_read needs reader: a name for whose reads to continue from");
  EXPECT_EQ(params_error<OutputParams>(json{{"task_id", "k3v9q2xmtb"}, {"context_lines", 2}}),
            "context_lines and max_matches go with grep");
  EXPECT_EQ(params_error<OutputParams>(json{{"task_id", "k3v9q2xmtb"}, {"max_matches", 2}}),
            "context_lines and max_matches go with grep");
}

TEST(ProtocolParams, InputIsBoundedAndMustSaySomething) {
  EXPECT_EQ(params_error<InputParams>(
                json{{"task_id", "w7c2rf9dxe"}, {"text", std::string(kMaxInputBytes + 1, 'y')}}),
            "text is 65537 bytes; at most 65536 can be sent in one call: send it in parts");
  EXPECT_EQ(params_error<InputParams>(json{{"task_id", "w7c2rf9dxe"}}),
            "give text to send, or close: true to end the input");
  EXPECT_EQ(params_error<InputParams>(json{{"task_id", "w7c2rf9dxe"}, {"text", ""}}),
            "give text to send, or close: true to end the input");
  EXPECT_EQ(params_error<InputParams>(json{{"task_id", "w7c2rf9dxe"}, {"close", "yes"}}),
            "close must be a boolean, got \"yes\"");
  EXPECT_EQ(params_error<InputParams>(json{{"text", "y\n"}}),
            "missing required field \"task_id\" (string)");
  EXPECT_EQ(params_error<InputParams>(
                json{{"task_id", "w7c2rf9dxe"}, {"text", std::string(kMaxInputBytes, 'y')}}),
            "");
  EXPECT_EQ(
      params_error<InputParams>(json{{"task_id", "w7c2rf9dxe"}, {"text", ""}, {"close", true}}),
      "");
  // Input is bytes: a NUL is fine.
  EXPECT_EQ(
      params_error<InputParams>(json{{"task_id", "w7c2rf9dxe"}, {"text", std::string("a\0b", 3)}}),
      "");
}

TEST(ProtocolParams, ListFiltersAreBounded) {
  EXPECT_EQ(params_error<ListParams>(json{{"label", std::string(kMaxLabelBytes + 1, 'l')}}),
            "label is 201 bytes; the limit is 200");
  EXPECT_EQ(params_error<ListParams>(
                json{{"command_contains", std::string(kMaxCommandFilterBytes + 1, 'c')}}),
            "command_contains is 1025 bytes; the limit is 1024");
  EXPECT_EQ(params_error<ListParams>(json{{"command_contains", ""}}),
            "command_contains must not be empty");
  EXPECT_EQ(params_error<ListParams>(json{{"session", std::string(kMaxClientFieldBytes + 1, 's')}}),
            "session is 201 bytes; the limit is 200");
  EXPECT_EQ(params_error<ListParams>(json{{"cursor", std::string(65, '9')}}),
            "cursor is 65 bytes; the limit is 64");
  EXPECT_EQ(params_error<ListParams>(json{{"cursor", 1841}}), "cursor must be a string, got 1841");
  EXPECT_EQ(
      params_error<ListParams>(json{{"label", std::string(kMaxLabelBytes, 'l')},
                                    {"command_contains", std::string(kMaxCommandFilterBytes, 'c')},
                                    {"session", std::string(kMaxClientFieldBytes, 's')},
                                    {"cursor", std::string(64, '9')}}),
      "");
}

TEST(ProtocolParams, WaitModesAndPruneAndSubscribeBounds) {
  const json ids = json::array({"q4n5b7vyrc"});
  EXPECT_EQ(params_error<WaitParams>(json{{"task_ids", ids}, {"mode", "some"}}),
            "mode must be \"all\" (every task ended) or \"any\" (one task ended), got \"some\"");
  EXPECT_EQ(params_error<WaitParams>(json{{"task_ids", ids}, {"report_unknown", 1}}),
            "report_unknown must be a boolean, got 1");
  EXPECT_EQ(params_error<WaitParams>(json{{"task_ids", ids}, {"mode", "all"}}), "");
  EXPECT_EQ(params_error<PruneParams>(json{{"older_than_days", 36501}}),
            "older_than_days must be a number of days from 0 to 36500, got 36501");
  EXPECT_EQ(params_error<PruneParams>(json{{"older_than_days", -1}}),
            "older_than_days must be a number of days from 0 to 36500, got -1");
  EXPECT_EQ(params_error<PruneParams>(json{{"keep_bytes", -1}}),
            "keep_bytes must be a non-negative integer, got -1");
  EXPECT_EQ(params_error<PruneParams>(json{{"older_than_days", 0.5}, {"keep_bytes", 0}}), "");
  EXPECT_EQ(params_error<PruneParams>(json()), "");
  EXPECT_EQ(params_error<SubscribeParams>(
                json{{"task_ids", std::vector<std::string>(kMaxSubscribedTasks + 1, "a")}}),
            "task_ids may list at most 1000 task ids, got 1001");
  EXPECT_EQ(params_error<SubscribeParams>(json{
                {"task_ids", std::vector<std::string>(kMaxSubscribedTasks, "a")}, {"all", true}}),
            "");
  EXPECT_EQ(params_error<SubscribeParams>(json{{"all", "yes"}}),
            "all must be a boolean, got \"yes\"");
  EXPECT_EQ(params_error<SubscribeParams>(json()), "");
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

TEST(ProtocolParams, EveryClientFieldASenderGivesIsBounded) {
  const auto hello = [](json client) {
    return params_error<HelloParams>(json{{"protocol_version", 1}, {"client", client}});
  };
  const std::string too_long(kMaxClientFieldBytes + 1, 'x');
  const std::string longest(kMaxClientFieldBytes, 'x');
  EXPECT_EQ(hello({{"name", too_long}}), "client.name is 201 bytes; the limit is 200");
  EXPECT_EQ(hello({{"name", "x"}, {"version", too_long}}),
            "client.version is 201 bytes; the limit is 200");
  EXPECT_EQ(hello({{"name", "x"}, {"session", too_long}}),
            "client.session is 201 bytes; the limit is 200");
  EXPECT_EQ(hello({{"name", "x"}, {"user", too_long}}),
            "client.user is 201 bytes; the limit is 200");
  EXPECT_EQ(hello({{"name", std::string("a\0b", 3)}}),
            "client.name must not contain a NUL character");
  EXPECT_EQ(
      hello({{"name", longest}, {"version", longest}, {"session", longest}, {"user", longest}}),
      "");
  EXPECT_EQ(params_error<StartParams>(
                json{{"command", "ls"}, {"cwd", "/"}, {"client", {{"name", too_long}}}}),
            "client.name is 201 bytes; the limit is 200");
}

TEST(ProtocolResults, AViaOfTheLongestNameAndVersionIsRead) {
  // The daemon writes "name version" of the relaying connection: longer than either field.
  const std::string longest(kMaxClientFieldBytes, 'x');
  const json view = {
      {"task_id", "k3v9q2xmtb"},
      {"command", "make"},
      {"cwd", "/"},
      {"status", "working"},
      {"created_at", "2026-11-24T10:30:00.123Z"},
      {"output_bytes", 0},
      {"client", {{"name", "x"}, {"version", "1"}, {"via", longest + " " + longest}}}};
  EXPECT_EQ(json(view.get<TaskView>()), view);
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
                          "exit_code", "signal", "pid", "timeout_seconds", "status_message",
                          "label", "stdin", "log_path", "progress"})
    EXPECT_FALSE(j.contains(key)) << key;
  EXPECT_EQ(j["client"], (json{{"name", "cli"}, {"version", "0.1.0"}}));
  for (const auto& [key, value] : j.items()) EXPECT_FALSE(value.is_null()) << key;
  EXPECT_EQ(j["status"], "working");
  EXPECT_EQ(j["output_bytes"], 0);
  EXPECT_EQ(j.get<TaskView>().exit_code, std::nullopt);

  StartParams p;
  p.command = "ls";
  p.cwd = "/";
  EXPECT_EQ(json(p), (json{{"command", "ls"}, {"cwd", "/"}}));

  OutputResult o;
  o.task_id = "a";
  const json oj = o;
  for (const char* key : {"mode", "chars", "first_line", "cut_bytes", "log_path", "matches",
                          "grep_complete", "scanned_to", "progress"})
    EXPECT_FALSE(oj.contains(key)) << key;
  WaitResult w;
  const json wj = w;
  EXPECT_FALSE(wj.contains("any_finished"));
  EXPECT_FALSE(wj.contains("unknown_task_ids"));
  EXPECT_EQ(json(ListResult{}), (json{{"tasks", json::array()}, {"total", 0}}));
  EXPECT_EQ(json(Progress{}), json::object());
  Event resync;
  resync.kind = "resync";
  EXPECT_EQ(json(resync), (json{{"kind", "resync"}}));
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
