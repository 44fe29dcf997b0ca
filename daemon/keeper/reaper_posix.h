// The one place in the keeper that waits for children. The keeper is the only component in its
// process, so it may reap with waitpid(-1): whatever exits, shell, grandchild re-parented to the
// subreaper, or leftover, is collected here, and the shell's status is kept.
#pragma once

#include <cstdint>
#include <optional>

namespace bb::keeper {

class Reaper {
 public:
  explicit Reaper(std::int64_t shell_pid) : shell_pid_(shell_pid) {}

  // Reaps every child that has exited, without blocking. Returns false once the keeper has no
  // children left (ECHILD); as a subreaper, that means no descendants at all.
  bool reap();

  bool shell_reaped() const { return shell_status_.has_value(); }
  // The shell's wait status (WIFEXITED/WIFSIGNALED...) and when it was collected; only once
  // shell_reaped().
  int shell_status() const { return *shell_status_; }
  std::int64_t shell_exit_ms() const { return shell_exit_ms_; }

 private:
  std::int64_t shell_pid_;
  std::optional<int> shell_status_;
  std::int64_t shell_exit_ms_ = 0;
};

}  // namespace bb::keeper
