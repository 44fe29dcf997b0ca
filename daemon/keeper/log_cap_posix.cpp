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

namespace {
constexpr std::uint64_t kAlign = 64 * 1024;  // a multiple of any file system's block size
std::uint64_t align_down(std::uint64_t v) { return v / kAlign * kAlign; }
}  // namespace

LogCap::LogCap(std::filesystem::path task_dir, std::uint64_t cap)
    : task_dir_(std::move(task_dir)), cap_(std::max<std::uint64_t>(cap, 4 * kAlign)) {
  if (auto existing = read_log_cut(task_dir_)) cut_ = *existing;
}

void LogCap::check() {
  struct stat st {};
  const std::string log = (task_dir_ / kOutputFile).string();
  if (::stat(log.c_str(), &st) != 0) return;
  const auto size = static_cast<std::uint64_t>(st.st_size);
  const std::uint64_t head = align_down(cap_ / 2);
  const std::uint64_t kept =
      cut_.empty() ? size : cut_.head_end + (size - std::min(size, cut_.tail_start));
  if (kept <= cap_ + cap_ / 8) return;
  LogCut next;
  next.head_end = head;
  next.tail_start = std::max(head, align_down(size - (cap_ - head)));
  next.cap = cap_;
  if (next.tail_start <= cut_.tail_start) return;
  // The record first: a reader must never take the zeros of a punched range for output.
  if (!write_log_cut(task_dir_, next)) {
    error_ = "cannot write " + std::string(kCutFile);
    return;
  }
  const std::uint64_t from = cut_.empty() ? head : cut_.tail_start;
  cut_ = next;
  const int fd = ::open(log.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0 || ::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                            static_cast<off_t>(from),
                            static_cast<off_t>(next.tail_start - from)) != 0)
    error_ = std::string("cannot free the cut part of the log: ") + std::strerror(errno);
  if (fd >= 0) ::close(fd);
}

}  // namespace bb::keeper
