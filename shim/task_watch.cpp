#include "task_watch.h"

namespace bb::shim {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

TaskWatch::TaskWatch(EventSource& events, DaemonPort& daemon, std::chrono::milliseconds interval)
    : events_(events), daemon_(daemon), interval_(interval) {}

TaskWatch::~TaskWatch() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cancel_.cancel();
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::variant<std::uint64_t, std::string> TaskWatch::watch(const std::string& task_id,
                                                          WatchCallbacks cb) {
  if (auto error = events_.start([this](const proto::Event& e) { on_event(e); })) return *error;
  const bool follow = cb.output || cb.progress;
  std::uint64_t id = 0;
  {
    std::lock_guard lock(mutex_);
    id = next_id_++;
    entries_.emplace(id, Entry{task_id, std::make_shared<const WatchCallbacks>(std::move(cb))});
    if (!thread_.joinable()) thread_ = std::thread(&TaskWatch::refresher, this);
    schedule(task_id, true);
  }
  if (follow) events_.follow_output(task_id);
  cv_.notify_all();
  return id;
}

void TaskWatch::unwatch(std::uint64_t id) {
  std::lock_guard dispatching(dispatch_mutex_);
  std::string task_id;
  bool followed = false;
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(id);
    if (it == entries_.end()) return;
    task_id = it->second.task_id;
    followed = it->second.cb->output || it->second.cb->progress;
    entries_.erase(it);
  }
  if (followed) events_.unfollow_output(task_id);
}

std::vector<std::shared_ptr<const WatchCallbacks>> TaskWatch::watchers_of(
    const std::string& task_id) {
  std::vector<std::shared_ptr<const WatchCallbacks>> out;
  std::lock_guard lock(mutex_);
  for (const auto& [_, e] : entries_)
    if (e.task_id == task_id) out.push_back(e.cb);
  return out;
}

void TaskWatch::schedule(const std::string& task_id, bool now) {
  auto when = Clock::now();
  if (!now) {
    if (auto last = last_fetch_.find(task_id); last != last_fetch_.end())
      when = std::max(when, last->second + interval_);
  }
  auto [it, fresh] = due_.emplace(task_id, when);
  if (!fresh && when < it->second) it->second = when;
}

void TaskWatch::on_event(const proto::Event& e) {
  if (e.kind == "resync") {
    {
      std::lock_guard lock(mutex_);
      for (const auto& [_, entry] : entries_) schedule(entry.task_id, true);
    }
    cv_.notify_all();
    return;
  }
  const std::string id = e.task ? e.task->task_id : e.task_id.value_or("");
  if (id.empty()) return;
  std::lock_guard dispatching(dispatch_mutex_);
  const auto watchers = watchers_of(id);
  if (e.kind == "task" && e.task) {
    for (const auto& w : watchers)
      if (w->on_task) w->on_task(*e.task);
  } else if (e.kind == "output") {
    bool refresh = false;
    for (const auto& w : watchers) {
      if (w->output && w->on_output) w->on_output(e.output_bytes.value_or(0));
      refresh = refresh || w->progress;
    }
    if (refresh) {
      {
        std::lock_guard lock(mutex_);
        schedule(id, false);
      }
      cv_.notify_all();
    }
  } else if (e.kind == "removed") {
    for (const auto& w : watchers)
      if (w->on_removed) w->on_removed();
  }
}

void TaskWatch::fetch(const std::string& task_id) {
  auto outcome = daemon_.call(proto::method::kTaskGet, json(proto::TaskIdParams{task_id}),
                              std::chrono::milliseconds(30000), cancel_);
  if (auto* error = std::get_if<RpcError>(&outcome)) {
    if (error->code == proto::error::kTaskNotFound) {
      std::lock_guard dispatching(dispatch_mutex_);
      for (const auto& w : watchers_of(task_id))
        if (w->on_removed) w->on_removed();
    }
    return;  // a transport failure: the stream's resync will fetch again
  }
  proto::TaskView view;
  try {
    view = std::get<json>(outcome).get<proto::TaskView>();
  } catch (...) {
    return;
  }
  std::lock_guard dispatching(dispatch_mutex_);
  for (const auto& w : watchers_of(task_id))
    if (w->on_task) w->on_task(view);
}

void TaskWatch::refresher() {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (stopping_) return;
    if (due_.empty()) {
      cv_.wait(lock);
      continue;
    }
    auto next = due_.begin();
    for (auto it = due_.begin(); it != due_.end(); ++it)
      if (it->second < next->second) next = it;
    if (next->second > Clock::now()) {
      cv_.wait_until(lock, next->second);
      continue;
    }
    const std::string task_id = next->first;
    due_.erase(next);
    last_fetch_[task_id] = Clock::now();
    bool watched = false;
    for (const auto& [_, e] : entries_) watched = watched || e.task_id == task_id;
    if (!watched) {
      last_fetch_.erase(task_id);
      continue;
    }
    lock.unlock();
    fetch(task_id);
    lock.lock();
  }
}

}  // namespace bb::shim
