// The daemon's event stream: connections subscribe (events.subscribe) to task changes and,
// for the tasks they name, to output growth; the hub pushes one "event" notification per change
// to each subscriber. The shim turns them into MCP notifications, the CLI follows logs and waits
// with them, the dashboard updates live. Nothing runs while nothing changes: task changes come
// from the task manager as they happen, output growth from the OutputWatcher, and the only
// timer is each followed log's coalescing window, armed only while it is being written.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "output_watcher.h"
#include "protocol.h"
#include "task_manager.h"

namespace boost::asio {
class io_context;
}

namespace bb {

// Whoever receives events: a protocol connection (Session) or a dashboard stream.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void push_event(const proto::Event& event) = 0;
  // Bytes queued for this sink and not yet written out.
  virtual std::size_t backlog() const = 0;
};

class EventHub final : public TaskListener {
 public:
  // Output events of one log are at most this frequent (the rest coalesce into the next).
  static constexpr std::chrono::milliseconds kOutputWindow{20};
  // A subscriber this far behind in reading gets no more events until it catches up, then one
  // {"kind":"resync"} event: it should read the state it follows afresh.
  static constexpr std::size_t kMaxBacklog = 8u * 1024 * 1024;

  EventHub(boost::asio::io_context& io, TaskManager& tasks, OutputWatcher& watcher);
  ~EventHub() override;

  // Adds to what `sink` follows. The result says what it follows now.
  proto::SubscribeResult subscribe(EventSink& sink, const proto::SubscribeParams& params);
  // Drops the named tasks (all of them, and the all flag, when none are named).
  proto::SubscribeResult unsubscribe(EventSink& sink, const std::vector<std::string>& task_ids);
  // The sink is going away.
  void remove(EventSink& sink);

  // TaskListener
  void task_changed(const proto::TaskView& task) override;
  void task_removed(const std::string& task_id) override;

  std::size_t subscriber_count() const { return subs_.size(); }

 private:
  struct Sub {
    std::set<std::string> tasks;
    bool all = false;
    bool output = false;
    bool lagging = false;
  };
  struct Followed;  // a log being watched for its subscribers

  void send(EventSink& sink, Sub& sub, const proto::Event& event);
  void follow(const std::string& task_id);
  void unfollow_unwanted();
  void on_output(const std::string& task_id);
  void emit_output(const std::string& task_id);
  bool wants_output(const std::string& task_id) const;

  boost::asio::io_context& io_;
  TaskManager& tasks_;
  OutputWatcher& watcher_;
  std::map<EventSink*, Sub> subs_;
  std::map<std::string, std::unique_ptr<Followed>> followed_;
};

}  // namespace bb
