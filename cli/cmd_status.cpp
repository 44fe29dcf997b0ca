// backburner status: one task, field by field.
#include <ostream>

#include "commands.h"
#include "daemon_link.h"
#include "iso_time.h"
#include "task_format.h"

namespace bb::cli {

namespace {

using nlohmann::json;

void print_task(Context& ctx, const proto::TaskView& t) {
  const std::int64_t now = now_ms();
  std::vector<std::pair<std::string, std::string>> rows;
  rows.emplace_back("task", t.task_id);
  rows.emplace_back("status", ctx.term.out.paint(status_words(t), status_colour(t.status)));
  if (t.status_message) rows.emplace_back("message", *t.status_message);
  if (const auto p = progress_words(t); !p.empty())
    rows.emplace_back("progress", p + (t.progress->message.empty() ? "" : "  " + t.progress->message));
  if (t.label) rows.emplace_back("label", *t.label);
  rows.emplace_back("command", t.command);
  rows.emplace_back("cwd", t.cwd);
  rows.emplace_back("created", t.created_at + " (" + format_age(t.created_at, now) + ")");
  if (t.started_at) rows.emplace_back("started", *t.started_at);
  if (t.finished_at) rows.emplace_back("finished", *t.finished_at);
  if (t.duration_seconds) rows.emplace_back("duration", format_duration(*t.duration_seconds));
  if (t.running_for_seconds) rows.emplace_back("running", format_duration(*t.running_for_seconds));
  if (t.timeout_seconds) rows.emplace_back("timeout", format_duration(*t.timeout_seconds));
  if (t.pid) rows.emplace_back("pid", std::to_string(*t.pid));
  if (t.stdin_state)
    rows.emplace_back("stdin", *t.stdin_state == "pipe" ? "open (backburner send " + t.task_id + ")"
                                                        : std::string("closed"));
  rows.emplace_back("output",
                    format_bytes(t.output_bytes) + " (backburner logs " + t.task_id + ")");
  if (t.log_path) rows.emplace_back("log", *t.log_path);
  if (!t.client.name.empty()) {
    std::string who = t.client.name + (t.client.version.empty() ? "" : " " + t.client.version);
    if (t.client.user) who += " (" + *t.client.user + ")";
    if (t.client.via) who += " via " + *t.client.via;
    rows.emplace_back("client", who);
  }
  for (const auto& [key, value] : rows) {
    ctx.out << ctx.term.out.paint(key, Colour::dim) << std::string(10 - key.size(), ' ') << value
            << "\n";
  }
}

int run_status(Context& ctx, const ParsedArgs& args) {
  auto link = DaemonLink::open(ctx.env, Autostart::yes);
  if (auto* e = std::get_if<LinkError>(&link)) return ctx.fail(e->message);
  auto answer = std::get<DaemonLink>(link).call(proto::method::kTaskGet,
                                                json{{"task_id", args.positionals[0]}});
  if (auto* e = std::get_if<RpcError>(&answer)) return ctx.fail(describe(*e));
  const json& task = std::get<json>(answer);
  if (args.has("json")) {
    ctx.print_json(task);
  } else {
    print_task(ctx, task.get<proto::TaskView>());
  }
  return kExitOk;
}

}  // namespace

Command status_command() {
  Command c;
  CommandSpec& s = c.spec;
  s.name = "status";
  s.synopsis = "[OPTIONS] ID";
  s.summary = "Show one task: status, exit code, times, output size";
  s.description =
      "Shows the task's state right now and returns at once (exit status 0 whatever the\n"
      "task's own status; `backburner wait` exits with the task's status instead).\n";
  s.options = {json_option("the task")};
  s.min_positionals = 1;
  s.max_positionals = 1;
  s.examples =
      "  backburner status k3f9x2\n"
      "  backburner status --json k3f9x2 | jq .exit_code\n";
  c.run = run_status;
  return c;
}

}  // namespace bb::cli
