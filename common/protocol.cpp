// Protocol types shared by every message family: statuses, client identity, policy, hello,
// the task view, progress, daemon.info. Method families: protocol_tasks.cpp,
// protocol_output.cpp, protocol_events.cpp.
#include "protocol.h"

#include <iterator>
#include <utility>

#include "protocol_json.h"

namespace bb::proto {

using namespace detail;

namespace detail {

std::vector<std::string> pattern_list(const Obj& o, const char* key) {
  std::vector<std::string> out;
  const json* v = o.find(key);
  if (v == nullptr) return out;
  const std::string name = o.field(key);
  if (!v->is_array()) fail_value(name, "an array of regular expressions (strings)", *v);
  if (v->size() > kMaxPolicyPatterns)
    fail(name + " may hold at most " + std::to_string(kMaxPolicyPatterns) + " patterns, got " +
         std::to_string(v->size()));
  for (std::size_t i = 0; i < v->size(); ++i) {
    const std::string item = name + "[" + std::to_string(i) + "]";
    // An empty pattern would match every command: almost surely a stray comma, so refused.
    std::string pattern = Obj::string_value((*v)[i], item, true);
    if (pattern.size() > kMaxPolicyPatternBytes)
      fail(item + " is " + std::to_string(pattern.size()) + " bytes; the limit is " +
           std::to_string(kMaxPolicyPatternBytes));
    out.push_back(std::move(pattern));
  }
  return out;
}

std::optional<std::string> bounded_string(const Obj& o, const char* key, std::size_t max,
                                          bool non_empty) {
  auto s = o.opt_string(key);
  if (!s) return s;
  if (non_empty && s->empty()) fail(o.field(key) + " must not be empty");
  if (s->size() > max)
    fail(o.field(key) + " is " + std::to_string(s->size()) + " bytes; the limit is " +
         std::to_string(max));
  check_no_nul(*s, o.field(key));
  return s;
}

void read_client(const Obj& o, ClientInfo& c) {
  (void)o.string("name");  // required: a missing or mistyped name is reported as such
  c.name = *bounded_string(o, "name", kMaxClientFieldBytes, true);
  c.version = bounded_string(o, "version", kMaxClientFieldBytes, false).value_or("");
  c.session = bounded_string(o, "session", kMaxClientFieldBytes, false);
  c.user = bounded_string(o, "user", kMaxClientFieldBytes, false);
  // Output only: the daemon writes the relay's "name version" here, which can be longer than
  // either field; what a client sends is ignored.
  c.via = o.opt_string("via");
}

ClientInfo client_field(const Obj& o, const char* key) {
  const json& v = o.require(key, "object with \"name\" and \"version\"");
  ClientInfo c;
  read_client(Obj::nested(v, o.field(key)), c);
  return c;
}

void read_progress(const Obj& o, Progress& p) {
  p = Progress{};
  p.percent = o.opt_number("percent");
  p.current = o.opt_int64("current");
  p.total = o.opt_int64("total");
  p.message = o.opt_string("message").value_or("");
}

void read_task_view(const Obj& o, TaskView& t) {
  t = TaskView{};
  t.task_id = o.string("task_id");
  t.command = o.string("command", false);
  t.cwd = o.string("cwd", false);
  t.status = status_value(o.require("status", "string"), o.field("status"));
  t.created_at = o.string("created_at");
  t.started_at = o.opt_string("started_at");
  t.finished_at = o.opt_string("finished_at");
  t.running_for_seconds = o.opt_number("running_for_seconds");
  t.duration_seconds = o.opt_number("duration_seconds");
  if (auto code = o.opt_int64("exit_code")) t.exit_code = static_cast<int>(*code);
  t.signal = o.opt_string("signal");
  t.pid = o.opt_int64("pid");
  t.timeout_seconds = o.opt_number("timeout_seconds");
  t.output_bytes = o.uint("output_bytes");
  t.status_message = o.opt_string("status_message");
  t.client = client_field(o, "client");
  t.label = o.opt_string("label");
  t.stdin_state = o.opt_string("stdin");
  t.log_path = o.opt_string("log_path");
  if (const json* p = o.find("progress")) {
    Progress pr;
    read_progress(Obj::nested(*p, o.field("progress")), pr);
    t.progress = pr;
  }
}

std::vector<TaskView> task_list(const Obj& o, const char* key) {
  const json& v = o.require(key, "array of tasks");
  const std::string name = o.field(key);
  if (!v.is_array()) fail_value(name, "an array of tasks", v);
  std::vector<TaskView> out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i)
    read_task_view(Obj::nested(v[i], name + "[" + std::to_string(i) + "]"), out[i]);
  return out;
}

json task_list_json(const std::vector<TaskView>& tasks) {
  json a = json::array();
  for (const auto& t : tasks) a.push_back(t);
  return a;
}

std::string task_id_field(const Obj& o, const char* key) {
  std::string id = o.string(key);
  if (id.size() > kMaxTaskIdBytes)
    fail(o.field(key) + " is " + std::to_string(id.size()) + " bytes; task ids are at most " +
         std::to_string(kMaxTaskIdBytes));
  return id;
}

std::vector<std::string> id_list(const Obj& o, const char* key, std::size_t max, bool required) {
  const json* ids = required ? &o.require(key, "array of task ids") : o.find(key);
  std::vector<std::string> out;
  if (ids == nullptr) return out;
  if (!ids->is_array()) fail_value(o.field(key), "an array of task ids", *ids);
  if (required && ids->empty()) fail(o.field(key) + " must list at least one task id");
  if (ids->size() > max)
    fail(o.field(key) + " may list at most " + std::to_string(max) + " task ids, got " +
         std::to_string(ids->size()));
  for (std::size_t i = 0; i < ids->size(); ++i) {
    const std::string item = o.field(key) + "[" + std::to_string(i) + "]";
    out.push_back(Obj::string_value((*ids)[i], item, true));
    if (out.back().size() > kMaxTaskIdBytes)
      fail(item + " is " + std::to_string(out.back().size()) + " bytes; task ids are at most " +
           std::to_string(kMaxTaskIdBytes));
  }
  return out;
}

}  // namespace detail

const char* to_string(Status s) { return kStatusNames[static_cast<int>(s)]; }

std::optional<Status> status_from_string(std::string_view name) {
  for (int i = 0; i < static_cast<int>(std::size(kStatusNames)); ++i)
    if (name == kStatusNames[i]) return static_cast<Status>(i);
  return std::nullopt;
}

void to_json(json& j, Status s) { j = to_string(s); }
void from_json(const json& j, Status& s) { s = status_value(j, "status"); }

void to_json(json& j, const ClientInfo& c) {
  j = json{{"name", c.name}, {"version", c.version}};
  put_opt(j, "session", c.session);
  put_opt(j, "user", c.user);
  put_opt(j, "via", c.via);
}
void from_json(const json& j, ClientInfo& c) { read_client(Obj::top(j, "client", false), c); }

void to_json(json& j, const Policy& p) { j = json{{"allow", p.allow}, {"deny", p.deny}}; }
void from_json(const json& j, Policy& p) {
  Obj o = Obj::top(j, "policy");
  p.allow = pattern_list(o, "allow");
  p.deny = pattern_list(o, "deny");
}

void to_json(json& j, const HelloParams& h) {
  j = json{{"protocol_version", h.protocol_version}, {"client", h.client}, {"policy", h.policy}};
}
void from_json(const json& j, HelloParams& h) {
  Obj o = Obj::top(j, "params");
  const json& v = o.require("protocol_version", "integer");
  auto version = as_int64(v);
  // Only the form is checked here; whether the daemon speaks this version is its answer (1002).
  if (!version || *version < 1 || *version > std::numeric_limits<int>::max())
    fail_value("protocol_version", "a positive integer", v);
  h.protocol_version = static_cast<int>(*version);
  h.client = client_field(o, "client");
  h.policy = Policy{};
  if (const json* p = o.find("policy")) {
    Obj po = Obj::nested(*p, "policy");
    h.policy.allow = pattern_list(po, "allow");
    h.policy.deny = pattern_list(po, "deny");
  }
}

void to_json(json& j, const HelloResult& r) {
  j = json{{"protocol_version", r.protocol_version},
           {"daemon_version", r.daemon_version},
           {"pid", r.pid},
           {"methods", r.methods},
           {"max_line_bytes", r.max_line_bytes}};
}
void from_json(const json& j, HelloResult& r) {
  Obj o = Obj::top(j, "result", false);
  auto version = o.int64("protocol_version");
  r.protocol_version = static_cast<int>(version);
  r.daemon_version = o.string("daemon_version", false);
  r.pid = o.int64("pid");
  const json& m = o.require("methods", "array of method names");
  if (!m.is_array()) fail_value("methods", "an array of method names", m);
  r.methods.clear();
  for (std::size_t i = 0; i < m.size(); ++i)
    r.methods.push_back(Obj::string_value(m[i], "methods[" + std::to_string(i) + "]", true));
  r.max_line_bytes = o.uint("max_line_bytes");
}

void to_json(json& j, const Progress& p) {
  j = json::object();
  put_opt(j, "percent", p.percent);
  put_opt(j, "current", p.current);
  put_opt(j, "total", p.total);
  if (!p.message.empty()) j["message"] = p.message;
}
void from_json(const json& j, Progress& p) { read_progress(Obj::top(j, "progress", false), p); }

void to_json(json& j, const TaskView& t) {
  j = json{{"task_id", t.task_id},
           {"command", t.command},
           {"cwd", t.cwd},
           {"status", t.status},
           {"created_at", t.created_at}};
  put_opt(j, "started_at", t.started_at);
  put_opt(j, "finished_at", t.finished_at);
  put_opt(j, "running_for_seconds", t.running_for_seconds);
  put_opt(j, "duration_seconds", t.duration_seconds);
  put_opt(j, "exit_code", t.exit_code);
  put_opt(j, "signal", t.signal);
  put_opt(j, "pid", t.pid);
  put_opt(j, "timeout_seconds", t.timeout_seconds);
  j["output_bytes"] = t.output_bytes;
  put_opt(j, "status_message", t.status_message);
  j["client"] = t.client;
  put_opt(j, "label", t.label);
  put_opt(j, "stdin", t.stdin_state);
  put_opt(j, "log_path", t.log_path);
  put_opt(j, "progress", t.progress);
}
void from_json(const json& j, TaskView& t) { read_task_view(Obj::top(j, "task", false), t); }

void to_json(json& j, const DaemonInfo& d) {
  j = json{{"version", d.version},       {"pid", d.pid},
           {"started_at", d.started_at}, {"uptime_seconds", d.uptime_seconds},
           {"state_dir", d.state_dir},   {"socket", d.socket},
           {"counts", d.counts},         {"connections", d.connections}};
  put_opt(j, "log_bytes", d.log_bytes);
  put_opt(j, "keep_days", d.keep_days);
  put_opt(j, "keep_bytes", d.keep_bytes);
  put_opt(j, "dashboard_url", d.dashboard_url);
}
void from_json(const json& j, DaemonInfo& d) {
  Obj o = Obj::top(j, "result", false);
  d.version = o.string("version", false);
  d.pid = o.int64("pid");
  d.started_at = o.string("started_at");
  d.uptime_seconds = o.number("uptime_seconds");
  d.state_dir = o.string("state_dir", false);
  d.socket = o.string("socket", false);
  const json& c = o.require("counts", "object of task counts per status");
  if (!c.is_object()) fail_value("counts", "an object of task counts per status", c);
  d.counts.clear();
  Obj co = Obj::nested(c, "counts");
  for (const auto& [name, value] : c.items()) d.counts[name] = co.uint(name.c_str());
  d.connections = o.uint("connections");
  d.log_bytes = o.opt_uint("log_bytes");
  d.keep_days = o.opt_number("keep_days");
  d.keep_bytes = o.opt_uint("keep_bytes");
  d.dashboard_url = o.opt_string("dashboard_url");
}

void to_json(json& j, const DashboardOpenResult& d) {
  j = json{{"url", d.url},
           {"base_url", d.base_url},
           {"port", d.port},
           {"token_expires_in_seconds", d.token_expires_in_seconds}};
}
void from_json(const json& j, DashboardOpenResult& d) {
  Obj o = Obj::top(j, "result", false);
  d.url = o.string("url", false);
  d.base_url = o.string("base_url", false);
  d.port = o.uint("port");
  d.token_expires_in_seconds = o.number("token_expires_in_seconds");
}

}  // namespace bb::proto
