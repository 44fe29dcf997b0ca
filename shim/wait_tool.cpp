// wait_task: one long wait cut into daemon task.wait slices of config.wait_slice, so that a
// progress notification can go out between slices (keeping a client's request timer alive) and
// a cancelled call stops within one slice at worst (in practice at once: cancelling shuts the
// slice's connection down).
#include <algorithm>
#include <cmath>
#include <sstream>

#include "protocol.h"
#include "task_json.h"
#include "tools.h"

namespace bb::shim {

using nlohmann::json;
using std::chrono::milliseconds;

namespace {

// Extra time a slice's RPC may take beyond the slice itself before the shim gives up on it.
constexpr milliseconds kSliceRpcMargin{15000};

std::string seconds_text(double s) {
  std::ostringstream o;
  o << (std::round(s * 10) / 10) << " s";
  return o.str();
}

std::string outcome_words(const proto::TaskView& t) {
  std::string w = t.task_id + " " + proto::to_string(t.status);
  if (t.exit_code && t.status == proto::Status::failed)
    w += " (exit " + std::to_string(*t.exit_code) + ")";
  if (t.signal && !t.exit_code) w += " (" + *t.signal + ")";
  return w;
}

std::string summary(const proto::WaitResult& r, double waited) {
  std::string finished;
  std::string working;
  std::size_t n_working = 0;
  for (const auto& t : r.tasks) {
    if (proto::is_terminal(t.status)) {
      finished += (finished.empty() ? "" : ", ") + outcome_words(t);
    } else {
      working += (working.empty() ? "" : ", ") + t.task_id;
      ++n_working;
    }
  }
  if (n_working == 0) {
    return (r.tasks.size() == 1
                ? "The task has finished: "
                : "All " + std::to_string(r.tasks.size()) + " tasks have finished: ") +
           finished + ".";
  }
  std::string s = "Still working after " + seconds_text(waited) + ": " + working + ".";
  if (!finished.empty()) s += " Finished: " + finished + ".";
  return s + " Call wait_task again to keep waiting, or do other work meanwhile.";
}

}  // namespace

ToolResult Tools::wait_task(const json& args, ToolContext& ctx) {
  const auto ids = args["task_ids"].get<std::vector<std::string>>();
  const double budget = args.value("timeout_seconds", kToolDefaultWaitSeconds);
  const double slice = std::max(0.001, static_cast<double>(config_.wait_slice.count()) / 1000.0);
  const auto started = std::chrono::steady_clock::now();

  // `consumed` counts whole slices asked for, not the clock: it bounds the loop even if the
  // daemon answered a slice early, and makes progress values deterministic.
  double consumed = 0;
  proto::WaitResult r;
  while (true) {
    proto::WaitParams p;
    p.task_ids = ids;
    p.timeout_seconds = std::min(slice, budget - consumed);
    const auto rpc_timeout =
        milliseconds(static_cast<long long>(*p.timeout_seconds * 1000)) + kSliceRpcMargin;
    auto outcome = daemon_.call(proto::method::kTaskWait, json(p), rpc_timeout, ctx.cancel);
    if (auto* error = std::get_if<RpcError>(&outcome)) {
      return ToolResult::error(explain_daemon_error(*error));
    }
    r = std::get<json>(outcome).get<proto::WaitResult>();
    consumed += *p.timeout_seconds;
    if (r.all_finished || consumed >= budget - 1e-6 || ctx.cancel.cancelled()) break;
    if (ctx.progress) {
      const auto working = std::count_if(r.tasks.begin(), r.tasks.end(), [](const auto& t) {
        return !proto::is_terminal(t.status);
      });
      ctx.progress(consumed, budget,
                   std::to_string(working) + " of " + std::to_string(r.tasks.size()) +
                       " task(s) still working after " + seconds_text(consumed));
    }
  }

  const double waited =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  json tasks = json::array();
  for (const auto& t : r.tasks) tasks.push_back(task_to_mcp(t));
  return ToolResult::ok({
      {"tasks", std::move(tasks)},
      {"all_finished", r.all_finished},
      {"timed_out", !r.all_finished},
      {"waited_seconds", std::round(waited * 1000) / 1000},
      {"message", summary(r, r.all_finished ? waited : consumed)},
  });
}

}  // namespace bb::shim
