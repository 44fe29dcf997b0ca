// The daemon's own log: one line per event on stderr (a detached daemon's stderr is the state
// dir's backburnerd.log), stamped with the time and pid.
#pragma once

#include <string>

namespace bb {
void daemon_log(const std::string& message);
}  // namespace bb
