// backburner logs: a task's output (stdout and stderr merged), whole, its tail, or followed.
#include <algorithm>
#include <ostream>

#include "commands.h"
#include "daemon_link.h"
#include "os.h"
#include "task_output.h"

namespace bb::cli {

namespace {

using nlohmann::json;

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

// A number option in [lo, hi] into `out`; false (after saying why) if it is not one.
bool int_option(Context& ctx, const ParsedArgs& args, const char* name, int lo, int hi,
                std::optional<int>& out) {
  auto n = args.value(name);
  if (!n) return true;
  auto v = parse_integer(*n, lo, hi);
  if (!v) {
    ctx.fail(std::string("--") + name + " must be a whole number from " + std::to_string(lo) +
                 " to " + std::to_string(hi) + ", got \"" + *n + "\"",
             kExitUsage);
    return false;
  }
  out = static_cast<int>(*v);
  return true;
}

// `logs --grep`: matching lines as grep -n shows them (LINE:text, context LINE-text, "--"
// between groups that do not touch).
int print_matches(Context& ctx, DaemonLink& link, proto::OutputParams p) {
  std::uint64_t shown = 0;
  for (;;) {
    auto r = read_output(link, p);
    if (auto* e = std::get_if<RpcError>(&r)) return ctx.fail(describe(*e));
    const auto& out = std::get<proto::OutputResult>(r);
    std::optional<std::uint64_t> last_line;
    auto print_line = [&](const proto::GrepLine& l, char sep, bool match) {
      if (last_line && l.line > *last_line + 1)
        ctx.out << ctx.term.out.paint("--", Colour::cyan) << "\n";
      const std::string number = l.line > 0 ? std::to_string(l.line) : "?";
      (void)match;
      ctx.out << ctx.term.out.paint(number, Colour::green)
              << ctx.term.out.paint(std::string(1, sep), Colour::cyan) << l.text << "\n";
      last_line = l.line;
    };
    for (const auto& m : out.matches.value_or(std::vector<proto::GrepMatch>{})) {
      for (const auto& b : m.before) print_line(b, '-', false);
      print_line(m.line, ':', true);
      for (const auto& a : m.after) print_line(a, '-', false);
      ++shown;
    }
    const bool complete = out.grep_complete.value_or(true);
    const std::uint64_t limit = p.max_matches ? static_cast<std::uint64_t>(*p.max_matches)
                                              : static_cast<std::uint64_t>(proto::kDefaultGrepMatches);
    if (complete || shown >= limit || !out.scanned_to || *out.scanned_to <= p.offset.value_or(0)) {
      if (!complete && shown >= limit)
        ctx.warn("stopped after " + std::to_string(shown) + " matches (--max-count raises it)");
      return shown > 0 ? kExitOk : kExitError;
    }
    // The daemon searches in bounded turns: continue where this one stopped.
    p.offset = *out.scanned_to;
    p.max_matches = static_cast<int>(limit - shown);
  }
}

int run_logs(Context& ctx, const ParsedArgs& args) {
  const std::string& id = args.positionals[0];
  const bool follow = args.has("follow");
  std::optional<int> tail, head, context, max_count;
  if (!int_option(ctx, args, "tail", 1, proto::kMaxTailLines, tail) ||
      !int_option(ctx, args, "head", 1, proto::kMaxTailLines, head) ||
      !int_option(ctx, args, "context", 0, proto::kMaxGrepContext, context) ||
      !int_option(ctx, args, "max-count", 1, proto::kMaxGrepMatches, max_count))
    return kExitUsage;
  const auto grep = args.value("grep");
  const bool since_last = args.has("since-last");
  const int modes = (tail ? 1 : 0) + (head ? 1 : 0) + (grep ? 1 : 0) + (since_last ? 1 : 0);
  if (modes > 1)
    return ctx.fail("choose one of --tail, --head, --grep and --since-last", kExitUsage);
  if ((context || max_count || args.has("ignore-case")) && !grep)
    return ctx.fail("--context, --max-count and --ignore-case go with --grep", kExitUsage);
  if (follow && (args.has("json") || head || grep))
    return ctx.fail("--follow goes with the whole log, --tail or --since-last", kExitUsage);

  auto opened = DaemonLink::open(ctx.env, Autostart::yes);
  if (auto* e = std::get_if<LinkError>(&opened)) return ctx.fail(e->message);
  DaemonLink& link = std::get<DaemonLink>(opened);
  if (args.has("json") && !head && !grep && !since_last) return print_json(ctx, link, id, tail);

  proto::OutputParams p;
  p.task_id = id;
  p.clean = args.has("clean");
  if (grep) {
    p.grep = *grep;
    p.context_lines = context;
    p.max_matches = max_count;
    p.ignore_case = args.has("ignore-case");
    if (args.has("json")) {
      auto r = read_output(link, p);
      if (auto* e = std::get_if<RpcError>(&r)) return ctx.fail(describe(*e));
      ctx.print_json(json(std::get<proto::OutputResult>(r)));
      return kExitOk;
    }
    return print_matches(ctx, link, p);
  }
  if (head || since_last) {
    if (head) p.head_lines = head;
    if (since_last) {
      p.since_last_read = true;
      // One reader per user: what this user has read of the task from any terminal.
      p.reader = "backburner:" + os::current_user_name();
    }
    p.max_bytes = proto::kMaxMaxBytes;
    auto r = read_output(link, p);
    if (auto* e = std::get_if<RpcError>(&r)) return ctx.fail(describe(*e));
    const auto& out = std::get<proto::OutputResult>(r);
    if (args.has("json")) {
      ctx.print_json(json(out));
      return kExitOk;
    }
    ctx.out << out.output << std::flush;
    if (!follow) {
      if (out.truncated && ctx.term.stderr_tty)
        ctx.warn(since_last ? "more output follows: run the same command again"
                            : "more output follows: see it with --tail or without --head");
      return kExitOk;
    }
    if (auto err = follow_output(link, ctx.env, id, out.next_offset, [&](const std::string& c) {
          ctx.out << c << std::flush;
          return static_cast<bool>(ctx.out);
        }))
      return ctx.fail(*err);
    return kExitOk;
  }

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

  if (auto err = follow_output(link, ctx.env, id, offset, print)) return ctx.fail(*err);
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
      "Prints everything the task has written so far; or its last lines (--tail), its first\n"
      "lines (--head), only what you have not read yet (--since-last: the daemon remembers\n"
      "where your last --since-last read of this task stopped), or the lines that match a\n"
      "regular expression (--grep, RE2 syntax, searched through the whole log without loading\n"
      "it; shown as grep -n shows them, with -C lines of context).\n"
      "With -f it then keeps printing new output as the task writes it and returns once the\n"
      "task has ended and all of its output is printed (Ctrl-C stops following; the task\n"
      "keeps running). Following sleeps until the daemon says the log changed: it does not\n"
      "poll.\n"
      "\n"
      "Output is the task's bytes as UTF-8: invalid sequences show as U+FFFD. --clean shows it\n"
      "as a terminal would: colours and cursor movement removed, redrawn lines folded, other\n"
      "control bytes made visible. A log over its cap (BACKBURNER_LOG_MAX_BYTES) shows a\n"
      "marker where its middle was cut.\n"
      "\n"
      "Exit status with --grep: 0 when a line matched, 1 when none did (as grep).\n";
  s.options = {
      {"follow", 'f', "", "keep printing new output until the task ends"},
      {"tail", 'n', "N", "start with the last N lines (1-10000) instead of the beginning"},
      {"head", 0, "N", "only the first N lines (1-10000)"},
      {"since-last", 0, "", "only what you have not read yet with --since-last"},
      {"grep", 'g', "REGEX", "only the lines that match REGEX (RE2 syntax)"},
      {"context", 'C', "N", "with --grep: N lines of context around each match (0-20)"},
      {"max-count", 'm', "N", "with --grep: stop after N matching lines (default 100)"},
      {"ignore-case", 'i', "", "with --grep: ignore case"},
      {"clean", 0, "", "show the output as a terminal would (no colour codes)"},
      json_option("the task with `output` and `truncated` (not with -f)"),
  };
  s.min_positionals = 1;
  s.max_positionals = 1;
  s.examples =
      "  backburner logs k3f9x2\n"
      "  backburner logs -f --tail 20 k3f9x2\n"
      "  backburner logs --grep 'error|FAIL' -C 2 k3f9x2\n"
      "  backburner logs --since-last k3f9x2\n";
  c.run = run_logs;
  return c;
}

}  // namespace bb::cli
