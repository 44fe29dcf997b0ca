#include "task_input.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "keeper_files.h"

namespace bb {

namespace {
// A task's input may hold this much unread text (the default unprivileged maximum of a pipe).
constexpr int kPipeBytes = 1024 * 1024;
}  // namespace

std::variant<std::uint64_t, InputError> write_task_input(const std::filesystem::path& task_dir,
                                                         std::string_view text) {
  const std::string fifo = (task_dir / keeper::kStdinFifo).string();
  // Non-blocking: opening succeeds only while a reader (the keeper's hold, the task) exists, and
  // no write can stall the daemon.
  const int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return InputError{"closed", "the task's input is closed"};
    if (errno == ENXIO) return InputError{"finished", "the task has ended; its input is closed"};
    return InputError{"io_error", "cannot open the task's input: " + std::string(std::strerror(errno))};
  }
  ::fcntl(fd, F_SETPIPE_SZ, kPipeBytes);  // more room where the system allows it
  const int capacity = ::fcntl(fd, F_GETPIPE_SZ);
  int unread = 0;
  ::ioctl(fd, FIONREAD, &unread);
  if (capacity > 0 && text.size() > static_cast<std::size_t>(capacity - unread)) {
    ::close(fd);
    return InputError{
        "input_full",
        "the task has not read the " + std::to_string(unread) +
            " bytes of input sent before, and its input holds at most " +
            std::to_string(capacity) + " bytes: nothing was written. Send it again once the "
            "task has read more (check its output), or send less at a time"};
  }
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      if (err == EPIPE) return InputError{"finished", "the task has ended; its input is closed"};
      if (err == EAGAIN)
        return InputError{"input_full", "the task's input is full after " + std::to_string(done) +
                                            " bytes; send the rest once it has read more"};
      return InputError{"io_error", "cannot write the task's input: " + std::string(std::strerror(err))};
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return static_cast<std::uint64_t>(done);
}

}  // namespace bb
