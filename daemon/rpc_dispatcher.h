// Turns request lines into responses: JSON-RPC validation, the hello handshake, and routing to
// the task manager, the output reader and the event hub through one {method, handler} table.
// Knows nothing of sockets; the connection hands it lines and a way to reply.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "command_policy.h"
#include "event_hub.h"
#include "protocol.h"
#include "task_manager.h"
#include "task_output.h"
#include "worker_pool.h"

namespace bb {

class Retention;

// What one connection has said about itself, and its way out for pushed events.
struct Session final : EventSink {
  bool greeted = false;
  proto::ClientInfo client;
  // The client's declared policy: immutable once compiled, shared with the workers that check
  // commands against it.
  std::shared_ptr<const CommandPolicy> policy = std::make_shared<const CommandPolicy>();
  // Set by the connection: queue one line for the client; bytes queued and not yet written.
  std::function<void(std::string line)> push;
  std::function<std::size_t()> queued;

  void push_event(const proto::Event& event) override;
  std::size_t backlog() const override { return queued ? queued() : 0; }
};

struct DaemonServices {
  TaskManager& tasks;
  WorkerPool& workers;
  OutputService& output;
  EventHub& events;
  Retention& retention;
  const CommandPolicy& daemon_policy;
  std::function<proto::DaemonInfo()> info;
  std::function<void()> request_shutdown;
  // dashboard.open (dashboard.h); unset: the method answers kDashboardUnavailable.
  std::function<Outcome<proto::DashboardOpenResult>()> open_dashboard;
};

class RpcDispatcher {
 public:
  using Reply = std::function<void(std::string line)>;  // one response line, no newline

  explicit RpcDispatcher(DaemonServices services);

  // Handles one request line. Calls `reply` at most once, now or later (wait, cancel, grep);
  // never for a notification. REQUIRES: `session` outlives any pending reply, or reply
  // tolerates being called after the connection closed.
  void handle_line(const std::shared_ptr<Session>& session, std::string_view line, Reply reply);

  // The connection of `session` closed: its subscriptions end.
  void session_closed(Session& session);

  // The response to a request line that exceeded the size limit.
  static std::string too_large_response();

  // Every method this daemon serves (hello's `methods`).
  static const std::vector<std::string>& method_names();

 private:
  DaemonServices s_;
};

}  // namespace bb
