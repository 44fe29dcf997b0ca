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
  // Calls on_exit (on the Asio thread) once the process has exited. Returns false if the
  // process is already gone or is not the one identified (pid reused): nothing will be called.
  virtual bool watch(const ProcessIdentity& id, std::function<void()> on_exit) = 0;
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
  bool watch(const ProcessIdentity& id, std::function<void()> on_exit) override;
  bool request_cancel(const ProcessIdentity& keeper) override;
  void kill_orphaned_group(const ProcessIdentity& leader) override;
  bool alive(const ProcessIdentity& id) override { return is_alive(id); }

 private:
  boost::asio::io_context& io_;
};

}  // namespace bb
