#include "tools.h"

#include <algorithm>
#include <system_error>

#include "protocol.h"
#include "schema_check.h"
#include "task_json.h"
#include "utf8_path.h"

namespace bb::shim {

using nlohmann::json;
namespace fs = std::filesystem;
using std::chrono::milliseconds;

json ToolResult::to_mcp() const {
  if (is_error) {
    return {{"content", json::array({{{"type", "text"}, {"text", message}}})}, {"isError", true}};
  }
  return {
      {"content",
       json::array({{{"type", "text"},
                     {"text", structured.dump(-1, ' ', false, json::error_handler_t::replace)}}})},
      {"structuredContent", structured},
      {"isError", false},
  };
}

Tools::Tools(const ToolCatalog& catalog, DaemonPort& daemon, ToolsConfig config)
    : catalog_(catalog), daemon_(daemon), config_(std::move(config)) {}

ToolResult Tools::call(const std::string& name, const json& arguments, ToolContext& ctx) {
  const json* tool = catalog_.find(name);
  if (tool == nullptr) return ToolResult::error("unknown tool " + name);  // callers check first
  if (auto problem = check_schema(arguments, (*tool)["inputSchema"])) {
    return ToolResult::error("Invalid arguments for " + name + ": " + *problem +
                             ". See the tool's inputSchema and call it again.");
  }
  // Daemon answers are parsed strictly; one this shim cannot read is a version mismatch.
  try {
    if (name == "start_task") return start_task(arguments, ctx);
    if (name == "task_status") return task_status(arguments, ctx);
    if (name == "task_result") return task_result(arguments, ctx);
    if (name == "cancel_task") return cancel_task(arguments, ctx);
    if (name == "list_tasks") return list_tasks(arguments, ctx);
    if (name == "wait_task") return wait_task(arguments, ctx);
  } catch (const proto::ParamsError& e) {
    return ToolResult::error("The daemon's answer was not understood (" + e.message +
                             "). backburnerd and backburner-mcp may be different versions: "
                             "ask the user to restart backburnerd.");
  } catch (const json::exception& e) {
    return ToolResult::error(std::string("The daemon's answer was not understood (") + e.what() +
                             "). backburnerd and backburner-mcp may be different versions.");
  }
  return ToolResult::error("tool " + name + " is listed but not implemented");
}

std::variant<json, std::string> Tools::daemon_call(std::string_view method, const json& params,
                                                   ToolContext& ctx) {
  auto outcome = daemon_.call(method, params, config_.call_timeout, ctx.cancel);
  if (auto* error = std::get_if<RpcError>(&outcome)) {
    return explain_daemon_error(*error, config_.cwd.string());
  }
  return std::get<json>(std::move(outcome));
}

ToolResult Tools::start_task(const json& args, ToolContext& ctx) {
  proto::StartParams p;
  p.command = args["command"].get<std::string>();
  fs::path cwd = config_.cwd;
  if (auto c = args.find("cwd"); c != args.end()) {
    const auto& given = c->get_ref<const std::string&>();
    if (config_.home && (given == "~" || given.rfind("~/", 0) == 0)) {
      cwd = *config_.home / utf8_path(given.substr(std::min<std::size_t>(2, given.size())));
    } else {
      cwd = config_.cwd / utf8_path(given);  // an absolute `given` replaces the base
    }
  }
  cwd = cwd.lexically_normal();
  if (cwd.native().size() > 1 && cwd.native().back() == fs::path::preferred_separator &&
      cwd != cwd.root_path())
    cwd = cwd.parent_path();
  std::error_code ec;
  if (!fs::is_directory(cwd, ec)) {
    return ToolResult::error("The working directory " + cwd.string() +
                             " does not exist or is not a directory. Pass an existing directory "
                             "as cwd, or leave cwd out to run in " +
                             config_.cwd.string() + ".");
  }
  p.cwd = cwd.string();
  if (auto t = args.find("timeout_seconds"); t != args.end()) p.timeout_seconds = t->get<double>();
  p.env = config_.env;
  auto answer = daemon_call(proto::method::kTaskStart, json(p), ctx);
  if (auto* msg = std::get_if<std::string>(&answer)) return ToolResult::error(*msg);
  return ToolResult::ok(task_to_mcp(std::get<json>(answer).get<proto::TaskView>()));
}

ToolResult Tools::task_status(const json& args, ToolContext& ctx) {
  auto answer = daemon_call(proto::method::kTaskGet,
                            json(proto::TaskIdParams{args["task_id"].get<std::string>()}), ctx);
  if (auto* msg = std::get_if<std::string>(&answer)) return ToolResult::error(*msg);
  return ToolResult::ok(task_to_mcp(std::get<json>(answer).get<proto::TaskView>()));
}

ToolResult Tools::task_result(const json& args, ToolContext& ctx) {
  const auto id = args["task_id"].get<std::string>();
  const int tail_lines = args.value("tail_lines", proto::kDefaultTailLines);
  // The state first, then the output: a task seen finished has all its output on disk already.
  auto got = daemon_call(proto::method::kTaskGet, json(proto::TaskIdParams{id}), ctx);
  if (auto* msg = std::get_if<std::string>(&got)) return ToolResult::error(*msg);
  const auto task = std::get<json>(got).get<proto::TaskView>();
  proto::OutputParams op;
  op.task_id = id;
  op.tail_lines = tail_lines;
  op.max_bytes = config_.output_max_bytes;
  auto read = daemon_call(proto::method::kTaskOutput, json(op), ctx);
  if (auto* msg = std::get_if<std::string>(&read)) return ToolResult::error(*msg);
  const auto out = std::get<json>(read).get<proto::OutputResult>();

  json j = task_to_mcp(task);
  j["output_bytes"] = std::max(task.output_bytes, out.output_bytes);
  j["output"] = out.output;
  j["truncated"] = out.truncated;
  if (out.truncated) {
    const auto shown = out.next_offset - out.offset;
    const auto total = std::to_string(out.output_bytes);
    if (shown >= config_.output_max_bytes) {
      j["truncated_message"] = "Only the last " + std::to_string(shown) + " of " + total +
                               " bytes are shown: the output is capped at " +
                               std::to_string(config_.output_max_bytes / 1024) +
                               " KiB, which cut it before " + std::to_string(tail_lines) +
                               " lines. Ask for fewer lines, or rerun the command with its output "
                               "filtered (grep, tail).";
    } else {
      j["truncated_message"] = "Showing the last " + std::to_string(tail_lines) + " lines (" +
                               std::to_string(shown) + " of " + total +
                               " bytes). Pass a larger tail_lines (up to " +
                               std::to_string(proto::kMaxTailLines) + ") to see more.";
    }
  }
  return ToolResult::ok(std::move(j));
}

ToolResult Tools::cancel_task(const json& args, ToolContext& ctx) {
  auto answer = daemon_call(proto::method::kTaskCancel,
                            json(proto::TaskIdParams{args["task_id"].get<std::string>()}), ctx);
  if (auto* msg = std::get_if<std::string>(&answer)) return ToolResult::error(*msg);
  const auto r = std::get<json>(answer).get<proto::CancelResult>();
  json j = task_to_mcp(r.task);
  j["cancelled"] = r.cancelled;
  j["message"] = r.message;
  if (!r.survivors.empty()) j["survivors"] = r.survivors;
  return ToolResult::ok(std::move(j));
}

ToolResult Tools::list_tasks(const json& args, ToolContext& ctx) {
  proto::ListParams p;
  p.limit = args.value("limit", proto::kDefaultListLimit);
  if (auto s = args.find("status"); s != args.end())
    p.status = proto::status_from_string(s->get<std::string>());
  auto answer = daemon_call(proto::method::kTaskList, json(p), ctx);
  if (auto* msg = std::get_if<std::string>(&answer)) return ToolResult::error(*msg);
  const auto r = std::get<json>(answer).get<proto::ListResult>();
  json tasks = json::array();
  for (const auto& t : r.tasks) tasks.push_back(task_to_mcp(t));
  return ToolResult::ok({{"tasks", std::move(tasks)}, {"total", r.total}});
}

}  // namespace bb::shim
