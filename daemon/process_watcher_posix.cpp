#include "process_watcher.h"

#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cerrno>
#include <csignal>

#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace bb {

namespace {
int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

// Signals the process only if it is still the one identified: the pidfd pins it while the
// start time is checked, so a recycled pid is never hit.
bool signal_identified(const ProcessIdentity& id, int sig) {
  int fd = pidfd_open(static_cast<pid_t>(id.pid));
  if (fd < 0) return false;
  bool ok = is_alive(id) && ::syscall(SYS_pidfd_send_signal, fd, sig, nullptr, 0) == 0;
  ::close(fd);
  return ok;
}
}  // namespace

bool PidfdWatcher::request_cancel(const ProcessIdentity& keeper) {
  return signal_identified(keeper, SIGUSR1);
}

void PidfdWatcher::kill_orphaned_group(const ProcessIdentity& leader) {
  int fd = pidfd_open(static_cast<pid_t>(leader.pid));
  if (fd < 0) return;
  if (is_alive(leader)) ::kill(-static_cast<pid_t>(leader.pid), SIGKILL);
  ::close(fd);
}

ProcessWatcher::Watch PidfdWatcher::watch(const ProcessIdentity& id,
                                          std::function<void()> on_exit) {
  int fd = pidfd_open(static_cast<pid_t>(id.pid));
  // Only "no such process" means gone; EMFILE and the like say nothing about the keeper.
  if (fd < 0) return errno == ESRCH ? Watch::gone : Watch::failed;
  // The pidfd pins the process; if the start time still matches now, it is the one we meant.
  if (!is_alive(id)) {
    // Gone, or a zombie of ours that still needs reaping, or a reused pid.
    siginfo_t si{};
    ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(fd), &si, WEXITED | WNOHANG);
    ::close(fd);
    return Watch::gone;
  }
  auto sd = std::make_shared<boost::asio::posix::stream_descriptor>(io_, fd);
  sd->async_wait(boost::asio::posix::stream_descriptor::wait_read,
                 [sd, cb = std::move(on_exit)](const boost::system::error_code& ec) {
                   if (ec == boost::asio::error::operation_aborted) return;
                   // Reap it if it is our child; for an adopted keeper this fails with ECHILD.
                   siginfo_t si{};
                   ::waitid(static_cast<idtype_t>(P_PIDFD),
                            static_cast<id_t>(sd->native_handle()), &si, WEXITED | WNOHANG);
                   sd->close();
                   cb();
                 });
  return Watch::watching;
}

}  // namespace bb
