// Follows tasks for the MCP layer: who in the shim wants to hear when a task changes (Tasks
// status notifications, progress on a task's progressToken, subscriptions/listen, resource
// subscriptions) registers a watch; the watch turns the daemon's events into callbacks.
//
// A watch first makes sure the event stream runs, then fetches the task's state once and hands
// it to on_task: so a change between the caller's own last look and the watch is never missed.
// After that: every state event of the task (start, end) goes to on_task; output growth goes to
// on_output for watches that want it, and, for watches that want progress, triggers a fresh
// task.get (at most one per task per refresh interval: the daemon parses progress when a task
// is read) whose view goes to on_task. A resync of the stream (the daemon restarted) fetches
// every watched task afresh. Nothing runs while nothing changes: the refresher thread sleeps
// until an event asks for a fetch.
//
// Callbacks run on the event thread or the refresher thread, never under the watch's lock: they
// may unwatch (their own watch included). A view may arrive twice or, from a fetch, be older
// than one already delivered; consumers compare (a terminal status never changes back).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <variant>

#include "cancel_token.h"
#include "daemon_events.h"
#include "tools.h"

namespace bb::shim {

struct WatchCallbacks {
  std::function<void(const proto::TaskView&)> on_task;
  std::function<void(std::uint64_t output_bytes)> on_output;  // when `output`
  std::function<void()> on_removed;                           // the task was pruned
  bool output = false;                                        // report output growth
  bool progress = false;  // refresh the view when output grows (its progress may have moved)
};

class TaskWatch {
 public:
  TaskWatch(EventSource& events, DaemonPort& daemon,
            std::chrono::milliseconds refresh_interval = std::chrono::milliseconds(1000));
  ~TaskWatch();  // stops the refresher; no callback runs after it returns
  TaskWatch(const TaskWatch&) = delete;
  TaskWatch& operator=(const TaskWatch&) = delete;

  // The watch's id, or why the daemon's events cannot be followed.
  std::variant<std::uint64_t, std::string> watch(const std::string& task_id, WatchCallbacks cb);
  void unwatch(std::uint64_t id);

 private:
  struct Entry {
    std::string task_id;
    std::shared_ptr<const WatchCallbacks> cb;
  };
  void on_event(const proto::Event& e);
  void schedule(const std::string& task_id, bool now);  // REQUIRES: mutex_ held
  void refresher();
  void fetch(const std::string& task_id);
  // REQUIRES: dispatch_mutex_ held while the callbacks returned are called.
  std::vector<std::shared_ptr<const WatchCallbacks>> watchers_of(const std::string& task_id);

  EventSource& events_;
  DaemonPort& daemon_;
  const std::chrono::milliseconds interval_;
  // Held while callbacks run (recursive: a callback may unwatch), and by unwatch(): once
  // unwatch() returns, that watch's callbacks are not running and never run again.
  std::recursive_mutex dispatch_mutex_;
  std::mutex mutex_;  // guards the members below
  std::condition_variable cv_;
  std::map<std::uint64_t, Entry> entries_;
  std::uint64_t next_id_ = 1;
  std::map<std::string, std::chrono::steady_clock::time_point> due_;
  std::map<std::string, std::chrono::steady_clock::time_point> last_fetch_;
  bool stopping_ = false;
  CancelToken cancel_;  // aborts a fetch in flight at destruction
  std::thread thread_;
};

}  // namespace bb::shim
