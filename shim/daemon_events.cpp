#include "daemon_events.h"

#include <algorithm>
#include <chrono>

#include "json_write.h"

namespace bb::shim {

using nlohmann::json;
using std::chrono::milliseconds;

namespace {

constexpr milliseconds kHandshakeTimeout{10000};
constexpr milliseconds kFirstBackoff{500};
constexpr milliseconds kMaxBackoff{30000};

std::string dump(const json& j) { return json_text(j); }

}  // namespace

DaemonEvents::DaemonEvents(DaemonEventsConfig config) : config_(std::move(config)) {}

DaemonEvents::~DaemonEvents() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    if (interrupt_) interrupt_->fire();
  }
  cv_.notify_all();
  if (reader_.joinable()) reader_.join();
}

std::optional<std::string> DaemonEvents::start(Handler handler) {
  std::unique_lock lock(mutex_);
  if (started_) return std::nullopt;
  handler_ = std::move(handler);
  lock.unlock();
  if (auto error = connect()) return error;
  lock.lock();
  started_ = true;
  reader_ = std::thread(&DaemonEvents::run, this);
  return std::nullopt;
}

std::optional<std::string> DaemonEvents::connect() {
  if (!config_.paths) {
    return "Cannot locate the backburner daemon: " + config_.paths_error +
           ". Set HOME or BACKBURNER_HOME in this MCP server's environment.";
  }
  ConnectFailure why = ConnectFailure::other;
  auto t = connect_client_transport(config_.paths->socket, &why);
  if (std::holds_alternative<std::string>(t) && why == ConnectFailure::nothing_listens) {
    // Start the daemon through the shared autostart (its connection is not needed).
    auto started = connect_or_start_daemon(*config_.paths, config_.autostart);
    if (auto* msg = std::get_if<std::string>(&started))
      return "Could not reach the backburner daemon: " + *msg + ".";
    t = connect_client_transport(config_.paths->socket, &why);
  }
  if (auto* msg = std::get_if<std::string>(&t))
    return "Could not reach the backburner daemon: " + *msg + ".";
  auto transport = std::get<std::unique_ptr<ClientTransport>>(std::move(t));

  // The handshake, read here: the reader thread is not running (or is this thread).
  std::string buffer;
  auto exchange = [&](const char* id, const char* method,
                      const json& params) -> std::variant<json, std::string> {
    std::string error;
    const std::string line =
        dump({{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}}) + "\n";
    if (!transport->write_all(line, error)) return "cannot send to the daemon: " + error;
    const auto deadline = std::chrono::steady_clock::now() + kHandshakeTimeout;
    for (;;) {
      for (auto nl = buffer.find('\n'); nl != std::string::npos; nl = buffer.find('\n')) {
        json msg = json::parse(buffer.substr(0, nl), nullptr, false);
        buffer.erase(0, nl + 1);
        if (!msg.is_object()) continue;
        if (msg.value("id", json()) == id) {
          if (auto e = msg.find("error"); e != msg.end())
            return e->value("message", std::string("the daemon refused ") + method);
          return msg.value("result", json::object());
        }
        if (msg.contains("method")) dispatch(msg);
      }
      const auto left =
          std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::string("the daemon did not answer ") + method;
      switch (transport->read_some(buffer, left, error)) {
        case ClientTransport::Read::data:
          break;
        case ClientTransport::Read::timeout:
          return std::string("the daemon did not answer ") + method;
        case ClientTransport::Read::closed:
          return std::string("the daemon closed the connection");
        case ClientTransport::Read::failed:
          return "connection to the daemon failed: " + error;
      }
    }
  };

  auto hello = exchange("hello", proto::method::kHello, json(config_.hello));
  if (auto* e = std::get_if<std::string>(&hello))
    return "The backburner daemon's event stream could not be opened: " + *e + ".";
  proto::SubscribeParams sub;
  sub.all = true;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, _] : followed_) sub.task_ids.push_back(id);
  }
  sub.output = !sub.task_ids.empty();
  auto subscribed = exchange("subscribe", proto::method::kEventsSubscribe, json(sub));
  if (auto* e = std::get_if<std::string>(&subscribed))
    return "The backburner daemon's event stream could not be opened: " + *e + ".";

  std::lock_guard lock(mutex_);
  interrupt_ = transport->interrupt_handle();
  transport_ = std::move(transport);
  buffer_ = std::move(buffer);
  if (stopping_) interrupt_->fire();
  return std::nullopt;
}

void DaemonEvents::send_request(const char* method, const json& params) {
  // REQUIRES: mutex_ held. A failed write is noticed by the reader, which reconnects and
  // subscribes to everything followed then.
  if (!transport_) return;
  std::string error;
  const std::string line = dump({{"jsonrpc", "2.0"},
                                 {"id", "s" + std::to_string(next_id_++)},
                                 {"method", method},
                                 {"params", params}}) +
                           "\n";
  if (!transport_->write_all(line, error) && interrupt_) interrupt_->fire();
}

void DaemonEvents::follow_output(const std::string& task_id) {
  std::lock_guard lock(mutex_);
  if (followed_[task_id]++ > 0) return;
  proto::SubscribeParams sub;
  sub.task_ids = {task_id};
  sub.output = true;
  send_request(proto::method::kEventsSubscribe, json(sub));
}

void DaemonEvents::unfollow_output(const std::string& task_id) {
  std::lock_guard lock(mutex_);
  auto it = followed_.find(task_id);
  if (it == followed_.end() || --it->second > 0) return;
  followed_.erase(it);
  proto::SubscribeParams sub;
  sub.task_ids = {task_id};
  send_request(proto::method::kEventsUnsubscribe, json(sub));
}

void DaemonEvents::dispatch(const json& message) {
  if (message.value("method", std::string()) != proto::method::kEvent || !handler_) return;
  try {
    handler_(message.at("params").get<proto::Event>());
  } catch (const std::exception&) {
    // An event this shim cannot read (a newer daemon's kind): ignored, as unknown fields are.
  } catch (const proto::ParamsError&) {
  }
}

void DaemonEvents::run() {
  milliseconds backoff = kFirstBackoff;
  for (;;) {
    ClientTransport* transport = nullptr;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      transport = transport_.get();
    }
    if (transport != nullptr) {
      // Read until the stream breaks. Only this thread reads or replaces the transport.
      for (;;) {
        for (auto nl = buffer_.find('\n'); nl != std::string::npos; nl = buffer_.find('\n')) {
          json msg = json::parse(buffer_.substr(0, nl), nullptr, false);
          buffer_.erase(0, nl + 1);
          if (msg.is_object() && !msg.contains("id")) dispatch(msg);
        }
        std::string error;
        if (transport->read_some(buffer_, std::nullopt, error) != ClientTransport::Read::data)
          break;
      }
      std::lock_guard lock(mutex_);
      transport_.reset();
      interrupt_.reset();
      buffer_.clear();
      if (stopping_) return;
    }
    if (auto error = connect()) {
      std::unique_lock lock(mutex_);
      cv_.wait_for(lock, backoff, [&] { return stopping_; });
      backoff = std::min(backoff * 2, kMaxBackoff);
      continue;
    }
    backoff = kFirstBackoff;
    proto::Event resync;
    resync.kind = "resync";
    if (handler_) handler_(resync);
  }
}

}  // namespace bb::shim
