#include "task_json.h"

namespace bb::shim {

using nlohmann::json;

json task_to_mcp(const proto::TaskView& t) {
  json j = {
      {"task_id", t.task_id},
      {"command", t.command},
      {"cwd", t.cwd},
      {"status", proto::to_string(t.status)},
      {"created_at", t.created_at},
  };
  if (t.started_at) j["started_at"] = *t.started_at;
  if (t.finished_at) j["finished_at"] = *t.finished_at;
  if (t.running_for_seconds) j["running_for_seconds"] = *t.running_for_seconds;
  if (t.duration_seconds) j["duration_seconds"] = *t.duration_seconds;
  if (t.exit_code) j["exit_code"] = *t.exit_code;
  if (t.signal) j["signal"] = *t.signal;
  if (t.pid) j["pid"] = *t.pid;
  if (t.timeout_seconds) j["timeout_seconds"] = *t.timeout_seconds;
  j["output_bytes"] = t.output_bytes;
  if (t.status_message) j["status_message"] = *t.status_message;
  if (!t.client.name.empty())
    j["client"] = {{"name", t.client.name}, {"version", t.client.version}};
  return j;
}

std::string explain_daemon_error(const RpcError& e, std::string_view default_cwd) {
  namespace err = proto::error;
  const std::string& m = e.message;
  switch (e.code) {
    case kTransportError:
      return m;  // already says what to do (see DaemonClient)
    case err::kTaskNotFound:
      return m + ". Check the task id: list_tasks shows recent tasks and their ids.";
    case err::kInvalidCwd:
      return m + ". Pass an existing directory as cwd" +
             (default_cwd.empty()
                  ? std::string(".")
                  : ", or leave cwd out to run in " + std::string(default_cwd) + ".");
    case err::kPolicyDenied:
      return "The command policy refused this command: " + m +
             ". The policy is the user's setting (BACKBURNER_ALLOW / BACKBURNER_DENY or the "
             "daemon's own): do not try to get around it; ask the user if the command is needed.";
    case err::kSpawnFailed:
      return "The daemon could not start the command: " + m + ".";
    case err::kInvalidParams:
      return "The daemon refused the arguments: " + m + ".";
    case err::kShuttingDown:
      return "The backburner daemon is shutting down (" + m + "). Try again in a few seconds.";
    default:
      return "The backburner daemon reported an error (code " + std::to_string(e.code) + "): " + m +
             ".";
  }
}

}  // namespace bb::shim
