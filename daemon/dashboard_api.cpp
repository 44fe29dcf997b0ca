#include "dashboard_api.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include "dashboard_assets.h"
#include "iso_time.h"
#include "keeper_files.h"
#include "log_progress.h"
#include "os.h"
#include "version.h"

namespace bb {

using nlohmann::json;
using dashboard::EventStream;
using dashboard::Request;
using dashboard::Response;
namespace fs = std::filesystem;

namespace {

constexpr int kDefaultPage = 50;
constexpr int kMaxPage = 200;
constexpr int kMaxTimelineTasks = 2000;
constexpr double kMaxTimelineHours = 24 * 7;
constexpr std::uint64_t kDefaultRangeBytes = 256 * 1024;

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

Response json_response(const json& j, unsigned status = 200) {
  Response r;
  r.status = status;
  r.body = dump(j);
  return r;
}

Response failure_response(const Failure& f) {
  unsigned status = 500;
  switch (f.code) {
    case proto::error::kTaskNotFound: status = 404; break;
    case proto::error::kInvalidParams: status = 400; break;
    case proto::error::kPolicyDenied: status = 403; break;
    case proto::error::kShuttingDown: status = 503; break;
    case proto::error::kInvalidCwd: status = 409; break;
    default: break;
  }
  json e = {{"code", f.code}, {"message", f.message}};
  if (!f.data.is_null()) e["data"] = f.data;
  return json_response({{"error", e}}, status);
}

Response bad_request(const std::string& message, const std::string& field = "") {
  json data = {{"kind", "invalid_params"}};
  if (!field.empty()) data["field"] = field;
  return failure_response(Failure{proto::error::kInvalidParams, message, data});
}

Response not_found() {
  Response r;
  r.status = 404;
  r.content_type = "text/plain; charset=utf-8";
  r.body = "404 Not Found\n";
  return r;
}

std::optional<long long> integer(const std::map<std::string, std::string>& q, const char* name) {
  auto it = q.find(name);
  if (it == q.end() || it->second.empty()) return std::nullopt;
  char* end = nullptr;
  const long long v = std::strtoll(it->second.c_str(), &end, 10);
  if (*end != '\0') throw std::invalid_argument(name);
  return v;
}

std::optional<double> number(const std::map<std::string, std::string>& q, const char* name) {
  auto it = q.find(name);
  if (it == q.end() || it->second.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(it->second.c_str(), &end);
  if (*end != '\0' || !std::isfinite(v)) throw std::invalid_argument(name);
  return v;
}

std::optional<std::string> text(const std::map<std::string, std::string>& q, const char* name) {
  auto it = q.find(name);
  if (it == q.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

// "/api/tasks/<id>/<rest>" -> {id, rest}
std::optional<std::pair<std::string, std::string>> task_route(const std::string& path) {
  constexpr std::string_view kPrefix = "/api/tasks/";
  if (path.rfind(kPrefix, 0) != 0) return std::nullopt;
  std::string tail = path.substr(kPrefix.size());
  const auto slash = tail.find('/');
  std::string id = tail.substr(0, slash);
  std::string rest = slash == std::string::npos ? "" : tail.substr(slash + 1);
  if (id.empty() || id.size() > 64) return std::nullopt;
  return std::make_pair(id, rest);
}

// Answers the dashboard's requests from the daemon's services.
class Api final : public dashboard::DashboardHandler {
 public:
  Api(boost::asio::io_context& io, DashboardServices s) : io_(io), s_(std::move(s)) {}
  ~Api() override {
    for (auto& [stream, sink] : sinks_) s_.events.remove(*sink);
  }

  bool is_stream(const Request& r) const override {
    return r.method == "GET" && r.path == "/api/events";
  }

  void open_stream(const Request&, std::shared_ptr<EventStream> stream) override;
  void stream_closed(EventStream& stream) override {
    auto it = sinks_.find(&stream);
    if (it == sinks_.end()) return;
    s_.events.remove(*it->second);
    sinks_.erase(it);
  }

  void handle(const Request& r, Reply reply) override {
    try {
      route(r, reply);
    } catch (const std::invalid_argument& e) {
      reply(bad_request(std::string("invalid value of ") + e.what(), e.what()));
    } catch (const std::exception& e) {
      reply(failure_response(store_failure(e, "internal error")));
    }
  }


 private:
  struct Sink final : EventSink {
    Sink(Api& a, std::shared_ptr<EventStream> s, std::uint64_t i)
        : api(a), stream(std::move(s)), id(i) {}
    void push_event(const proto::Event& e) override { api.forward(*this, e); }
    std::size_t backlog() const override { return stream->backlog(); }
    Api& api;
    std::shared_ptr<EventStream> stream;
    std::uint64_t id;
  };

  void route(const Request& r, const Reply& reply);
  void list(const Request& r, const Reply& reply);
  void timeline(const Request& r, const Reply& reply);
  void output(const std::string& id, const Request& r, const Reply& reply);
  void download(const std::string& id, const Request& r, const Reply& reply);
  void rerun(const std::string& id, const Reply& reply);
  void forward(Sink& sink, const proto::Event& e);
  // Changes what a stream follows after the event being delivered (the hub is mid-loop).
  void later(std::uint64_t sink_id, std::function<void(Sink&)> fn);
  json view_with_progress(const proto::TaskView& t);
  json health();

  boost::asio::io_context& io_;
  DashboardServices s_;
  std::map<EventStream*, std::unique_ptr<Sink>> sinks_;
  std::uint64_t next_sink_ = 0;
};

json Api::view_with_progress(const proto::TaskView& t) {
  proto::TaskView v = t;
  if (v.status == proto::Status::working && v.log_path) v.progress = progress_of(*v.log_path);
  return json(v);
}

json Api::health() {
  const proto::DaemonInfo d = s_.info();
  json j = {{"version", d.version},
            {"pid", d.pid},
            {"started_at", d.started_at},
            {"uptime_seconds", d.uptime_seconds},
            {"state_dir", d.state_dir},
            {"counts", d.counts},
            {"working", d.counts.count("working") ? d.counts.at("working") : 0},
            {"connections", d.connections},
            {"now", iso_utc(now_ms())}};
  if (d.log_bytes) j["log_bytes"] = *d.log_bytes;
  if (d.keep_days) j["keep_days"] = *d.keep_days;
  if (d.keep_bytes) j["keep_bytes"] = *d.keep_bytes;
  j["clients"] = s_.tasks.store().distinct("client_name", 50);
  j["labels"] = s_.tasks.store().distinct("label", 50);
  return j;
}

void Api::route(const Request& r, const Reply& reply) {
  const std::string& p = r.path;
  if (r.method == "GET" && p.rfind("/api/", 0) != 0) {
    const std::string name = p == "/" ? "/index.html" : p;
    for (const auto& a : dashboard::kAssets) {
      if (a.path != name) continue;
      Response res;
      res.content_type = std::string(a.content_type);
      res.body = std::string(a.body);
      return reply(std::move(res));
    }
    return reply(not_found());
  }
  if (r.method == "GET" && p == "/api/session")
    return reply(json_response({{"csrf", r.csrf}}));
  if (r.method == "GET" && p == "/api/health") return reply(json_response(health()));
  if (r.method == "GET" && p == "/api/tasks") return list(r, reply);
  if (r.method == "GET" && p == "/api/timeline") return timeline(r, reply);
  auto t = task_route(p);
  if (!t) return reply(not_found());
  const auto& [id, rest] = *t;
  if (r.method == "GET" && rest.empty()) {
    auto got = s_.tasks.get(id);
    if (auto* f = std::get_if<Failure>(&got)) return reply(failure_response(*f));
    return reply(json_response(view_with_progress(std::get<proto::TaskView>(got))));
  }
  if (r.method == "GET" && rest == "output") return output(id, r, reply);
  if (r.method == "GET" && rest == "log") return download(id, r, reply);
  if (r.method == "POST" && rest == "cancel") {
    return s_.tasks.cancel(id, [reply](Outcome<proto::CancelResult> o) {
      if (auto* f = std::get_if<Failure>(&o)) return reply(failure_response(*f));
      reply(json_response(json(std::get<proto::CancelResult>(o))));
    });
  }
  if (r.method == "POST" && rest == "rerun") return rerun(id, reply);
  reply(not_found());
}

void Api::list(const Request& r, const Reply& reply) {
  proto::ListParams p;
  const auto limit = integer(r.query, "limit").value_or(kDefaultPage);
  if (limit < 1 || limit > kMaxPage)
    return reply(bad_request("limit must be 1 to " + std::to_string(kMaxPage), "limit"));
  p.limit = static_cast<int>(limit);
  if (auto st = text(r.query, "status")) {
    p.status = proto::status_from_string(*st);
    if (!p.status) return reply(bad_request("unknown status \"" + *st + "\"", "status"));
  }
  p.label = text(r.query, "label");
  p.cursor = text(r.query, "cursor");
  ListQuery extra;
  extra.client_name = text(r.query, "client");
  extra.text = text(r.query, "q");
  if (extra.text && extra.text->size() > proto::kMaxCommandFilterBytes)
    return reply(bad_request("q is too long", "q"));
  auto got = s_.tasks.list(p, extra);
  if (auto* f = std::get_if<Failure>(&got)) return reply(failure_response(*f));
  const auto& res = std::get<proto::ListResult>(got);
  json tasks = json::array();
  for (const auto& t : res.tasks) tasks.push_back(view_with_progress(t));
  json j = {{"tasks", tasks}, {"total", res.total}};
  if (res.next_cursor) j["next_cursor"] = *res.next_cursor;
  reply(json_response(j));
}

void Api::timeline(const Request& r, const Reply& reply) {
  const std::int64_t now = now_ms();
  std::int64_t to = integer(r.query, "to").value_or(now);
  std::int64_t from;
  if (auto f = integer(r.query, "from")) {
    from = *f;
  } else {
    const double hours = number(r.query, "hours").value_or(6);
    if (hours <= 0 || hours > kMaxTimelineHours)
      return reply(bad_request("hours must be more than 0 and at most 168", "hours"));
    from = to - static_cast<std::int64_t>(hours * 3600 * 1000);
  }
  if (from >= to) return reply(bad_request("from must be before to", "from"));
  proto::ListParams p;
  p.limit = proto::kMaxListLimit;
  ListQuery extra;
  extra.active_from_ms = from;
  extra.active_to_ms = to;
  json tasks = json::array();
  std::uint64_t total = 0;
  for (;;) {
    auto got = s_.tasks.list(p, extra);
    if (auto* f = std::get_if<Failure>(&got)) return reply(failure_response(*f));
    const auto& res = std::get<proto::ListResult>(got);
    total = res.total;
    for (const auto& t : res.tasks) {
      json c = {{"task_id", t.task_id},
                {"command", t.command.substr(0, 300)},
                {"status", t.status},
                {"created_at", t.created_at}};
      if (t.started_at) c["started_at"] = *t.started_at;
      if (t.finished_at) c["finished_at"] = *t.finished_at;
      if (t.exit_code) c["exit_code"] = *t.exit_code;
      if (t.signal) c["signal"] = *t.signal;
      if (t.label) c["label"] = *t.label;
      c["client"] = t.client.name;
      tasks.push_back(std::move(c));
    }
    if (!res.next_cursor || tasks.size() >= static_cast<std::size_t>(kMaxTimelineTasks)) break;
    p.cursor = res.next_cursor;
  }
  reply(json_response({{"from", iso_utc(from)},
                       {"to", iso_utc(to)},
                       {"now", iso_utc(now)},
                       {"tasks", tasks},
                       {"total", total},
                       {"truncated", total > tasks.size()}}));
}

void Api::output(const std::string& id, const Request& r, const Reply& reply) {
  proto::OutputParams p;
  p.task_id = id;
  if (auto g = text(r.query, "grep")) {
    if (g->size() > proto::kMaxGrepPatternBytes) return reply(bad_request("grep is too long", "grep"));
    p.grep = *g;
    p.ignore_case = r.query.count("ignore_case") && r.query.at("ignore_case") == "1";
    if (auto c = integer(r.query, "context")) {
      if (*c < 0 || *c > proto::kMaxGrepContext)
        return reply(bad_request("context must be 0 to 20", "context"));
      p.context_lines = static_cast<int>(*c);
    }
    p.max_matches = static_cast<int>(
        std::clamp<long long>(integer(r.query, "max_matches").value_or(500), 1, proto::kMaxGrepMatches));
    if (auto o = integer(r.query, "offset")) p.offset = static_cast<std::uint64_t>(std::max(0LL, *o));
  } else if (auto o = integer(r.query, "offset")) {
    if (*o < 0) return reply(bad_request("offset must be 0 or more", "offset"));
    p.offset = static_cast<std::uint64_t>(*o);
  } else {
    const auto n = integer(r.query, "tail").value_or(500);
    if (n < 1 || n > proto::kMaxTailLines)
      return reply(bad_request("tail must be 1 to 10000", "tail"));
    p.tail_lines = static_cast<int>(n);
  }
  const auto max = integer(r.query, "max_bytes").value_or(static_cast<long long>(kDefaultRangeBytes));
  if (max < 1 || static_cast<std::uint64_t>(max) > proto::kMaxMaxBytes)
    return reply(bad_request("max_bytes must be 1 to 2097152", "max_bytes"));
  p.max_bytes = static_cast<std::uint64_t>(max);
  p.progress = true;
  s_.output.read(p, this, [reply](Outcome<proto::OutputResult> o) {
    if (auto* f = std::get_if<Failure>(&o)) return reply(failure_response(*f));
    reply(json_response(json(std::get<proto::OutputResult>(o))));
  });
}

void Api::download(const std::string& id, const Request& r, const Reply& reply) {
  auto got = s_.tasks.get(id);
  if (auto* f = std::get_if<Failure>(&got)) return reply(failure_response(*f));
  const auto& t = std::get<proto::TaskView>(got);
  const fs::path log = t.log_path ? fs::path(*t.log_path)
                                  : task_dir(s_.tasks.paths(), id) / keeper::kOutputFile;
  std::error_code ec;
  const std::uint64_t size = fs::exists(log, ec) ? fs::file_size(log, ec) : 0;
  if (ec) return reply(failure_response(Failure{proto::error::kInternalError,
                                                "cannot read the log: " + ec.message(),
                                                {{"kind", "io_error"}, {"task_id", id}}}));
  Response res;
  res.content_type = "text/plain; charset=utf-8";
  res.headers = {{"Accept-Ranges", "bytes"},
                 {"Content-Disposition", "attachment; filename=\"backburner-" + id + ".log\""}};
  auto range = dashboard::parse_range(r.range, size);
  if (std::holds_alternative<dashboard::Unsatisfiable>(range)) {
    res.status = 416;
    res.headers.emplace_back("Content-Range", "bytes */" + std::to_string(size));
    return reply(std::move(res));
  }
  dashboard::FileSlice slice{log.string(), 0, size};
  if (auto* b = std::get_if<dashboard::ByteRange>(&range)) {
    res.status = 206;
    slice.offset = b->first;
    slice.length = b->last - b->first + 1;
    res.headers.emplace_back("Content-Range", "bytes " + std::to_string(b->first) + "-" +
                                                  std::to_string(b->last) + "/" +
                                                  std::to_string(size));
  }
  if (slice.length > 0 && fs::exists(log, ec)) res.file = slice;
  reply(std::move(res));
}

void Api::rerun(const std::string& id, const Reply& reply) {
  auto rec = s_.tasks.store().get(id);
  if (!rec) return reply(failure_response(Failure{proto::error::kTaskNotFound,
                                                  "no task with id \"" + id + "\"",
                                                  {{"kind", "task_not_found"}, {"task_id", id}}}));
  if (!proto::is_terminal(rec->status))
    return reply(json_response({{"error",
                                 {{"code", proto::error::kInvalidParams},
                                  {"message", "task " + id + " is still running; only a finished "
                                              "task can be run again"},
                                  {"data", {{"kind", "still_running"}, {"task_id", id}}}}}},
                               409));
  // The command, cwd, label and timeout again. The environment was never stored (it may hold
  // secrets): the new task gets the daemon's.
  auto p = std::make_shared<proto::StartParams>();
  p->command = rec->command;
  p->cwd = rec->cwd;
  if (!rec->label.empty()) p->label = rec->label;
  if (rec->timeout_ms) p->timeout_seconds = static_cast<double>(*rec->timeout_ms) / 1000.0;
  proto::ClientInfo client;
  client.name = "backburner-dashboard";
  client.version = BACKBURNER_VERSION;
  client.user = os::current_user_name();
  auto start = [this, p, client, reply] {
    try {
      auto got = s_.tasks.start(*p, client);
      if (auto* f = std::get_if<Failure>(&got)) return reply(failure_response(*f));
      // Answered once the shell runs, as task.start is: the view then carries its pid.
      const std::string new_id = std::get<proto::TaskView>(got).task_id;
      s_.tasks.when_running(new_id, [this, new_id, got, reply] {
        Outcome<proto::TaskView> now = got;
        try {
          if (auto fresh = s_.tasks.get(new_id); std::holds_alternative<proto::TaskView>(fresh))
            now = std::move(fresh);
        } catch (const std::exception&) {
          // the view from the start stands
        }
        reply(json_response(json(std::get<proto::TaskView>(now)), 201));
      });
    } catch (const std::exception& e) {
      reply(failure_response(store_failure(e, "internal error in rerun")));
    }
  };
  if (s_.daemon_policy.empty()) return start();
  // The daemon's own policy still applies (it may have changed since the first run): checked
  // on a worker, as the dispatcher does.
  s_.workers.submit<std::optional<Failure>>(
      this, [p, policy = &s_.daemon_policy] { return policy_failure(p->command, {policy}); },
      [start, reply](std::optional<Failure> refused) {
        if (refused) return reply(failure_response(*refused));
        start();
      });
}

void Api::open_stream(const Request&, std::shared_ptr<EventStream> stream) {
  auto sink = std::make_unique<Sink>(*this, stream, next_sink_++);
  Sink& s = *sink;
  sinks_.emplace(stream.get(), std::move(sink));
  // Every task's changes, and the output growth of the running ones (for progress and for the
  // log of the task being viewed). Subscribe first, then the page reads the state.
  proto::SubscribeParams sp;
  sp.all = true;
  sp.output = true;
  for (const auto& t : s_.tasks.store().working()) sp.task_ids.push_back(t.id);
  s_.events.subscribe(s, sp);
  stream->send("hello", dump({{"now", iso_utc(now_ms())}}));
}

void Api::later(std::uint64_t sink_id, std::function<void(Sink&)> fn) {
  boost::asio::post(io_, [this, sink_id, fn = std::move(fn)] {
    for (auto& [stream, sink] : sinks_)
      if (sink->id == sink_id) return fn(*sink);
  });
}

void Api::forward(Sink& sink, const proto::Event& e) {
  if (e.kind == "task" && e.task) {
    sink.stream->send("task", dump(view_with_progress(*e.task)));
    const std::string id = e.task->task_id;
    if (e.task->status == proto::Status::working) {
      later(sink.id, [this, id](Sink& s) {
        proto::SubscribeParams sp;
        sp.task_ids = {id};
        sp.output = true;
        s_.events.subscribe(s, sp);
      });
    } else {
      later(sink.id, [this, id](Sink& s) { s_.events.unsubscribe(s, {id}); });
    }
  } else if (e.kind == "output" && e.task_id) {
    json j = {{"task_id", *e.task_id}, {"output_bytes", e.output_bytes.value_or(0)}};
    if (auto pr = progress_of(task_dir(s_.tasks.paths(), *e.task_id) / keeper::kOutputFile))
      j["progress"] = *pr;
    sink.stream->send("output", dump(j));
  } else if (e.kind == "removed" && e.task_id) {
    sink.stream->send("removed", dump({{"task_id", *e.task_id}}));
  } else if (e.kind == "resync") {
    sink.stream->send("resync", "{}");
  }
}

}  // namespace

std::unique_ptr<dashboard::DashboardHandler> make_dashboard_api(boost::asio::io_context& io,
                                                               DashboardServices services) {
  return std::make_unique<Api>(io, std::move(services));
}

}  // namespace bb
