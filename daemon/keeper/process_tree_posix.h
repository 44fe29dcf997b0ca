// The keeper's view of its descendants, read from /proc. Because the keeper is a child
// subreaper, every process its task ever started stays in this tree (setsid and double-fork
// escapees re-parent to the keeper, not to init), until the keeper reaps it.
#pragma once

#include <cstdint>
#include <vector>

#include "process_identity.h"

namespace bb::keeper {

using ProcInfo = bb::ProcStat;

// All processes below `root` (not root itself), parents before children. A snapshot: processes
// may fork or exit while it is taken.
std::vector<ProcInfo> descendants_of(std::int64_t root);

// Sends `sig` to the process only if it is still the one in `p` (same pid and start time): a
// pidfd pins the process while its start time is checked, so a recycled pid is never hit.
// True if the signal was sent.
bool signal_process(const ProcInfo& p, int sig);

}  // namespace bb::keeper
