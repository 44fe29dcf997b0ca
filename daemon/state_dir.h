// The private state dir and its single-instance lock.
#pragma once

#include <filesystem>
#include <string>
#include <variant>

namespace bb {

// Creates `dir` (mode 0700) if missing; refuses one that another user owns or that others can
// write. Empty on success, else a message saying what to fix.
std::string ensure_private_dir(const std::filesystem::path& dir);

// An exclusive lock on a file, held for the life of the object (and of the process).
class InstanceLock {
 public:
  // The lock, or a message. `busy` is set when another process holds it.
  static std::variant<InstanceLock, std::string> acquire(const std::filesystem::path& file,
                                                         bool& busy);
  InstanceLock(InstanceLock&&) noexcept;
  InstanceLock& operator=(InstanceLock&&) = delete;
  ~InstanceLock();

 private:
  explicit InstanceLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// Writes `content` to `file` through a temp file and rename, so readers never see half of it.
bool write_file_atomically(const std::filesystem::path& file, const std::string& content);

}  // namespace bb
