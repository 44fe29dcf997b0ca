#include "state_dir.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace bb {

std::string ensure_private_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) {
    // Parents get the usual mode; the dir itself is private from its first instant.
    std::filesystem::create_directories(dir.parent_path(), ec);
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
      return "cannot create " + dir.string() + ": " + std::strerror(errno);
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0)
    return "cannot inspect " + dir.string() + ": " + std::strerror(errno);
  if (!S_ISDIR(st.st_mode)) return dir.string() + " exists but is not a directory";
  if (st.st_uid != ::getuid())
    return dir.string() + " belongs to another user (uid " + std::to_string(st.st_uid) +
           "); use a directory of your own";
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return dir.string() + " is writable by other users (mode " + mode +
           "); fix it with: chmod 700 " + dir.string();
  }
  return {};
}

std::variant<InstanceLock, std::string> InstanceLock::acquire(const std::filesystem::path& file,
                                                              bool& busy) {
  busy = false;
  int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return "cannot open " + file.string() + ": " + std::strerror(errno);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    busy = errno == EWOULDBLOCK;
    std::string err = std::strerror(errno);
    ::close(fd);
    return "cannot lock " + file.string() + ": " + err;
  }
  return InstanceLock(fd);
}

InstanceLock::InstanceLock(InstanceLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
InstanceLock::~InstanceLock() {
  if (fd_ >= 0) ::close(fd_);
}

bool write_file_atomically(const std::filesystem::path& file, const std::string& content) {
  std::string tmp = file.string() + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  bool ok = ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
  ok = ::close(fd) == 0 && ok;
  if (ok) ok = ::rename(tmp.c_str(), file.c_str()) == 0;
  if (!ok) ::unlink(tmp.c_str());
  return ok;
}

}  // namespace bb
