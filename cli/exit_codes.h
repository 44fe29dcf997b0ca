// The CLI's exit statuses, in one place (docs/CLI.md and `backburner wait --help` list them).
//
// Every command: 0 success, 1 an error (the message is on stderr), 2 a usage error.
// `daemon status`: 3 when no daemon runs, as `systemctl status` reports an inactive unit.
// `wait` reports how its tasks ended, as a shell reports a foreground command:
//   0        every task completed (exit code 0)
//   N        a task failed with exit code N (1-255; codes outside that range become 1)
//   128+S    a task was killed by signal S that backburner did not send (137: SIGKILL)
//   124      a task timed out (its own --timeout), as timeout(1) reports it
//   125      wait's own --timeout passed while a task was still working
//   129      a task was interrupted (its processes vanished while no daemon watched)
//   130      a task was cancelled, as a shell reports a command stopped with Ctrl-C
// With several tasks, the first one (in the order given) that did not complete decides.
// A task's own exit code can equal one of these: `backburner status --json` tells them apart.
#pragma once

namespace bb::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitNotRunning = 3;
inline constexpr int kExitTaskTimedOut = 124;
inline constexpr int kExitWaitTimedOut = 125;
inline constexpr int kExitSignalBase = 128;
inline constexpr int kExitInterrupted = 129;
inline constexpr int kExitCancelled = 130;

}  // namespace bb::cli
