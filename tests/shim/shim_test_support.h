// Test doubles for the shim's unit tests: a scriptable fake daemon, an output sink that records
// every line, and helpers that build MCP requests of either era.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "daemon_events.h"
#include "mcp_server.h"
#include "protocol.h"
#include "task_watch.h"
#include "tools.h"

namespace bb::shim::test {

using nlohmann::json;

// Records every daemon call and answers through `handler` (default: an empty object).
class FakeDaemon final : public DaemonPort {
 public:
  struct Call {
    std::string method;
    json params;
    std::chrono::milliseconds timeout;
  };
  using Handler =
      std::function<CallOutcome(const std::string& method, const json& params, CancelToken&)>;

  Handler handler = [](const std::string&, const json&, CancelToken&) -> CallOutcome {
    return json::object();
  };

  CallOutcome call(std::string_view method, const json& params, std::chrono::milliseconds timeout,
                   CancelToken& cancel) override {
    {
      std::lock_guard lock(mutex_);
      calls_.push_back({std::string(method), params, timeout});
    }
    cv_.notify_all();
    return handler(std::string(method), params, cancel);
  }

  std::vector<Call> calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  // Blocks until at least n calls were made (bounded; a timeout fails the test).
  void wait_for_calls(std::size_t n) {
    std::unique_lock lock(mutex_);
    const bool ok =
        cv_.wait_for(lock, std::chrono::seconds(10), [&] { return calls_.size() >= n; });
    ASSERT_TRUE(ok) << "the fake daemon saw " << calls_.size() << " calls, expected " << n;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Call> calls_;
};

// A daemon handler that blocks until the call is cancelled, then fails like a shut-down socket.
inline CallOutcome block_until_cancelled(CancelToken& cancel) {
  std::mutex m;
  std::condition_variable cv;
  bool woken = false;
  cancel.set_hook([&] {
    std::lock_guard lock(m);
    woken = true;
    cv.notify_all();
  });
  {
    std::unique_lock lock(m);
    cv.wait_for(lock, std::chrono::seconds(30), [&] { return woken; });
  }
  cancel.clear_hook();
  return RpcError{kTransportError, "the daemon closed the connection", nullptr};
}

// An event stream the test feeds by hand: push() delivers an event as the daemon would.
class FakeEvents final : public EventSource {
 public:
  std::optional<std::string> start(Handler handler) override {
    std::lock_guard lock(mutex_);
    if (fail) return "the daemon cannot be reached";
    if (!handler_) handler_ = std::move(handler);
    return std::nullopt;
  }
  void follow_output(const std::string& task_id) override {
    std::lock_guard lock(mutex_);
    ++followed_[task_id];
  }
  void unfollow_output(const std::string& task_id) override {
    std::lock_guard lock(mutex_);
    if (--followed_[task_id] == 0) followed_.erase(task_id);
  }
  void push(const proto::Event& e) {
    Handler h;
    {
      std::lock_guard lock(mutex_);
      h = handler_;
    }
    if (h) h(e);
  }
  void push_task(const proto::TaskView& t) {
    proto::Event e;
    e.kind = "task";
    e.task = t;
    push(e);
  }
  void push_output(const std::string& id, std::uint64_t bytes) {
    proto::Event e;
    e.kind = "output";
    e.task_id = id;
    e.output_bytes = bytes;
    push(e);
  }
  bool started() const {
    std::lock_guard lock(mutex_);
    return static_cast<bool>(handler_);
  }
  int followers(const std::string& id) const {
    std::lock_guard lock(mutex_);
    auto it = followed_.find(id);
    return it == followed_.end() ? 0 : it->second;
  }
  bool fail = false;

 private:
  mutable std::mutex mutex_;
  Handler handler_;
  std::map<std::string, int> followed_;
};

class CaptureSink final : public OutputSink {
 public:
  void write_line(const std::string& line) override {
    {
      std::lock_guard lock(mutex_);
      lines_.push_back(line);
    }
    cv_.notify_all();
  }
  std::vector<json> messages() const {
    std::lock_guard lock(mutex_);
    std::vector<json> out;
    for (const auto& l : lines_) out.push_back(json::parse(l));
    return out;
  }
  void clear() {
    std::lock_guard lock(mutex_);
    lines_.clear();
  }
  std::vector<std::string> lines() const {
    std::lock_guard lock(mutex_);
    return lines_;
  }
  // Waits (bounded) until a notification with this method satisfying `pred` was written.
  json notification(const std::string& method,
                    const std::function<bool(const json&)>& pred = nullptr) {
    std::unique_lock lock(mutex_);
    json found;
    const bool ok = cv_.wait_for(lock, std::chrono::seconds(10), [&] {
      for (const auto& l : lines_) {
        auto m = json::parse(l);
        if (m.value("method", "") == method && (!pred || pred(m["params"]))) {
          found = m;
          return true;
        }
      }
      return false;
    });
    EXPECT_TRUE(ok) << "no " << method << " notification";
    return found;
  }
  std::vector<json> notifications(const std::string& method) const {
    std::vector<json> out;
    for (const auto& m : messages())
      if (m.value("method", "") == method) out.push_back(m["params"]);
    return out;
  }
  // Waits (bounded) until a message with this id was written, and returns it.
  json response(const json& id) {
    std::unique_lock lock(mutex_);
    json found;
    const bool ok = cv_.wait_for(lock, std::chrono::seconds(10), [&] {
      for (const auto& l : lines_) {
        auto m = json::parse(l);
        if (m.contains("id") && m["id"] == id) {
          found = m;
          return true;
        }
      }
      return false;
    });
    EXPECT_TRUE(ok) << "no response with id " << id.dump();
    return found;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::string> lines_;
};

inline json modern_meta() {
  return {{"io.modelcontextprotocol/protocolVersion", "2026-07-28"},
          {"io.modelcontextprotocol/clientCapabilities", json::object()}};
}

inline std::string request(const json& id, const std::string& method,
                           json params = json::object()) {
  return json{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}}
      .dump();
}

inline std::string modern_request(const json& id, const std::string& method,
                                  json params = json::object()) {
  params["_meta"] = modern_meta();
  return request(id, method, std::move(params));
}

inline std::string initialize_request(const json& id, const std::string& version) {
  return request(id, "initialize",
                 {{"protocolVersion", version},
                  {"capabilities", json::object()},
                  {"clientInfo", {{"name", "test-client"}, {"version", "1"}}}});
}

inline proto::TaskView sample_task(const std::string& id = "t1",
                                   proto::Status status = proto::Status::working) {
  proto::TaskView t;
  t.task_id = id;
  t.command = "make test";
  t.cwd = "/work";
  t.status = status;
  t.created_at = "2026-11-24T10:30:00.123Z";
  t.started_at = "2026-11-24T10:30:00.130Z";
  if (status == proto::Status::working) {
    t.running_for_seconds = 1.5;
    t.pid = 4242;
  } else {
    t.finished_at = "2026-11-24T10:31:00.000Z";
    t.duration_seconds = 60;
    if (status == proto::Status::completed || status == proto::Status::failed) {
      t.exit_code = status == proto::Status::completed ? 0 : 2;
    }
  }
  t.output_bytes = 12;
  t.client = {"backburner-mcp", "0.1.0"};
  return t;
}

// A server over a fake daemon, legacy-initialized unless told otherwise.
struct ShimHarness {
  explicit ShimHarness(bool initialize = true,
                       std::chrono::milliseconds wait_slice = std::chrono::milliseconds(5000))
      : ShimHarness(make_config(wait_slice), initialize) {}

  ShimHarness(ToolsConfig config, bool initialize)
      : watch(events, daemon, std::chrono::milliseconds(50)),
        tools(ToolCatalog::embedded(), daemon, std::move(config)),
        server(ToolCatalog::embedded(), tools, watch, sink,
               ServerOptions{"9.9.9", 64, 1 << 20, 1000}) {
    if (initialize) {
      server.handle_line(initialize_request("init", "2025-11-25"));
      server.handle_line(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
    }
  }

  static ToolsConfig make_config(std::chrono::milliseconds wait_slice) {
    ToolsConfig c;
    c.cwd = std::filesystem::temp_directory_path();
    c.env = {{"PATH", "/usr/bin:/bin"}, {"HOME", "/home/tester"}};
    c.home = std::filesystem::temp_directory_path();
    c.wait_slice = wait_slice;
    return c;
  }

  // Sends tools/call and waits for its response.
  json call_tool(const std::string& name, const json& args, const json& id = 100) {
    server.handle_line(request(id, "tools/call", {{"name", name}, {"arguments", args}}));
    return sink.response(id);
  }

  FakeDaemon daemon;
  FakeEvents events;
  TaskWatch watch;
  CaptureSink sink;
  Tools tools;
  McpServer server;
};

}  // namespace bb::shim::test
