#include "log_cap_posix.h"

#include <cerrno>
#include <algorithm>
#include <cstring>

#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keeper_files.h"

namespace bb::keeper {

LogCap::LogCap(std::filesystem::path task_dir, std::uint64_t cap)
    : task_dir_(std::move(task_dir)), cap_(effective_log_cap(cap)) {
  if (auto existing = read_log_cut(task_dir_)) cut_ = *existing;
}

void LogCap::check() {
  struct stat st {};
  const std::string log = (task_dir_ / kOutputFile).string();
  if (::stat(log.c_str(), &st) != 0) return;
  const auto size = static_cast<std::uint64_t>(st.st_size);
  const auto due = next_log_cut(cut_, size, cap_);
  if (!due) return;
  const LogCut& next = *due;
  // The record first: a reader must never take the zeros of a punched range for output.
  if (!write_log_cut(task_dir_, next)) {
    error_ = "cannot write " + std::string(kCutFile);
    return;
  }
  const std::uint64_t from = cut_.empty() ? next.head_end : cut_.tail_start;
  cut_ = next;
  const int fd = ::open(log.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0 || ::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                            static_cast<off_t>(from),
                            static_cast<off_t>(next.tail_start - from)) != 0)
    error_ = std::string("cannot free the cut part of the log: ") + std::strerror(errno);
  if (fd >= 0) ::close(fd);
}

}  // namespace bb::keeper
