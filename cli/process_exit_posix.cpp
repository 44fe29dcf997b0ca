#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <fstream>
#include <string>
#include <thread>

#include "process_exit.h"

namespace bb::cli {

namespace {

// Linux reports a zombie (exited, not yet reaped by its parent) as a process; it is gone for us.
bool alive(pid_t pid) {
  if (::kill(pid, 0) != 0 && errno == ESRCH) return false;
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(f, stat)) return true;  // no /proc: trust kill()
  const auto rp = stat.rfind(')');
  return rp == std::string::npos || rp + 2 >= stat.size() || stat[rp + 2] != 'Z';
}

}  // namespace

bool wait_for_process_exit(std::int64_t pid64, std::chrono::milliseconds timeout) {
  const auto pid = static_cast<pid_t>(pid64);
  if (pid <= 0) return true;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
#ifdef SYS_pidfd_open
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd >= 0) {
    pollfd p{pidfd, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(timeout.count()));
    ::close(pidfd);
    if (r > 0) return true;
    return !alive(pid);
  }
  if (errno == ESRCH) return true;
#endif
  while (alive(pid)) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace bb::cli
