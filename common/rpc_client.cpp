#include "rpc_client.h"

#include <chrono>

#include "json_write.h"

namespace bb {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

RpcError transport_error(std::string message) {
  return RpcError{kTransportError, std::move(message), nullptr};
}

}  // namespace

RpcClient::RpcClient(RpcClient&& o) noexcept = default;
RpcClient& RpcClient::operator=(RpcClient&& o) noexcept = default;
RpcClient::~RpcClient() = default;

void RpcClient::close() {
  transport_.reset();
  buffer_.clear();
  notifications_.clear();
}

std::variant<RpcClient, std::string> RpcClient::connect(const std::filesystem::path& endpoint,
                                                        ConnectFailure* why) {
  auto t = connect_client_transport(endpoint, why);
  if (auto* err = std::get_if<std::string>(&t)) return *err;
  return RpcClient(std::get<std::unique_ptr<ClientTransport>>(std::move(t)));
}

bool RpcClient::peer_closed() const { return !transport_ || transport_->peer_closed(); }

std::shared_ptr<ConnectionInterrupt> RpcClient::interrupt_handle() const {
  return transport_ ? transport_->interrupt_handle() : nullptr;
}

bool RpcClient::write_all(std::string_view data, std::string& error) {
  return transport_->write_all(data, error);
}

std::variant<std::string, RpcError> RpcClient::read_line(
    std::optional<std::chrono::milliseconds> timeout) {
  const auto deadline = timeout ? Clock::now() + *timeout : Clock::time_point::max();
  for (;;) {
    if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    std::optional<std::chrono::milliseconds> left;
    if (timeout) {
      left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left->count() <= 0) return transport_error("timed out waiting for the daemon's answer");
    }
    std::string error;
    switch (transport_->read_some(buffer_, left, error)) {
      case ClientTransport::Read::data:
        break;
      case ClientTransport::Read::timeout:
        return transport_error("timed out waiting for the daemon's answer");
      case ClientTransport::Read::closed:
        return transport_error("the daemon closed the connection");
      case ClientTransport::Read::failed:
        return transport_error("connection to the daemon failed: " + error);
    }
    if (buffer_.size() > proto::kMaxLineBytes + 1 && buffer_.find('\n') == std::string::npos)
      return transport_error("the daemon sent a line longer than the protocol allows");
  }
}

std::variant<std::string, RpcError> RpcClient::raw_exchange(std::string_view line,
                                                            std::chrono::milliseconds timeout) {
  if (!transport_) return transport_error("not connected");
  std::string error;
  if (!write_all(line, error)) return transport_error("cannot write to the daemon: " + error);
  return read_line(timeout);
}

CallOutcome RpcClient::call(std::string_view method, const json& params,
                            std::optional<std::chrono::milliseconds> timeout) {
  if (!transport_) return transport_error("not connected to the daemon");
  const std::int64_t id = next_id_++;
  json req = {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
  if (!params.is_null()) req["params"] = params;
  std::string line = json_text(req);
  line += '\n';
  std::string error;
  if (!write_all(line, error)) {
    close();
    return transport_error("cannot send to the daemon: " + error);
  }
  const auto deadline = timeout ? Clock::now() + *timeout : Clock::time_point::max();
  for (;;) {
    std::optional<std::chrono::milliseconds> left;
    if (timeout)
      left = std::max(std::chrono::milliseconds(0),
                      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
    auto got = read_line(left);
    if (auto* err = std::get_if<RpcError>(&got)) {
      close();
      return *err;
    }
    json resp = json::parse(std::get<std::string>(got), nullptr, false);
    if (resp.is_discarded() || !resp.is_object()) {
      close();
      return transport_error("the daemon sent a malformed response");
    }
    if (!resp.contains("id")) {
      if (resp.contains("method")) notifications_.push_back(std::move(resp));
      continue;
    }
    if (resp["id"] != id) continue;  // not ours (e.g. a late reply)
    if (auto e = resp.find("error"); e != resp.end() && e->is_object()) {
      RpcError out;
      out.code = e->value("code", 0);
      out.message = e->value("message", std::string());
      if (auto d = e->find("data"); d != e->end()) out.data = *d;
      return out;
    }
    if (auto r = resp.find("result"); r != resp.end()) return *r;
    close();
    return transport_error("the daemon sent a response with neither result nor error");
  }
}

std::variant<json, RpcError, std::monostate> RpcClient::next_notification(
    std::optional<std::chrono::milliseconds> timeout) {
  if (!notifications_.empty()) {
    json n = std::move(notifications_.front());
    notifications_.erase(notifications_.begin());
    return n;
  }
  if (!transport_) return transport_error("not connected to the daemon");
  const auto deadline = timeout ? Clock::now() + *timeout : Clock::time_point::max();
  for (;;) {
    // Lines already received come first, whatever the timeout.
    if (const auto nl = buffer_.find('\n'); nl != std::string::npos) {
      json msg = json::parse(std::string_view(buffer_).substr(0, nl), nullptr, false);
      buffer_.erase(0, nl + 1);
      if (msg.is_discarded()) {
        close();
        return transport_error("the daemon sent a malformed message");
      }
      if (msg.is_object() && !msg.contains("id") && msg.contains("method")) return msg;
      continue;  // a late response to a call that gave up on it
    }
    std::optional<std::chrono::milliseconds> left;
    if (timeout) {
      left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left->count() <= 0) return std::monostate{};
    }
    std::string error;
    switch (transport_->read_some(buffer_, left, error)) {
      case ClientTransport::Read::data:
        break;
      case ClientTransport::Read::timeout:
        return std::monostate{};
      case ClientTransport::Read::closed:
        close();
        return transport_error("the daemon closed the connection");
      case ClientTransport::Read::failed:
        close();
        return transport_error("connection to the daemon failed: " + error);
    }
  }
}

std::variant<proto::HelloResult, RpcError> RpcClient::hello(const proto::HelloParams& params) {
  auto out = call(proto::method::kHello, json(params), std::chrono::seconds(10));
  if (auto* err = std::get_if<RpcError>(&out)) return *err;
  try {
    return std::get<json>(out).get<proto::HelloResult>();
  } catch (const std::exception& e) {
    return RpcError{kTransportError, std::string("unexpected hello answer: ") + e.what(), nullptr};
  } catch (const proto::ParamsError& e) {
    return RpcError{kTransportError, "unexpected hello answer: " + e.message, nullptr};
  }
}

}  // namespace bb
