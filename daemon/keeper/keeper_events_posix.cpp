#include "keeper_events_posix.h"

#include <cerrno>
#include <csignal>
#include <cstring>

#include <poll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

namespace bb::keeper {

namespace {
std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }
}  // namespace

std::variant<EventSource, std::string> EventSource::open(std::optional<std::int64_t> deadline_ms) {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGCHLD, SIGUSR1, SIGTERM, SIGINT, SIGHUP}) sigaddset(&set, sig);
  if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0) return errno_text("sigprocmask");
  // Ignored dispositions survive exec. An ignored SIGCHLD makes the kernel reap children by
  // itself, so the shell's status would be lost; and POSIX does not promise that an ignored
  // signal is queued even while blocked (Linux does). Whatever the starter left (nohup, a
  // shell), take the defaults back; the signals are blocked, so no default action can fire.
  for (int sig : {SIGCHLD, SIGUSR1, SIGTERM, SIGINT, SIGHUP}) std::signal(sig, SIG_DFL);
  int sfd = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) return errno_text("signalfd");
  int tfd = -1;
  if (deadline_ms) {
    tfd = ::timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC | TFD_NONBLOCK);
    if (tfd < 0) {
      std::string err = errno_text("timerfd_create");
      ::close(sfd);
      return err;
    }
    itimerspec spec{};
    if (*deadline_ms > 0) {
      spec.it_value.tv_sec = static_cast<time_t>(*deadline_ms / 1000);
      spec.it_value.tv_nsec = static_cast<long>(*deadline_ms % 1000) * 1000000L;
    } else {
      spec.it_value.tv_nsec = 1;  // all zero would disarm the timer; this is long past
    }
    if (::timerfd_settime(tfd, TFD_TIMER_ABSTIME, &spec, nullptr) != 0) {
      std::string err = errno_text("timerfd_settime");
      ::close(tfd);
      ::close(sfd);
      return err;
    }
  }
  return EventSource(sfd, tfd);
}

EventSource::EventSource(EventSource&& other) noexcept
    : signal_fd_(other.signal_fd_), timer_fd_(other.timer_fd_) {
  other.signal_fd_ = -1;
  other.timer_fd_ = -1;
}

EventSource::~EventSource() {
  if (signal_fd_ >= 0) ::close(signal_fd_);
  if (timer_fd_ >= 0) ::close(timer_fd_);
}

Events EventSource::wait(int timeout_ms) {
  pollfd fds[2] = {{signal_fd_, POLLIN, 0}, {timer_fd_, POLLIN, 0}};
  const nfds_t n = timer_fd_ >= 0 ? 2 : 1;
  // Every handled signal is blocked, so poll is never interrupted by one of ours; EINTR could
  // only come from a stop/continue, after which the caller simply waits again.
  Events ev;
  if (::poll(fds, n, timeout_ms) <= 0) return ev;
  signalfd_siginfo si;
  while (::read(signal_fd_, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
    switch (static_cast<int>(si.ssi_signo)) {
      case SIGCHLD:
        ev.child = true;
        break;
      case SIGUSR1:
        ev.cancel = true;
        break;
      default:
        if (ev.stop_signal == 0) ev.stop_signal = static_cast<int>(si.ssi_signo);
    }
  }
  std::uint64_t expirations = 0;
  if (timer_fd_ >= 0 && ::read(timer_fd_, &expirations, sizeof expirations) > 0 && expirations > 0)
    ev.deadline = true;
  return ev;
}

}  // namespace bb::keeper
