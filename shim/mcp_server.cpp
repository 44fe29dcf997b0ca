#include "mcp_server.h"

#include <algorithm>
#include <system_error>
#include <thread>

#include "json_guard.h"
#include "json_write.h"
#include "mcp_codes.h"
#include "os.h"

namespace bb::shim {

using nlohmann::json;

namespace {

constexpr const char* kMetaVersion = "io.modelcontextprotocol/protocolVersion";
constexpr const char* kMetaCapabilities = "io.modelcontextprotocol/clientCapabilities";
constexpr const char* kMetaClientInfo = "io.modelcontextprotocol/clientInfo";
constexpr const char* kMetaServerInfo = "io.modelcontextprotocol/serverInfo";
// The tool list is fixed for the life of this binary.
constexpr int kListTtlMs = 3600 * 1000;

const char* const kLegacyVersions[] = {"2025-11-25", "2025-06-18", "2025-03-26"};
// The one revision that has JSON-RPC batches (2025-06-18 removed them).
constexpr const char* kBatchVersion = "2025-03-26";

json supported_versions() {
  json v = json::array({kModernVersion});
  for (const char* l : kLegacyVersions) v.push_back(l);
  return v;
}

bool is_legacy_version(const json& v) {
  return std::any_of(std::begin(kLegacyVersions), std::end(kLegacyVersions),
                     [&](const char* l) { return v == l; });
}

std::string dump(const json& j) { return json_text(j); }

bool valid_id(const json& id) { return id.is_string() || id.is_number_integer(); }

// Whether handle_message() answers this message (in a batch, how many answers to expect).
bool expects_response(const json& msg) {
  if (!msg.is_object()) return true;
  const bool has_id = msg.contains("id");
  if (has_id && !valid_id(msg["id"])) return true;
  const auto method = msg.find("method");
  if (method == msg.end()) return !(has_id && (msg.contains("result") || msg.contains("error")));
  if (msg.value("jsonrpc", json()) != "2.0" || !method->is_string()) return true;
  return has_id;
}

std::string client_text(const json& v) {
  return v.is_string() ? v.get<std::string>().substr(0, proto::kMaxClientFieldBytes) : "";
}

}  // namespace

struct McpServer::Batch {
  std::mutex mutex;
  std::size_t pending = 1;  // the expected answers, plus one held until all were dispatched
  json responses = json::array();
};

McpServer::McpServer(const ToolCatalog& catalog, Tools& tools, TaskWatch& watch, OutputSink& out,
                     ServerOptions options)
    : catalog_(catalog),
      tools_(tools),
      watch_(watch),
      out_(out),
      options_(std::move(options)),
      session_(os::random_id(16)) {}

McpServer::~McpServer() {
  cancel_all();
  std::map<std::string, std::uint64_t> watches;
  std::map<std::uint64_t, std::thread> threads;
  {
    std::unique_lock lock(mutex_);
    idle_cv_.wait(lock, [&] { return workers_ == 0; });
    threads.swap(worker_threads_);
    watches = resource_watches_;
    watches.insert(created_watches_.begin(), created_watches_.end());
  }
  for (auto& [_, t] : threads) t.join();
  // Unwatching waits for a callback in progress: none runs on a destroyed server.
  for (const auto& [_, id] : watches) watch_.unwatch(id);
}

std::string McpServer::session() const {
  std::lock_guard lock(mutex_);
  return session_;
}

void McpServer::send(const json& msg) { out_.write_line(dump(msg)); }

void McpServer::deliver(const json& response, const Route& route) {
  if (!route) {
    send(response);
    return;
  }
  std::lock_guard lock(route->mutex);
  if (!response.is_null()) route->responses.push_back(response);
  if (--route->pending == 0 && !route->responses.empty()) send(route->responses);
}

void McpServer::send_error(const json& id, int code, const std::string& message, const json& data,
                           const Route& route) {
  json err = {{"code", code}, {"message", message}};
  if (!data.is_null()) err["data"] = data;
  deliver({{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(err)}}, route);
}

json McpServer::server_info() const {
  return {{"name", catalog_.name()}, {"title", catalog_.title()}, {"version", options_.version}};
}

void McpServer::send_reply(const json& id, Reply reply, const Era& era, const Route& route) {
  if (reply.is_error) {
    send_error(id, reply.code, reply.message, reply.data, route);
    return;
  }
  if (era.modern) {
    if (!reply.result.contains("resultType")) reply.result["resultType"] = "complete";
    reply.result["_meta"][kMetaServerInfo] = server_info();
  }
  deliver({{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(reply.result)}}, route);
}

McpServer::Era McpServer::legacy_era() const {
  std::lock_guard lock(mutex_);
  Era era;
  era.client = legacy_client_;
  era.client.session = session_;
  return era;
}

void McpServer::handle_line(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
    line.remove_suffix(1);
  }
  if (line.find_first_not_of(" \t") == std::string_view::npos) return;  // blank keep-alive
  if (line.size() > options_.max_line_bytes) {
    reject_oversized_line(line.size());
    return;
  }
  if (json_nesting_too_deep(line)) {
    send_error(nullptr, code::kParseError, "Parse error: JSON nested too deeply");
    return;
  }
  json msg;
  try {
    msg = json::parse(line);
  } catch (const json::exception& e) {
    send_error(nullptr, code::kParseError, std::string("Parse error: ") + e.what());
    return;
  }
  try {
    if (msg.is_array()) {
      handle_batch(msg);
    } else {
      handle_message(msg, nullptr);
    }
  } catch (const std::exception& e) {  // a defect; the shim keeps serving
    const json id = msg.is_object() && valid_id(msg.value("id", json())) ? msg["id"] : json();
    send_error(id, code::kInternalError, std::string("Internal error: ") + e.what());
  }
}

void McpServer::handle_batch(const json& batch) {
  if (!batches_) {
    send_error(nullptr, code::kInvalidRequest,
               "Invalid Request: batches are supported only after negotiating protocol version "
               "2025-03-26; send one message per line");
    return;
  }
  if (batch.empty()) {
    send_error(nullptr, code::kInvalidRequest, "Invalid Request: an empty batch");
    return;
  }
  auto route = std::make_shared<Batch>();
  for (const auto& m : batch)
    if (expects_response(m)) ++route->pending;
  for (const auto& m : batch) handle_message(m, route);
  deliver(nullptr, route);  // releases the hold: the array goes out with the last answer
}

void McpServer::reject_oversized_line(std::size_t bytes) {
  send_error(nullptr, code::kInvalidRequest,
             "Invalid Request: message of " + std::to_string(bytes) +
                 "+ bytes exceeds the limit of " + std::to_string(options_.max_line_bytes));
}

void McpServer::handle_message(const json& msg, const Route& route) {
  if (msg.is_array()) {
    send_error(nullptr, code::kInvalidRequest, "Invalid Request: a batch inside a batch", nullptr,
               route);
    return;
  }
  if (!msg.is_object()) {
    send_error(nullptr, code::kInvalidRequest, "Invalid Request: a message must be a JSON object",
               nullptr, route);
    return;
  }
  const bool has_id = msg.contains("id");
  const json id = has_id ? msg["id"] : json();
  if (has_id && !valid_id(id)) {
    send_error(nullptr, code::kInvalidRequest, "Invalid Request: id must be a string or an integer",
               nullptr, route);
    return;
  }
  const auto method = msg.find("method");
  if (method == msg.end()) {
    if (has_id && (msg.contains("result") || msg.contains("error")))
      return;  // a response: we send no requests
    send_error(id, code::kInvalidRequest, "Invalid Request: \"method\" is missing", nullptr, route);
    return;
  }
  if (msg.value("jsonrpc", json()) != "2.0") {
    send_error(id, code::kInvalidRequest, "Invalid Request: \"jsonrpc\" must be \"2.0\"", nullptr,
               route);
    return;
  }
  if (!method->is_string()) {
    send_error(id, code::kInvalidRequest, "Invalid Request: \"method\" must be a string", nullptr,
               route);
    return;
  }
  const json params = msg.value("params", json::object());
  if (!params.is_object()) {
    if (has_id)
      send_error(id, code::kInvalidParams, "Invalid params: \"params\" must be an object", nullptr,
                 route);
    return;
  }
  if (!has_id) {
    handle_notification(method->get<std::string>(), params);
    return;
  }
  handle_request(id, method->get<std::string>(), params, route);
}

void McpServer::handle_notification(const std::string& method, const json& params) {
  // notifications/initialized and anything unknown need no action; notifications never get
  // a response, not even an error.
  if (method != "notifications/cancelled") return;
  const auto request_id = params.find("requestId");
  if (request_id == params.end() || !valid_id(*request_id)) return;
  std::shared_ptr<InFlight> flight;
  {
    std::lock_guard lock(mutex_);
    const auto it = in_flight_.find(dump(*request_id));
    if (it == in_flight_.end()) return;  // already answered, or never seen
    flight = it->second;
    in_flight_.erase(it);
  }
  flight->token.cancel();
}

std::optional<McpServer::Reply> McpServer::check_envelope(const json& params, Era& era) {
  const json meta = params.value("_meta", json::object());
  const bool has_envelope =
      meta.is_object() && (meta.contains(kMetaVersion) || meta.contains(kMetaCapabilities));
  if (!has_envelope) {
    era = legacy_era();
    return std::nullopt;
  }
  era.modern = true;
  const auto v = meta.find(kMetaVersion);
  if (v == meta.end() || !v->is_string()) {
    return Reply::error(code::kInvalidParams, std::string("Invalid params: _meta[\"") +
                                                  kMetaVersion + "\"] (a string) is required");
  }
  const auto caps = meta.find(kMetaCapabilities);
  if (caps == meta.end() || !caps->is_object()) {
    return Reply::error(code::kInvalidParams, std::string("Invalid params: _meta[\"") +
                                                  kMetaCapabilities +
                                                  "\"] (an object) is required");
  }
  if (*v != kModernVersion) {
    const std::string why =
        is_legacy_version(*v)
            ? "Unsupported protocol version: " + v->get<std::string>() +
                  " is a revision of the initialize era, which does not use the per-request "
                  "_meta envelope; send initialize for it, or declare " +
                  kModernVersion
            : "Unsupported protocol version";
    return Reply::error(code::kUnsupportedProtocolVersion, why,
                        {{"supported", supported_versions()}, {"requested", *v}});
  }
  if (const auto ext = caps->find("extensions"); ext != caps->end() && ext->is_object())
    era.tasks_ext = ext->contains(kTasksExtension);
  if (const auto info = meta.find(kMetaClientInfo); info != meta.end() && info->is_object()) {
    era.client.name = client_text(info->value("name", json()));
    era.client.version = client_text(info->value("version", json()));
  }
  std::lock_guard lock(mutex_);
  era.client.session = session_;
  return std::nullopt;
}

json McpServer::tools_for(const Era& era) const {
  json tools = catalog_.tools();
  if (era.modern || negotiated_version_ != kLatestLegacyVersion) {
    // execution.taskSupport is the 2025-11-25 experimental Tasks'; the extension needs none.
    for (auto& t : tools) t.erase("execution");
  }
  return tools;
}

void McpServer::handle_request(const json& id, const std::string& method, const json& params,
                               const Route& route) {
  {
    std::lock_guard lock(mutex_);
    if (in_flight_.count(dump(id)) != 0) {
      send_error(id, code::kInvalidRequest,
                 "Invalid Request: id " + dump(id) +
                     " is already in use by a request in progress; use a new id",
                 nullptr, route);
      return;
    }
  }
  if (method == "initialize") {
    handle_initialize(id, params, route);
    return;
  }
  Era era;
  if (auto refused = check_envelope(params, era)) {
    send_reply(id, std::move(*refused), era, route);
    return;
  }
  if (!era.modern && !initialized_ && method != "ping") {
    send_error(id, code::kInvalidParams,
               std::string("Invalid params: _meta[\"") + kMetaVersion + "\"] and _meta[\"" +
                   kMetaCapabilities + "\"] are required (protocol " + kModernVersion +
                   "); clients of earlier revisions must send initialize first",
               nullptr, route);
    return;
  }
  const bool legacy_tasks = !era.modern && negotiated_version_ == kLatestLegacyVersion;
  auto work = [&](Work w) { spawn(id, era, route, nullptr, std::move(w)); };

  if (method == "ping") {
    send_reply(id, Reply::ok(json::object()), era, route);
  } else if (method == "server/discover" && era.modern) {
    send_reply(id,
               Reply::ok({{"supportedVersions", supported_versions()},
                          {"capabilities",
                           {{"tools", {{"listChanged", false}}},
                            {"resources", {{"subscribe", true}, {"listChanged", false}}},
                            {"extensions", {{kTasksExtension, json::object()}}}}},
                          {"instructions", catalog_.instructions()},
                          {"ttlMs", kListTtlMs},
                          {"cacheScope", "public"}}),
               era, route);
  } else if (method == "tools/list") {
    json result = {{"tools", tools_for(era)}};
    if (era.modern) {
      result["ttlMs"] = kListTtlMs;
      result["cacheScope"] = "public";
    }
    send_reply(id, Reply::ok(std::move(result)), era, route);
  } else if (method == "tools/call") {
    handle_tools_call(id, params, era, route);
  } else if (method == "tasks/get" && (era.modern || legacy_tasks)) {
    if (auto missing = require_tasks_extension(era)) return send_reply(id, *missing, era, route);
    work([this, params](Call& c) { return tasks_get(c, params); });
  } else if (method == "tasks/cancel" && (era.modern || legacy_tasks)) {
    if (auto missing = require_tasks_extension(era)) return send_reply(id, *missing, era, route);
    work([this, params](Call& c) { return tasks_cancel(c, params); });
  } else if (method == "tasks/update" && era.modern) {
    if (auto missing = require_tasks_extension(era)) return send_reply(id, *missing, era, route);
    work([this, params](Call& c) { return tasks_update(c, params); });
  } else if (method == "tasks/result" && legacy_tasks) {
    json token;
    if (const auto meta = params.find("_meta"); meta != params.end() && meta->is_object()) {
      const auto t = meta->find("progressToken");
      if (t != meta->end() && (t->is_string() || t->is_number())) token = *t;
    }
    spawn(id, era, route, std::move(token),
          [this, params](Call& c) { return tasks_result(c, params); });
  } else if (method == "tasks/list" && legacy_tasks) {
    work([this, params](Call& c) { return tasks_list(c, params); });
  } else if (method == "resources/templates/list") {
    json result = resource_templates();
    if (era.modern) {
      result["ttlMs"] = kListTtlMs;
      result["cacheScope"] = "public";
    }
    send_reply(id, Reply::ok(std::move(result)), era, route);
  } else if (method == "resources/list") {
    work([this, params](Call& c) { return resources_list(c, params); });
  } else if (method == "resources/read") {
    work([this, params](Call& c) { return resources_read(c, params); });
  } else if ((method == "resources/subscribe" || method == "resources/unsubscribe") &&
             !era.modern) {
    const bool subscribe = method == "resources/subscribe";
    work([this, params, subscribe](Call& c) { return resources_subscribe(c, params, subscribe); });
  } else if (method == "subscriptions/listen" && era.modern) {
    work([this, params](Call& c) { return subscriptions_listen(c, params); });
  } else {
    send_error(id, code::kMethodNotFound, "Method not found: " + method, nullptr, route);
  }
}

void McpServer::handle_initialize(const json& id, const json& params, const Route& route) {
  const json requested = params.value("protocolVersion", json());
  if (!requested.is_string()) {
    send_error(id, code::kInvalidParams,
               "Invalid params: initialize needs \"protocolVersion\", a string such as \"" +
                   std::string(kLatestLegacyVersion) + "\"",
               nullptr, route);
    return;
  }
  std::string version = kLatestLegacyVersion;
  for (const char* v : kLegacyVersions) {
    if (requested == v) version = v;
  }
  proto::ClientInfo client;
  if (const auto info = params.find("clientInfo"); info != params.end() && info->is_object()) {
    client.name = client_text(info->value("name", json()));
    client.version = client_text(info->value("version", json()));
  }
  {
    std::lock_guard lock(mutex_);
    legacy_client_ = std::move(client);
    if (initialized_) session_ = os::random_id(16);  // one initialize, one session
  }
  initialized_ = true;
  negotiated_version_ = version;
  batches_ = version == kBatchVersion;
  json capabilities = {{"tools", {{"listChanged", false}}},
                       {"resources", {{"subscribe", true}, {"listChanged", false}}}};
  if (version == kLatestLegacyVersion) {
    capabilities["tasks"] = {
        {"list", json::object()},
        {"cancel", json::object()},
        {"requests", {{"tools", {{"call", json::object()}}}}},
    };
  }
  send_reply(id,
             Reply::ok({{"protocolVersion", version},
                        {"capabilities", std::move(capabilities)},
                        {"serverInfo", server_info()},
                        {"instructions", catalog_.instructions()}}),
             Era{}, route);
}

void McpServer::handle_tools_call(const json& id, const json& params, const Era& era,
                                  const Route& route) {
  const auto name = params.find("name");
  if (name == params.end() || !name->is_string()) {
    send_error(id, code::kInvalidParams, "Invalid params: tools/call needs \"name\", a string",
               nullptr, route);
    return;
  }
  const json* tool = catalog_.find(name->get<std::string>());
  if (tool == nullptr) {
    std::string known;
    for (const auto& t : catalog_.tools())
      known += (known.empty() ? "" : ", ") + t["name"].get<std::string>();
    send_error(id, code::kInvalidParams,
               "Unknown tool: " + name->get<std::string>() + " (tools: " + known + ")", nullptr,
               route);
    return;
  }
  json args = params.value("arguments", json::object());
  if (args.is_null()) args = json::object();
  if (!args.is_object()) {
    send_error(id, code::kInvalidParams, "Invalid params: \"arguments\" must be an object", nullptr,
               route);
    return;
  }
  json progress_token;
  if (const auto meta = params.find("_meta"); meta != params.end() && meta->is_object()) {
    const auto t = meta->find("progressToken");
    if (t != meta->end() && (t->is_string() || t->is_number())) progress_token = *t;
  }
  bool as_task = false;
  if (!era.modern && params.contains("task") && negotiated_version_ == kLatestLegacyVersion) {
    if (!params["task"].is_object()) {
      send_error(id, code::kInvalidParams, "Invalid params: \"task\" must be an object", nullptr,
                 route);
      return;
    }
    const auto support = tool->value("execution", json::object()).value("taskSupport", "forbidden");
    if (support == "forbidden") {
      send_error(id, code::kMethodNotFound,
                 "Tool " + name->get<std::string>() +
                     " does not support task-augmented calls (execution.taskSupport is "
                     "forbidden); call it without \"task\"",
                 nullptr, route);
      return;
    }
    as_task = true;
  }
  if (era.modern && era.tasks_ext && *name == "start_task") as_task = true;

  spawn(id, era, route, progress_token,
        [this, tool_name = name->get<std::string>(), args = std::move(args), as_task](Call& c) {
          if (as_task) return call_as_task(c, tool_name, args);
          auto ctx = c.context(*this);
          return Reply::ok(tools_.call(tool_name, args, ctx).to_mcp());
        });
}

ToolContext McpServer::Call::context(McpServer& server) {
  ToolContext ctx{flight->token, nullptr, era.client, os::random_id(20)};
  if (!progress_token.is_null()) {
    ctx.progress = [&server, flight = flight, token = progress_token, key = dump(id)](
                       double progress, std::optional<double> total, const std::string& message) {
      // No progress after a cancel, and never after the response.
      std::lock_guard lock(server.mutex_);
      const auto it = server.in_flight_.find(key);
      if (flight->token.cancelled() || it == server.in_flight_.end() || it->second != flight)
        return;
      json p = {{"progressToken", token}, {"progress", progress}, {"message", message}};
      if (total) p["total"] = *total;
      server.send({{"jsonrpc", "2.0"}, {"method", "notifications/progress"}, {"params", p}});
    };
  }
  return ctx;
}

void McpServer::join_finished_workers() {
  std::vector<std::thread> finished;
  {
    std::lock_guard lock(mutex_);
    for (const std::uint64_t n : finished_workers_) {
      auto it = worker_threads_.find(n);
      finished.push_back(std::move(it->second));
      worker_threads_.erase(it);
    }
    finished_workers_.clear();
  }
  for (auto& t : finished) t.join();  // each has returned, or is about to
}

void McpServer::spawn(const json& id, const Era& era, const Route& route, json progress_token,
                      Work work) {
  join_finished_workers();
  const std::string key = dump(id);
  auto flight = std::make_shared<InFlight>();
  flight->route = route;
  // The thread is made under the lock: it is in worker_threads_ before it can list itself as
  // finished.
  std::lock_guard lock(mutex_);
  if (in_flight_.size() >= options_.max_in_flight) {
    const std::string message = "Too many requests in progress (" +
                                std::to_string(in_flight_.size()) +
                                "). Wait for some to finish and try again.";
    send_reply(id, Reply::ok(ToolResult::error(message).to_mcp()), era, route);
    return;
  }
  in_flight_.emplace(key, flight);
  ++workers_;
  const std::uint64_t n = next_worker_++;
  try {
    worker_threads_.emplace(
        n, std::thread([this, n, key, id, era, route, progress_token = std::move(progress_token),
                        work = std::move(work), flight]() mutable {
          Call call{id, era, std::move(progress_token), flight};
          Reply reply;
          try {
            reply = work(call);
          } catch (const std::exception& e) {
            reply = Reply::error(code::kInternalError,
                                 std::string("Internal error in the shim: ") + e.what());
          }
          std::lock_guard done(mutex_);
          const auto it = in_flight_.find(key);
          if (!flight->token.cancelled() && it != in_flight_.end() && it->second == flight) {
            in_flight_.erase(it);
            send_reply(id, std::move(reply), era, route);
          } else if (route) {
            deliver(nullptr, route);  // a cancelled request of a batch: no answer to wait for
          }
          --workers_;
          finished_workers_.push_back(n);
          idle_cv_.notify_all();
        }));
  } catch (const std::system_error& e) {  // no thread could be made: answer now
    in_flight_.erase(key);
    --workers_;
    send_reply(
        id,
        Reply::error(code::kInternalError,
                     std::string("Internal error in the shim: cannot start a thread: ") + e.what()),
        era, route);
  }
}

void McpServer::cancel_all() {
  std::map<std::string, std::shared_ptr<InFlight>> flights;
  {
    std::lock_guard lock(mutex_);
    flights.swap(in_flight_);
  }
  for (auto& [_, flight] : flights) flight->token.cancel();
}

bool McpServer::wait_idle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return idle_cv_.wait_for(lock, timeout, [&] { return workers_ == 0; });
}

}  // namespace bb::shim
