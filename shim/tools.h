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

// task_result's output cap in bytes: well under what clients accept in one tool result, even
// with the output appearing twice (structuredContent and the text item).
inline constexpr std::uint64_t kToolOutputMaxBytes = 32 * 1024;
// wait_task bounds (the catalogue's wait_task inputSchema says the same).
inline constexpr double kToolDefaultWaitSeconds = 30;

struct ToolsConfig {
  std::filesystem::path cwd;                   // default task cwd; relative cwds resolve against it
  std::map<std::string, std::string> env;      // every task's environment
  std::optional<std::filesystem::path> home;   // for a cwd starting with ~/
  std::chrono::milliseconds wait_slice{5000};  // one task.wait; progress is sent between slices
  std::chrono::milliseconds call_timeout{60000};  // any other daemon call
  std::uint64_t output_max_bytes = kToolOutputMaxBytes;
};

// notifications/progress for the current call: progress increases, total is the wait's budget.
using ProgressFn = std::function<void(double progress, double total, const std::string& message)>;

struct ToolContext {
  CancelToken& cancel;
  ProgressFn progress;  // empty when the request carried no progressToken
};

struct ToolResult {
  bool is_error = false;
  nlohmann::json structured;  // !is_error: the structuredContent
  std::string message;        // is_error: what happened and what to do

  static ToolResult ok(nlohmann::json structured) { return {false, std::move(structured), {}}; }
  static ToolResult error(std::string message) { return {true, nullptr, std::move(message)}; }
  // The CallToolResult: structuredContent plus the same JSON as a text item, or isError with
  // the message as text.
  nlohmann::json to_mcp() const;
};

class Tools {
 public:
  Tools(const ToolCatalog& catalog, DaemonPort& daemon, ToolsConfig config);

  // REQUIRES: catalog.find(name) != nullptr. Checks `arguments` against the tool's inputSchema
  // and runs the tool. Never throws: every failure is an isError result.
  ToolResult call(const std::string& name, const nlohmann::json& arguments, ToolContext& ctx);

 private:
  ToolResult start_task(const nlohmann::json& args, ToolContext& ctx);
  ToolResult task_status(const nlohmann::json& args, ToolContext& ctx);
  ToolResult task_result(const nlohmann::json& args, ToolContext& ctx);
  ToolResult cancel_task(const nlohmann::json& args, ToolContext& ctx);
  ToolResult list_tasks(const nlohmann::json& args, ToolContext& ctx);
  ToolResult wait_task(const nlohmann::json& args, ToolContext& ctx);  // wait_tool.cpp

  // One daemon call with the standard timeout; the error already explained for a model.
  std::variant<nlohmann::json, std::string> daemon_call(std::string_view method,
                                                        const nlohmann::json& params,
                                                        ToolContext& ctx);

  const ToolCatalog& catalog_;
  DaemonPort& daemon_;
  ToolsConfig config_;
};

}  // namespace bb::shim
