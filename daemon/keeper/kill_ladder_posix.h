// The kill ladder: how the keeper empties its process tree when a task is cancelled, times out,
// is interrupted, or finishes with processes still running in the background.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "keeper_events_posix.h"
#include "reaper_posix.h"

namespace bb::keeper {

struct LadderResult {
  int found = 0;   // live processes in the tree when the ladder started
  int killed = 0;  // of those and any forked later: how many were still alive after the grace
  std::vector<std::int64_t> survivors;  // still alive when the keeper gave up on SIGKILL
};

// How long the SIGKILL phase keeps rescanning and re-killing before it reports survivors.
inline constexpr std::int64_t kKillBoundMs = 3000;

// 1. SIGTERM (then SIGCONT, so stopped processes act on it) to the task's process group `pgid`
//    and to every descendant of the keeper: the walk catches setsid and double-fork escapees.
// 2. Up to grace_ms for the tree to empty, reaping as processes exit.
// 3. SIGKILL to whatever is left, rescanning (processes may fork meanwhile) until the tree is
//    empty or kKillBoundMs passes.
// The tree is empty exactly when the keeper has no children left to wait for (it is a
// subreaper). Returns at once, with found == 0, if it already is. Events other than SIGCHLD
// that arrive meanwhile are dropped: the ladder runs to its end whatever else is asked.
LadderResult run_kill_ladder(EventSource& events, Reaper& reaper, std::int64_t pgid,
                             std::int64_t grace_ms);

// "SIGTERM sufficed", "1 process ignored SIGTERM and was killed", "... 2 processes survived
// SIGKILL: 41,42"; empty if there was nothing to kill.
std::string describe(const LadderResult& result);

}  // namespace bb::keeper
