// Reaching the user's daemon, starting it when nothing answers. Shared by the shim and the CLI.
//
// The start is race-free in the way tmux starts its server: connect; on failure take an
// exclusive lock file in the state dir, connect once more (another client may have started the
// daemon while we waited for the lock), and only then spawn backburnerd, wait until it reports
// readiness, connect, and release the lock. Any number of clients starting at once on a fresh
// state dir end with exactly one daemon. The lock file is not the daemon's own lock: it guards
// only the start, so a client that dies while holding it blocks nobody (the kernel drops it).
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <variant>
#include <vector>

#include "rpc_client.h"
#include "state_paths.h"

namespace bb {

struct AutostartOptions {
  // Where to look for backburnerd, first match wins. Empty: default_daemon_candidates().
  std::vector<std::filesystem::path> daemon_candidates;
  // How long a started daemon may take to report readiness (its parent process exiting).
  std::chrono::milliseconds start_timeout{10000};
  // How long to wait for another client that is starting the daemon right now.
  std::chrono::milliseconds lock_timeout{15000};
};

// Connects to the daemon at paths.socket, starting one if none answers. The started daemon
// inherits this process's environment, so REQUIRES: `paths` was resolved from that environment.
// Returns a connected client (hello not yet sent), or a message that says what failed and what
// to do about it.
std::variant<RpcClient, std::string> connect_or_start_daemon(const StatePaths& paths,
                                                             const AutostartOptions& options = {});

// backburnerd next to the running executable, then backburnerd in every PATH directory.
std::vector<std::filesystem::path> default_daemon_candidates(const EnvLookup& env);

// The lock file that serialises starts (inside the state dir).
std::filesystem::path autostart_lock_path(const StatePaths& paths);

}  // namespace bb
