#include "process_watcher.h"

#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cerrno>
#include <csignal>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "keeper_files.h"

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

// Reaps the process if it is our child (an adopted keeper is not: ECHILD). Its exit status
// when it exited normally.
std::optional<int> reap(int pidfd) {
  siginfo_t si{};
  if (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), &si,
               WEXITED | WNOHANG) == 0 &&
      si.si_pid != 0 && si.si_code == CLD_EXITED)
    return si.si_status;
  return std::nullopt;
}

class PidfdWatcher final : public ProcessWatcher {
 public:
  explicit PidfdWatcher(boost::asio::io_context& io) : io_(io) {}

  Watch watch(const ProcessIdentity& id, OnExit on_exit) override {
    int fd = pidfd_open(static_cast<pid_t>(id.pid));
    // Only "no such process" means gone; EMFILE and the like say nothing about the keeper.
    if (fd < 0) return errno == ESRCH ? Watch::gone : Watch::failed;
    // The pidfd pins the process; if the start time still matches now, it is the one we meant.
    if (!is_alive(id)) {
      // Gone, or a zombie of ours that still needs reaping, or a reused pid.
      reap(fd);
      ::close(fd);
      return Watch::gone;
    }
    auto sd = std::make_shared<boost::asio::posix::stream_descriptor>(io_, fd);
    sd->async_wait(boost::asio::posix::stream_descriptor::wait_read,
                   [sd, cb = std::move(on_exit)](const boost::system::error_code& ec) {
                     if (ec == boost::asio::error::operation_aborted) return;
                     const auto status = reap(sd->native_handle());
                     sd->close();
                     cb(status);
                   });
    return Watch::watching;
  }

  bool request_cancel(const ProcessIdentity& keeper) override {
    return signal_identified(keeper, SIGUSR1);
  }

  bool request_stdin_close(const ProcessIdentity& keeper) override {
    return signal_identified(keeper, SIGUSR2);
  }

  void kill_orphaned_group(const ProcessIdentity& leader) override {
    int fd = pidfd_open(static_cast<pid_t>(leader.pid));
    if (fd < 0) return;
    if (is_alive(leader)) ::kill(-static_cast<pid_t>(leader.pid), SIGKILL);
    ::close(fd);
  }

  bool alive(const ProcessIdentity& id) override { return is_alive(id); }

  Lock keeper_lock(const std::filesystem::path& task_dir) override {
    const std::string path = (task_dir / keeper::kKeeperLock).string();
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return errno == ENOENT ? Lock::absent : Lock::held;  // unsure: assume alive
    // Only a keeper ever holds it for long; taking it (and dropping it at once) proves that
    // none does. A keeper never takes it anew, so "free" stays true.
    Lock state = Lock::free;
    if (::flock(fd, LOCK_SH | LOCK_NB) != 0) state = Lock::held;  // EWOULDBLOCK, or unsure
    ::close(fd);
    return state;
  }

 private:
  boost::asio::io_context& io_;
};

}  // namespace

std::unique_ptr<ProcessWatcher> make_process_watcher(boost::asio::io_context& io) {
  return std::make_unique<PidfdWatcher>(io);
}

}  // namespace bb
