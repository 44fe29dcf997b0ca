#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "output_watch.h"

namespace bb::cli {

namespace {

void drain(int fd) {
  if (fd < 0) return;
  char buf[4096];
  while (::read(fd, buf, sizeof buf) > 0) {
  }
}

class InotifyWatch final : public OutputWatch {
 public:
  InotifyWatch(const std::filesystem::path& dir, std::string* error) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0) {
      wake_read_ = p[0];
      wake_write_ = p[1];
    }
    inotify_ = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (inotify_ < 0) {
      if (error) *error = std::string("inotify: ") + std::strerror(errno);
      return;
    }
    // IN_MODIFY on a directory also reports writes to the files in it.
    const uint32_t mask = IN_MODIFY | IN_CREATE | IN_CLOSE_WRITE | IN_MOVED_TO;
    if (::inotify_add_watch(inotify_, dir.c_str(), mask) < 0) {
      if (error) *error = "cannot watch " + dir.string() + ": " + std::strerror(errno);
      ::close(inotify_);
      inotify_ = -1;
    }
  }

  ~InotifyWatch() override {
    for (int fd : {inotify_, wake_read_, wake_write_})
      if (fd >= 0) ::close(fd);
  }

  void wait(std::chrono::milliseconds timeout) override {
    pollfd fds[2] = {{inotify_, POLLIN, 0}, {wake_read_, POLLIN, 0}};
    // poll ignores entries with a negative fd.
    if (::poll(fds, 2, static_cast<int>(timeout.count())) > 0) {
      drain(inotify_);
      drain(wake_read_);
    }
  }

  void notify() override {
    if (wake_write_ >= 0) (void)!::write(wake_write_, "x", 1);
  }

 private:
  int inotify_ = -1;
  int wake_read_ = -1;
  int wake_write_ = -1;
};

}  // namespace

std::unique_ptr<OutputWatch> OutputWatch::create(const std::filesystem::path& task_dir,
                                                 std::string* error) {
  return std::make_unique<InotifyWatch>(task_dir, error);
}

}  // namespace bb::cli
