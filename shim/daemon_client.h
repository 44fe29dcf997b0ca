// The real DaemonPort: daemon connections for concurrent tool calls.
//
// Each call borrows one connection (an idle one from a small pool, or a new one: connect,
// starting the daemon if nothing answers, then hello) and returns it afterwards, so a long
// task.wait never delays another call. Cancelling a call shuts its connection down, which
// unblocks the call at once; the connection is then discarded.
//
// A lost connection (the daemon died or was restarted) is retried once on a new connection,
// which starts a new daemon if needed. A task.start is retried only when it carries an
// idempotency_key (the shim gives every start one): the daemon answers the repeat with the task
// the first attempt made. Without a key, or when the retry fails too, the error says that the
// task may or may not have started.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "daemon_autostart.h"
#include "protocol.h"
#include "state_paths.h"
#include "tools.h"

namespace bb::shim {

struct DaemonClientConfig {
  // Where the daemon lives; nullopt when it could not be resolved (e.g. neither HOME nor
  // BACKBURNER_HOME set), with the reason in `paths_error`: every call then fails with it.
  std::optional<StatePaths> paths;
  std::string paths_error;
  proto::HelloParams hello;  // this client's identity and command policy
  AutostartOptions autostart;
  std::size_t max_idle = 4;  // pooled idle connections
};

class DaemonClient final : public DaemonPort {
 public:
  explicit DaemonClient(DaemonClientConfig config);
  CallOutcome call(std::string_view method, const nlohmann::json& params,
                   std::chrono::milliseconds timeout, CancelToken& cancel) override;

 private:
  // A connection that has said hello, or the error to report.
  std::variant<RpcClient, RpcError> acquire();
  void release(RpcClient conn);

  DaemonClientConfig config_;
  std::mutex mutex_;  // guards idle_
  std::vector<RpcClient> idle_;
};

}  // namespace bb::shim
