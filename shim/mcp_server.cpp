#include "mcp_server.h"

#include "json_guard.h"

#include <algorithm>
#include <thread>

namespace bb::shim {

using nlohmann::json;

namespace {

namespace code {
constexpr int kParseError = -32700;
constexpr int kInvalidRequest = -32600;
constexpr int kMethodNotFound = -32601;
constexpr int kInvalidParams = -32602;
constexpr int kUnsupportedProtocolVersion = -32022;
}  // namespace code

constexpr const char* kMetaVersion = "io.modelcontextprotocol/protocolVersion";
constexpr const char* kMetaCapabilities = "io.modelcontextprotocol/clientCapabilities";
constexpr const char* kMetaServerInfo = "io.modelcontextprotocol/serverInfo";
// The tool list is fixed for the life of this binary.
constexpr int kListTtlMs = 3600 * 1000;

const char* const kLegacyVersions[] = {"2025-11-25", "2025-06-18", "2025-03-26"};

json supported_versions() {
  json v = json::array({kModernVersion});
  for (const char* l : kLegacyVersions) v.push_back(l);
  return v;
}

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

bool valid_id(const json& id) { return id.is_string() || id.is_number_integer(); }

}  // namespace

McpServer::McpServer(const ToolCatalog& catalog, Tools& tools, OutputSink& out,
                     ServerOptions options)
    : catalog_(catalog), tools_(tools), out_(out), options_(std::move(options)) {}

McpServer::~McpServer() {
  cancel_all();
  std::unique_lock lock(mutex_);
  idle_cv_.wait(lock, [&] { return workers_ == 0; });
}

void McpServer::send(const json& msg) { out_.write_line(dump(msg)); }

void McpServer::send_error(const json& id, int code, const std::string& message, const json& data) {
  json err = {{"code", code}, {"message", message}};
  if (!data.is_null()) err["data"] = data;
  send({{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(err)}});
}

json McpServer::server_info() const {
  return {{"name", catalog_.name()}, {"title", catalog_.title()}, {"version", options_.version}};
}

void McpServer::send_result(const json& id, json result, Era era) {
  if (era.modern) {
    result["resultType"] = "complete";
    result["_meta"][kMetaServerInfo] = server_info();
  }
  send({{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}});
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
    handle_message(msg);
  } catch (const std::exception& e) {  // a defect; the shim keeps serving
    const json id = msg.is_object() && valid_id(msg.value("id", json())) ? msg["id"] : json();
    send_error(id, -32603, std::string("Internal error: ") + e.what());
  }
}

void McpServer::reject_oversized_line(std::size_t bytes) {
  send_error(nullptr, code::kInvalidRequest,
             "Invalid Request: message of " + std::to_string(bytes) +
                 "+ bytes exceeds the limit of " + std::to_string(options_.max_line_bytes));
}

void McpServer::handle_message(const json& msg) {
  if (msg.is_array()) {
    send_error(nullptr, code::kInvalidRequest,
               "Invalid Request: batches are not supported; send one message per line");
    return;
  }
  if (!msg.is_object()) {
    send_error(nullptr, code::kInvalidRequest, "Invalid Request: a message must be a JSON object");
    return;
  }
  const bool has_id = msg.contains("id");
  const json id = has_id ? msg["id"] : json();
  if (has_id && !valid_id(id)) {
    send_error(nullptr, code::kInvalidRequest,
               "Invalid Request: id must be a string or an integer");
    return;
  }
  const auto method = msg.find("method");
  if (method == msg.end()) {
    if (has_id && (msg.contains("result") || msg.contains("error")))
      return;  // a response: we send no requests
    send_error(id, code::kInvalidRequest, "Invalid Request: \"method\" is missing");
    return;
  }
  if (msg.value("jsonrpc", json()) != "2.0") {
    send_error(id, code::kInvalidRequest, "Invalid Request: \"jsonrpc\" must be \"2.0\"");
    return;
  }
  if (!method->is_string()) {
    send_error(id, code::kInvalidRequest, "Invalid Request: \"method\" must be a string");
    return;
  }
  const json params = msg.value("params", json::object());
  if (!params.is_object()) {
    if (has_id)
      send_error(id, code::kInvalidParams, "Invalid params: \"params\" must be an object");
    return;
  }
  if (!has_id) {
    handle_notification(method->get<std::string>(), params);
    return;
  }
  handle_request(id, method->get<std::string>(), params);
}

void McpServer::handle_notification(const std::string& method, const json& params) {
  // notifications/initialized and anything unknown need no action; notifications never get
  // a response, not even an error.
  if (method != "notifications/cancelled") return;
  const auto request_id = params.find("requestId");
  if (request_id == params.end() || !valid_id(*request_id)) return;
  std::lock_guard lock(mutex_);
  const auto it = in_flight_.find(dump(*request_id));
  if (it == in_flight_.end()) return;  // already answered, or never seen
  it->second->token.cancel();
  in_flight_.erase(it);
}

void McpServer::handle_request(const json& id, const std::string& method, const json& params) {
  if (method == "initialize") {
    handle_initialize(id, params);
    return;
  }
  Era era;
  const json meta = params.value("_meta", json::object());
  const bool has_envelope =
      meta.is_object() && (meta.contains(kMetaVersion) || meta.contains(kMetaCapabilities));
  if (has_envelope) {
    era.modern = true;
    const auto v = meta.find(kMetaVersion);
    if (v == meta.end() || !v->is_string()) {
      send_error(
          id, code::kInvalidParams,
          std::string("Invalid params: _meta[\"") + kMetaVersion + "\"] (a string) is required");
      return;
    }
    const auto caps = meta.find(kMetaCapabilities);
    if (caps == meta.end() || !caps->is_object()) {
      send_error(id, code::kInvalidParams,
                 std::string("Invalid params: _meta[\"") + kMetaCapabilities +
                     "\"] (an object) is required");
      return;
    }
    const auto supported = supported_versions();
    if (std::find(supported.begin(), supported.end(), *v) == supported.end()) {
      send_error(id, code::kUnsupportedProtocolVersion, "Unsupported protocol version",
                 {{"supported", supported}, {"requested", *v}});
      return;
    }
  } else if (!initialized_ && method != "ping") {
    send_error(id, code::kInvalidParams,
               std::string("Invalid params: _meta[\"") + kMetaVersion + "\"] and _meta[\"" +
                   kMetaCapabilities + "\"] are required (protocol " + kModernVersion +
                   "); clients of earlier revisions must send initialize first");
    return;
  }

  if (method == "ping") {
    send_result(id, json::object(), era);
  } else if (method == "server/discover" && era.modern) {
    send_result(id,
                {{"supportedVersions", supported_versions()},
                 {"capabilities", {{"tools", {{"listChanged", false}}}}},
                 {"instructions", catalog_.instructions()},
                 {"ttlMs", kListTtlMs},
                 {"cacheScope", "public"}},
                era);
  } else if (method == "tools/list") {
    json result = {{"tools", catalog_.tools()}};
    if (era.modern) {
      result["ttlMs"] = kListTtlMs;
      result["cacheScope"] = "public";
    }
    send_result(id, std::move(result), era);
  } else if (method == "tools/call") {
    handle_tools_call(id, params, era);
  } else {
    send_error(id, code::kMethodNotFound, "Method not found: " + method);
  }
}

void McpServer::handle_initialize(const json& id, const json& params) {
  const json requested = params.value("protocolVersion", json());
  std::string version = kLatestLegacyVersion;
  for (const char* v : kLegacyVersions) {
    if (requested == v) version = v;
  }
  initialized_ = true;
  send_result(id,
              {{"protocolVersion", version},
               {"capabilities", {{"tools", {{"listChanged", false}}}}},
               {"serverInfo", server_info()},
               {"instructions", catalog_.instructions()}},
              Era{});
}

void McpServer::handle_tools_call(const json& id, const json& params, Era era) {
  const auto name = params.find("name");
  if (name == params.end() || !name->is_string()) {
    send_error(id, code::kInvalidParams, "Invalid params: tools/call needs \"name\", a string");
    return;
  }
  if (catalog_.find(name->get<std::string>()) == nullptr) {
    std::string known;
    for (const auto& t : catalog_.tools())
      known += (known.empty() ? "" : ", ") + t["name"].get<std::string>();
    send_error(id, code::kInvalidParams,
               "Unknown tool: " + name->get<std::string>() + " (tools: " + known + ")");
    return;
  }
  json args = params.value("arguments", json::object());
  if (args.is_null()) args = json::object();
  if (!args.is_object()) {
    send_error(id, code::kInvalidParams, "Invalid params: \"arguments\" must be an object");
    return;
  }
  json progress_token;
  if (const auto meta = params.find("_meta"); meta != params.end() && meta->is_object()) {
    const auto t = meta->find("progressToken");
    if (t != meta->end() && valid_id(*t)) progress_token = *t;
  }

  const std::string key = dump(id);
  auto call = std::make_shared<InFlight>();
  {
    std::lock_guard lock(mutex_);
    if (in_flight_.count(key) != 0) {
      send_error(id, code::kInvalidRequest,
                 "Invalid Request: id " + key + " is already in use by a call in progress");
      return;
    }
    if (in_flight_.size() >= options_.max_in_flight) {
      send_result(id,
                  ToolResult::error("Too many tool calls in progress (" +
                                    std::to_string(in_flight_.size()) +
                                    "). Wait for some to finish and try again.")
                      .to_mcp(),
                  era);
      return;
    }
    in_flight_.emplace(key, call);
    ++workers_;
  }
  std::thread(&McpServer::run_call, this, key, id, name->get<std::string>(), std::move(args),
              std::move(progress_token), era, std::move(call))
      .detach();
}

void McpServer::run_call(std::string key, json id, std::string name, json args, json progress_token,
                         Era era, std::shared_ptr<InFlight> call) {
  ToolContext ctx{call->token, nullptr};
  if (!progress_token.is_null()) {
    ctx.progress = [&](double progress, double total, const std::string& message) {
      std::lock_guard lock(mutex_);  // no progress after a cancel, and never after the response
      if (call->token.cancelled()) return;
      send({{"jsonrpc", "2.0"},
            {"method", "notifications/progress"},
            {"params",
             {{"progressToken", progress_token},
              {"progress", progress},
              {"total", total},
              {"message", message}}}});
    };
  }
  ToolResult result;
  try {
    result = tools_.call(name, args, ctx);
  } catch (const std::exception& e) {
    result = ToolResult::error(std::string("Internal error in the shim: ") + e.what());
  }

  std::lock_guard lock(mutex_);
  const auto it = in_flight_.find(key);
  if (!call->token.cancelled() && it != in_flight_.end() && it->second == call) {
    in_flight_.erase(it);
    send_result(id, result.to_mcp(), era);
  }
  --workers_;
  idle_cv_.notify_all();  // under the lock: the destructor may free *this once it sees 0
}

void McpServer::cancel_all() {
  std::lock_guard lock(mutex_);
  for (auto& [_, call] : in_flight_) call->token.cancel();
  in_flight_.clear();
}

bool McpServer::wait_idle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return idle_cv_.wait_for(lock, timeout, [&] { return workers_ == 0; });
}

}  // namespace bb::shim
