// The CLI's connection to the user's daemon: found through the same state paths as every other
// client, started when none answers (the shared race-free autostart), and greeted with a hello
// that declares the user's command policy (BACKBURNER_ALLOW / BACKBURNER_DENY).
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "rpc_client.h"
#include "state_paths.h"

namespace bb::cli {

enum class Autostart { yes, no };

// Long enough for a cancel (the kill ladder's grace period plus its checks) on a slow machine.
inline constexpr std::chrono::milliseconds kCallTimeout{120000};

struct LinkError {
  bool no_daemon = false;  // nothing answers at the socket (only with Autostart::no)
  std::string message;     // for a person; says what to do
  bool transient = false;  // the daemon went away while we said hello (it was stopping)
};

class DaemonLink {
 public:
  static std::variant<DaemonLink, LinkError> open(const EnvLookup& env, Autostart autostart);

  // One request. When the daemon goes away under it (the connection breaks, or it answers that
  // it is shutting down) and the link may start daemons, a request that is safe to send twice
  // (anything but daemon.shutdown, and task.start only with an idempotency key) is sent once
  // more to its successor, started if need be: `logs -f` and `wait` carry on across a daemon
  // restart, as the tasks do.
  CallOutcome call(std::string_view method, const nlohmann::json& params,
                   std::chrono::milliseconds timeout = kCallTimeout);

  // The next event the daemon pushed on this link (after events.subscribe), waiting at most
  // `timeout`; std::monostate when none came in time.
  std::variant<nlohmann::json, RpcError, std::monostate> next_event(
      std::chrono::milliseconds timeout) {
    return client_.next_notification(timeout);
  }

  const StatePaths& paths() const { return paths_; }
  // Interrupts a call blocked on this link's connection, from another thread.
  std::shared_ptr<ConnectionInterrupt> interrupt_handle() const {
    return client_.interrupt_handle();
  }
  const proto::HelloResult& hello() const { return hello_; }

 private:
  DaemonLink(RpcClient client, StatePaths paths, proto::HelloResult hello, EnvLookup env,
             Autostart autostart)
      : client_(std::move(client)),
        paths_(std::move(paths)),
        hello_(std::move(hello)),
        env_(std::move(env)),
        autostart_(autostart) {}

  static std::variant<DaemonLink, LinkError> open_once(const EnvLookup& env, Autostart autostart);
  bool reconnect();

  RpcClient client_;
  StatePaths paths_;
  proto::HelloResult hello_;
  EnvLookup env_;
  Autostart autostart_;
};

// The hello every CLI connection sends: who we are, and the policy from the environment.
proto::HelloParams cli_hello(const EnvLookup& env);

// A daemon error in words for a person at a terminal (names CLI commands, not RPC methods).
std::string describe(const RpcError& error);

}  // namespace bb::cli
