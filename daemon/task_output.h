// task.output: a task's log read the ways clients need it, never loading it whole. Modes: the
// last lines (tail), the first lines (head), a byte range (offset), what this reader has not
// read yet (since_last_read, the reader's cursor kept in the store), and matching lines (grep,
// scanned in bounded steps on the daemon's loop so that other clients are served meanwhile).
#pragma once

#include <functional>
#include <memory>

#include "failure.h"
#include "protocol.h"
#include "task_manager.h"

namespace boost::asio {
class io_context;
}

namespace bb {

class OutputService {
 public:
  OutputService(boost::asio::io_context& io, TaskManager& tasks);
  ~OutputService();

  using Done = std::function<void(Outcome<proto::OutputResult>)>;
  // Calls `done` once: at once for every mode but grep, which answers when its scan ends.
  void read(const proto::OutputParams& params, Done done);

  // Grep scans in flight (each is bounded; see log_grep.h).
  std::size_t scans_in_flight() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bb
