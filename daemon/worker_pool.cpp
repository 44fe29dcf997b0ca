#include "worker_pool.h"

namespace bb {

WorkerPool::WorkerPool(boost::asio::io_context& io, int threads) : io_(io) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_) t.join();
}

std::size_t WorkerPool::queued() const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& [owner, q] : queues_) n += q.jobs.size();
  return n;
}

void WorkerPool::enqueue(const void* owner, std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    Queue& q = queues_[owner];
    q.jobs.push_back(std::move(job));
    if (!q.busy && q.jobs.size() == 1) ready_.push_back(owner);
  }
  wake_.notify_one();
}

void WorkerPool::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !ready_.empty(); });
    if (stopping_) return;
    const void* owner = ready_.front();
    ready_.pop_front();
    Queue& q = queues_[owner];
    auto job = std::move(q.jobs.front());
    q.jobs.pop_front();
    q.busy = true;
    lock.unlock();
    job();
    lock.lock();
    Queue& after = queues_[owner];
    after.busy = false;
    if (after.jobs.empty())
      queues_.erase(owner);
    else
      ready_.push_back(owner);
  }
}

}  // namespace bb
