// Waiting for a process that is not our child to exit (the daemon, after `daemon stop`).
#pragma once

#include <chrono>
#include <cstdint>

namespace bb::cli {

// True once no process with this pid runs (or it is a zombie), false if it still runs after
// `timeout`. Sleeps on a pidfd where the kernel has them; otherwise checks every 20 ms.
bool wait_for_process_exit(std::int64_t pid, std::chrono::milliseconds timeout);

}  // namespace bb::cli
