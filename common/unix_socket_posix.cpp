#include "unix_socket_posix.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace bb {

std::variant<UnixAddress, std::string> UnixAddress::make(const std::filesystem::path& path) {
  UnixAddress a;
  a.addr_.sun_family = AF_UNIX;
  const std::string& p = path.native();
  if (p.size() < sizeof a.addr_.sun_path) {
    std::memcpy(a.addr_.sun_path, p.c_str(), p.size() + 1);
    return a;
  }
#if defined(__linux__)
  const int dir = ::open(path.parent_path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0)
    return "cannot open " + path.parent_path().string() + ": " + std::strerror(errno);
  const std::string via =
      "/proc/self/fd/" + std::to_string(dir) + "/" + path.filename().string();
  if (via.size() >= sizeof a.addr_.sun_path) {
    ::close(dir);
    return "the socket's file name is too long: " + path.filename().string();
  }
  std::memcpy(a.addr_.sun_path, via.c_str(), via.size() + 1);
  a.dir_fd_ = dir;
  return a;
#else
  return "the socket path is too long for a Unix socket (" + std::to_string(p.size()) +
         " bytes, at most " + std::to_string(sizeof a.addr_.sun_path - 1) + "): " + p +
         "; set BACKBURNER_SOCKET to a shorter path in a private directory of yours";
#endif
}

UnixAddress::UnixAddress(UnixAddress&& o) noexcept : addr_(o.addr_), dir_fd_(o.dir_fd_) {
  o.dir_fd_ = -1;
}

UnixAddress::~UnixAddress() {
  if (dir_fd_ >= 0) ::close(dir_fd_);
}

std::string private_dir_problem(const std::filesystem::path& dir) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) return "cannot inspect it: " + std::string(std::strerror(errno));
  if (!S_ISDIR(st.st_mode)) return "it is not a directory";
  if (st.st_uid != ::getuid())
    return "it belongs to another user (uid " + std::to_string(st.st_uid) + ")";
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return std::string("other users may write to it (mode ") + mode + ")";
  }
  return {};
}

}  // namespace bb
