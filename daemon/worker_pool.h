// A few worker threads for CPU-bound work on what clients send: matching a command against
// command policies, grepping a log. Regular expressions from clients are linear-time (RE2), but
// a crafted one can still cost seconds on a large input; on a worker that cost falls on the
// client that asked, never on the daemon's one Asio thread that serves everyone else.
//
// Threads: a job runs on a worker and may touch only what it owns or co-owns (values it was
// given, shared_ptrs to immutable things such as a compiled policy, a log file it opened); its
// result is handed to `done` on the Asio thread, which alone touches the daemon's state. Jobs of
// one owner (a connection) run one at a time, in order, so one client can occupy at most one
// worker however many requests it sends. Idle workers sleep on a condition variable: nothing
// wakes while nothing is asked.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

namespace bb {

class WorkerPool {
 public:
  WorkerPool(boost::asio::io_context& io, int threads);
  // Waits for the jobs that are running; drops the queued ones (their `done` is never called).
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Runs `work` on a worker after the owner's earlier jobs, then `done(result)` on the Asio
  // thread. `owner` is any stable key (a connection's address).
  template <typename R>
  void submit(const void* owner, std::function<R()> work, std::function<void(R)> done) {
    enqueue(owner, [this, work = std::move(work), done = std::move(done)]() mutable {
      auto result = std::make_shared<R>(work());
      boost::asio::post(io_, [done = std::move(done), result] { done(std::move(*result)); });
    });
  }

  std::size_t queued() const;

 private:
  void enqueue(const void* owner, std::function<void()> job);
  void run();

  boost::asio::io_context& io_;
  mutable std::mutex mutex_;  // guards everything below
  std::condition_variable wake_;
  bool stopping_ = false;
  // Per owner, its jobs in order; `busy` owners have one running.
  struct Queue {
    std::deque<std::function<void()>> jobs;
    bool busy = false;
  };
  std::map<const void*, Queue> queues_;
  std::deque<const void*> ready_;  // owners with a job to run and none running, in order
  std::vector<std::thread> threads_;
};

}  // namespace bb
