// The keeper's view of its descendants, read from /proc. Because the keeper is a child
// subreaper, every process its task ever started stays in this tree (setsid and double-fork
// escapees re-parent to the keeper, not to init), until the keeper reaps it.
#pragma once

#include <cstdint>
#include <vector>

namespace bb::keeper {

struct ProcInfo {
  std::int64_t pid = 0;
  std::int64_t ppid = 0;
  std::int64_t pgrp = 0;
  std::uint64_t start_time = 0;  // /proc/PID/stat field 22
  char state = '?';              // 'Z' = zombie: dead, waiting for its parent to reap it
};

// All processes below `root` (not root itself), parents before children. A snapshot: processes
// may fork or exit while it is taken.
std::vector<ProcInfo> descendants_of(std::int64_t root);

// Sends `sig` to the process only if it is still the one in `p` (same pid and start time): a
// pidfd pins the process while its start time is checked, so a recycled pid is never hit.
// True if the signal was sent.
bool signal_process(const ProcInfo& p, int sig);

}  // namespace bb::keeper
