// The MCP tools, each translated into daemon calls. The daemon is reached through DaemonPort,
// so tests drive every tool against a fake daemon.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "cancel_token.h"
#include "protocol.h"
#include "rpc_client.h"
#include "tool_catalog.h"

namespace bb::shim {

// The way to the daemon. The real one (DaemonClient) connects, starts the daemon when needed
// and retries where that is safe; a test double answers from a script.
class DaemonPort {
 public:
  virtual ~DaemonPort() = default;
  // Sends one request and waits for its answer, at most `timeout`. When `cancel` fires, returns
  // promptly (with a kTransportError). Thread-safe: calls run concurrently, one per tool call.
  virtual CallOutcome call(std::string_view method, const nlohmann::json& params,
                           std::chrono::milliseconds timeout, CancelToken& cancel) = 0;
};

// task_result's default cap on the characters of output it returns (max_chars), and the bound
// a call may raise it to: enough for a screenful of a log, and even the bound stays well within
// what clients accept in one tool result with the output appearing twice (structuredContent
// and the text item).
inline constexpr std::uint64_t kToolDefaultMaxChars = 16000;
inline constexpr std::uint64_t kToolMaxChars = 100000;
// Bytes of the log one read takes by default (before cleaning and the character cap).
inline constexpr std::uint64_t kToolDefaultReadBytes = 256 * 1024;
// wait_task bounds (the catalogue's wait_task inputSchema says the same).
inline constexpr double kToolDefaultWaitSeconds = 30;

struct ToolsConfig {
  std::filesystem::path cwd;                   // default task cwd; relative cwds resolve against it
  std::map<std::string, std::string> env;      // every task's environment
  std::optional<std::filesystem::path> home;   // for a cwd starting with ~/
  std::chrono::milliseconds wait_slice{5000};  // one task.wait while progress is reported
  std::chrono::milliseconds call_timeout{60000};  // any other daemon call
};

// One notifications/progress for the current call. The caller keeps `progress` increasing.
using ProgressFn =
    std::function<void(double progress, std::optional<double> total, const std::string& message)>;

struct ToolContext {
  CancelToken& cancel;
  ProgressFn progress;  // empty when the request carried no progressToken
  // The MCP client behind this call: clientInfo name and version, and the session (random per
  // shim process, new at each legacy initialize). Sent as task.start's client.
  proto::ClientInfo client;
  // Unique per tools/call: the idempotency key of a start, so that a retry after a broken
  // connection returns the task the first attempt made.
  std::string call_key;
};

// The since_last_read reader of a session that names none: "<client name>/<session>".
std::string default_reader(const proto::ClientInfo& client);

struct ToolResult {
  bool is_error = false;
  nlohmann::json structured;  // the structuredContent (null: none)
  std::string text;           // the text content: written for a model (or the error message)

  static ToolResult ok(nlohmann::json structured, std::string text) {
    return {false, std::move(structured), std::move(text)};
  }
  static ToolResult error(std::string message) { return {true, nullptr, std::move(message)}; }
  // The CallToolResult: the text item plus structuredContent when there is one.
  nlohmann::json to_mcp() const;
};

class Tools {
 public:
  Tools(const ToolCatalog& catalog, DaemonPort& daemon, ToolsConfig config);

  // REQUIRES: catalog.find(name) != nullptr. Checks `arguments` against the tool's inputSchema
  // and runs the tool. Never throws: every failure is an isError result.
  ToolResult call(const std::string& name, const nlohmann::json& arguments, ToolContext& ctx);

  // The result a task-augmented start_task ends with (MCP Tasks, both eras): the task's final
  // state and the end of its output, as task_result would show it; isError unless the command
  // completed. REQUIRES: the task is terminal.
  ToolResult final_result(const std::string& task_id, ToolContext& ctx);

  // Checks start_task's arguments and starts the task: for a task-augmented call, which must
  // know the task before it answers. The error is the isError result to give.
  std::variant<proto::TaskView, ToolResult> start(const nlohmann::json& arguments,
                                                  ToolContext& ctx);

  DaemonPort& daemon() { return daemon_; }
  const ToolsConfig& config() const { return config_; }

 private:
  ToolResult start_task(const nlohmann::json& args, ToolContext& ctx);
  ToolResult task_status(const nlohmann::json& args, ToolContext& ctx);
  ToolResult task_result(const nlohmann::json& args, ToolContext& ctx);  // output_tool.cpp
  ToolResult send_input(const nlohmann::json& args, ToolContext& ctx);
  ToolResult cancel_task(const nlohmann::json& args, ToolContext& ctx);
  ToolResult list_tasks(const nlohmann::json& args, ToolContext& ctx);
  ToolResult wait_task(const nlohmann::json& args, ToolContext& ctx);  // wait_tool.cpp

  // One daemon call with the standard timeout; the error already explained for a model.
  std::variant<nlohmann::json, std::string> daemon_call(std::string_view method,
                                                        const nlohmann::json& params,
                                                        ToolContext& ctx);
  std::variant<std::string, ToolResult> resolve_cwd(const nlohmann::json& args) const;

  const ToolCatalog& catalog_;
  DaemonPort& daemon_;
  ToolsConfig config_;
};

}  // namespace bb::shim
