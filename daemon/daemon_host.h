// The daemon's life: claims the state dir, reconciles tasks, serves until told to stop.
#pragma once

namespace bb {

// Exit statuses of backburnerd (documented in README.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;        // could not start (reason on stderr)
inline constexpr int kExitUsage = 2;
inline constexpr int kExitAlreadyRunning = 3;  // another daemon serves this state dir

struct DaemonOptions {
  // When >= 0 the daemon was detached: it reports "ready" or the reason it failed on this fd
  // (then closes it) and sends its stderr to the state dir's log file.
  int ready_fd = -1;
};

// Runs the daemon in this process until SIGTERM/SIGINT or a shutdown request.
int run_daemon(const DaemonOptions& options);

// Forks a detached daemon and waits for it to report readiness; returns the exit status for
// the invoking process (0 once the daemon serves).
int detach_and_run();

}  // namespace bb
