// The MCP side of the shim: one JSON-RPC message per line in, responses and notifications out.
// Serves both protocol eras (mcp-notes.md):
//   legacy  initialize (2025-11-25, 2025-06-18, 2025-03-26; anything else gets the latest),
//           then requests without the per-request envelope, ping, notifications/cancelled;
//   modern  2026-07-28: every request carries _meta io.modelcontextprotocol/protocolVersion and
//           clientCapabilities, checked each time (-32602 missing, -32022 unsupported);
//           server/discover; resultType on every result; caching hints on list results.
// A request is modern when it carries the envelope; without it, it is legacy once initialize
// was seen, and refused (-32602) before.
//
// Threads: handle_line() runs on the one thread that reads stdin and answers everything but
// tools/call inline. Each tools/call runs on its own worker thread so that a long wait_task
// never delays ping or another call. notifications/cancelled (or cancel_all at EOF) cancels a
// call's token: its daemon connection is shut down and its response is never written. All
// output goes through the OutputSink, which serialises lines.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "cancel_token.h"
#include "tool_catalog.h"
#include "tools.h"

namespace bb::shim {

class OutputSink {
 public:
  virtual ~OutputSink() = default;
  // Writes one message and a newline. Thread-safe: lines never interleave.
  virtual void write_line(const std::string& line) = 0;
};

inline constexpr const char* kModernVersion = "2026-07-28";
inline constexpr const char* kLatestLegacyVersion = "2025-11-25";

struct ServerOptions {
  std::string version;             // serverInfo.version
  std::size_t max_in_flight = 64;  // concurrent tools/call; more get an isError result
  std::size_t max_line_bytes = 16 * 1024 * 1024;
};

class McpServer {
 public:
  McpServer(const ToolCatalog& catalog, Tools& tools, OutputSink& out, ServerOptions options);
  ~McpServer();  // cancels in-flight calls and waits for their workers
  McpServer(const McpServer&) = delete;
  McpServer& operator=(const McpServer&) = delete;

  // Handles one line from the client, without its newline. Never throws.
  void handle_line(std::string_view line);
  // Answers a line the reader dropped for exceeding max_line_bytes (-32600, id unknown).
  void reject_oversized_line(std::size_t bytes);
  // Cancels every in-flight call; their responses are dropped. For stdin EOF.
  void cancel_all();
  // Waits until no call is in flight, at most `timeout`. True when idle.
  bool wait_idle(std::chrono::milliseconds timeout);

 private:
  struct InFlight {
    CancelToken token;
  };
  struct Era {
    bool modern = false;
  };

  void handle_message(const nlohmann::json& msg);
  void handle_notification(const std::string& method, const nlohmann::json& params);
  void handle_request(const nlohmann::json& id, const std::string& method,
                      const nlohmann::json& params);
  void handle_initialize(const nlohmann::json& id, const nlohmann::json& params);
  void handle_tools_call(const nlohmann::json& id, const nlohmann::json& params, Era era);
  void run_call(std::string key, nlohmann::json id, std::string name, nlohmann::json args,
                nlohmann::json progress_token, Era era, std::shared_ptr<InFlight> call);

  void send(const nlohmann::json& msg);
  void send_result(const nlohmann::json& id, nlohmann::json result, Era era);
  void send_error(const nlohmann::json& id, int code, const std::string& message,
                  const nlohmann::json& data = nullptr);
  nlohmann::json server_info() const;

  const ToolCatalog& catalog_;
  Tools& tools_;
  OutputSink& out_;
  ServerOptions options_;
  bool initialized_ = false;  // legacy initialize seen; touched by the reader thread only

  std::mutex mutex_;  // guards in_flight_ and workers_
  std::condition_variable idle_cv_;
  // Calls whose response is still wanted, by request id (dumped). A cancelled call leaves the
  // map at once (its id may be reused) but its worker counts in workers_ until it returns.
  std::map<std::string, std::shared_ptr<InFlight>> in_flight_;
  std::size_t workers_ = 0;
};

}  // namespace bb::shim
