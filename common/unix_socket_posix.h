// POSIX only (included by _posix.cpp files): Unix socket addresses and the checks both ends
// make on them.
#pragma once

#include <filesystem>
#include <string>
#include <variant>

#include <sys/socket.h>
#include <sys/un.h>

namespace bb {

// An address for bind() or connect() on `path`. A path longer than sun_path holds is reached
// through its directory: on Linux /proc/self/fd/<dir fd>/<name>, the directory held open for
// the address's life. So the socket stays in the private state dir however deep that is.
class UnixAddress {
 public:
  static std::variant<UnixAddress, std::string> make(const std::filesystem::path& path);
  UnixAddress(UnixAddress&& o) noexcept;
  UnixAddress& operator=(UnixAddress&&) = delete;
  ~UnixAddress();
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&addr_); }
  socklen_t size() const { return sizeof addr_; }
  // The directory the socket lives in, opened (or -1 for a short path).
  int dir_fd() const { return dir_fd_; }

 private:
  UnixAddress() = default;
  sockaddr_un addr_{};
  int dir_fd_ = -1;
};

// Empty if `dir` is a directory owned by this user that no one else may write to; else what
// is wrong with it, for a message.
std::string private_dir_problem(const std::filesystem::path& dir);

}  // namespace bb
