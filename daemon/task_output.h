// task.output: a task's log read the ways clients need it, never loading it whole. Modes: the
// last lines (tail), the first lines (head), a byte range (offset), what this reader has not
// read yet (since_last_read, the reader's cursor kept in the store), and matching lines (grep,
// scanned in bounded steps on the daemon's loop so that other clients are served meanwhile).
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "failure.h"
#include "protocol.h"
#include "task_manager.h"

namespace boost::asio {
class io_context;
}

namespace bb {

class WorkerPool;

class OutputService {
 public:
  OutputService(boost::asio::io_context& io, TaskManager& tasks, WorkerPool& workers);
  ~OutputService();

  using Done = std::function<void(Outcome<proto::OutputResult>)>;
  // Calls `done` once: at once for every mode but grep, which scans on a worker (worker_pool.h)
  // and answers when its scan ends. `owner` orders one connection's greps.
  void read(const proto::OutputParams& params, const void* owner, Done done);

  // How long one grep may scan before it answers with what it found so far (grep_complete
  // false, scanned_to saying where to go on).
  static constexpr std::chrono::milliseconds kGrepTimeBudget{10000};

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bb
