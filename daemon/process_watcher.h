// Tells the daemon when a keeper exits, without polling, and signals keepers. Platform part:
// process_watcher_<platform>.cpp (Linux: one pidfd per keeper in the Asio reactor). Works for
// the daemon's own children (which it also reaps) and for keepers adopted from an earlier
// daemon (which are not its children).
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>

#include "process_identity.h"

namespace boost::asio {
class io_context;
}

namespace bb {

class ProcessWatcher {
 public:
  virtual ~ProcessWatcher() = default;
  // Called once the process has exited, with its exit status when the daemon could learn it
  // (it was the daemon's own child and exited normally); nullopt otherwise.
  using OnExit = std::function<void(std::optional<int> exit_status)>;
  enum class Watch {
    watching,  // on_exit will be called (on the Asio thread) once the process has exited
    gone,      // already gone, or the pid now names another process: nothing will be called
    failed,    // could not tell (e.g. out of file descriptors): try again later
  };
  virtual Watch watch(const ProcessIdentity& id, OnExit on_exit) = 0;
  // Asks a keeper to cancel its task (it runs the kill ladder, records `cancelled`, exits).
  // False if that keeper is gone.
  virtual bool request_cancel(const ProcessIdentity& keeper) = 0;
  // Asks a keeper to close its task's stdin (end of input). False if that keeper is gone.
  virtual bool request_stdin_close(const ProcessIdentity& keeper) = 0;
  // SIGKILLs the process group led by `leader`, if the leader is still that process. For the
  // remains of a task whose keeper vanished.
  virtual void kill_orphaned_group(const ProcessIdentity& leader) = 0;
  // True if that process (pid and start time) still exists.
  virtual bool alive(const ProcessIdentity& id) = 0;

  // What a task directory's keeper lock (keeper_files.h) says.
  enum class Lock {
    held,    // a keeper lives (perhaps one that has not recorded itself anywhere yet)
    free,    // no keeper lives, and none can start again for this task
    absent,  // no lock file: a task from before locks existed; ask alive() instead
  };
  virtual Lock keeper_lock(const std::filesystem::path& task_dir) = 0;
};

std::unique_ptr<ProcessWatcher> make_process_watcher(boost::asio::io_context& io);

}  // namespace bb
