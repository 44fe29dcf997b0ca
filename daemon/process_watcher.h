// Tells the daemon when a keeper exits, without polling: one pidfd per keeper in the Asio
// reactor. Works for the daemon's own children (which it also reaps) and for keepers adopted
// from an earlier daemon (which are not its children).
#pragma once

#include <functional>

#include "process_identity.h"

namespace boost::asio {
class io_context;
}

namespace bb {

class ProcessWatcher {
 public:
  virtual ~ProcessWatcher() = default;
  enum class Watch {
    watching,  // on_exit will be called (on the Asio thread) once the process has exited
    gone,      // already gone, or the pid now names another process: nothing will be called
    failed,    // could not tell (e.g. out of file descriptors): try again later
  };
  virtual Watch watch(const ProcessIdentity& id, std::function<void()> on_exit) = 0;
  // Asks a keeper to cancel its task (it runs the kill ladder, records `cancelled`, exits).
  // False if that keeper is gone.
  virtual bool request_cancel(const ProcessIdentity& keeper) = 0;
  // SIGKILLs the process group led by `leader`, if the leader is still that process. For the
  // remains of a task whose keeper vanished.
  virtual void kill_orphaned_group(const ProcessIdentity& leader) = 0;
  // True if that process (pid and start time) still exists.
  virtual bool alive(const ProcessIdentity& id) = 0;
};

class PidfdWatcher final : public ProcessWatcher {
 public:
  explicit PidfdWatcher(boost::asio::io_context& io) : io_(io) {}
  Watch watch(const ProcessIdentity& id, std::function<void()> on_exit) override;
  bool request_cancel(const ProcessIdentity& keeper) override;
  void kill_orphaned_group(const ProcessIdentity& leader) override;
  bool alive(const ProcessIdentity& id) override { return is_alive(id); }

 private:
  boost::asio::io_context& io_;
};

}  // namespace bb
