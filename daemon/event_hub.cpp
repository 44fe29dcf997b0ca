#include "event_hub.h"

#include <boost/asio/io_context.hpp>

#include "keeper_files.h"
#include "quiet_timer.h"

namespace bb {

namespace fs = std::filesystem;

struct EventHub::Followed {
  explicit Followed(boost::asio::io_context& io) : window(io) {}
  QuietTimer window;
  bool open = false;        // a window is running: writes now are reported when it closes
  bool written = false;     // written to during the open window
};

EventHub::EventHub(boost::asio::io_context& io, TaskManager& tasks, OutputWatcher& watcher)
    : io_(io), tasks_(tasks), watcher_(watcher) {}

EventHub::~EventHub() {
  for (auto& [id, f] : followed_) watcher_.unwatch(id);
}

proto::SubscribeResult EventHub::subscribe(EventSink& sink, const proto::SubscribeParams& p) {
  Sub& sub = subs_[&sink];
  for (const auto& id : p.task_ids) {
    if (sub.tasks.size() >= proto::kMaxSubscribedTasks) break;
    sub.tasks.insert(id);
  }
  sub.all = sub.all || p.all;
  sub.output = sub.output || p.output;
  if (sub.output)
    for (const auto& id : sub.tasks)
      if (tasks_.is_live(id)) follow(id);
  return {sub.tasks.size(), sub.all, sub.output};
}

proto::SubscribeResult EventHub::unsubscribe(EventSink& sink,
                                             const std::vector<std::string>& task_ids) {
  auto it = subs_.find(&sink);
  if (it == subs_.end()) return {};
  Sub& sub = it->second;
  if (task_ids.empty()) {
    subs_.erase(it);
    unfollow_unwanted();
    return {};
  }
  for (const auto& id : task_ids) sub.tasks.erase(id);
  proto::SubscribeResult r{sub.tasks.size(), sub.all, sub.output};
  unfollow_unwanted();
  return r;
}

void EventHub::remove(EventSink& sink) {
  if (subs_.erase(&sink) > 0) unfollow_unwanted();
}

bool EventHub::wants_output(const std::string& task_id) const {
  for (const auto& [sink, sub] : subs_)
    if (sub.output && sub.tasks.count(task_id)) return true;
  return false;
}

void EventHub::follow(const std::string& task_id) {
  if (followed_.count(task_id)) return;
  auto f = std::make_unique<Followed>(io_);
  if (!watcher_.watch(task_id, task_dir(tasks_.paths(), task_id),
                      [this, task_id] { on_output(task_id); }))
    return;
  followed_.emplace(task_id, std::move(f));
}

void EventHub::unfollow_unwanted() {
  for (auto it = followed_.begin(); it != followed_.end();) {
    if (wants_output(it->first) && tasks_.is_live(it->first)) {
      ++it;
      continue;
    }
    watcher_.unwatch(it->first);
    it->second->window.cancel();
    it = followed_.erase(it);
  }
}

// A write: report it at once, then hold further reports for one window, so that a task writing
// without pause costs one event per window and a lone write is reported without delay.
void EventHub::on_output(const std::string& task_id) {
  auto it = followed_.find(task_id);
  if (it == followed_.end()) return;
  Followed& f = *it->second;
  if (f.open) {
    f.written = true;
    return;
  }
  emit_output(task_id);
  f.open = true;
  f.written = false;
  f.window.expires_after(kOutputWindow);
  f.window.async_wait([this, task_id](const boost::system::error_code& ec) {
    if (ec) return;
    auto found = followed_.find(task_id);
    if (found == followed_.end()) return;
    found->second->open = false;
    if (found->second->written) on_output(task_id);
  });
}

void EventHub::emit_output(const std::string& task_id) {
  proto::Event e;
  e.kind = "output";
  e.task_id = task_id;
  std::error_code ec;
  const auto size = fs::file_size(task_dir(tasks_.paths(), task_id) / keeper::kOutputFile, ec);
  e.output_bytes = ec ? 0 : static_cast<std::uint64_t>(size);
  for (auto& [sink, sub] : subs_)
    if (sub.output && sub.tasks.count(task_id)) send(*sink, sub, e);
}

void EventHub::task_changed(const proto::TaskView& task) {
  proto::Event e;
  e.kind = "task";
  e.task = task;
  for (auto& [sink, sub] : subs_) {
    if (!sub.all && !sub.tasks.count(task.task_id)) continue;
    send(*sink, sub, e);
  }
  if (proto::is_terminal(task.status)) {
    unfollow_unwanted();
  } else if (wants_output(task.task_id)) {
    follow(task.task_id);
  }
}

void EventHub::task_removed(const std::string& task_id) {
  proto::Event e;
  e.kind = "removed";
  e.task_id = task_id;
  for (auto& [sink, sub] : subs_) {
    if (!sub.all && !sub.tasks.count(task_id)) continue;
    send(*sink, sub, e);
    sub.tasks.erase(task_id);
  }
}

void EventHub::send(EventSink& sink, Sub& sub, const proto::Event& event) {
  if (sink.backlog() > kMaxBacklog) {
    sub.lagging = true;
    return;
  }
  if (sub.lagging) {
    sub.lagging = false;
    proto::Event resync;
    resync.kind = "resync";
    sink.push_event(resync);
  }
  sink.push_event(event);
}

}  // namespace bb
