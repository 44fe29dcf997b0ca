// The private state dir and its single-instance lock. Platform part in state_dir_<platform>.cpp.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <variant>

namespace bb {

// Creates `dir` private to this user (POSIX mode 0700) if missing. An existing one of ours that
// others can read, write or enter is tightened (0700), saying so in `tightened`; one that
// another user owns is refused. Empty on success, else a message saying what to fix.
std::string ensure_private_dir(const std::filesystem::path& dir, std::string* tightened = nullptr);

// Makes an existing file private to this user (POSIX mode 0600). For files an older version
// created with looser modes. Missing files are fine.
void make_file_private(const std::filesystem::path& file);

// An exclusive lock on a file, held for the life of the object (and of the process).
class InstanceLock {
 public:
  // The lock, or a message. `busy` is set when another process holds it.
  static std::variant<InstanceLock, std::string> acquire(const std::filesystem::path& file,
                                                         bool& busy);
  InstanceLock(InstanceLock&&) noexcept;
  InstanceLock& operator=(InstanceLock&&) noexcept;
  ~InstanceLock();

 private:
  struct Impl;
  explicit InstanceLock(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bb
