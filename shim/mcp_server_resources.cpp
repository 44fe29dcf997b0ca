// Task output as MCP resources: backburner://tasks/{task_id}/output (a query may page it the
// way task_result does), resources/list of recent tasks, resources/read, and change
// notifications: legacy resources/subscribe, and the 2026-07-28 subscriptions/listen (which
// also carries the Tasks extension's notifications/tasks).
#include <charconv>
#include <condition_variable>

#include "iso_time.h"
#include "mcp_codes.h"
#include "mcp_server.h"
#include "task_json.h"

namespace bb::shim {

using nlohmann::json;

namespace {

constexpr const char* kUriPrefix = "backburner://tasks/";
constexpr const char* kUriSuffix = "/output";
constexpr const char* kSubscriptionId = "io.modelcontextprotocol/subscriptionId";
constexpr int kResourcePage = 50;
// What a plain read of the resource shows: the end of the log, capped like task_result.
constexpr int kResourceTailLines = 1000;

std::string output_uri(const std::string& task_id) {
  return std::string(kUriPrefix) + task_id + kUriSuffix;
}

// The task_result arguments a resource URI stands for, or why it is not one of ours.
std::variant<json, std::string> parse_output_uri(const std::string& uri) {
  const std::string prefix = kUriPrefix;
  const std::string suffix = kUriSuffix;
  if (uri.rfind(prefix, 0) != 0) return std::string("not a backburner task output URI");
  const auto query_at = uri.find('?');
  const std::string path = uri.substr(0, query_at);
  if (path.size() <= prefix.size() + suffix.size() ||
      path.compare(path.size() - suffix.size(), suffix.size(), suffix) != 0)
    return "expected " + prefix + "{task_id}" + suffix;
  const std::string id = path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
  if (id.find('/') != std::string::npos) return "expected " + prefix + "{task_id}" + suffix;
  json args = {{"task_id", id}};
  if (query_at == std::string::npos) {
    args["tail_lines"] = kResourceTailLines;
    return args;
  }
  std::string_view query(uri);
  query.remove_prefix(query_at + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const auto eq = pair.find('=');
    const std::string key(pair.substr(0, eq));
    const std::string_view value =
        eq == std::string_view::npos ? std::string_view("true") : pair.substr(eq + 1);
    if (key == "raw") {
      args["raw"] = value == "true" || value == "1";
      continue;
    }
    if (key != "offset" && key != "max_bytes" && key != "head_lines" && key != "tail_lines" &&
        key != "max_chars")
      return "unknown query parameter \"" + key +
             "\" (known: offset, max_bytes, head_lines, tail_lines, max_chars, raw)";
    std::uint64_t n = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc() || end != value.data() + value.size())
      return "query parameter " + key + " must be a whole number";
    args[key] = n;
  }
  if (!args.contains("offset") && !args.contains("head_lines") && !args.contains("tail_lines"))
    args["tail_lines"] = kResourceTailLines;
  return args;
}

}  // namespace

json McpServer::resource_templates() const {
  return {{"resourceTemplates",
           json::array({{{"uriTemplate", std::string(kUriPrefix) + "{task_id}" + kUriSuffix},
                         {"name", "task-output"},
                         {"title", "Output of a backburner task"},
                         {"description",
                          "A task's output (stdout and stderr merged) as plain text: its last "
                          "lines, capped at 16000 characters, with a status line first. Add "
                          "?offset=N to page through the whole log from byte N (the text says "
                          "where the next page starts), or ?head_lines=N, ?tail_lines=N, "
                          "?max_chars=N, ?raw=true (keep terminal escapes)."},
                         {"mimeType", "text/plain"}}})}};
}

McpServer::Reply McpServer::resources_list(Call& call, const json& params) {
  proto::ListParams p;
  p.limit = kResourcePage;
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
  json resources = json::array();
  for (const auto& t : r.tasks) {
    std::string title = t.label ? *t.label : t.command.substr(0, 80);
    resources.push_back({{"uri", output_uri(t.task_id)},
                         {"name", "task-" + t.task_id + "-output"},
                         {"title", "Output of " + title + " (" + proto::to_string(t.status) + ")"},
                         {"description", status_line(t)},
                         {"mimeType", "text/plain"},
                         {"size", t.output_bytes}});
  }
  json out = {{"resources", std::move(resources)}};
  if (r.next_cursor) out["nextCursor"] = *r.next_cursor;
  if (call.era.modern) {
    out["ttlMs"] = 0;  // tasks come and go: ask again each time
    out["cacheScope"] = "private";
  }
  return Reply::ok(std::move(out));
}

McpServer::Reply McpServer::resources_read(Call& call, const json& params) {
  const auto uri = params.find("uri");
  if (uri == params.end() || !uri->is_string())
    return Reply::error(code::kInvalidParams, "Invalid params: uri (a string) is required");
  auto parsed = parse_output_uri(uri->get<std::string>());
  if (auto* why = std::get_if<std::string>(&parsed))
    return Reply::error(code::kInvalidParams, "Invalid params: " + *why, {{"uri", *uri}});
  const json args = std::get<json>(parsed);
  auto ctx = call.context(*this);
  auto got = tools_.daemon().call(proto::method::kTaskGet,
                                  json(proto::TaskIdParams{args["task_id"].get<std::string>()}),
                                  tools_.config().call_timeout, ctx.cancel);
  if (auto* e = std::get_if<RpcError>(&got)) {
    if (e->code == proto::error::kTaskNotFound)
      return Reply::error(call.era.modern ? code::kInvalidParams : code::kResourceNotFound,
                          "Resource not found: no task " + args["task_id"].get<std::string>(),
                          {{"uri", *uri}});
    return Reply::error(code::kInternalError, "Failed to read the task: " + e->message);
  }
  ToolResult r = tools_.call("task_result", args, ctx);
  if (r.is_error) return Reply::error(code::kInvalidParams, r.text, {{"uri", *uri}});
  json out = {
      {"contents", json::array({{{"uri", *uri}, {"mimeType", "text/plain"}, {"text", r.text}}})}};
  if (call.era.modern) {
    out["ttlMs"] = 0;
    out["cacheScope"] = "private";
  }
  return Reply::ok(std::move(out));
}

McpServer::Reply McpServer::resources_subscribe(Call& call, const json& params, bool subscribe) {
  const auto uri_param = params.find("uri");
  if (uri_param == params.end() || !uri_param->is_string())
    return Reply::error(code::kInvalidParams, "Invalid params: uri (a string) is required");
  const std::string uri = uri_param->get<std::string>();
  if (!subscribe) {
    std::optional<std::uint64_t> id;
    {
      std::lock_guard lock(mutex_);
      if (auto it = resource_watches_.find(uri); it != resource_watches_.end()) {
        id = it->second;
        resource_watches_.erase(it);
      }
    }
    if (id) watch_.unwatch(*id);
    return Reply::ok(json::object());
  }
  auto parsed = parse_output_uri(uri);
  if (auto* why = std::get_if<std::string>(&parsed))
    return Reply::error(code::kInvalidParams, "Invalid params: " + *why, {{"uri", uri}});
  const std::string task_id = std::get<json>(parsed)["task_id"].get<std::string>();
  auto ctx = call.context(*this);
  auto got = tools_.daemon().call(proto::method::kTaskGet, json(proto::TaskIdParams{task_id}),
                                  tools_.config().call_timeout, ctx.cancel);
  if (auto* e = std::get_if<RpcError>(&got)) {
    if (e->code == proto::error::kTaskNotFound)
      return Reply::error(code::kResourceNotFound, "Resource not found: no task " + task_id,
                          {{"uri", uri}});
    return Reply::error(code::kInternalError, "Failed to subscribe: " + e->message);
  }
  {
    std::lock_guard lock(mutex_);
    if (resource_watches_.count(uri) != 0) return Reply::ok(json::object());
  }
  auto updated = [this, uri] {
    send({{"jsonrpc", "2.0"},
          {"method", "notifications/resources/updated"},
          {"params", {{"uri", uri}}}});
  };
  auto status = std::make_shared<std::string>(
      proto::to_string(std::get<json>(got).get<proto::TaskView>().status));
  WatchCallbacks cb;
  cb.output = true;
  cb.on_output = [updated](std::uint64_t) { updated(); };
  cb.on_task = [updated, status](const proto::TaskView& v) {
    // Its end changes what a read shows (the status line) even without new output.
    if (*status == proto::to_string(v.status)) return;
    *status = proto::to_string(v.status);
    updated();
  };
  cb.on_removed = updated;
  auto watched = watch_.watch(task_id, std::move(cb));
  if (auto* error = std::get_if<std::string>(&watched))
    return Reply::error(code::kInternalError, "Failed to subscribe: " + *error);
  std::lock_guard lock(mutex_);
  resource_watches_[uri] = std::get<std::uint64_t>(watched);
  return Reply::ok(json::object());
}

McpServer::Reply McpServer::subscriptions_listen(Call& call, const json& params) {
  const auto filter = params.value("notifications", json::object());
  if (!filter.is_object())
    return Reply::error(code::kInvalidParams, "Invalid params: notifications must be an object");
  const json task_ids = filter.value("taskIds", json::array());
  const json uris = filter.value("resourceSubscriptions", json::array());
  if (!task_ids.is_array() || !uris.is_array())
    return Reply::error(code::kInvalidParams,
                        "Invalid params: notifications.taskIds and "
                        "notifications.resourceSubscriptions must be arrays of strings");
  if (!task_ids.empty()) {
    if (auto missing = require_tasks_extension(call.era)) return *missing;
  }
  auto ctx = call.context(*this);
  auto exists = [&](const std::string& id) -> std::optional<proto::TaskView> {
    auto got = tools_.daemon().call(proto::method::kTaskGet, json(proto::TaskIdParams{id}),
                                    tools_.config().call_timeout, ctx.cancel);
    if (auto* r = std::get_if<json>(&got)) return r->get<proto::TaskView>();
    return std::nullopt;
  };
  // What this server agrees to: tasks that exist, URIs of ours whose task exists.
  std::vector<std::string> tasks;
  std::vector<std::pair<std::string, std::string>> outputs;  // uri, task id
  for (const auto& t : task_ids)
    if (t.is_string() && exists(t.get<std::string>())) tasks.push_back(t.get<std::string>());
  for (const auto& u : uris) {
    if (!u.is_string()) continue;
    auto parsed = parse_output_uri(u.get<std::string>());
    if (auto* args = std::get_if<json>(&parsed)) {
      const auto id = (*args)["task_id"].get<std::string>();
      if (exists(id)) outputs.emplace_back(u.get<std::string>(), id);
    }
  }
  timing(call);
  const json sub_meta = {{kSubscriptionId, call.id}};
  json agreed = json::object();
  if (!task_ids.empty()) agreed["taskIds"] = tasks;
  if (!uris.is_null() && filter.contains("resourceSubscriptions")) {
    json list = json::array();
    for (const auto& [u, _] : outputs) list.push_back(u);
    agreed["resourceSubscriptions"] = std::move(list);
  }
  // The acknowledgement comes first: no notification of this subscription precedes it.
  send({{"jsonrpc", "2.0"},
        {"method", "notifications/subscriptions/acknowledged"},
        {"params", {{"_meta", sub_meta}, {"notifications", agreed}}}});

  std::vector<std::uint64_t> watches;
  for (const auto& id : tasks) {
    struct Last {
      std::mutex mutex;
      std::string key;
      bool ended = false;
    };
    auto last = std::make_shared<Last>();
    WatchCallbacks cb;
    cb.progress = true;  // statusMessage carries the progress
    cb.on_task = [this, last, sub_meta](const proto::TaskView& v) {
      std::lock_guard lock(last->mutex);
      if (last->ended) return;
      const std::string key = modern_status(v) + "\n" + task_status_message(v);
      if (key == last->key) return;
      last->key = key;
      last->ended = proto::is_terminal(v.status);
      CancelToken token;
      ToolContext result_ctx{token, nullptr, {}, {}};
      json p = detailed_task(v, result_ctx);
      p["_meta"] = sub_meta;
      send({{"jsonrpc", "2.0"}, {"method", "notifications/tasks"}, {"params", std::move(p)}});
    };
    auto watched = watch_.watch(id, std::move(cb));
    if (auto* w = std::get_if<std::uint64_t>(&watched)) watches.push_back(*w);
  }
  for (const auto& [uri, id] : outputs) {
    auto updated = [this, uri = uri, sub_meta] {
      send({{"jsonrpc", "2.0"},
            {"method", "notifications/resources/updated"},
            {"params", {{"uri", uri}, {"_meta", sub_meta}}}});
    };
    auto status = std::make_shared<std::string>();
    WatchCallbacks cb;
    cb.output = true;
    cb.on_output = [updated](std::uint64_t) { updated(); };
    cb.on_task = [updated, status](const proto::TaskView& v) {
      const std::string now = proto::to_string(v.status);
      const bool changed = !status->empty() && *status != now;
      *status = now;
      if (changed) updated();
    };
    auto watched = watch_.watch(id, std::move(cb));
    if (auto* w = std::get_if<std::uint64_t>(&watched)) watches.push_back(*w);
  }

  // The stream stays open until the client cancels it (notifications/cancelled) or leaves.
  std::mutex m;
  std::condition_variable cv;
  bool ended = false;
  call.flight->token.set_hook([&] {
    std::lock_guard lock(m);
    ended = true;
    cv.notify_all();
  });
  {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return ended; });
  }
  call.flight->token.clear_hook();
  for (const auto id : watches) watch_.unwatch(id);
  return Reply::ok(json::object());  // not sent: the request was cancelled
}

}  // namespace bb::shim
