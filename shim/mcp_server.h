// The MCP side of the shim: one JSON-RPC message per line in, responses and notifications out.
// Serves both protocol eras (mcp-notes.md):
//   legacy  initialize (2025-11-25, 2025-06-18, 2025-03-26; anything else gets the latest),
//           then requests without the per-request envelope, ping, notifications/cancelled;
//           JSON-RPC batches once 2025-03-26 was negotiated (that revision requires them);
//           experimental Tasks (tasks/get, result, list, cancel, notifications/tasks/status);
//           resources with resources/subscribe.
//   modern  2026-07-28: every request carries _meta io.modelcontextprotocol/protocolVersion and
//           clientCapabilities, checked each time (-32602 missing, -32022 unsupported or a
//           legacy version); server/discover; resultType on every result; caching hints on list
//           results; the Tasks extension (io.modelcontextprotocol/tasks) for requests that
//           declare it; subscriptions/listen.
// A request is modern when it carries the envelope; without it, it is legacy once initialize
// was seen, and refused (-32602) before.
//
// Threads: handle_line() runs on the one thread that reads stdin and answers what needs no
// daemon inline. Everything that talks to the daemon (tools/call, tasks/*, resources/read, ...)
// runs on a worker thread of its own, so that a long wait never delays ping or another call.
// notifications/cancelled (or cancel_all at EOF) cancels a call's token: its daemon connection
// is shut down and its response is never written. Notifications pushed from the daemon's
// events arrive on TaskWatch's threads. All output goes through the OutputSink, which
// serialises lines.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "cancel_token.h"
#include "mcp_tasks.h"
#include "task_watch.h"
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
inline constexpr const char* kTasksExtension = "io.modelcontextprotocol/tasks";

struct ServerOptions {
  std::string version;             // serverInfo.version
  std::size_t max_in_flight = 64;  // concurrent requests on workers; more are refused
  std::size_t max_line_bytes = 16 * 1024 * 1024;
  std::int64_t poll_interval_ms = 1000;  // Tasks pollInterval
};

class McpServer {
 public:
  McpServer(const ToolCatalog& catalog, Tools& tools, TaskWatch& watch, OutputSink& out,
            ServerOptions options);
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

  // The MCP session id of this process (random; renewed by each legacy initialize).
  std::string session() const;

 private:
  struct Batch;
  using Route = std::shared_ptr<Batch>;  // null: write responses directly
  struct InFlight {
    CancelToken token;
    Route route;
  };
  struct Era {
    bool modern = false;
    bool tasks_ext = false;    // modern: the request declared io.modelcontextprotocol/tasks
    proto::ClientInfo client;  // the client behind the request, with this session
  };
  // What a worker answers: a result, or a JSON-RPC error.
  struct Reply {
    bool is_error = false;
    nlohmann::json result;
    int code = 0;
    std::string message;
    nlohmann::json data;
    static Reply ok(nlohmann::json r) { return {false, std::move(r), 0, {}, nullptr}; }
    static Reply error(int code, std::string message, nlohmann::json data = nullptr) {
      return {true, nullptr, code, std::move(message), std::move(data)};
    }
  };
  // A worker's view of its request.
  struct Call {
    nlohmann::json id;
    Era era;
    nlohmann::json progress_token;  // null: none
    std::shared_ptr<InFlight> flight;
    ToolContext context(McpServer& server);
  };
  using Work = std::function<Reply(Call&)>;

  void handle_message(const nlohmann::json& msg, const Route& route);
  void handle_notification(const std::string& method, const nlohmann::json& params);
  void handle_request(const nlohmann::json& id, const std::string& method,
                      const nlohmann::json& params, const Route& route);
  void handle_initialize(const nlohmann::json& id, const nlohmann::json& params,
                         const Route& route);
  void handle_tools_call(const nlohmann::json& id, const nlohmann::json& params, const Era& era,
                         const Route& route);
  void handle_batch(const nlohmann::json& batch);
  std::optional<Reply> check_envelope(const nlohmann::json& params, Era& era);
  // Runs `work` on a worker thread and sends its reply (unless cancelled).
  void spawn(const nlohmann::json& id, const Era& era, const Route& route,
             nlohmann::json progress_token, Work work);
  void join_finished_workers();

  // mcp_server_tasks.cpp
  Reply call_as_task(Call& call, const std::string& tool, const nlohmann::json& args);
  Reply tasks_get(Call& call, const nlohmann::json& params);
  Reply tasks_result(Call& call, const nlohmann::json& params);
  Reply tasks_list(Call& call, const nlohmann::json& params);
  Reply tasks_cancel(Call& call, const nlohmann::json& params);
  Reply tasks_update(Call& call, const nlohmann::json& params);
  std::optional<Reply> require_tasks_extension(const Era& era) const;
  TaskTiming timing(Call& call);
  // The Task of the modern extension with its result or error inlined once it has ended.
  nlohmann::json detailed_task(const proto::TaskView& task, ToolContext& ctx);
  TaskTiming cached_timing() const;
  // Follows a task this session created as an MCP task: status notifications, progress.
  void follow_created_task(const proto::TaskView& task, const Era& era,
                           const nlohmann::json& progress_token);

  // mcp_server_resources.cpp
  Reply resources_list(Call& call, const nlohmann::json& params);
  Reply resources_read(Call& call, const nlohmann::json& params);
  Reply resources_subscribe(Call& call, const nlohmann::json& params, bool subscribe);
  Reply subscriptions_listen(Call& call, const nlohmann::json& params);
  nlohmann::json resource_templates() const;

  void send(const nlohmann::json& msg);
  void send_reply(const nlohmann::json& id, Reply reply, const Era& era, const Route& route);
  void send_error(const nlohmann::json& id, int code, const std::string& message,
                  const nlohmann::json& data = nullptr, const Route& route = nullptr);
  void deliver(const nlohmann::json& response, const Route& route);
  nlohmann::json server_info() const;
  nlohmann::json tools_for(const Era& era) const;
  Era legacy_era() const;

  const ToolCatalog& catalog_;
  Tools& tools_;
  TaskWatch& watch_;
  OutputSink& out_;
  ServerOptions options_;
  // Touched by the reader thread only:
  bool initialized_ = false;        // legacy initialize seen
  std::string negotiated_version_;  // legacy
  bool batches_ = false;            // 2025-03-26 negotiated: batches are accepted

  mutable std::mutex mutex_;  // guards the members below
  std::condition_variable idle_cv_;
  // Requests whose response is still wanted, by request id (dumped). A cancelled one leaves
  // the map at once (its id may be reused) but its worker counts in workers_ until it returns.
  std::map<std::string, std::shared_ptr<InFlight>> in_flight_;
  std::size_t workers_ = 0;
  // Every worker thread is joined, never detached: mingw-w64's winpthreads (10.0) can lose a
  // thread that is detached as it starts (it then never runs, and its request is never
  // answered). A worker that returned lists itself in finished_workers_; the next spawn and
  // the destructor join it.
  std::map<std::uint64_t, std::thread> worker_threads_;
  std::vector<std::uint64_t> finished_workers_;
  std::uint64_t next_worker_ = 0;
  std::string session_;
  proto::ClientInfo legacy_client_;  // initialize's clientInfo
  std::optional<TaskTiming> timing_;
  std::map<std::string, std::uint64_t> resource_watches_;  // legacy resources/subscribe, by uri
  std::map<std::string, std::uint64_t> created_watches_;   // MCP tasks this session created
};

}  // namespace bb::shim
