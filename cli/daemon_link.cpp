#include "daemon_link.h"

#include <thread>

#include "daemon_autostart.h"
#include "os.h"
#include "policy_config.h"
#include "version.h"

namespace bb::cli {

using nlohmann::json;

namespace {
constexpr int kReconnectAttempts = 5;
constexpr std::chrono::milliseconds kReconnectPause{200};
}  // namespace

proto::HelloParams cli_hello(const EnvLookup& env) {
  proto::HelloParams h;
  h.client.name = "backburner";
  h.client.version = BACKBURNER_VERSION;
  // The person at the terminal: their tasks say so, and `list --mine` finds them.
  h.client.user = os::current_user_name();
  h.client.session = "backburner:" + *h.client.user;
  h.policy = policy_from_env(env);
  return h;
}

std::variant<DaemonLink, LinkError> DaemonLink::open(const EnvLookup& env, Autostart autostart) {
  auto link = open_once(env, autostart);
  // A daemon that was stopping when we connected: its successor (started by us, if need be)
  // is a moment away.
  for (int attempt = 1; autostart == Autostart::yes && attempt < kReconnectAttempts; ++attempt) {
    const auto* e = std::get_if<LinkError>(&link);
    if (e == nullptr || !e->transient) break;
    std::this_thread::sleep_for(kReconnectPause);
    link = open_once(env, autostart);
  }
  return link;
}

std::variant<DaemonLink, LinkError> DaemonLink::open_once(const EnvLookup& env,
                                                          Autostart autostart) {
  StatePaths paths;
  try {
    paths = resolve_state_paths(env);
  } catch (const std::exception& e) {
    return LinkError{false, e.what()};
  }
  std::variant<RpcClient, std::string> connected = autostart == Autostart::yes
                                                       ? connect_or_start_daemon(paths)
                                                       : RpcClient::connect(paths.socket);
  if (auto* msg = std::get_if<std::string>(&connected)) {
    if (autostart == Autostart::no) {
      return LinkError{true, "no backburnerd is running for " + paths.home.string() +
                                 " (nothing answers at " + paths.socket.string() + ")"};
    }
    return LinkError{false, *msg};
  }
  RpcClient client = std::get<RpcClient>(std::move(connected));
  auto hello = client.hello(cli_hello(env));
  if (auto* e = std::get_if<RpcError>(&hello)) {
    if (e->code == kTransportError) {
      return LinkError{false, "the daemon closed the connection at hello: " + e->message, true};
    }
    if (e->code == proto::error::kUnsupportedVersion) {
      return LinkError{false, "the running backburnerd speaks another protocol version (" +
                                  e->message +
                                  "); stop it with `backburner daemon stop` so that "
                                  "this version's daemon starts"};
    }
    return LinkError{false, "the daemon refused this client: " + e->message +
                                " (check BACKBURNER_ALLOW / BACKBURNER_DENY)"};
  }
  return DaemonLink(std::move(client), std::move(paths), std::get<proto::HelloResult>(hello), env,
                    autostart);
}

bool DaemonLink::reconnect() {
  // A daemon that is shutting down still holds the state dir for a moment, so a successor
  // started right away may find it taken: a few tries, a moment apart.
  for (int attempt = 0; attempt < kReconnectAttempts; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(kReconnectPause);
    auto again = open(env_, Autostart::yes);
    if (auto* link = std::get_if<DaemonLink>(&again)) {  // (open itself retries transients)
      *this = std::move(*link);
      return true;
    }
  }
  return false;
}

CallOutcome DaemonLink::call(std::string_view method, const json& params,
                             std::chrono::milliseconds timeout) {
  CallOutcome out = client_.call(method, params, timeout);
  const auto* e = std::get_if<RpcError>(&out);
  if (e == nullptr || autostart_ != Autostart::yes) return out;
  if (e->code != kTransportError && e->code != proto::error::kShuttingDown) return out;
  // A start is sent again only with an idempotency key: the daemon then answers with the task
  // the first request created, if it got that far, and runs nothing twice.
  const bool start_with_key = method == proto::method::kTaskStart &&
                              params.is_object() && params.contains("idempotency_key");
  if ((method == proto::method::kTaskStart && !start_with_key) ||
      method == proto::method::kDaemonShutdown)
    return out;
  if (!reconnect()) return out;
  return client_.call(method, params, timeout);
}

std::string describe(const RpcError& e) {
  namespace err = proto::error;
  switch (e.code) {
    case kTransportError:
      return "lost the connection to the daemon: " + e.message;
    case err::kTaskNotFound:
      if (e.data.is_object() && e.data.contains("task_id") && e.data["task_id"].is_string()) {
        return "no task has id \"" + e.data["task_id"].get<std::string>() +
               "\" (`backburner list` shows the known tasks)";
      }
      return e.message;
    case err::kShuttingDown:
      return "the daemon is shutting down; try again in a moment";
    default:
      return e.message;
  }
}

}  // namespace bb::cli
