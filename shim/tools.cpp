#include "tools.h"

#include <algorithm>
#include <system_error>

#include "protocol.h"
#include "schema_check.h"
#include "task_json.h"

namespace bb::shim {

using nlohmann::json;
namespace fs = std::filesystem;
using std::chrono::milliseconds;

std::string default_reader(const proto::ClientInfo& client) {
  std::string r =
      (client.name.empty() ? "mcp-client" : client.name) + "/" + client.session.value_or("shim");
  if (r.size() > proto::kMaxReaderBytes) r.resize(proto::kMaxReaderBytes);
  return r;
}

json ToolResult::to_mcp() const {
  json r = {{"content", json::array({{{"type", "text"}, {"text", text}}})}, {"isError", is_error}};
  if (!structured.is_null()) r["structuredContent"] = structured;
  return r;
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
    if (name == "send_input") return send_input(arguments, ctx);
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

std::variant<std::string, ToolResult> Tools::resolve_cwd(const json& args) const {
  fs::path cwd = config_.cwd;
  if (auto c = args.find("cwd"); c != args.end()) {
    const auto& given = c->get_ref<const std::string&>();
    if (config_.home && (given == "~" || given.rfind("~/", 0) == 0)) {
      cwd = *config_.home / given.substr(std::min<std::size_t>(2, given.size()));
    } else {
      cwd = config_.cwd / given;  // an absolute `given` replaces the base
    }
  }
  cwd = cwd.lexically_normal();
  if (cwd.native().size() > 1 && cwd.native().back() == '/') cwd = cwd.parent_path();
  std::error_code ec;
  if (!fs::is_directory(cwd, ec)) {
    return ToolResult::error("The working directory " + cwd.string() +
                             " does not exist or is not a directory. Pass an existing directory "
                             "as cwd, or leave cwd out to run in " +
                             config_.cwd.string() + ".");
  }
  return cwd.string();
}

std::variant<proto::TaskView, ToolResult> Tools::start(const json& args, ToolContext& ctx) {
  if (auto problem = check_schema(args, (*catalog_.find("start_task"))["inputSchema"])) {
    return ToolResult::error("Invalid arguments for start_task: " + *problem +
                             ". See the tool's inputSchema and call it again.");
  }
  proto::StartParams p;
  p.command = args["command"].get<std::string>();
  auto cwd = resolve_cwd(args);
  if (auto* failed = std::get_if<ToolResult>(&cwd)) return std::move(*failed);
  p.cwd = std::get<std::string>(cwd);
  if (auto t = args.find("timeout_seconds"); t != args.end()) p.timeout_seconds = t->get<double>();
  auto env = config_.env;
  if (auto e = args.find("env"); e != args.end()) {
    for (const auto& [name, value] : e->items()) {
      if (name.empty() || name.find('=') != std::string::npos ||
          name.find('\0') != std::string::npos) {
        return ToolResult::error("Invalid arguments for start_task: env name \"" + name +
                                 "\" is not a variable name (empty, or contains '=').");
      }
      env[name] = value.get<std::string>();
    }
  }
  p.env = std::move(env);
  if (auto l = args.find("label"); l != args.end()) p.label = l->get<std::string>();
  p.stdin_pipe = args.value("stdin", std::string("none")) == "pipe";
  if (!ctx.call_key.empty()) p.idempotency_key = ctx.call_key;
  if (!ctx.client.name.empty()) {
    proto::ClientInfo who;
    who.name = ctx.client.name;
    who.version = ctx.client.version;
    who.session = ctx.client.session;
    p.on_behalf_of = std::move(who);
  }
  auto answer = daemon_call(proto::method::kTaskStart, json(p), ctx);
  if (auto* msg = std::get_if<std::string>(&answer)) return ToolResult::error(*msg);
  return std::get<json>(answer).get<proto::TaskView>();
}

ToolResult Tools::start_task(const json& args, ToolContext& ctx) {
  auto started = start(args, ctx);
  if (auto* failed = std::get_if<ToolResult>(&started)) return std::move(*failed);
  const auto& task = std::get<proto::TaskView>(started);
  std::string text = "Started. " + status_line(task) + "\nNext: wait_task(task_ids=[\"" +
                     task.task_id + "\"]) to wait for it, task_result(task_id=\"" + task.task_id +
                     "\") to read its output.";
  if (task.stdin_state) text += " It reads stdin: answer with send_input.";
  return ToolResult::ok(task_to_mcp(task), std::move(text));
}

ToolResult Tools::task_status(const json& args, ToolContext& ctx) {
  auto answer = daemon_call(proto::method::kTaskGet,
                            json(proto::TaskIdParams{args["task_id"].get<std::string>()}), ctx);
  if (auto* msg = std::get_if<std::string>(&answer)) return ToolResult::error(*msg);
  const auto task = std::get<json>(answer).get<proto::TaskView>();
  std::string text = status_line(task);
  text += "\nOutput: " + std::to_string(task.output_bytes) + " bytes";
  if (task.log_path) text += " in " + *task.log_path;
  text += ".";
  return ToolResult::ok(task_to_mcp(task), std::move(text));
}

ToolResult Tools::send_input(const json& args, ToolContext& ctx) {
  proto::InputParams p;
  p.task_id = args["task_id"].get<std::string>();
  p.text = args["text"].get<std::string>();
  p.close = args.value("close", false);
  if (p.text.size() > proto::kMaxInputBytes) {
    return ToolResult::error("text is " + std::to_string(p.text.size()) +
                             " bytes; send_input takes at most " +
                             std::to_string(proto::kMaxInputBytes) +
                             " bytes per call. Split it into several calls (each waits until the "
                             "task has read the one before), or write it to a file and pass the "
                             "file's path to the command instead.");
  }
  if (p.text.empty() && !p.close) {
    return ToolResult::error(
        "Nothing to do: text is empty and close is false. Pass the text to "
        "write (add \"\\n\" to end a line), or close: true to end the input.");
  }
  auto answer = daemon_call(proto::method::kTaskInput, json(p), ctx);
  if (auto* msg = std::get_if<std::string>(&answer)) return ToolResult::error(*msg);
  const auto r = std::get<json>(answer).get<proto::InputResult>();
  json j = task_to_mcp(r.task);
  j["written"] = r.written;
  if (p.close) j["closed"] = true;
  std::string text = "Wrote " + std::to_string(r.written) + " bytes to the input of task " +
                     r.task.task_id + (p.close ? " and closed it" : "") + ".\n" +
                     status_line(r.task);
  return ToolResult::ok(std::move(j), std::move(text));
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
  std::string text =
      (r.cancelled ? "Cancelled. " : "Not cancelled: ") + r.message + "\n" + status_line(r.task);
  return ToolResult::ok(std::move(j), std::move(text));
}

ToolResult Tools::list_tasks(const json& args, ToolContext& ctx) {
  proto::ListParams p;
  p.limit = args.value("limit", proto::kDefaultListLimit);
  if (auto s = args.find("status"); s != args.end())
    p.status = proto::status_from_string(s->get<std::string>());
  if (auto l = args.find("label"); l != args.end()) p.label = l->get<std::string>();
  if (auto c = args.find("command_contains"); c != args.end())
    p.command_contains = c->get<std::string>();
  if (auto c = args.find("cursor"); c != args.end()) p.cursor = c->get<std::string>();
  if (args.value("mine", false)) {
    if (!ctx.client.session) {
      return ToolResult::error("mine: true needs a client session, and this call has none.");
    }
    p.session = ctx.client.session;
  }
  auto answer = daemon_call(proto::method::kTaskList, json(p), ctx);
  if (auto* msg = std::get_if<std::string>(&answer)) return ToolResult::error(*msg);
  const auto r = std::get<json>(answer).get<proto::ListResult>();
  json tasks = json::array();
  std::string text = std::to_string(r.tasks.size()) + " of " + std::to_string(r.total) +
                     " matching task(s), newest first";
  text += r.tasks.empty() ? "." : ":";
  for (const auto& t : r.tasks) {
    tasks.push_back(task_to_mcp(t));
    text += "\n- " + status_line(t);
  }
  json j = {{"tasks", std::move(tasks)}, {"total", r.total}};
  if (r.next_cursor) {
    j["next_cursor"] = *r.next_cursor;
    text += "\nMore match: call list_tasks again with the same filters and cursor=\"" +
            *r.next_cursor + "\".";
  }
  return ToolResult::ok(std::move(j), std::move(text));
}

}  // namespace bb::shim
