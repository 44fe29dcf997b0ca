#include "protocol.h"

#include <cmath>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <utility>

namespace bb::proto {

namespace {

using nlohmann::json;

constexpr const char* kStatusNames[] = {"working",   "completed", "failed",
                                        "cancelled", "timed_out", "interrupted"};
constexpr const char* kStatusList = "working, completed, failed, cancelled, timed_out, interrupted";

[[noreturn]] void fail(std::string message) { throw ParamsError{std::move(message)}; }

// Cuts `s` to at most `max` bytes without splitting a UTF-8 sequence (json::dump throws on
// invalid UTF-8, and a message is no place for half a character).
std::string utf8_prefix(const std::string& s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

// A JSON value as an error message shows it: numbers, booleans and null as written, strings
// quoted (long ones shortened), containers by kind.
std::string describe(const json& v) {
  switch (v.type()) {
    case json::value_t::array:
      return "an array";
    case json::value_t::object:
      return "an object";
    case json::value_t::string: {
      const auto& s = v.get_ref<const std::string&>();
      constexpr std::size_t kShown = 40;
      if (s.size() <= kShown) return v.dump();
      return json(utf8_prefix(s, kShown) + "...").dump();
    }
    default:
      return v.dump();
  }
}

std::string quoted(const std::string& s) { return json(s).dump(); }

// 3600 rather than 3600.0: limits read as the user would write them.
std::string number_text(double d) {
  if (d == std::floor(d) && std::fabs(d) < 1e15) return std::to_string(static_cast<long long>(d));
  return json(d).dump();
}

[[noreturn]] void fail_value(const std::string& field, const char* expected, const json& v) {
  fail(field + " must be " + expected + ", got " + describe(v));
}

[[noreturn]] void fail_missing(const std::string& field, const char* expected) {
  fail("missing required field " + quoted(field) + " (" + expected + ")");
}

// An integral JSON number as int64; floats with no fractional part count (JSON Schema's
// "integer" accepts 5.0, so the C++ side does too).
std::optional<std::int64_t> as_int64(const json& v) {
  if (v.is_number_unsigned()) {
    auto u = v.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      return std::nullopt;
    return static_cast<std::int64_t>(u);
  }
  if (v.is_number_integer()) return v.get<std::int64_t>();
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && d >= -9.2e18 && d <= 9.2e18)
      return static_cast<std::int64_t>(d);
  }
  return std::nullopt;
}

std::optional<std::uint64_t> as_uint64(const json& v) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number_integer()) {
    auto i = v.get<std::int64_t>();
    if (i < 0) return std::nullopt;
    return static_cast<std::uint64_t>(i);
  }
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && d >= 0 && d <= 1.8e19)
      return static_cast<std::uint64_t>(d);
  }
  return std::nullopt;
}

std::optional<double> as_double(const json& v) {
  if (!v.is_number()) return std::nullopt;
  double d = v.get<double>();
  if (!std::isfinite(d)) return std::nullopt;
  return d;
}

// One JSON object being read. `prefix` is what the fields' names get in messages: "" at the
// top of params or a result, "client." or "tasks[2]." below it. Unknown keys are never looked
// at, which is what makes them ignored.
class Obj {
 public:
  // `name` is how a message calls the object itself ("params", "client", "tasks[2]").
  // null reads as {} only where `null_is_empty` (params whose every field is optional).
  Obj(const json& j, const std::string& name, std::string prefix, bool null_is_empty)
      : prefix_(std::move(prefix)) {
    if (j.is_object()) {
      j_ = &j;
    } else if (j.is_null() && null_is_empty) {
      j_ = &empty();
    } else {
      fail_value(name, "an object", j);
    }
  }

  static Obj top(const json& j, const char* name, bool null_is_empty = true) {
    return Obj(j, name, "", null_is_empty);
  }
  static Obj nested(const json& j, const std::string& name) {
    return Obj(j, name, name + ".", false);
  }

  std::string field(const char* key) const { return prefix_ + key; }

  const json* find(const char* key) const {
    auto it = j_->find(key);
    return it == j_->end() ? nullptr : &*it;
  }

  const json& require(const char* key, const char* expected) const {
    const json* v = find(key);
    if (v == nullptr) fail_missing(field(key), expected);
    return *v;
  }

  std::string string(const char* key, bool non_empty = true) const {
    const json& v = require(key, "string");
    return string_value(v, field(key), non_empty);
  }

  std::optional<std::string> opt_string(const char* key) const {
    const json* v = find(key);
    if (v == nullptr) return std::nullopt;
    return string_value(*v, field(key), false);
  }

  bool boolean(const char* key) const {
    const json& v = require(key, "boolean");
    if (!v.is_boolean()) fail_value(field(key), "a boolean", v);
    return v.get<bool>();
  }

  std::uint64_t uint(const char* key) const {
    return uint_value(require(key, "non-negative integer"), field(key));
  }

  std::optional<std::uint64_t> opt_uint(const char* key) const {
    const json* v = find(key);
    if (v == nullptr) return std::nullopt;
    return uint_value(*v, field(key));
  }

  std::int64_t int64(const char* key) const {
    return int64_value(require(key, "integer"), field(key));
  }

  std::optional<std::int64_t> opt_int64(const char* key) const {
    const json* v = find(key);
    if (v == nullptr) return std::nullopt;
    return int64_value(*v, field(key));
  }

  double number(const char* key) const { return number_value(require(key, "number"), field(key)); }

  std::optional<double> opt_number(const char* key) const {
    const json* v = find(key);
    if (v == nullptr) return std::nullopt;
    return number_value(*v, field(key));
  }

  static std::string string_value(const json& v, const std::string& name, bool non_empty) {
    if (!v.is_string()) fail_value(name, non_empty ? "a non-empty string" : "a string", v);
    const auto& s = v.get_ref<const std::string&>();
    if (non_empty && s.empty()) fail_value(name, "a non-empty string", v);
    return s;
  }

 private:
  static const json& empty() {
    static const json e = json::object();
    return e;
  }
  static std::uint64_t uint_value(const json& v, const std::string& name) {
    auto u = as_uint64(v);
    if (!u) fail_value(name, "a non-negative integer", v);
    return *u;
  }
  static std::int64_t int64_value(const json& v, const std::string& name) {
    auto i = as_int64(v);
    if (!i) fail_value(name, "an integer", v);
    return *i;
  }
  static double number_value(const json& v, const std::string& name) {
    auto d = as_double(v);
    if (!d) fail_value(name, "a number", v);
    return *d;
  }

  const json* j_ = nullptr;
  std::string prefix_;
};

// An optional integer field that must lie in [lo, hi]; the message states the range.
std::optional<int> opt_int_in(const Obj& o, const char* key, int lo, int hi) {
  const json* v = o.find(key);
  if (v == nullptr) return std::nullopt;
  auto i = as_int64(*v);
  if (!i || *i < lo || *i > hi) {
    std::string expected = "an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
    fail_value(o.field(key), expected.c_str(), *v);
  }
  return static_cast<int>(*i);
}

std::optional<std::uint64_t> opt_uint_in(const Obj& o, const char* key, std::uint64_t lo,
                                         std::uint64_t hi) {
  const json* v = o.find(key);
  if (v == nullptr) return std::nullopt;
  auto u = as_uint64(*v);
  if (!u || *u < lo || *u > hi) {
    std::string expected = "an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
    fail_value(o.field(key), expected.c_str(), *v);
  }
  return *u;
}

Status status_value(const json& v, const std::string& name) {
  std::optional<Status> s;
  if (v.is_string()) s = status_from_string(v.get_ref<const std::string&>());
  if (!s) {
    std::string expected = std::string("one of ") + kStatusList;
    fail(name + " must be " + expected + "; got " + describe(v));
  }
  return *s;
}

void check_no_nul(const std::string& s, const std::string& name) {
  if (s.find('\0') != std::string::npos) fail(name + " must not contain a NUL character");
}

std::vector<std::string> pattern_list(const Obj& o, const char* key) {
  std::vector<std::string> out;
  const json* v = o.find(key);
  if (v == nullptr) return out;
  const std::string name = o.field(key);
  if (!v->is_array()) fail_value(name, "an array of regular expressions (strings)", *v);
  if (v->size() > kMaxPolicyPatterns)
    fail(name + " may list at most " + std::to_string(kMaxPolicyPatterns) + " patterns, got " +
         std::to_string(v->size()));
  for (std::size_t i = 0; i < v->size(); ++i) {
    const std::string item = name + "[" + std::to_string(i) + "]";
    // An empty pattern would match every command: almost surely a stray comma, so refused.
    out.push_back(Obj::string_value((*v)[i], item, true));
    if (out.back().size() > kMaxPolicyPatternBytes)
      fail(item + " is " + std::to_string(out.back().size()) + " bytes; the limit is " +
           std::to_string(kMaxPolicyPatternBytes) + " bytes");
  }
  return out;
}

void read_client(const Obj& o, ClientInfo& c) {
  c.name = o.string("name");
  c.version = o.opt_string("version").value_or("");
}

ClientInfo client_field(const Obj& o, const char* key) {
  const json& v = o.require(key, "object with \"name\" and \"version\"");
  ClientInfo c;
  read_client(Obj::nested(v, o.field(key)), c);
  return c;
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

template <typename T>
void put_opt(json& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = *v;
}

}  // namespace

const char* to_string(Status s) { return kStatusNames[static_cast<int>(s)]; }

std::optional<Status> status_from_string(std::string_view name) {
  for (int i = 0; i < static_cast<int>(std::size(kStatusNames)); ++i)
    if (name == kStatusNames[i]) return static_cast<Status>(i);
  return std::nullopt;
}

void to_json(json& j, Status s) { j = to_string(s); }
void from_json(const json& j, Status& s) { s = status_value(j, "status"); }

void to_json(json& j, const ClientInfo& c) { j = json{{"name", c.name}, {"version", c.version}}; }
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
}
void from_json(const json& j, TaskView& t) { read_task_view(Obj::top(j, "task", false), t); }

void to_json(json& j, const StartParams& p) {
  j = json{{"command", p.command}, {"cwd", p.cwd}};
  put_opt(j, "timeout_seconds", p.timeout_seconds);
  put_opt(j, "env", p.env);
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
}

void to_json(json& j, const TaskIdParams& p) { j = json{{"task_id", p.task_id}}; }
void from_json(const json& j, TaskIdParams& p) {
  p.task_id = Obj::top(j, "params").string("task_id");
}

void to_json(json& j, const OutputParams& p) {
  j = json{{"task_id", p.task_id}};
  put_opt(j, "tail_lines", p.tail_lines);
  put_opt(j, "offset", p.offset);
  put_opt(j, "max_bytes", p.max_bytes);
}
void from_json(const json& j, OutputParams& p) {
  Obj o = Obj::top(j, "params");
  p.task_id = o.string("task_id");
  p.tail_lines = opt_int_in(o, "tail_lines", 1, kMaxTailLines);
  p.offset = o.opt_uint("offset");
  p.max_bytes = opt_uint_in(o, "max_bytes", 1, kMaxMaxBytes);
  if (p.offset && p.tail_lines)
    fail("give either offset (read a byte range) or tail_lines (read the last lines), not both");
}

void to_json(json& j, const OutputResult& r) {
  j = json{{"task_id", r.task_id},
           {"output", r.output},
           {"offset", r.offset},
           {"next_offset", r.next_offset},
           {"output_bytes", r.output_bytes},
           {"truncated", r.truncated},
           {"status", r.status}};
}
void from_json(const json& j, OutputResult& r) {
  Obj o = Obj::top(j, "result", false);
  r.task_id = o.string("task_id");
  r.output = o.string("output", false);
  r.offset = o.uint("offset");
  r.next_offset = o.uint("next_offset");
  r.output_bytes = o.uint("output_bytes");
  r.truncated = o.boolean("truncated");
  r.status = status_value(o.require("status", "string"), "status");
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
}
void from_json(const json& j, ListParams& p) {
  Obj o = Obj::top(j, "params");
  p.limit = opt_int_in(o, "limit", 1, kMaxListLimit);
  p.status.reset();
  if (const json* v = o.find("status")) p.status = status_value(*v, "status");
}

void to_json(json& j, const ListResult& r) {
  j = json{{"tasks", task_list_json(r.tasks)}, {"total", r.total}};
}
void from_json(const json& j, ListResult& r) {
  Obj o = Obj::top(j, "result", false);
  r.tasks = task_list(o, "tasks");
  r.total = o.uint("total");
}

void to_json(json& j, const WaitParams& p) {
  j = json{{"task_ids", p.task_ids}};
  put_opt(j, "timeout_seconds", p.timeout_seconds);
}
void from_json(const json& j, WaitParams& p) {
  Obj o = Obj::top(j, "params");
  const json& ids = o.require("task_ids", "array of task ids");
  if (!ids.is_array()) fail_value("task_ids", "an array of task ids", ids);
  if (ids.empty()) fail("task_ids must list at least one task id");
  if (ids.size() > kMaxWaitTasks)
    fail("task_ids may list at most " + std::to_string(kMaxWaitTasks) + " task ids, got " +
         std::to_string(ids.size()));
  p.task_ids.clear();
  for (std::size_t i = 0; i < ids.size(); ++i)
    p.task_ids.push_back(Obj::string_value(ids[i], "task_ids[" + std::to_string(i) + "]", true));
  p.timeout_seconds.reset();
  if (const json* v = o.find("timeout_seconds")) {
    auto d = as_double(*v);
    if (!d || *d < 0 || *d > kMaxWaitSeconds)
      fail_value("timeout_seconds", ("a number from 0 to " + number_text(kMaxWaitSeconds)).c_str(),
                 *v);
    p.timeout_seconds = *d;
  }
}

void to_json(json& j, const WaitResult& r) {
  j = json{{"tasks", task_list_json(r.tasks)},
           {"all_finished", r.all_finished},
           {"timed_out", r.timed_out}};
}
void from_json(const json& j, WaitResult& r) {
  Obj o = Obj::top(j, "result", false);
  r.tasks = task_list(o, "tasks");
  r.all_finished = o.boolean("all_finished");
  r.timed_out = o.boolean("timed_out");
}

void to_json(json& j, const DaemonInfo& d) {
  j = json{{"version", d.version},       {"pid", d.pid},
           {"started_at", d.started_at}, {"uptime_seconds", d.uptime_seconds},
           {"state_dir", d.state_dir},   {"socket", d.socket},
           {"counts", d.counts},         {"connections", d.connections}};
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
}

}  // namespace bb::proto
