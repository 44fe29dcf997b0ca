// The daemon's life: claims the state dir, reconciles tasks, serves until told to stop.
// run_daemon is the composition root (daemon_host.cpp); what differs per OS (detaching, the
// process's limits and stdio) is in daemon_host_<platform>.cpp behind the functions below.
#pragma once

#include <memory>
#include <string>

#include "state_paths.h"

namespace bb {

// Exit statuses of backburnerd (documented in README.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;        // could not start (reason on stderr)
inline constexpr int kExitUsage = 2;
inline constexpr int kExitAlreadyRunning = 3;  // another daemon serves this state dir

// How a detached daemon tells the process that started it that it serves, or why it could not.
class ReadyChannel {
 public:
  virtual ~ReadyChannel() = default;
  // Once: status 0 = ready, else an exit status and the reason.
  virtual void report(int status, const std::string& message) = 0;
};

struct DaemonOptions {
  // Set when the daemon was detached: it reports there, and sends its stderr to the state
  // dir's log file. Null in the foreground: failures go to stderr.
  std::unique_ptr<ReadyChannel> ready;
};

// Runs the daemon in this process until SIGTERM/SIGINT or a shutdown request.
int run_daemon(DaemonOptions options);

// Starts a detached daemon and waits for it to report readiness; returns the exit status for
// the invoking process (0 once the daemon serves).
int detach_and_run();

// Platform part, for run_daemon.
struct ProcessSetup {
  int task_umask = 022;  // the umask the daemon was started with, for the tasks' shells
};
// Makes this process fit to serve: private file modes (umask 077: every file and dir the
// daemon and its keepers create is the user's alone, whatever umask it was started with), no
// directory held busy, every file descriptor the hard limit allows, no death by SIGPIPE, large
// buffers given back when freed. When `detached`, stderr goes to `log_file`.
ProcessSetup prepare_daemon_process(const StatePaths& paths, bool detached);

}  // namespace bb
