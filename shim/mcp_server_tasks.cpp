// MCP Tasks in both eras: a task-augmented start_task, tasks/get, tasks/result, tasks/list,
// tasks/cancel, tasks/update, and notifications/tasks/status for the MCP tasks a legacy session
// created. The MCP task is the daemon's task (same id), so nothing here keeps task state but
// what a notification needs to tell a change from a repeat.
#include <algorithm>

#include "iso_time.h"
#include "mcp_codes.h"
#include "mcp_server.h"
#include "progress_report.h"
#include "task_json.h"

namespace bb::shim {

using nlohmann::json;

namespace {

constexpr const char* kRelatedTask = "io.modelcontextprotocol/related-task";
constexpr const char* kImmediateResponse = "io.modelcontextprotocol/model-immediate-response";
// A tasks/list page.
constexpr int kTaskPage = 50;
// One task.wait of a blocked tasks/result (the daemon answers at once when the task ends).
constexpr double kResultWaitSeconds = 3600;

std::optional<std::string> task_id_param(const json& params) {
  const auto t = params.find("taskId");
  if (t == params.end() || !t->is_string() || t->get_ref<const std::string&>().empty())
    return std::nullopt;
  return t->get<std::string>();
}

}  // namespace

std::optional<McpServer::Reply> McpServer::require_tasks_extension(const Era& era) const {
  if (!era.modern || era.tasks_ext) return std::nullopt;
  return Reply::error(
      code::kMissingRequiredCapability,
      std::string("Missing required client capability: declare the ") + kTasksExtension +
          " extension in _meta[\"io.modelcontextprotocol/clientCapabilities\"]."
          "extensions to use tasks/*",
      {{"requiredCapabilities", {{"extensions", {{kTasksExtension, json::object()}}}}}});
}

TaskTiming McpServer::cached_timing() const {
  std::lock_guard lock(mutex_);
  TaskTiming t = timing_.value_or(TaskTiming{});
  t.poll_interval_ms = options_.poll_interval_ms;
  return t;
}

TaskTiming McpServer::timing(Call& call) {
  {
    std::lock_guard lock(mutex_);
    if (timing_) {
      TaskTiming t = *timing_;
      t.poll_interval_ms = options_.poll_interval_ms;
      return t;
    }
  }
  TaskTiming t;
  auto info = tools_.daemon().call(proto::method::kDaemonInfo, json::object(),
                                   std::chrono::milliseconds(10000), call.flight->token);
  if (auto* r = std::get_if<json>(&info)) {
    // Only keep_days matters here; the rest of daemon.info may be of a newer daemon.
    if (const auto k = r->find("keep_days"); k != r->end() && k->is_number() && *k > 0)
      t.keep_days = k->get<double>();
    std::lock_guard lock(mutex_);
    timing_ = t;  // retention changes only with a daemon restart: asked once
  }
  t.poll_interval_ms = options_.poll_interval_ms;
  return t;
}

json McpServer::detailed_task(const proto::TaskView& task, ToolContext& ctx) {
  json j = modern_task(task, cached_timing(), now_ms());
  if (proto::is_terminal(task.status) && task.status != proto::Status::cancelled)
    j["result"] = tools_.final_result(task.task_id, ctx).to_mcp();
  return j;
}

McpServer::Reply McpServer::call_as_task(Call& call, const std::string& tool, const json& args) {
  auto ctx = call.context(*this);
  if (tool != "start_task") {
    return Reply::error(code::kMethodNotFound, "Tool " + tool + " does not run as a task");
  }
  auto started = tools_.start(args, ctx);
  if (auto* failed = std::get_if<ToolResult>(&started)) {
    // No task exists, so there is no CreateTaskResult to give: the request itself fails.
    return Reply::error(code::kInvalidParams, failed->text);
  }
  const auto& task = std::get<proto::TaskView>(started);
  const TaskTiming t = timing(call);
  if (call.era.modern) {
    json r = modern_task(task, t, now_ms());
    r["resultType"] = "task";
    return Reply::ok(std::move(r));
  }
  follow_created_task(task, call.era, call.progress_token);
  json r = {{"task", legacy_task(task, t, now_ms())}};
  r["_meta"][kImmediateResponse] =
      "Started as a background task. " + status_line(task) +
      ". Its result arrives when it ends; meanwhile wait_task and task_result(task_id=\"" +
      task.task_id + "\") work on it too.";
  return Reply::ok(std::move(r));
}

void McpServer::follow_created_task(const proto::TaskView& task, const Era& era,
                                    const json& progress_token) {
  (void)era;
  struct State {
    std::mutex mutex;
    std::string status;
    double progress = -1;
    bool ended = false;
    std::optional<std::uint64_t> watch;
  };
  auto state = std::make_shared<State>();
  state->status = legacy_status(task);
  const std::string id = task.task_id;
  WatchCallbacks cb;
  cb.progress = !progress_token.is_null();
  cb.on_task = [this, state, id, progress_token](const proto::TaskView& v) {
    std::optional<std::uint64_t> finished_watch;
    {
      std::lock_guard lock(state->mutex);
      if (state->ended) return;  // a terminal status never changes back
      if (!progress_token.is_null() && v.status == proto::Status::working) {
        if (auto note = WaitProgress::task_units({v}); note && note->progress > state->progress) {
          state->progress = note->progress;
          json p = {{"progressToken", progress_token},
                    {"progress", note->progress},
                    {"message", task_status_message(v)},
                    {"_meta", {{kRelatedTask, {{"taskId", id}}}}}};
          if (note->total) p["total"] = *note->total;
          send({{"jsonrpc", "2.0"}, {"method", "notifications/progress"}, {"params", p}});
        }
      }
      if (legacy_status(v) != state->status) {
        state->status = legacy_status(v);
        send({{"jsonrpc", "2.0"},
              {"method", "notifications/tasks/status"},
              {"params", legacy_task(v, cached_timing(), now_ms())}});
      }
      if (proto::is_terminal(v.status)) {
        state->ended = true;
        finished_watch = state->watch;
      }
    }
    if (finished_watch) {
      watch_.unwatch(*finished_watch);
      std::lock_guard lock(mutex_);
      created_watches_.erase(id);
    }
  };
  auto watched = watch_.watch(id, std::move(cb));
  if (std::holds_alternative<std::string>(watched)) {
    return;  // no notifications then; tasks/get and tasks/result still work
  }
  const auto watch_id = std::get<std::uint64_t>(watched);
  bool ended = false;
  {
    std::lock_guard lock(state->mutex);
    state->watch = watch_id;
    ended = state->ended;
  }
  if (ended) {
    watch_.unwatch(watch_id);
    return;
  }
  std::lock_guard lock(mutex_);
  created_watches_[id] = watch_id;
}

McpServer::Reply McpServer::tasks_get(Call& call, const json& params) {
  const auto id = task_id_param(params);
  if (!id)
    return Reply::error(code::kInvalidParams, "Invalid params: taskId (a string) is required");
  auto ctx = call.context(*this);
  auto got = tools_.daemon().call(proto::method::kTaskGet, json(proto::TaskIdParams{*id}),
                                  tools_.config().call_timeout, ctx.cancel);
  if (auto* e = std::get_if<RpcError>(&got)) {
    if (e->code == proto::error::kTaskNotFound)
      return Reply::error(code::kInvalidParams, "Failed to retrieve task: Task not found",
                          {{"taskId", *id}});
    return Reply::error(code::kInternalError, "Failed to retrieve task: " + e->message);
  }
  const auto task = std::get<json>(got).get<proto::TaskView>();
  timing(call);
  if (call.era.modern) return Reply::ok(detailed_task(task, ctx));
  return Reply::ok(legacy_task(task, cached_timing(), now_ms()));
}

McpServer::Reply McpServer::tasks_result(Call& call, const json& params) {
  const auto id = task_id_param(params);
  if (!id)
    return Reply::error(code::kInvalidParams, "Invalid params: taskId (a string) is required");
  auto ctx = call.context(*this);
  // With a progressToken of its own, this request hears the task's progress while it blocks,
  // pushed from the daemon's events (output growth refreshes the parsed progress).
  std::optional<std::uint64_t> progress_watch;
  if (ctx.progress) {
    auto last = std::make_shared<double>(-1);
    WatchCallbacks cb;
    cb.progress = true;
    cb.on_task = [progress = ctx.progress, last](const proto::TaskView& v) {
      if (v.status != proto::Status::working) return;
      const auto note = WaitProgress::task_units({v});
      if (!note || note->progress <= *last) return;
      *last = note->progress;
      progress(note->progress, note->total, task_status_message(v));
    };
    if (auto w = watch_.watch(*id, std::move(cb)); std::holds_alternative<std::uint64_t>(w))
      progress_watch = std::get<std::uint64_t>(w);
  }
  struct Unwatch {
    TaskWatch& watch;
    std::optional<std::uint64_t>& id;
    ~Unwatch() {
      if (id) watch.unwatch(*id);
    }
  } unwatch{watch_, progress_watch};
  for (;;) {
    proto::WaitParams w;
    w.task_ids = {*id};
    w.timeout_seconds = kResultWaitSeconds;
    auto waited = tools_.daemon().call(
        proto::method::kTaskWait, json(w),
        std::chrono::milliseconds(static_cast<long long>(kResultWaitSeconds * 1000) + 15000),
        ctx.cancel);
    if (auto* e = std::get_if<RpcError>(&waited)) {
      if (e->code == proto::error::kTaskNotFound)
        return Reply::error(code::kInvalidParams, "Failed to retrieve task: Task not found",
                            {{"taskId", *id}});
      return Reply::error(code::kInternalError, "Failed to wait for the task: " + e->message);
    }
    if (std::get<json>(waited).get<proto::WaitResult>().all_finished) break;
    if (ctx.cancel.cancelled()) return Reply::error(code::kInternalError, "cancelled");
  }
  json r = tools_.final_result(*id, ctx).to_mcp();
  r["_meta"][kRelatedTask] = {{"taskId", *id}};
  return Reply::ok(std::move(r));
}

McpServer::Reply McpServer::tasks_list(Call& call, const json& params) {
  proto::ListParams p;
  p.limit = kTaskPage;
  if (const auto c = params.find("cursor"); c != params.end() && !c->is_null()) {
    if (!c->is_string())
      return Reply::error(code::kInvalidParams, "Invalid params: cursor must be a string");
    p.cursor = c->get<std::string>();
  }
  auto ctx = call.context(*this);
  auto listed = tools_.daemon().call(proto::method::kTaskList, json(p),
                                     tools_.config().call_timeout, ctx.cancel);
  if (auto* e = std::get_if<RpcError>(&listed)) {
    if (e->code == proto::error::kInvalidParams)
      return Reply::error(code::kInvalidParams, "Invalid params: " + e->message);
    return Reply::error(code::kInternalError, "Failed to list tasks: " + e->message);
  }
  const auto r = std::get<json>(listed).get<proto::ListResult>();
  timing(call);
  const auto t = cached_timing();
  json tasks = json::array();
  for (const auto& task : r.tasks) tasks.push_back(legacy_task(task, t, now_ms()));
  json out = {{"tasks", std::move(tasks)}};
  if (r.next_cursor) out["nextCursor"] = *r.next_cursor;
  return Reply::ok(std::move(out));
}

McpServer::Reply McpServer::tasks_cancel(Call& call, const json& params) {
  const auto id = task_id_param(params);
  if (!id)
    return Reply::error(code::kInvalidParams, "Invalid params: taskId (a string) is required");
  auto ctx = call.context(*this);
  auto got = tools_.daemon().call(proto::method::kTaskGet, json(proto::TaskIdParams{*id}),
                                  tools_.config().call_timeout, ctx.cancel);
  if (auto* e = std::get_if<RpcError>(&got)) {
    if (e->code == proto::error::kTaskNotFound)
      return Reply::error(code::kInvalidParams, "Failed to cancel task: Task not found",
                          {{"taskId", *id}});
    return Reply::error(code::kInternalError, "Failed to cancel task: " + e->message);
  }
  const auto task = std::get<json>(got).get<proto::TaskView>();
  if (proto::is_terminal(task.status)) {
    if (call.era.modern) return Reply::ok(json::object());  // an ack; nothing to stop
    return Reply::error(code::kInvalidParams,
                        "Cannot cancel task: already in terminal status '" + legacy_status(task) +
                            "' (" + task_status_message(task) + ")",
                        {{"taskId", *id}});
  }
  // The daemon answers once the task's whole process tree is gone.
  auto cancelled = tools_.daemon().call(proto::method::kTaskCancel, json(proto::TaskIdParams{*id}),
                                        tools_.config().call_timeout, ctx.cancel);
  if (auto* e = std::get_if<RpcError>(&cancelled))
    return Reply::error(code::kInternalError, "Failed to cancel task: " + e->message);
  if (call.era.modern) return Reply::ok(json::object());
  const auto r = std::get<json>(cancelled).get<proto::CancelResult>();
  timing(call);
  return Reply::ok(legacy_task(r.task, cached_timing(), now_ms()));
}

McpServer::Reply McpServer::tasks_update(Call& call, const json& params) {
  const auto id = task_id_param(params);
  if (!id)
    return Reply::error(code::kInvalidParams, "Invalid params: taskId (a string) is required");
  const auto responses = params.find("inputResponses");
  if (responses == params.end() || !responses->is_object())
    return Reply::error(code::kInvalidParams,
                        "Invalid params: inputResponses (an object) is required");
  auto ctx = call.context(*this);
  auto got = tools_.daemon().call(proto::method::kTaskGet, json(proto::TaskIdParams{*id}),
                                  tools_.config().call_timeout, ctx.cancel);
  if (auto* e = std::get_if<RpcError>(&got)) {
    if (e->code == proto::error::kTaskNotFound)
      return Reply::error(code::kInvalidParams, "Failed to update task: Task not found",
                          {{"taskId", *id}});
    return Reply::error(code::kInternalError, "Failed to update task: " + e->message);
  }
  // backburner never asks for input through inputRequests (a task's stdin is send_input's), so
  // no key is ever outstanding and every response is ignored, as the extension says.
  return Reply::ok(json::object());
}

}  // namespace bb::shim
