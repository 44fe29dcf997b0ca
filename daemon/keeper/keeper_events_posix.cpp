#include "keeper_events_posix.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <utility>

#include <poll.h>
#include <sys/inotify.h>
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
  for (int sig : {SIGCHLD, SIGUSR1, SIGUSR2, SIGTERM, SIGINT, SIGHUP}) sigaddset(&set, sig);
  if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0) return errno_text("sigprocmask");
  // Ignored dispositions survive exec. An ignored SIGCHLD makes the kernel reap children by
  // itself, so the shell's status would be lost; and POSIX does not promise that an ignored
  // signal is queued even while blocked (Linux does). Whatever the starter left (nohup, a
  // shell), take the defaults back; the signals are blocked, so no default action can fire.
  for (int sig : {SIGCHLD, SIGUSR1, SIGUSR2, SIGTERM, SIGINT, SIGHUP}) std::signal(sig, SIG_DFL);
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
    : signal_fd_(other.signal_fd_),
      timer_fd_(other.timer_fd_),
      inotify_fd_(other.inotify_fd_),
      watched_(std::move(other.watched_)),
      watch_(other.watch_),
      cool_fd_(other.cool_fd_),
      cooling_(other.cooling_),
      cool_down_ms_(other.cool_down_ms_) {
  other.signal_fd_ = -1;
  other.timer_fd_ = -1;
  other.inotify_fd_ = -1;
  other.cool_fd_ = -1;
}

EventSource::~EventSource() {
  for (int fd : {signal_fd_, timer_fd_, inotify_fd_, cool_fd_})
    if (fd >= 0) ::close(fd);
}

namespace {
bool arm(int fd, int ms) {
  itimerspec spec{};
  spec.it_value.tv_sec = ms / 1000;
  spec.it_value.tv_nsec = static_cast<long>(ms % 1000) * 1000000L + 1;  // never all zero
  return ::timerfd_settime(fd, 0, &spec, nullptr) == 0;
}
}  // namespace

std::string EventSource::watch_writes(const std::string& file, int cool_down_ms,
                                      int start_after_ms) {
  cool_fd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  if (cool_fd_ < 0) return errno_text("timerfd_create");
  if (!arm(cool_fd_, start_after_ms)) {
    std::string err = errno_text("timerfd_settime");
    ::close(cool_fd_);
    cool_fd_ = -1;
    return err;
  }
  watched_ = file;
  cool_down_ms_ = cool_down_ms;
  cooling_ = true;  // the first "cool-down" is the wait before the watch starts
  return {};
}

std::string EventSource::start_watch() {
  inotify_fd_ = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (inotify_fd_ < 0) return errno_text("inotify_init1");
  watch_ = ::inotify_add_watch(inotify_fd_, watched_.c_str(), IN_MODIFY);
  if (watch_ < 0) {
    std::string err = errno_text("inotify_add_watch");
    ::close(inotify_fd_);
    inotify_fd_ = -1;
    return err;
  }
  return {};
}

void EventSource::stop_watching() {
  if (cool_fd_ >= 0) {
    ::close(cool_fd_);
    cool_fd_ = -1;
  }
  cooling_ = false;
  // Removing the watch now lets the kernel retire it in the background; the close at exit
  // then does not wait for that (it would, some 10 ms, with the watch still in place).
  if (inotify_fd_ >= 0 && watch_ >= 0) ::inotify_rm_watch(inotify_fd_, watch_);
  watch_ = -1;
}

Events EventSource::wait(int timeout_ms) {
  // poll ignores entries with a negative fd. While cooling down the inotify fd is left out:
  // further writes merge into one queued event that is read once the cool-down ends.
  pollfd fds[4] = {{signal_fd_, POLLIN, 0},
                   {timer_fd_, POLLIN, 0},
                   {cooling_ ? -1 : inotify_fd_, POLLIN, 0},
                   {cooling_ ? cool_fd_ : -1, POLLIN, 0}};
  // Every handled signal is blocked, so poll is never interrupted by one of ours; EINTR could
  // only come from a stop/continue, after which the caller simply waits again.
  Events ev;
  if (::poll(fds, 4, timeout_ms) <= 0) return ev;
  if (fds[3].revents != 0) {
    std::uint64_t n = 0;
    (void)!::read(cool_fd_, &n, sizeof n);
    cooling_ = false;
    if (inotify_fd_ < 0 && !watched_.empty()) {
      // The start delay ended: look at what was written meanwhile, then watch from here on.
      ev.output_written = true;
      ev.watch_error = start_watch();
      if (!ev.watch_error.empty()) watched_.clear();
    }
  }
  if (fds[2].revents != 0) {
    char buf[4096];
    while (::read(inotify_fd_, buf, sizeof buf) > 0) {
    }
    ev.output_written = true;
    if (arm(cool_fd_, cool_down_ms_)) cooling_ = true;
  }
  signalfd_siginfo si;
  while (::read(signal_fd_, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
    switch (static_cast<int>(si.ssi_signo)) {
      case SIGCHLD:
        ev.child = true;
        break;
      case SIGUSR1:
        ev.cancel = true;
        break;
      case SIGUSR2:
        ev.stdin_close = true;
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
