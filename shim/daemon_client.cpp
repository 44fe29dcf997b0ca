#include "daemon_client.h"

namespace bb::shim {

using nlohmann::json;

namespace {

RpcError transport_error(std::string message) {
  return RpcError{kTransportError, std::move(message), nullptr};
}

}  // namespace

DaemonClient::DaemonClient(DaemonClientConfig config) : config_(std::move(config)) {}

std::variant<RpcClient, RpcError> DaemonClient::acquire() {
  {
    std::lock_guard lock(mutex_);
    while (!idle_.empty()) {
      RpcClient c = std::move(idle_.back());
      idle_.pop_back();
      if (!c.peer_closed()) return c;  // a daemon that died or restarted closed it
    }
  }
  if (!config_.paths) {
    return transport_error("Cannot locate the backburner daemon: " + config_.paths_error +
                           ". Set HOME or BACKBURNER_HOME in this MCP server's environment.");
  }
  // A daemon that was exiting may accept the connection and then close it before hello is
  // answered: the second attempt reaches its successor, or starts one.
  for (int attempt = 0;; ++attempt) {
    auto connected = connect_or_start_daemon(*config_.paths, config_.autostart);
    if (auto* msg = std::get_if<std::string>(&connected)) {
      return transport_error("Could not reach the backburner daemon: " + *msg + ".");
    }
    RpcClient c = std::get<RpcClient>(std::move(connected));
    auto hello = c.hello(config_.hello);
    auto* e = std::get_if<RpcError>(&hello);
    if (e == nullptr) return c;
    if (e->code == kTransportError && attempt == 0) continue;

    RpcError out = *e;
    if (e->code == kTransportError) {
      out.message = "The backburner daemon closed the connection at hello: " + e->message + ".";
    } else if (e->code == proto::error::kUnsupportedVersion) {
      out.message = "The running backburnerd speaks another protocol version (" + e->message +
                    "). Ask the user to stop the running backburnerd so that the installed "
                    "version starts on the next call.";
    } else {
      out.message = "The backburner daemon refused this client (" + e->message +
                    "). If it names a policy pattern, fix BACKBURNER_ALLOW / BACKBURNER_DENY in "
                    "this MCP server's configuration.";
    }
    return out;
  }
}

void DaemonClient::release(RpcClient conn) {
  std::lock_guard lock(mutex_);
  if (idle_.size() < config_.max_idle) idle_.push_back(std::move(conn));
}

CallOutcome DaemonClient::call(std::string_view method, const json& params,
                               std::chrono::milliseconds timeout, CancelToken& cancel) {
  // A start is resent only with an idempotency key: the daemon then answers a repeat with the
  // task the first attempt made, so the command never runs twice.
  const bool is_start = method == proto::method::kTaskStart;
  const bool resend_is_safe =
      !is_start || (params.is_object() && params.contains("idempotency_key"));
  for (int attempt = 0;; ++attempt) {
    if (cancel.cancelled()) return transport_error("cancelled");
    auto acquired = acquire();
    if (auto* e = std::get_if<RpcError>(&acquired)) return *e;
    RpcClient conn = std::get<RpcClient>(std::move(acquired));

    // The hook interrupts the connection through a handle of its own, valid whatever the
    // call does with the connection meanwhile.
    if (auto interrupt = conn.interrupt_handle())
      cancel.set_hook([interrupt] { interrupt->fire(); });
    CallOutcome outcome = conn.call(method, params, timeout);
    cancel.clear_hook();

    const auto* error = std::get_if<RpcError>(&outcome);
    if (error == nullptr || error->code != kTransportError) {
      // A daemon that is shutting down refused the request without acting on it: a new
      // connection reaches its successor (or starts one).
      if (error != nullptr && error->code == proto::error::kShuttingDown && attempt == 0) continue;
      if (!cancel.cancelled()) release(std::move(conn));
      return outcome;
    }
    // The connection is broken or out of step (a timed-out answer may still arrive): drop it.
    if (cancel.cancelled()) return outcome;
    if (!resend_is_safe) {
      return transport_error(
          "The connection to the backburner daemon broke after the start request was sent (" +
          error->message +
          "), so the task may or may not have started. Check with list_tasks "
          "before starting it again.");
    }
    if (attempt > 0 && is_start) {
      return transport_error(
          "The connection to the backburner daemon broke twice while starting the task (" +
          error->message +
          "), so the task may or may not have started. Check with list_tasks "
          "before starting it again.");
    }
    if (attempt > 0) {
      return transport_error("Lost the connection to the backburner daemon twice (" +
                             error->message +
                             "). Try again; if it persists, ask the user to "
                             "check backburnerd and its log.");
    }
  }
}

}  // namespace bb::shim
