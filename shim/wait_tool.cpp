// wait_task: one daemon task.wait for the whole wait; or, when the request has a progressToken,
// a wait cut into task.wait slices of config.wait_slice with a progress notification between
// slices (keeping a client's request timer alive, and carrying the tasks' own progress). A
// cancelled call stops at once: cancelling shuts the slice's connection down.
#include <algorithm>
#include <cmath>

#include "progress_report.h"
#include "protocol.h"
#include "task_json.h"
#include "tools.h"

namespace bb::shim {

using nlohmann::json;
using std::chrono::milliseconds;

namespace {

// Extra time a slice's RPC may take beyond the slice itself before the shim gives up on it.
constexpr milliseconds kSliceRpcMargin{15000};

std::string summary(const proto::WaitResult& r, bool any_mode, bool done, double waited) {
  std::string finished;
  std::string working;
  std::size_t n_working = 0;
  for (const auto& t : r.tasks) {
    if (proto::is_terminal(t.status)) {
      finished += (finished.empty() ? "" : ", ") + t.task_id + " " + outcome_words(t);
    } else {
      std::string w = t.task_id;
      if (t.progress) {
        if (auto p = progress_words(*t.progress); !p.empty()) w += " (" + p + ")";
      }
      working += (working.empty() ? "" : ", ") + w;
      ++n_working;
    }
  }
  std::string s;
  if (r.tasks.empty()) {
    s = "None of the ids names a task.";
  } else if (n_working == 0) {
    s = (r.tasks.size() == 1 ? "The task has finished: "
                             : "All " + std::to_string(r.tasks.size()) + " tasks have finished: ") +
        finished + ".";
  } else if (done && any_mode) {
    s = "Finished: " + finished + ". Still working: " + working + ".";
  } else {
    s = "Still working after " + seconds_text(waited) + ": " + working + ".";
    if (!finished.empty()) s += " Finished: " + finished + ".";
    s += " Call wait_task again to keep waiting, or do other work meanwhile.";
  }
  if (r.unknown_task_ids && !r.unknown_task_ids->empty()) {
    std::string ids;
    for (const auto& id : *r.unknown_task_ids) ids += (ids.empty() ? "" : ", ") + id;
    s += " Unknown id(s), not waited for: " + ids + " (list_tasks shows the ids that exist).";
  }
  return s;
}

}  // namespace

ToolResult Tools::wait_task(const json& args, ToolContext& ctx) {
  const auto ids = args["task_ids"].get<std::vector<std::string>>();
  const double budget = args.value("timeout_seconds", kToolDefaultWaitSeconds);
  const bool any_mode = args.value("mode", std::string("all")) == "any";
  // Without a progressToken nothing is sent between slices: one wait does it all.
  const double slice =
      ctx.progress ? std::max(0.001, static_cast<double>(config_.wait_slice.count()) / 1000.0)
                   : budget;
  const auto started = std::chrono::steady_clock::now();
  WaitProgress progress(budget);

  // `consumed` counts whole slices asked for, not the clock: it bounds the loop even if the
  // daemon answered a slice early, and makes progress values deterministic.
  double consumed = 0;
  proto::WaitResult r;
  bool done = false;
  while (true) {
    proto::WaitParams p;
    p.task_ids = ids;
    p.timeout_seconds = std::min(slice, budget - consumed);
    p.any = any_mode;
    p.report_unknown = true;
    const auto rpc_timeout =
        milliseconds(static_cast<long long>(*p.timeout_seconds * 1000)) + kSliceRpcMargin;
    auto outcome = daemon_.call(proto::method::kTaskWait, json(p), rpc_timeout, ctx.cancel);
    if (auto* error = std::get_if<RpcError>(&outcome)) {
      return ToolResult::error(explain_daemon_error(*error));
    }
    r = std::get<json>(outcome).get<proto::WaitResult>();
    consumed += *p.timeout_seconds;
    const bool any_ended = std::any_of(r.tasks.begin(), r.tasks.end(),
                                       [](const auto& t) { return proto::is_terminal(t.status); });
    done = r.tasks.empty() || (any_mode ? any_ended : r.all_finished);
    if (done || consumed >= budget - 1e-6 || ctx.cancel.cancelled()) break;
    if (ctx.progress) {
      const auto note = progress.next(r.tasks, consumed);
      ctx.progress(note.progress, note.total, note.message);
    }
  }

  const double waited =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  json tasks = json::array();
  std::string lines;
  bool any_finished = false;
  for (const auto& t : r.tasks) {
    tasks.push_back(task_to_mcp(t));
    lines += "\n- " + status_line(t);
    any_finished = any_finished || proto::is_terminal(t.status);
  }
  const std::string message = summary(r, any_mode, done, done ? waited : consumed);
  json j = {
      {"tasks", std::move(tasks)},
      {"all_finished", r.all_finished && !r.tasks.empty()},
      {"any_finished", any_finished},
      {"wait_expired", !done},
      {"waited_seconds", std::round(waited * 1000) / 1000},
      {"message", message},
  };
  if (r.unknown_task_ids && !r.unknown_task_ids->empty())
    j["unknown_task_ids"] = *r.unknown_task_ids;
  return ToolResult::ok(std::move(j), message + lines);
}

}  // namespace bb::shim
