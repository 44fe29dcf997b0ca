#include "daemon_host.h"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "os.h"

namespace bb {

namespace {

class PipeReadyChannel final : public ReadyChannel {
 public:
  explicit PipeReadyChannel(int fd) : fd_(fd) {}
  ~PipeReadyChannel() override {
    if (fd_ >= 0) ::close(fd_);
  }
  void report(int status, const std::string& message) override {
    if (fd_ < 0) return;
    const std::string line = std::to_string(status) + " " + message + "\n";
    (void)!::write(fd_, line.data(), line.size());
    ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

}  // namespace

ProcessSetup prepare_daemon_process(const StatePaths& paths, bool detached) {
  ProcessSetup setup;
  setup.task_umask = static_cast<int>(::umask(077));
  // Hold no directory busy (every path is absolute by now), and use every file descriptor the
  // hard limit allows: one pidfd per running task plus one socket per client.
  (void)!::chdir("/");
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
  if (detached) {
    // Detached: our stderr becomes the state dir's log.
    const int fd =
        ::open(paths.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd >= 0) {
      ::dup2(fd, 2);
      ::close(fd);
    }
  }
  std::signal(SIGPIPE, SIG_IGN);
  os::limit_retained_memory();
  return setup;
}

int detach_and_run() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    std::cerr << "backburnerd: pipe: " << std::strerror(errno) << "\n";
    return kExitFailed;
  }
  // Fork before anything else exists in this process (no threads, no Asio).
  pid_t pid = ::fork();
  if (pid < 0) {
    std::cerr << "backburnerd: fork: " << std::strerror(errno) << "\n";
    return kExitFailed;
  }
  if (pid == 0) {
    ::close(fds[0]);
    ::setsid();
    int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
      ::dup2(null, 0);
      ::dup2(null, 1);
      if (null > 2) ::close(null);
    }
    DaemonOptions o;
    o.ready = std::make_unique<PipeReadyChannel>(fds[1]);
    std::_Exit(run_daemon(std::move(o)));
  }
  ::close(fds[1]);
  std::string report;
  char buf[512];
  for (;;) {
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    report.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  if (report.empty()) {
    std::cerr << "backburnerd: the daemon exited before it was ready (see its log in the state "
                 "dir)\n";
    return kExitFailed;
  }
  int status = std::atoi(report.c_str());
  std::string message = report.substr(report.find(' ') + 1);
  while (!message.empty() && message.back() == '\n') message.pop_back();
  if (status != 0) std::cerr << "backburnerd: " << message << "\n";
  return status;
}

}  // namespace bb
