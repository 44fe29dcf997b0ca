// Windows only: keeps a task's output.log within a cap (the counterpart of log_cap_posix.h, same
// contract and the same `output.cut` record). The middle of the file is zeroed with
// FSCTL_SET_ZERO_DATA after the file was made sparse, which gives its clusters back on NTFS;
// where the file system cannot do that, the cut is still recorded and readers skip it, but the
// disk space is not freed (error() says so). The keeper looks at the size every
// kLogCheckIntervalMs while the task runs: Windows has no notification for growth of a file that
// stays open for writing.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "log_cut.h"

namespace bb::keeper {

inline constexpr int kLogCheckIntervalMs = 500;

class LogCap {
 public:
  LogCap(std::filesystem::path task_dir, std::uint64_t cap);
  void check();
  const LogCut& cut() const { return cut_; }
  const std::string& error() const { return error_; }

 private:
  std::filesystem::path task_dir_;
  std::uint64_t cap_;
  LogCut cut_;
  std::string error_;
};

}  // namespace bb::keeper
