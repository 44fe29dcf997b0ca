// backburner wait: blocks until tasks end and exits with their status, like a shell waiting for
// a foreground command.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <ostream>

#include "commands.h"
#include "daemon_link.h"
#include "task_format.h"

namespace bb::cli {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// On a terminal the wait goes in one-second slices so the elapsed time can be redrawn; elsewhere
// in long slices (the daemon answers as soon as the tasks end, whatever the slice).
constexpr double kLiveSliceSeconds = 1;
constexpr double kQuietSliceSeconds = 300;
constexpr milliseconds kAnswerMargin{60000};

std::string outcome_line(const proto::TaskView& t, const Style& style) {
  const std::string words = style.paint(status_words(t), status_colour(t.status));
  if (t.status == proto::Status::working) {
    return t.task_id + "  still working (" + format_duration(task_seconds(t)) + " so far)";
  }
  return t.task_id + "  " + words + " after " + format_duration(task_seconds(t));
}

std::string summary(const std::vector<proto::TaskView>& tasks, bool all_finished) {
  std::size_t working = 0;
  for (const auto& t : tasks) working += t.status == proto::Status::working;
  if (all_finished) {
    return tasks.size() == 1 ? "The task has finished: " + status_words(tasks[0]) + "."
                             : "All " + std::to_string(tasks.size()) + " tasks have finished.";
  }
  return std::to_string(working) + " of " + std::to_string(tasks.size()) +
         " tasks still working when the wait's --timeout passed.";
}

std::string live_text(const std::vector<proto::TaskView>& tasks, double elapsed) {
  std::size_t working = 0;
  for (const auto& t : tasks) working += t.status == proto::Status::working;
  std::string what = tasks.size() == 1 ? tasks[0].task_id
                                       : std::to_string(working) + " of " +
                                             std::to_string(tasks.size()) + " tasks";
  return "waiting for " + what + " ... " + format_duration(std::floor(elapsed));
}

int run_wait(Context& ctx, const ParsedArgs& args) {
  if (args.positionals.size() > proto::kMaxWaitTasks) {
    return ctx.fail("at most " + std::to_string(proto::kMaxWaitTasks) + " tasks per wait",
                    kExitUsage);
  }
  std::optional<double> limit;
  if (auto t = args.value("timeout")) {
    limit = parse_duration_seconds(*t);
    if (!limit) {
      return ctx.fail(
          "--timeout must be a duration greater than 0, such as 90, 30s, 10m or 2h; got \"" + *t +
              "\"",
          kExitUsage);
    }
  }
  const bool any = args.has("any");
  auto opened = DaemonLink::open(ctx.env, Autostart::yes);
  if (auto* e = std::get_if<LinkError>(&opened)) return ctx.fail(e->message);
  DaemonLink& link = std::get<DaemonLink>(opened);

  const bool live = ctx.term.stderr_tty && !args.has("quiet");
  const auto started = Clock::now();
  const auto elapsed = [&] {
    return std::chrono::duration<double>(Clock::now() - started).count();
  };
  const auto clear_live = [&] {
    if (live) ctx.err << "\r\x1b[2K" << std::flush;
  };
  json result;
  for (;;) {
    double slice = live ? kLiveSliceSeconds : kQuietSliceSeconds;
    if (limit) slice = std::max(0.0, std::min(slice, *limit - elapsed()));
    json params{{"task_ids", args.positionals}, {"timeout_seconds", slice}};
    if (any) params["mode"] = "any";
    auto answer = link.call(proto::method::kTaskWait, params,
                            milliseconds(static_cast<long long>(slice * 1000)) + kAnswerMargin);
    if (auto* e = std::get_if<RpcError>(&answer)) {
      clear_live();
      return ctx.fail(describe(*e));
    }
    result = std::move(std::get<json>(answer));
    const bool done = any ? result.value("any_finished", false) : result.value("all_finished", false);
    if (done || (limit && elapsed() >= *limit)) break;
    if (live) {
      const auto tasks = result["tasks"].get<std::vector<proto::TaskView>>();
      ctx.err << "\r\x1b[2K" << ctx.term.err.paint(live_text(tasks, elapsed()), Colour::dim)
              << std::flush;
    }
  }
  clear_live();

  const auto tasks = result["tasks"].get<std::vector<proto::TaskView>>();
  const bool all_finished = result.value("all_finished", false);
  if (args.has("json")) {
    ctx.print_json({{"tasks", result["tasks"]},
                    {"all_finished", all_finished},
                    {"timed_out", !all_finished},
                    {"waited_seconds", std::round(elapsed() * 1000) / 1000},
                    {"message", summary(tasks, all_finished)}});
  } else if (!args.has("quiet")) {
    for (const auto& t : tasks) ctx.out << outcome_line(t, ctx.term.out) << "\n";
  }
  for (const auto& t : tasks) {
    // With --any, the status of the first task that ended.
    if (any && proto::is_terminal(t.status)) return wait_exit_status(t);
    if (any) continue;
    if (int s = wait_exit_status(t); s != kExitOk) return s;
  }
  return any ? wait_exit_status(tasks.front()) : kExitOk;
}

}  // namespace

Command wait_command() {
  Command c;
  CommandSpec& s = c.spec;
  s.name = "wait";
  s.synopsis = "[OPTIONS] ID...";
  s.summary = "Wait for tasks to finish and exit with their status";
  s.description =
      "Blocks until every task has ended (or --timeout passes), prints how each ended, and\n"
      "exits the way a shell reports a command, so `backburner wait ID && deploy` works.\n"
      "On a terminal a live line on stderr shows the time waited so far. Ctrl-C stops\n"
      "waiting; the tasks keep running.\n"
      "\n"
      "Exit status (with several tasks, the first one in the order given that did not\n"
      "complete decides):\n"
      "    0      every task completed (exit code 0)\n"
      "    N      a task failed with exit code N (1-255)\n"
      "    128+S  a task was killed by signal S that backburner did not send (137: SIGKILL)\n"
      "    124    a task timed out (its own `start --timeout`), as timeout(1) reports it\n"
      "    125    this wait's --timeout passed while a task was still working\n"
      "    129    a task was interrupted (its processes vanished while no daemon watched)\n"
      "    130    a task was cancelled, as a shell reports a command stopped with Ctrl-C\n"
      "    1, 2   backburner itself failed (message on stderr) or was misused\n"
      "A task may exit with one of these numbers itself: `backburner status --json` tells.\n";
  s.options = {
      {"timeout", 0, "DURATION", "give up after DURATION (seconds, or 30s, 10m, 2h); exit 125"},
      {"quiet", 'q', "", "print nothing (no live line, no outcome lines); just exit"},
      {"any", 0, "", "return as soon as one of the tasks has ended; exit with its status"},
      json_option("{tasks, all_finished, timed_out, waited_seconds, message}"),
  };
  s.min_positionals = 1;
  s.examples =
      "  backburner wait k3f9x2 && echo passed\n"
      "  backburner wait --timeout 10m k3f9x2 m2x8k1; echo \"status $?\"\n";
  c.run = run_wait;
  return c;
}

}  // namespace bb::cli
