// backburner list: a table of tasks, newest first, like `docker ps -a` or `pueue status`.
#include <algorithm>
#include <ostream>

#include "commands.h"
#include "daemon_link.h"
#include "iso_time.h"
#include "task_format.h"

namespace bb::cli {

namespace {

using nlohmann::json;

struct Row {
  std::vector<std::string> cells;  // plain text, for widths
  proto::Status status = proto::Status::working;
};

std::string exit_cell(const proto::TaskView& t) {
  if (t.exit_code) return std::to_string(*t.exit_code);
  if (t.signal && t.status != proto::Status::working) return *t.signal;
  return "-";
}

void print_table(Context& ctx, const std::vector<proto::TaskView>& tasks) {
  const std::int64_t now = now_ms();
  std::vector<Row> rows;
  rows.push_back({{"ID", "STATUS", "AGE", "DURATION", "EXIT", "COMMAND"}, proto::Status::working});
  for (const auto& t : tasks) {
    // A working task shows its progress where a finished one shows its exit.
    const std::string progress = progress_words(t);
    const std::string command = t.label ? "[" + *t.label + "] " + t.command : t.command;
    rows.push_back({{t.task_id, proto::to_string(t.status), format_age(t.created_at, now),
                     format_duration(task_seconds(t)), progress.empty() ? exit_cell(t) : progress,
                     command},
                    t.status});
  }
  constexpr std::size_t kColumns = 6;
  std::vector<std::size_t> width(kColumns, 0);
  for (const auto& r : rows)
    for (std::size_t i = 0; i + 1 < kColumns; ++i) width[i] = std::max(width[i], r.cells[i].size());
  std::size_t used = 0;
  for (std::size_t i = 0; i + 1 < kColumns; ++i) used += width[i] + 2;
  // On a terminal the command is cut to the width left; elsewhere it is shown whole (on one line).
  std::size_t command_width = 0;
  if (ctx.term.columns > 0) {
    command_width = ctx.term.columns > static_cast<int>(used) + 10
                        ? static_cast<std::size_t>(ctx.term.columns) - used
                        : 10;
  }
  for (std::size_t r = 0; r < rows.size(); ++r) {
    std::string line;
    for (std::size_t i = 0; i + 1 < kColumns; ++i) {
      const std::string& cell = rows[r].cells[i];
      const std::string pad(width[i] - cell.size() + 2, ' ');
      if (r == 0) {
        line += ctx.term.out.paint(cell, Colour::bold) + pad;
      } else if (i == 1) {
        line += ctx.term.out.paint(cell, status_colour(rows[r].status)) + pad;
      } else {
        line += cell + pad;
      }
    }
    const std::string cmd = one_line(rows[r].cells[kColumns - 1], command_width);
    line += r == 0 ? ctx.term.out.paint(cmd, Colour::bold) : cmd;
    ctx.out << line << "\n";
  }
}

int run_list(Context& ctx, const ParsedArgs& args) {
  json params = json::object();
  if (args.has("all") && args.has("limit")) {
    return ctx.fail("--all and --limit cannot be combined", kExitUsage);
  }
  if (args.has("all")) params["limit"] = proto::kMaxListLimit;
  if (auto n = args.value("limit")) {
    auto v = parse_integer(*n, 1, proto::kMaxListLimit);
    if (!v) {
      return ctx.fail("--limit must be a whole number from 1 to " +
                          std::to_string(proto::kMaxListLimit) + ", got \"" + *n + "\"",
                      kExitUsage);
    }
    params["limit"] = *v;
  }
  if (auto s = args.value("status")) {
    if (!proto::status_from_string(*s)) {
      return ctx.fail(
          "--status must be one of working, completed, failed, cancelled, timed_out, "
          "interrupted; got \"" +
              *s + "\"",
          kExitUsage);
    }
    params["status"] = *s;
  }
  if (auto l = args.value("label")) params["label"] = *l;
  if (auto c = args.value("command")) {
    if (c->empty()) return ctx.fail("--command needs some text to look for", kExitUsage);
    params["command_contains"] = *c;
  }
  if (auto c = args.value("cursor")) params["cursor"] = *c;
  auto link = DaemonLink::open(ctx.env, Autostart::yes);
  if (auto* e = std::get_if<LinkError>(&link)) return ctx.fail(e->message);
  // Mine: the tasks this user started from the CLI (agents' tasks have their own sessions).
  if (args.has("mine")) {
    const auto& session = cli_hello(ctx.env).client.session;
    if (session) params["session"] = *session;
  }
  auto answer = std::get<DaemonLink>(link).call(proto::method::kTaskList, params);
  if (auto* e = std::get_if<RpcError>(&answer)) return ctx.fail(describe(*e));
  const json& result = std::get<json>(answer);
  if (args.has("json")) {
    ctx.print_json(result);
    return kExitOk;
  }
  const auto list = result.get<proto::ListResult>();
  if (list.tasks.empty()) {
    if (auto s = args.value("status")) {
      ctx.out << "No " << *s << " tasks.\n";
    } else {
      ctx.out << "No tasks yet. Start one with: backburner start -- COMMAND\n";
    }
    return kExitOk;
  }
  print_table(ctx, list.tasks);
  if (ctx.term.stdout_tty && list.total > list.tasks.size()) {
    std::string more = "Showing " + std::to_string(list.tasks.size()) + " of " +
                       std::to_string(list.total) + " tasks; --all or --limit N shows more";
    if (list.next_cursor) more += ", --cursor " + *list.next_cursor + " the next page";
    ctx.out << ctx.term.out.paint(more + ".", Colour::dim) << "\n";
  }
  return kExitOk;
}

}  // namespace

Command list_command() {
  Command c;
  CommandSpec& s = c.spec;
  s.name = "list";
  s.synopsis = "[OPTIONS]";
  s.summary = "List tasks, newest first";
  s.description =
      "Shows this user's tasks, whoever started them (this CLI, an agent through\n"
      "backburner-mcp, another terminal): id, status, age, how long it ran (or has been\n"
      "running), exit code (or the signal that ended it; for a working task its progress when\n"
      "its output shows some), and the command with its label. By default the 20 newest; on\n"
      "a terminal the command is cut to fit the width.\n"
      "\n"
      "Statuses: working, completed (exit 0), failed (non-zero exit, or a signal backburner\n"
      "did not send), cancelled, timed_out, interrupted (its processes vanished while no\n"
      "daemon watched, e.g. a reboot).\n";
  s.options = {
      {"all", 'a', "", "show every task (up to 1000)"},
      {"limit", 'n', "N", "show the N newest (1-1000, default 20)"},
      {"status", 's', "STATUS", "only tasks with this status"},
      {"label", 'l', "LABEL", "only tasks with this label"},
      {"command", 'c', "TEXT", "only tasks whose command contains TEXT"},
      {"mine", 'm', "", "only the tasks you started with this CLI"},
      {"cursor", 0, "CURSOR", "the page after the one that gave this next_cursor"},
      json_option("{tasks, total, next_cursor}"),
  };
  s.max_positionals = 0;
  s.examples =
      "  backburner ls\n"
      "  backburner list --status working\n"
      "  backburner list --all --json | jq -r '.tasks[] | select(.status==\"failed\") | "
      ".task_id'\n";
  c.aliases = {"ls"};
  c.run = run_list;
  return c;
}

}  // namespace bb::cli
