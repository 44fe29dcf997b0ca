// Turns request lines into responses: JSON-RPC validation, the hello handshake, and routing to
// the task manager. Knows nothing of sockets; the server hands it lines and a way to reply.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "command_policy.h"
#include "protocol.h"
#include "task_manager.h"

namespace bb {

// What one connection has said about itself.
struct Session {
  bool greeted = false;
  proto::ClientInfo client;
  CommandPolicy policy;  // the client's declared policy
};

class RpcDispatcher {
 public:
  using Reply = std::function<void(std::string line)>;  // one response line, no newline
  using InfoSource = std::function<proto::DaemonInfo()>;

  RpcDispatcher(TaskManager& tasks, const CommandPolicy& daemon_policy, InfoSource info,
                std::function<void()> request_shutdown);

  // Handles one request line. Calls `reply` at most once, now or later (wait, cancel);
  // never for a notification. REQUIRES: `session` outlives any pending reply, or reply
  // tolerates being called after the connection closed.
  void handle_line(const std::shared_ptr<Session>& session, std::string_view line, Reply reply);

  // The response to a request line that exceeded the size limit.
  static std::string too_large_response();

 private:
  TaskManager& tasks_;
  const CommandPolicy& daemon_policy_;
  InfoSource info_;
  std::function<void()> request_shutdown_;
};

}  // namespace bb
