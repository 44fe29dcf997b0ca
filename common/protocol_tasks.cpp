// task.start, task.get, task.cancel, task.list, task.wait, task.input, task.prune.
#include <utility>

#include "protocol.h"
#include "protocol_json.h"

namespace bb::proto {

using namespace detail;

void to_json(json& j, const StartParams& p) {
  j = json{{"command", p.command}, {"cwd", p.cwd}};
  put_opt(j, "timeout_seconds", p.timeout_seconds);
  put_opt(j, "env", p.env);
  put_opt(j, "label", p.label);
  if (p.stdin_pipe) j["stdin"] = "pipe";
  put_opt(j, "idempotency_key", p.idempotency_key);
  put_opt(j, "client", p.on_behalf_of);
  put_opt(j, "umask", p.umask);
}
void from_json(const json& j, StartParams& p) {
  Obj o = Obj::top(j, "params");
  {
    const json& v = o.require("command", "string");
    if (!v.is_string()) fail_value("command", "a string", v);
    p.command = v.get<std::string>();
    if (p.command.empty()) fail("command must not be empty");
    if (p.command.size() > kMaxCommandBytes)
      fail("command is " + std::to_string(p.command.size()) + " bytes; the limit is " +
           std::to_string(kMaxCommandBytes) + " bytes");
    check_no_nul(p.command, "command");
  }
  {
    const json& v = o.require("cwd", "string, an absolute directory path");
    if (!v.is_string()) fail_value("cwd", "a string (an absolute directory path)", v);
    p.cwd = v.get<std::string>();
    if (p.cwd.empty()) fail("cwd must not be empty: give the absolute directory to run in");
    check_no_nul(p.cwd, "cwd");
  }
  p.timeout_seconds.reset();
  if (const json* v = o.find("timeout_seconds")) {
    auto d = as_double(*v);
    if (!d || *d <= 0 || *d > kMaxTimeoutSeconds)
      fail_value("timeout_seconds", "a number greater than 0 and at most 315360000 (10 years)", *v);
    p.timeout_seconds = *d;
  }
  p.env.reset();
  if (const json* v = o.find("env")) {
    if (!v->is_object()) fail_value("env", "an object mapping variable names to strings", *v);
    std::map<std::string, std::string> env;
    for (const auto& [name, value] : v->items()) {
      // execve takes "NAME=value" strings: a name can hold neither '=' nor NUL.
      if (name.empty() || name.find('=') != std::string::npos ||
          name.find('\0') != std::string::npos)
        fail("env has an invalid variable name " + quoted(name) +
             " (names must be non-empty and contain no \"=\")");
      const std::string item = "env[" + quoted(name) + "]";
      if (!value.is_string()) fail_value(item, "a string", value);
      check_no_nul(value.get_ref<const std::string&>(), item);
      env.emplace(name, value.get<std::string>());
    }
    p.env = std::move(env);
  }
  p.label = bounded_string(o, "label", kMaxLabelBytes, false);
  if (p.label && p.label->empty()) p.label.reset();
  p.stdin_pipe = false;
  if (const json* v = o.find("stdin")) {
    if (!v->is_string() || (*v != "pipe" && *v != "none"))
      fail_value("stdin", "\"pipe\" (a stdin the task reads from task.input) or \"none\"", *v);
    p.stdin_pipe = *v == "pipe";
  }
  p.idempotency_key = bounded_string(o, "idempotency_key", kMaxIdempotencyKeyBytes, true);
  p.on_behalf_of.reset();
  if (o.find("client") != nullptr) p.on_behalf_of = client_field(o, "client");
  p.umask = opt_int_in(o, "umask", 0, 0777);
}

void to_json(json& j, const TaskIdParams& p) { j = json{{"task_id", p.task_id}}; }
void from_json(const json& j, TaskIdParams& p) {
  p.task_id = task_id_field(Obj::top(j, "params"), "task_id");
}

void to_json(json& j, const CancelResult& r) {
  j = json{{"task", r.task},
           {"cancelled", r.cancelled},
           {"message", r.message},
           {"survivors", r.survivors}};
}
void from_json(const json& j, CancelResult& r) {
  Obj o = Obj::top(j, "result", false);
  read_task_view(Obj::nested(o.require("task", "object"), "task"), r.task);
  r.cancelled = o.boolean("cancelled");
  r.message = o.string("message", false);
  r.survivors.clear();
  if (const json* v = o.find("survivors")) {
    if (!v->is_array()) fail_value("survivors", "an array of pids", *v);
    for (std::size_t i = 0; i < v->size(); ++i) {
      auto pid = as_int64((*v)[i]);
      if (!pid) fail_value("survivors[" + std::to_string(i) + "]", "an integer", (*v)[i]);
      r.survivors.push_back(*pid);
    }
  }
}

void to_json(json& j, const ListParams& p) {
  j = json::object();
  put_opt(j, "limit", p.limit);
  put_opt(j, "status", p.status);
  put_opt(j, "label", p.label);
  put_opt(j, "command_contains", p.command_contains);
  put_opt(j, "session", p.session);
  put_opt(j, "cursor", p.cursor);
}
void from_json(const json& j, ListParams& p) {
  Obj o = Obj::top(j, "params");
  p.limit = opt_int_in(o, "limit", 1, kMaxListLimit);
  p.status.reset();
  if (const json* v = o.find("status")) p.status = status_value(*v, "status");
  p.label = bounded_string(o, "label", kMaxLabelBytes, false);
  p.command_contains = bounded_string(o, "command_contains", kMaxCommandFilterBytes, true);
  p.session = bounded_string(o, "session", kMaxClientFieldBytes, true);
  p.cursor = bounded_string(o, "cursor", 64, true);
}

void to_json(json& j, const ListResult& r) {
  j = json{{"tasks", task_list_json(r.tasks)}, {"total", r.total}};
  put_opt(j, "next_cursor", r.next_cursor);
}
void from_json(const json& j, ListResult& r) {
  Obj o = Obj::top(j, "result", false);
  r.tasks = task_list(o, "tasks");
  r.total = o.uint("total");
  r.next_cursor = o.opt_string("next_cursor");
}

void to_json(json& j, const WaitParams& p) {
  j = json{{"task_ids", p.task_ids}};
  put_opt(j, "timeout_seconds", p.timeout_seconds);
  if (p.any) j["mode"] = "any";
  if (p.report_unknown) j["report_unknown"] = true;
}
void from_json(const json& j, WaitParams& p) {
  Obj o = Obj::top(j, "params");
  p.task_ids = id_list(o, "task_ids", kMaxWaitTasks, true);
  p.timeout_seconds.reset();
  if (const json* v = o.find("timeout_seconds")) {
    auto d = as_double(*v);
    if (!d || *d < 0 || *d > kMaxWaitSeconds)
      fail_value("timeout_seconds", ("a number from 0 to " + number_text(kMaxWaitSeconds)).c_str(),
                 *v);
    p.timeout_seconds = *d;
  }
  p.any = false;
  if (const json* v = o.find("mode")) {
    if (!v->is_string() || (*v != "all" && *v != "any"))
      fail_value("mode", "\"all\" (every task ended) or \"any\" (one task ended)", *v);
    p.any = *v == "any";
  }
  p.report_unknown = false;
  if (o.find("report_unknown") != nullptr) p.report_unknown = o.boolean("report_unknown");
}

void to_json(json& j, const WaitResult& r) {
  j = json{{"tasks", task_list_json(r.tasks)},
           {"all_finished", r.all_finished},
           {"timed_out", r.timed_out}};
  put_opt(j, "any_finished", r.any_finished);
  put_opt(j, "unknown_task_ids", r.unknown_task_ids);
}
void from_json(const json& j, WaitResult& r) {
  Obj o = Obj::top(j, "result", false);
  r.tasks = task_list(o, "tasks");
  r.all_finished = o.boolean("all_finished");
  r.timed_out = o.boolean("timed_out");
  r.any_finished.reset();
  if (o.find("any_finished") != nullptr) r.any_finished = o.boolean("any_finished");
  r.unknown_task_ids.reset();
  if (o.find("unknown_task_ids") != nullptr)
    r.unknown_task_ids = id_list(o, "unknown_task_ids", kMaxWaitTasks, false);
}

void to_json(json& j, const InputParams& p) {
  j = json{{"task_id", p.task_id}};
  if (!p.text.empty()) j["text"] = p.text;
  if (p.close) j["close"] = true;
}
void from_json(const json& j, InputParams& p) {
  Obj o = Obj::top(j, "params");
  p.task_id = task_id_field(o, "task_id");
  p.text = o.opt_string("text").value_or("");
  if (p.text.size() > kMaxInputBytes)
    fail("text is " + std::to_string(p.text.size()) + " bytes; at most " +
         std::to_string(kMaxInputBytes) + " can be sent in one call: send it in parts");
  p.close = false;
  if (o.find("close") != nullptr) p.close = o.boolean("close");
  if (p.text.empty() && !p.close) fail("give text to send, or close: true to end the input");
}

void to_json(json& j, const InputResult& r) { j = json{{"task", r.task}, {"written", r.written}}; }
void from_json(const json& j, InputResult& r) {
  Obj o = Obj::top(j, "result", false);
  read_task_view(Obj::nested(o.require("task", "object"), "task"), r.task);
  r.written = o.uint("written");
}

void to_json(json& j, const PruneParams& p) {
  j = json::object();
  put_opt(j, "older_than_days", p.older_than_days);
  put_opt(j, "keep_bytes", p.keep_bytes);
  if (p.dry_run) j["dry_run"] = true;
}
void from_json(const json& j, PruneParams& p) {
  Obj o = Obj::top(j, "params");
  p.older_than_days.reset();
  if (const json* v = o.find("older_than_days")) {
    auto d = as_double(*v);
    if (!d || *d < 0 || *d > 36500)
      fail_value("older_than_days", "a number of days from 0 to 36500", *v);
    p.older_than_days = *d;
  }
  p.keep_bytes = o.opt_uint("keep_bytes");
  p.dry_run = false;
  if (o.find("dry_run") != nullptr) p.dry_run = o.boolean("dry_run");
}

void to_json(json& j, const PruneResult& r) {
  j = json{{"removed", r.removed},
           {"freed_bytes", r.freed_bytes},
           {"kept_bytes", r.kept_bytes},
           {"task_ids", r.task_ids}};
}
void from_json(const json& j, PruneResult& r) {
  Obj o = Obj::top(j, "result", false);
  r.removed = o.uint("removed");
  r.freed_bytes = o.uint("freed_bytes");
  r.kept_bytes = o.uint("kept_bytes");
  r.task_ids = id_list(o, "task_ids", 1000, false);
}

}  // namespace bb::proto
