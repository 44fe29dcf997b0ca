// Stopping the user's daemon: shared by `daemon stop` and `service install` (which hands the
// state dir over from a client-started daemon to the service's).
#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include "state_paths.h"

namespace bb::cli {

struct StopOutcome {
  bool was_running = false;
  std::int64_t pid = 0;       // when it was running
  std::uint64_t working = 0;  // tasks still working, which keep running
};

// Asks the daemon to shut down (daemon.shutdown) and waits until its process has exited, so a
// daemon started next never finds the old one still holding the state dir. Tasks keep running.
// Returns a message if it could not be reached (other than "none runs") or did not exit in time.
std::variant<StopOutcome, std::string> stop_daemon(const EnvLookup& env);

}  // namespace bb::cli
