#include "stdin_pipe_posix.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keeper_files.h"

namespace bb::keeper {

std::variant<StdinPipe, std::string> StdinPipe::create(const std::filesystem::path& task_dir) {
  const std::filesystem::path fifo = task_dir / kStdinFifo;
  ::unlink(fifo.c_str());
  if (::mkfifo(fifo.c_str(), 0600) != 0)
    return "cannot create the task's stdin pipe " + fifo.string() + ": " + std::strerror(errno);
  // O_RDWR never blocks on a FIFO (Linux) and makes the keeper a writer for as long as it holds
  // it; the read end opened non-blocking then succeeds at once and is made blocking for the task.
  const int holder = ::open(fifo.c_str(), O_RDWR | O_CLOEXEC);
  if (holder < 0) return "cannot open " + fifo.string() + ": " + std::strerror(errno);
  const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (reader < 0) {
    const std::string err = std::strerror(errno);
    ::close(holder);
    return "cannot open " + fifo.string() + ": " + err;
  }
  ::fcntl(reader, F_SETFL, ::fcntl(reader, F_GETFL) & ~O_NONBLOCK);
  return StdinPipe(fifo, holder, reader);
}

StdinPipe::StdinPipe(StdinPipe&& o) noexcept
    : fifo_(std::move(o.fifo_)), holder_(o.holder_), reader_(o.reader_) {
  o.holder_ = -1;
  o.reader_ = -1;
  o.fifo_.clear();
}

StdinPipe::~StdinPipe() {
  release_reader();
  close_input();
}

void StdinPipe::release_reader() {
  if (reader_ >= 0) ::close(reader_);
  reader_ = -1;
}

void StdinPipe::close_input() {
  if (!fifo_.empty()) ::unlink(fifo_.c_str());
  fifo_.clear();
  if (holder_ >= 0) ::close(holder_);
  holder_ = -1;
}

}  // namespace bb::keeper
