#include "daemon_control.h"

#include "daemon_link.h"
#include "process_exit.h"

namespace bb::cli {

using nlohmann::json;

namespace {
constexpr std::chrono::milliseconds kStopTimeout{15000};
}

std::variant<StopOutcome, std::string> stop_daemon(const EnvLookup& env) {
  auto opened = DaemonLink::open(env, Autostart::no);
  if (auto* e = std::get_if<LinkError>(&opened)) {
    if (e->no_daemon) return StopOutcome{};
    return e->message;
  }
  DaemonLink& link = std::get<DaemonLink>(opened);
  StopOutcome out;
  out.was_running = true;
  out.pid = link.hello().pid;
  if (auto info = link.call(proto::method::kDaemonInfo, json::object());
      std::holds_alternative<json>(info)) {
    out.working = std::get<json>(info).get<proto::DaemonInfo>().counts["working"];
  }
  auto answer = link.call(proto::method::kDaemonShutdown, json::object());
  if (auto* e = std::get_if<RpcError>(&answer)) return describe(*e);
  if (!wait_for_process_exit(out.pid, kStopTimeout)) {
    return "asked backburnerd (pid " + std::to_string(out.pid) +
           ") to stop, but it is still running after " +
           std::to_string(kStopTimeout.count() / 1000) + " s";
  }
  return out;
}

}  // namespace bb::cli
