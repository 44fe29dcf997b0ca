// backburner logs: a task's output (stdout and stderr merged), whole, its tail, or followed.
#include <algorithm>
#include <ostream>

#include "commands.h"
#include "daemon_link.h"
#include "task_output.h"

namespace bb::cli {

namespace {

using nlohmann::json;

// The task's log inside the daemon's state dir (docs/ARCHITECTURE.md: tasks/<id>/output.log).
// Only its directory is watched; the bytes are always read through the daemon.
std::filesystem::path task_dir_of(const std::string& state_dir, const std::string& id) {
  return std::filesystem::path(state_dir) / "tasks" / id;
}

// `logs --json`: the task with its output, as the MCP tool task_result returns it.
int print_json(Context& ctx, DaemonLink& link, const std::string& id, std::optional<int> tail) {
  // The state first, then the output: a task seen finished has all its output on disk already.
  auto got = link.call(proto::method::kTaskGet, json{{"task_id", id}});
  if (auto* e = std::get_if<RpcError>(&got)) return ctx.fail(describe(*e));
  json task = std::get<json>(got);
  std::string output;
  bool truncated = false;
  std::uint64_t size = 0;
  if (tail) {
    auto r = read_tail(link, id, *tail);
    if (auto* e = std::get_if<RpcError>(&r)) return ctx.fail(describe(*e));
    const auto& out = std::get<proto::OutputResult>(r);
    output = out.output;
    truncated = out.truncated;
    size = out.output_bytes;
    if (truncated) {
      task["truncated_message"] = "Showing the last " + std::to_string(*tail) + " lines (" +
                                  std::to_string(out.next_offset - out.offset) + " of " +
                                  std::to_string(out.output_bytes) +
                                  " bytes); a larger --tail, or none, shows more.";
    }
  } else {
    auto r = read_range(link, id, 0, [&](const std::string& chunk) {
      output += chunk;
      return true;
    });
    if (auto* e = std::get_if<RpcError>(&r)) return ctx.fail(describe(*e));
    size = std::get<std::uint64_t>(r);
  }
  task["output_bytes"] =
      std::max<std::uint64_t>(task.value("output_bytes", std::uint64_t{0}), size);
  task["output"] = std::move(output);
  task["truncated"] = truncated;
  ctx.print_json(task);
  return kExitOk;
}

int run_logs(Context& ctx, const ParsedArgs& args) {
  const std::string& id = args.positionals[0];
  const bool follow = args.has("follow");
  std::optional<int> tail;
  if (auto n = args.value("tail")) {
    auto v = parse_integer(*n, 1, proto::kMaxTailLines);
    if (!v) {
      return ctx.fail("--tail must be a whole number from 1 to " +
                          std::to_string(proto::kMaxTailLines) + ", got \"" + *n + "\"",
                      kExitUsage);
    }
    tail = static_cast<int>(*v);
  }
  if (follow && args.has("json"))
    return ctx.fail("--json cannot be combined with --follow", kExitUsage);

  auto opened = DaemonLink::open(ctx.env, Autostart::yes);
  if (auto* e = std::get_if<LinkError>(&opened)) return ctx.fail(e->message);
  DaemonLink& link = std::get<DaemonLink>(opened);
  if (args.has("json")) return print_json(ctx, link, id, tail);

  const OutputSink print = [&](const std::string& chunk) {
    ctx.out << chunk;
    ctx.out.flush();
    return static_cast<bool>(ctx.out);
  };
  std::uint64_t offset = 0;
  if (tail) {
    auto r = read_tail(link, id, *tail);
    if (auto* e = std::get_if<RpcError>(&r)) return ctx.fail(describe(*e));
    const auto& out = std::get<proto::OutputResult>(r);
    print(out.output);
    offset = out.next_offset;
    if (!follow) return kExitOk;
  } else if (!follow) {
    auto r = read_range(link, id, 0, print);
    if (auto* e = std::get_if<RpcError>(&r)) return ctx.fail(describe(*e));
    return kExitOk;
  }

  auto info = link.call(proto::method::kDaemonInfo, json::object());
  if (auto* e = std::get_if<RpcError>(&info)) return ctx.fail(describe(*e));
  const auto dir = task_dir_of(std::get<json>(info).value("state_dir", ""), id);
  if (auto err = follow_output(link, ctx.env, id, offset, dir, print)) return ctx.fail(*err);
  return kExitOk;
}

}  // namespace

Command logs_command() {
  Command c;
  CommandSpec& s = c.spec;
  s.name = "logs";
  s.synopsis = "[OPTIONS] ID";
  s.summary = "Print a task's output (stdout and stderr merged); -f follows it";
  s.description =
      "Prints everything the task has written so far, or with --tail only its last lines.\n"
      "With -f it then keeps printing new output as the task writes it and returns once the\n"
      "task has ended and all of its output is printed (Ctrl-C stops following; the task\n"
      "keeps running). Following sleeps until the log changes: it does not poll.\n"
      "\n"
      "Output is the task's bytes as UTF-8: invalid sequences show as U+FFFD.\n";
  s.options = {
      {"follow", 'f', "", "keep printing new output until the task ends"},
      {"tail", 'n', "N", "start with the last N lines (1-10000) instead of the beginning"},
      json_option("the task with `output` and `truncated` (not with -f)"),
  };
  s.min_positionals = 1;
  s.max_positionals = 1;
  s.examples =
      "  backburner logs k3f9x2\n"
      "  backburner logs -f --tail 20 k3f9x2\n"
      "  backburner logs k3f9x2 | grep -n FAIL\n";
  c.run = run_logs;
  return c;
}

}  // namespace bb::cli
