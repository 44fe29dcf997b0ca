#include "state_dir.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace bb {

namespace {
std::string mode_text(mode_t m) {
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(m & 07777));
  return mode;
}
}  // namespace

std::string ensure_private_dir(const std::filesystem::path& dir, std::string* tightened) {
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) {
    // Parents get the usual mode; the dir itself is private from its first instant.
    std::filesystem::create_directories(dir.parent_path(), ec);
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
      return "cannot create " + dir.string() + ": " + std::strerror(errno);
  }
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0)
    return "cannot inspect " + dir.string() + ": " + std::strerror(errno);
  if (!S_ISDIR(st.st_mode)) return dir.string() + " exists but is not a directory";
  if (st.st_uid != ::getuid())
    return dir.string() + " belongs to another user (uid " + std::to_string(st.st_uid) +
           "); use a directory of your own";
  if ((st.st_mode & 077) != 0) {
    // Ours but open to others: every command and environment in it would be readable.
    if (::chmod(dir.c_str(), 0700) != 0)
      return dir.string() + " is open to other users (mode " + mode_text(st.st_mode) +
             ") and cannot be made private: " + std::strerror(errno) + "; run chmod 700 " +
             dir.string();
    if (tightened != nullptr)
      *tightened = dir.string() + " was open to other users (mode " + mode_text(st.st_mode) +
                   "); it is now 0700";
  }
  return {};
}

void make_file_private(const std::filesystem::path& file) {
  struct stat st {};
  if (::lstat(file.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == ::getuid() &&
      (st.st_mode & 077) != 0)
    ::chmod(file.c_str(), 0600);
}

struct InstanceLock::Impl {
  int fd = -1;
  ~Impl() {
    if (fd >= 0) ::close(fd);
  }
};

InstanceLock::InstanceLock(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::variant<InstanceLock, std::string> InstanceLock::acquire(const std::filesystem::path& file,
                                                              bool& busy) {
  busy = false;
  auto impl = std::make_unique<Impl>();
  impl->fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (impl->fd < 0) return "cannot open " + file.string() + ": " + std::strerror(errno);
  if (::flock(impl->fd, LOCK_EX | LOCK_NB) != 0) {
    busy = errno == EWOULDBLOCK;
    return "cannot lock " + file.string() + ": " + std::strerror(errno);
  }
  return InstanceLock(std::move(impl));
}

InstanceLock::InstanceLock(InstanceLock&& o) noexcept = default;
InstanceLock& InstanceLock::operator=(InstanceLock&& o) noexcept = default;
InstanceLock::~InstanceLock() = default;

}  // namespace bb
