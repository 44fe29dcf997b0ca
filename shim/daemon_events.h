// The daemon's event stream as the shim uses it: one connection, subscribed to every task's
// state changes (events.subscribe {all: true}) and to the output growth of the tasks someone in
// the shim follows. The daemon pushes; nothing here polls, and an idle stream costs the daemon
// nothing (no timer, no wake-up).
//
// Threads: start() connects on the caller's thread; then one reader thread of the source's own
// owns the reading side and calls the handler for every event. follow_output() and
// unfollow_output() write subscription changes from any thread (writes are serialised; the
// answers are read by the reader thread and not waited for). When the connection breaks (the
// daemon died or restarted), the reader reconnects, starting the daemon if needed, and hands
// the handler a {"kind": "resync"} event: anything may have happened meanwhile. Reconnecting
// after a failure backs off (0.5 s doubling to 30 s); only a broken stream arms that timer.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "client_transport.h"
#include "daemon_autostart.h"
#include "protocol.h"
#include "state_paths.h"

namespace bb::shim {

class EventSource {
 public:
  virtual ~EventSource() = default;
  using Handler = std::function<void(const proto::Event&)>;
  // Connects and subscribes (once; later calls return at once). Events go to `handler` (only
  // the first call's) on the source's thread. The error says why the daemon cannot be reached.
  virtual std::optional<std::string> start(Handler handler) = 0;
  // Also report the output growth of this task; counted: unfollow as often as followed.
  virtual void follow_output(const std::string& task_id) = 0;
  virtual void unfollow_output(const std::string& task_id) = 0;
};

struct DaemonEventsConfig {
  std::optional<StatePaths> paths;
  std::string paths_error;
  proto::HelloParams hello;
  AutostartOptions autostart;
};

class DaemonEvents final : public EventSource {
 public:
  explicit DaemonEvents(DaemonEventsConfig config);
  ~DaemonEvents() override;  // closes the stream and joins its thread

  std::optional<std::string> start(Handler handler) override;
  void follow_output(const std::string& task_id) override;
  void unfollow_output(const std::string& task_id) override;

 private:
  // Connects, says hello and subscribes to everything wanted now. Reader thread or start().
  std::optional<std::string> connect();
  void run();  // the reader thread
  void send_request(const char* method, const nlohmann::json& params);
  void dispatch(const nlohmann::json& message);

  DaemonEventsConfig config_;
  Handler handler_;
  std::mutex mutex_;  // guards everything below but the transport's reading side
  std::condition_variable cv_;
  std::unique_ptr<ClientTransport> transport_;  // null while disconnected
  std::shared_ptr<ConnectionInterrupt> interrupt_;
  std::string buffer_;  // read side; the reader thread's (and connect()'s, before it runs)
  std::map<std::string, int> followed_;  // task id -> how many follow its output
  std::int64_t next_id_ = 1;
  bool started_ = false;
  bool stopping_ = false;
  std::thread reader_;
};

}  // namespace bb::shim
