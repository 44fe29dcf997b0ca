// backburner daemon status|start|stop: the user's backburnerd, like `systemctl status`.
#include <ostream>

#include "commands.h"
#include "daemon_control.h"
#include "daemon_link.h"
#include "task_format.h"

namespace bb::cli {

namespace {

using nlohmann::json;

std::string counts_text(const proto::DaemonInfo& info) {
  std::string out;
  for (const char* s :
       {"working", "completed", "failed", "cancelled", "timed_out", "interrupted"}) {
    auto it = info.counts.find(s);
    if (it == info.counts.end() || it->second == 0) continue;
    out += (out.empty() ? "" : ", ") + std::to_string(it->second) + " " + s;
  }
  return out.empty() ? "none" : out;
}

int status(Context& ctx, const ParsedArgs& args) {
  auto opened = DaemonLink::open(ctx.env, Autostart::no);
  if (auto* e = std::get_if<LinkError>(&opened)) {
    if (!e->no_daemon) return ctx.fail(e->message);
    if (args.has("json")) return ctx.fail(e->message, kExitNotRunning);
    ctx.out << e->message << ".\n"
            << "Any backburner command starts it (or: backburner daemon start).\n";
    return kExitNotRunning;
  }
  auto answer = std::get<DaemonLink>(opened).call(proto::method::kDaemonInfo, json::object());
  if (auto* e = std::get_if<RpcError>(&answer)) return ctx.fail(describe(*e));
  if (args.has("json")) {
    ctx.print_json(std::get<json>(answer));
    return kExitOk;
  }
  const auto info = std::get<json>(answer).get<proto::DaemonInfo>();
  const Style& st = ctx.term.out;
  ctx.out << "backburnerd " << info.version << " " << st.paint("running", Colour::green) << " (pid "
          << info.pid << "), up " << format_duration(info.uptime_seconds) << "\n";
  const std::pair<const char*, std::string> rows[] = {
      {"started", info.started_at},
      {"state dir", info.state_dir},
      {"socket", info.socket},
      {"tasks", counts_text(info)},
      {"clients", std::to_string(info.connections) + " connected (this one included)"},
  };
  for (const auto& [key, value] : rows) {
    ctx.out << st.paint(key, Colour::dim) << std::string(11 - std::string(key).size(), ' ') << value
            << "\n";
  }
  return kExitOk;
}

int start(Context& ctx, const ParsedArgs&) {
  auto running = DaemonLink::open(ctx.env, Autostart::no);
  if (auto* link = std::get_if<DaemonLink>(&running)) {
    ctx.out << "backburnerd is already running (pid " << link->hello().pid << ").\n";
    return kExitOk;
  }
  if (!std::get<LinkError>(running).no_daemon)
    return ctx.fail(std::get<LinkError>(running).message);
  auto started = DaemonLink::open(ctx.env, Autostart::yes);
  if (auto* e = std::get_if<LinkError>(&started)) return ctx.fail(e->message);
  ctx.out << "Started backburnerd (pid " << std::get<DaemonLink>(started).hello().pid << ").\n";
  return kExitOk;
}

int stop(Context& ctx, const ParsedArgs&) {
  auto stopped = stop_daemon(ctx.env);
  if (auto* msg = std::get_if<std::string>(&stopped)) return ctx.fail(*msg);
  const auto& s = std::get<StopOutcome>(stopped);
  if (!s.was_running) {
    ctx.out << "backburnerd is not running.\n";
    return kExitOk;
  }
  ctx.out << "Stopped backburnerd (pid " << s.pid << ")";
  if (s.working > 0) {
    ctx.out << "; " << s.working << (s.working == 1 ? " task keeps" : " tasks keep")
            << " running and the next daemon adopts " << (s.working == 1 ? "it" : "them");
  }
  ctx.out << ".\n";
  return kExitOk;
}

int run_daemon_command(Context& ctx, const ParsedArgs& args) {
  const std::string& sub = args.positionals[0];
  if (sub == "status") return status(ctx, args);
  if (sub == "start") return start(ctx, args);
  if (sub == "stop") return stop(ctx, args);
  return ctx.fail("unknown daemon command \"" + sub +
                      "\" (status, start or stop)\n"
                      "Run 'backburner daemon --help' for usage.",
                  kExitUsage);
}

}  // namespace

Command daemon_command() {
  Command c;
  CommandSpec& s = c.spec;
  s.name = "daemon";
  s.synopsis = "status|start|stop [OPTIONS]";
  s.summary = "Show, start or stop the daemon (backburnerd)";
  s.description =
      "  status  show the running daemon: version, pid, uptime, state dir, socket, task counts.\n"
      "          Exit status 3 when none runs (as `systemctl status`); it does not start one.\n"
      "  start   start the daemon if none runs. Rarely needed: every other command (and\n"
      "          backburner-mcp) starts it on demand.\n"
      "  stop    ask the daemon to exit and wait until it has. Tasks keep running: each has\n"
      "          its own keeper process, and the next daemon adopts them.\n"
      "\n"
      "Under a service manager (see `backburner service`), prefer systemctl or launchctl:\n"
      "`daemon stop` stops it too, and the manager does not restart a clean exit.\n";
  s.options = {json_option("daemon.info's object (status only)")};
  s.min_positionals = 1;
  s.max_positionals = 1;
  s.examples =
      "  backburner daemon status\n"
      "  backburner daemon stop && backburner daemon start   # e.g. after an upgrade\n";
  c.run = run_daemon_command;
  return c;
}

}  // namespace bb::cli
