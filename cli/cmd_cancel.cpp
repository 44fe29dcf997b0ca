// backburner cancel: stops tasks and every process they started.
#include <ostream>

#include "commands.h"
#include "daemon_link.h"

namespace bb::cli {

namespace {

using nlohmann::json;

int run_cancel(Context& ctx, const ParsedArgs& args) {
  auto opened = DaemonLink::open(ctx.env, Autostart::yes);
  if (auto* e = std::get_if<LinkError>(&opened)) return ctx.fail(e->message);
  DaemonLink& link = std::get<DaemonLink>(opened);
  int status = kExitOk;
  for (const auto& id : args.positionals) {
    auto answer = link.call(proto::method::kTaskCancel, json{{"task_id", id}});
    if (auto* e = std::get_if<RpcError>(&answer)) {
      status = ctx.fail(describe(*e));
      if (e->code == kTransportError) return status;
      continue;
    }
    const json& result = std::get<json>(answer);
    const auto r = result.get<proto::CancelResult>();
    if (args.has("json")) {
      // The MCP tool cancel_task's object: the task, plus what this call did.
      json j = result.value("task", json::object());
      j["cancelled"] = r.cancelled;
      j["message"] = r.message;
      if (!r.survivors.empty()) j["survivors"] = result["survivors"];
      ctx.print_json(j);
    } else {
      const Colour c = r.cancelled ? Colour::yellow : Colour::dim;
      ctx.out << id << ": " << ctx.term.out.paint(r.message, c) << "\n";
    }
    if (!r.survivors.empty()) {
      std::string pids;
      for (auto p : r.survivors) pids += (pids.empty() ? "" : " ") + std::to_string(p);
      status = ctx.fail(id + ": processes of the task survived SIGKILL: " + pids);
    }
  }
  return status;
}

}  // namespace

Command cancel_command() {
  Command c;
  CommandSpec& s = c.spec;
  s.name = "cancel";
  s.synopsis = "[OPTIONS] ID...";
  s.summary = "Stop tasks and every process they started";
  s.description =
      "Stops each task's whole process tree: SIGTERM to every process, a grace period\n"
      "(BACKBURNER_KILL_GRACE seconds in the daemon's environment, default 5), then SIGKILL,\n"
      "and returns once nothing is left. The task ends as `cancelled`, without an exit code.\n"
      "Cancelling a task that has already ended changes nothing and is not an error.\n"
      "\n"
      "Exit status: 0, or 1 if an id is unknown or a process survived (the others are still\n"
      "cancelled).\n";
  s.options = {json_option("one object per task: the task, `cancelled` and `message`")};
  s.min_positionals = 1;
  s.examples =
      "  backburner cancel k3f9x2\n"
      "  backburner cancel $(backburner ls --status working --json | jq -r '.tasks[].task_id')\n";
  c.run = run_cancel;
  return c;
}

}  // namespace bb::cli
