#include "rpc_dispatcher.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "json_guard.h"
#include "json_write.h"
#include "os.h"
#include "retention.h"
#include "version.h"

namespace bb {

using nlohmann::json;
namespace err = proto::error;

namespace {

std::string dump(const json& j) { return json_text(j); }

std::string error_line(const json& id, int code, const std::string& message,
                       const json& data = nullptr) {
  json e = {{"code", code}, {"message", message}};
  if (!data.is_null()) e["data"] = data;
  return dump({{"jsonrpc", "2.0"}, {"id", id}, {"error", e}});
}

// Written around the result rather than copying it (a page of output is one large string);
// the keys in the order nlohmann sorts them.
std::string result_line(const json& id, const json& result) {
  std::string line = "{\"id\":";
  append_json(line, id);
  line += ",\"jsonrpc\":\"2.0\",\"result\":";
  append_json(line, result);
  line += '}';
  return line;
}

// One request being answered: its id, its session, and the way back.
struct Call {
  json id;
  std::shared_ptr<Session> session;
  RpcDispatcher::Reply reply;

  void ok(const json& result) const { reply(result_line(id, result)); }
  void fail(const Failure& f) const { reply(error_line(id, f.code, f.message, f.data)); }
  // An Outcome<T> as a result or an error.
  template <typename T>
  void deliver(const Outcome<T>& outcome) const {
    if (const auto* f = std::get_if<Failure>(&outcome))
      fail(*f);
    else
      ok(json(std::get<T>(outcome)));
  }
  // A callback that delivers later (the call may outlive this frame).
  template <typename T>
  std::function<void(Outcome<T>)> later() const {
    return [c = *this](Outcome<T> outcome) { c.deliver(outcome); };
  }
};

using Handler = void (*)(DaemonServices&, const json& params, const Call& call);

// A started task is answered once its shell runs: the answer then carries the shell's pid, and
// the task's stdin (if it has one) can be written to at once.
void answer_start(DaemonServices& s, const Call& c, Outcome<proto::TaskView> started) {
  if (std::holds_alternative<Failure>(started)) return c.deliver(started);
  const std::string id = std::get<proto::TaskView>(started).task_id;
  s.tasks.when_running(id, [&s, c, id, started = std::move(started)] {
    try {
      auto now = s.tasks.get(id);
      c.deliver(std::holds_alternative<Failure>(now) ? started : now);
    } catch (const std::exception&) {
      c.deliver(started);
    }
  });
}

struct MethodEntry {
  const char* name;
  Handler handler;
};

// The table every method is served from (hello is handled before it: it must come first).
const MethodEntry kMethods[] = {
    {proto::method::kTaskStart,
     [](DaemonServices& s, const json& params, const Call& c) {
       auto p = std::make_shared<const proto::StartParams>(params.get<proto::StartParams>());
       // A repeat of a start that was made: nothing to check, nothing new to run.
       if (auto repeat = s.tasks.repeated_start(*p)) return c.deliver(*repeat);
       if (s.daemon_policy.empty() && c.session->policy->empty())
         return answer_start(s, c, s.tasks.start(*p, c.session->client));
       // Matching a command against policies costs time in proportion to the command and the
       // patterns (a client's may be crafted): on a worker, in order with this connection's
       // other checks, so that only this client waits for it.
       s.workers.submit<std::optional<Failure>>(
           c.session.get(),
           [p, daemon = &s.daemon_policy, client = c.session->policy] {
             return policy_failure(p->command, {daemon, client.get()});
           },
           [&s, c, p](std::optional<Failure> refused) {
             if (refused) return c.fail(*refused);
             try {
               answer_start(s, c, s.tasks.start(*p, c.session->client));
             } catch (const std::exception& e) {
               c.fail(store_failure(e, "internal error in task.start"));
             }
           });
     }},
    {proto::method::kTaskGet,
     [](DaemonServices& s, const json& params, const Call& c) {
       c.deliver(s.tasks.get(params.get<proto::TaskIdParams>().task_id));
     }},
    {proto::method::kTaskOutput,
     [](DaemonServices& s, const json& params, const Call& c) {
       s.output.read(params.get<proto::OutputParams>(), c.session.get(),
                     c.later<proto::OutputResult>());
     }},
    {proto::method::kTaskCancel,
     [](DaemonServices& s, const json& params, const Call& c) {
       s.tasks.cancel(params.get<proto::TaskIdParams>().task_id, c.later<proto::CancelResult>());
     }},
    {proto::method::kTaskList,
     [](DaemonServices& s, const json& params, const Call& c) {
       c.deliver(s.tasks.list(params.get<proto::ListParams>()));
     }},
    {proto::method::kTaskWait,
     [](DaemonServices& s, const json& params, const Call& c) {
       s.tasks.wait(params.get<proto::WaitParams>(), c.later<proto::WaitResult>());
     }},
    {proto::method::kTaskInput,
     [](DaemonServices& s, const json& params, const Call& c) {
       c.deliver(s.tasks.input(params.get<proto::InputParams>()));
     }},
    {proto::method::kTaskPrune,
     [](DaemonServices& s, const json& params, const Call& c) {
       s.retention.prune(params.get<proto::PruneParams>(), c.later<proto::PruneResult>());
     }},
    {proto::method::kEventsSubscribe,
     [](DaemonServices& s, const json& params, const Call& c) {
       c.ok(s.events.subscribe(*c.session, params.get<proto::SubscribeParams>()));
     }},
    {proto::method::kEventsUnsubscribe,
     [](DaemonServices& s, const json& params, const Call& c) {
       c.ok(s.events.unsubscribe(*c.session, params.get<proto::SubscribeParams>().task_ids));
     }},
    {proto::method::kDaemonInfo,
     [](DaemonServices& s, const json&, const Call& c) { c.ok(s.info()); }},
    {proto::method::kDashboardOpen,
     [](DaemonServices& s, const json&, const Call& c) {
       if (!s.open_dashboard)
         return c.fail(Failure{err::kDashboardUnavailable, "this daemon serves no dashboard",
                               {{"kind", "dashboard_unavailable"}}});
       c.deliver(s.open_dashboard());
     }},
    {proto::method::kDaemonShutdown,
     [](DaemonServices& s, const json&, const Call& c) {
       c.ok(json::object());
       s.request_shutdown();
     }},
};

const MethodEntry* find_method(const std::string& name) {
  for (const auto& m : kMethods)
    if (name == m.name) return &m;
  return nullptr;
}

}  // namespace

void Session::push_event(const proto::Event& event) {
  if (push) push(dump({{"jsonrpc", "2.0"}, {"method", proto::method::kEvent}, {"params", event}}));
}

const std::vector<std::string>& RpcDispatcher::method_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n = {proto::method::kHello};
    for (const auto& m : kMethods) n.emplace_back(m.name);
    return n;
  }();
  return names;
}

RpcDispatcher::RpcDispatcher(DaemonServices services) : s_(std::move(services)) {}

void RpcDispatcher::session_closed(Session& session) { s_.events.remove(session); }

std::string RpcDispatcher::too_large_response() {
  return error_line(nullptr, err::kInvalidRequest,
                    "request line exceeds the limit of " + std::to_string(proto::kMaxLineBytes) +
                        " bytes; it was discarded",
                    {{"kind", "request_too_large"}, {"limit", proto::kMaxLineBytes}});
}

void RpcDispatcher::handle_line(const std::shared_ptr<Session>& session, std::string_view line,
                                Reply reply) {
  if (json_nesting_too_deep(line))
    return reply(error_line(nullptr, err::kParseError,
                            "parse error: JSON nested more than " +
                                std::to_string(kMaxJsonNesting) + " levels deep",
                            {{"kind", "parse_error"}}));
  json req = json::parse(line, nullptr, false);
  if (req.is_discarded())
    return reply(error_line(nullptr, err::kParseError, "parse error: the line is not valid JSON",
                            {{"kind", "parse_error"}}));
  if (!req.is_object())
    return reply(error_line(nullptr, err::kInvalidRequest,
                            "invalid request: expected one JSON-RPC request object per line "
                            "(batches are not supported)",
                            {{"kind", "invalid_request"}}));
  const bool has_id = req.contains("id");
  json id = has_id ? req["id"] : json(nullptr);
  if (has_id && !(id.is_number_integer() || id.is_string()))
    return reply(error_line(nullptr, err::kInvalidRequest,
                            "invalid request: id must be an integer or a string",
                            {{"kind", "invalid_request"}}));
  auto m = req.find("method");
  if (req.value("jsonrpc", json()) != "2.0" || m == req.end() || !m->is_string())
    return reply(error_line(id, err::kInvalidRequest,
                            "invalid request: needs \"jsonrpc\": \"2.0\" and a string \"method\"",
                            {{"kind", "invalid_request"}}));
  if (!has_id) return;  // a notification: this protocol defines none, and none gets an answer
  const std::string method = m->get<std::string>();
  json params = req.value("params", json(nullptr));
  if (!params.is_null() && !params.is_object())
    return reply(error_line(id, err::kInvalidParams, "invalid params: params must be an object",
                            {{"kind", "invalid_params"}}));
  if (params.is_null()) params = json::object();
  req = nullptr;  // the request's own copy is not needed any more (it may be large)

  const Call call{id, session, std::move(reply)};
  try {
    if (method == proto::method::kHello) {
      // The version first: a client of another version always learns which ones we speak,
      // whatever else its hello holds.
      if (auto v = params.find("protocol_version");
          v != params.end() && v->is_number_integer() && *v != proto::kProtocolVersion)
        return call.reply(error_line(id, err::kUnsupportedVersion,
                                     "protocol version " + v->dump() +
                                         " is not supported; this daemon speaks version " +
                                         std::to_string(proto::kProtocolVersion),
                                     {{"kind", "unsupported_version"},
                                      {"supported", {proto::kProtocolVersion}},
                                      {"requested", *v}}));
      auto p = params.get<proto::HelloParams>();
      auto compiled = CommandPolicy::compile(p.policy, "client");
      if (auto* e = std::get_if<std::string>(&compiled))
        return call.reply(error_line(id, err::kInvalidParams, *e,
                                     {{"kind", "invalid_params"}, {"field", "policy"}}));
      // Matching fills RE2's caches (megabytes for a crafted policy) in a worker's heap; when
      // the last holder lets go (the connection, or a check still running after it closed),
      // what they used goes back to the system.
      session->policy = std::shared_ptr<const CommandPolicy>(
          new CommandPolicy(std::move(std::get<CommandPolicy>(compiled))),
          [](const CommandPolicy* gone) {
            const bool had_patterns = !gone->empty();
            delete gone;
            if (had_patterns) os::release_free_memory();
          });
      session->client = p.client;
      session->client.via.reset();
      session->greeted = true;
      proto::HelloResult r;
      r.daemon_version = BACKBURNER_VERSION;
      r.pid = os::current_pid();
      r.methods = method_names();
      return call.ok(r);
    }
    const MethodEntry* entry = find_method(method);
    if (entry == nullptr)
      return call.reply(error_line(id, err::kMethodNotFound, "method not found: " + method,
                                   {{"kind", "method_not_found"}, {"method", method}}));
    if (!session->greeted)
      return call.reply(error_line(id, err::kHelloRequired,
                                   "the first request on a connection must be hello",
                                   {{"kind", "hello_required"}}));
    entry->handler(s_, params, call);
  } catch (const proto::ParamsError& e) {
    return call.fail(Failure{err::kInvalidParams, e.message, {{"kind", "invalid_params"}}});
  } catch (const json::exception& e) {
    return call.fail(Failure{err::kInvalidParams, "invalid params for " + method + ": " + e.what(),
                             {{"kind", "invalid_params"}}});
  } catch (const std::exception& e) {
    // SQLite or I/O trouble on this request: report it, keep serving.
    return call.fail(store_failure(e, "internal error in " + method));
  }
}

}  // namespace bb
