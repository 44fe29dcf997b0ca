// The keeper: one small supervisor per task, independent of the daemon's life. It starts the
// task's shell, enforces the deadline, runs the kill ladder on cancel (SIGUSR1), on its own
// SIGTERM/SIGINT/SIGHUP and on leftovers of a finished shell, and records what happened in the
// task directory (keeper_files.h) before it exits.
#pragma once

#include "keeper_options.h"

namespace bb::keeper {

// The keeper's exit status when it could not reserve room for the outcome (the disk is full):
// the task never ran. The daemon (its parent) reads it from the exit status.
inline constexpr int kExitNoSpace = 75;

// Runs one task to its end. Returns the keeper's exit status: 0 once an outcome is recorded,
// 1 if even that failed, kExitNoSpace (above). Diagnostics go to stderr (the task's keeper.log).
// REQUIRES: called once, from a single-threaded process that has no children yet: the keeper
// reaps every child of the process, whatever started it.
int run_keeper(const KeeperOptions& options);

}  // namespace bb::keeper
