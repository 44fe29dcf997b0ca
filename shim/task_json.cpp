#include "task_json.h"

#include <cmath>
#include <sstream>

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
  if (!t.client.name.empty()) {
    json c = {{"name", t.client.name}, {"version", t.client.version}};
    if (t.client.session) c["session"] = *t.client.session;
    if (t.client.user) c["user"] = *t.client.user;
    if (t.client.via) c["via"] = *t.client.via;
    j["client"] = std::move(c);
  }
  if (t.label) j["label"] = *t.label;
  if (t.stdin_state) j["stdin"] = *t.stdin_state;
  if (t.log_path) j["log_path"] = *t.log_path;
  if (t.progress) {
    json p = json::object();
    if (t.progress->percent) p["percent"] = *t.progress->percent;
    if (t.progress->current) p["current"] = *t.progress->current;
    if (t.progress->total) p["total"] = *t.progress->total;
    if (!t.progress->message.empty()) p["message"] = t.progress->message;
    j["progress"] = std::move(p);
  }
  return j;
}

std::string seconds_text(double s) {
  std::ostringstream o;
  o << (std::round(s * 10) / 10) << " s";
  return o.str();
}

std::string progress_words(const proto::Progress& p) {
  std::string w;
  if (p.percent) {
    std::ostringstream o;
    o << (std::round(*p.percent * 10) / 10) << "%";
    w = o.str();
  }
  if (p.current) {
    w += (w.empty() ? "" : ", ") + std::to_string(*p.current);
    if (p.total) w += "/" + std::to_string(*p.total);
  }
  if (!p.message.empty()) w += (w.empty() ? "" : ": ") + p.message;
  return w;
}

std::string outcome_words(const proto::TaskView& t) {
  std::string w = proto::to_string(t.status);
  if (t.exit_code && t.status != proto::Status::working)
    w += " (exit " + std::to_string(*t.exit_code) + ")";
  else if (t.signal && t.status == proto::Status::failed)
    w += " (" + *t.signal + ")";
  return w;
}

namespace {

std::string short_command(const std::string& command) {
  constexpr std::size_t kMax = 120;
  std::string c = command.substr(0, command.find('\n'));
  if (c.size() > kMax) {
    std::size_t cut = kMax;
    while (cut > 0 && (static_cast<unsigned char>(c[cut]) & 0xC0) == 0x80) --cut;
    c = c.substr(0, cut) + "…";
  } else if (c.size() < command.size()) {
    c += " …";
  }
  return c;
}

}  // namespace

std::string status_line(const proto::TaskView& t) {
  std::string s = "Task " + t.task_id;
  if (t.status == proto::Status::working) {
    s += " is working (";
    if (t.pid) s += "pid " + std::to_string(*t.pid) + ", ";
    s += "running " + seconds_text(t.running_for_seconds.value_or(0));
    if (t.progress) {
      if (auto w = progress_words(*t.progress); !w.empty()) s += ", " + w;
    }
    s += ")";
  } else {
    s += " " + outcome_words(t);
    if (t.duration_seconds) s += " after " + seconds_text(*t.duration_seconds);
    if (t.status != proto::Status::completed && t.status_message && !t.status_message->empty())
      s += " (" + *t.status_message + ")";
  }
  if (t.label) s += " [" + *t.label + "]";
  return s + ": " + short_command(t.command);
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
    case err::kIdempotencyConflict:
      return "The daemon refused the start: " + m + ".";
    case err::kDiskFull:
      return "The disk holding backburner's state is full (" + m +
             "). Ask the user to free space (backburner prune removes old tasks' logs).";
    case err::kInputUnavailable: {
      const std::string reason =
          e.data.is_object() ? e.data.value("reason", std::string()) : std::string();
      if (reason == "no_stdin")
        return m +
               ". Only a task started with stdin: \"pipe\" takes input; start the command "
               "again with it if it must be answered.";
      if (reason == "finished") return m + ". Nothing reads its input any more.";
      if (reason == "closed")
        return m + " (by an earlier send_input with close: true). It cannot be reopened.";
      if (reason == "not_ready") return m + ".";
      if (reason == "input_full")
        return m +
               ". Nothing of this text was written: the task has not yet read what was sent "
               "before. Wait until it reads (check its output), then send again.";
      return m + ".";
    }
    default:
      return "The backburner daemon reported an error (code " + std::to_string(e.code) + "): " + m +
             ".";
  }
}

}  // namespace bb::shim
