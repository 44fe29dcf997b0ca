// Wakes the daemon when a task's log is written to, for event subscribers that follow output.
// Only tasks someone follows are watched, and an idle log costs nothing. Platform part:
// output_watcher_<platform>.cpp (Linux: one inotify descriptor in the Asio reactor).
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

namespace boost::asio {
class io_context;
}

namespace bb {

class OutputWatcher {
 public:
  virtual ~OutputWatcher() = default;
  // Calls on_write (on the Asio thread) after writes to task_dir/output.log. False if the
  // directory cannot be watched (the subscriber then learns of output only with the task's end).
  virtual bool watch(const std::string& task_id, const std::filesystem::path& task_dir,
                     std::function<void()> on_write) = 0;
  virtual void unwatch(const std::string& task_id) = 0;
};

std::unique_ptr<OutputWatcher> make_output_watcher(boost::asio::io_context& io);

}  // namespace bb
