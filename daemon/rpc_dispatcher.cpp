#include "rpc_dispatcher.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "json_guard.h"
#include "version.h"

namespace bb {

using nlohmann::json;
namespace err = proto::error;

namespace {

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string error_line(const json& id, int code, const std::string& message,
                       const json& data = nullptr) {
  json e = {{"code", code}, {"message", message}};
  if (!data.is_null()) e["data"] = data;
  return dump({{"jsonrpc", "2.0"}, {"id", id}, {"error", e}});
}

std::string result_line(const json& id, const json& result) {
  return dump({{"jsonrpc", "2.0"}, {"id", id}, {"result", result}});
}

const std::vector<std::string>& method_names() {
  static const std::vector<std::string> names = {
      proto::method::kHello,      proto::method::kTaskStart,  proto::method::kTaskGet,
      proto::method::kTaskOutput, proto::method::kTaskCancel, proto::method::kTaskList,
      proto::method::kTaskWait,   proto::method::kDaemonInfo, proto::method::kDaemonShutdown};
  return names;
}

}  // namespace

RpcDispatcher::RpcDispatcher(TaskManager& tasks, const CommandPolicy& daemon_policy,
                             InfoSource info, std::function<void()> request_shutdown)
    : tasks_(tasks),
      daemon_policy_(daemon_policy),
      info_(std::move(info)),
      request_shutdown_(std::move(request_shutdown)) {}

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

  auto fail = [&](const Failure& f) { reply(error_line(id, f.code, f.message, f.data)); };
  auto ok = [&](const json& r) { reply(result_line(id, r)); };

  try {
    if (method == proto::method::kHello) {
      // The version first: a client of another version always learns which ones we speak,
      // whatever else its hello holds.
      if (auto v = params.find("protocol_version");
          v != params.end() && v->is_number_integer() && *v != proto::kProtocolVersion)
        return reply(error_line(id, err::kUnsupportedVersion,
                                "protocol version " + v->dump() +
                                    " is not supported; this daemon speaks version " +
                                    std::to_string(proto::kProtocolVersion),
                                {{"kind", "unsupported_version"},
                                 {"supported", {proto::kProtocolVersion}},
                                 {"requested", *v}}));
      auto p = params.get<proto::HelloParams>();
      auto compiled = CommandPolicy::compile(p.policy, "client");
      if (auto* e = std::get_if<std::string>(&compiled))
        return reply(error_line(id, err::kInvalidParams, *e,
                                {{"kind", "invalid_params"}, {"field", "policy"}}));
      session->policy = std::move(std::get<CommandPolicy>(compiled));
      session->client = p.client;
      session->greeted = true;
      proto::HelloResult r;
      r.daemon_version = BACKBURNER_VERSION;
      r.pid = static_cast<std::int64_t>(info_().pid);
      r.methods = method_names();
      return ok(r);
    }
    if (std::find(method_names().begin(), method_names().end(), method) == method_names().end())
      return reply(error_line(id, err::kMethodNotFound, "method not found: " + method,
                              {{"kind", "method_not_found"}, {"method", method}}));
    if (!session->greeted)
      return reply(error_line(id, err::kHelloRequired,
                              "the first request on a connection must be hello",
                              {{"kind", "hello_required"}}));

    auto deliver = [reply, id](auto outcome) {
      if (auto* f = std::get_if<Failure>(&outcome))
        reply(error_line(id, f->code, f->message, f->data));
      else
        reply(result_line(id, json(std::get<0>(outcome))));
    };
    if (method == proto::method::kTaskStart) {
      auto p = params.get<proto::StartParams>();
      return deliver(tasks_.start(p, session->client, {&daemon_policy_, &session->policy}));
    }
    if (method == proto::method::kTaskGet)
      return deliver(tasks_.get(params.get<proto::TaskIdParams>().task_id));
    if (method == proto::method::kTaskOutput)
      return deliver(tasks_.output(params.get<proto::OutputParams>()));
    if (method == proto::method::kTaskList) return ok(tasks_.list(params.get<proto::ListParams>()));
    if (method == proto::method::kTaskCancel)
      return tasks_.cancel(params.get<proto::TaskIdParams>().task_id, deliver);
    if (method == proto::method::kTaskWait)
      return tasks_.wait(params.get<proto::WaitParams>(), deliver);
    if (method == proto::method::kDaemonInfo) return ok(info_());
    if (method == proto::method::kDaemonShutdown) {
      ok(json::object());
      request_shutdown_();
      return;
    }
  } catch (const proto::ParamsError& e) {
    return fail(Failure{err::kInvalidParams, e.message, {{"kind", "invalid_params"}}});
  } catch (const json::exception& e) {
    return fail(Failure{err::kInvalidParams, "invalid params for " + method + ": " + e.what(),
                        {{"kind", "invalid_params"}}});
  } catch (const std::exception& e) {
    // SQLite or I/O trouble on this request: report it, keep serving.
    return fail(Failure{err::kInternalError, "internal error in " + method + ": " + e.what(),
                        {{"kind", "internal_error"}}});
  }
}

}  // namespace bb
