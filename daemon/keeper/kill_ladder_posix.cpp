#include "kill_ladder_posix.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <set>
#include <utility>

#include <unistd.h>

#include "process_tree_posix.h"

namespace bb::keeper {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// A re-check interval for the SIGKILL phase: SIGKILLed processes normally exit at once and their
// SIGCHLD wakes the keeper sooner; this only bounds how long a fork racing the kill goes unseen.
constexpr milliseconds kRescanInterval{100};

// Waits (blocked in poll, woken by SIGCHLD) until the tree is empty or `until` passes.
// True if the tree is empty.
bool wait_until_empty(EventSource& events, Reaper& reaper, Clock::time_point until) {
  for (;;) {
    if (!reaper.reap()) return true;
    auto left = std::chrono::ceil<milliseconds>(until - Clock::now()).count();
    if (left <= 0) return false;
    events.wait(static_cast<int>(std::min<std::int64_t>(left, 60'000)));
  }
}

// kill(-pgid) is only safe while the group id cannot belong to anyone else: while the shell
// (its leader) is unreaped, or while one of our descendants is still a member.
bool group_in_use(const Reaper& reaper, std::int64_t pgid, const std::vector<ProcInfo>& tree) {
  if (!reaper.shell_reaped()) return true;
  return std::any_of(tree.begin(), tree.end(), [&](const ProcInfo& p) { return p.pgrp == pgid; });
}

bool is_live(const ProcInfo& p) { return p.state != 'Z'; }

}  // namespace

LadderResult run_kill_ladder(EventSource& events, Reaper& reaper, std::int64_t pgid,
                             std::int64_t grace_ms) {
  LadderResult result;
  if (!reaper.reap()) return result;
  const std::int64_t self = ::getpid();

  auto tree = descendants_of(self);
  result.found = static_cast<int>(std::count_if(tree.begin(), tree.end(), is_live));
  if (group_in_use(reaper, pgid, tree)) {
    ::kill(static_cast<pid_t>(-pgid), SIGTERM);
    ::kill(static_cast<pid_t>(-pgid), SIGCONT);
  }
  for (const auto& p : tree) {
    if (!is_live(p)) continue;
    signal_process(p, SIGTERM);
    signal_process(p, SIGCONT);
  }
  if (wait_until_empty(events, reaper, Clock::now() + milliseconds(grace_ms))) return result;

  std::set<std::pair<std::int64_t, std::uint64_t>> killed;  // (pid, start time)
  const auto bound = Clock::now() + milliseconds(kKillBoundMs);
  for (;;) {
    tree = descendants_of(self);
    for (const auto& p : tree)
      if (is_live(p) && signal_process(p, SIGKILL)) killed.emplace(p.pid, p.start_time);
    if (group_in_use(reaper, pgid, tree)) ::kill(static_cast<pid_t>(-pgid), SIGKILL);
    const auto now = Clock::now();
    if (wait_until_empty(events, reaper, std::min(bound, now + kRescanInterval))) break;
    if (Clock::now() >= bound) {
      for (const auto& p : descendants_of(self))
        if (is_live(p)) result.survivors.push_back(p.pid);
      break;
    }
  }
  result.killed = static_cast<int>(killed.size());
  return result;
}

std::string describe(const LadderResult& r) {
  auto processes = [](std::size_t n) {
    return std::to_string(n) + (n == 1 ? " process" : " processes");
  };
  if (r.found == 0 && r.killed == 0 && r.survivors.empty()) return "";
  std::string text;
  if (r.killed == 0) {
    text = "SIGTERM sufficed";
  } else {
    text = processes(static_cast<std::size_t>(r.killed)) +
           (r.killed == 1 ? " ignored SIGTERM and was killed" : " ignored SIGTERM and were killed");
  }
  if (!r.survivors.empty()) {
    text += "; " + processes(r.survivors.size()) + " survived SIGKILL:";
    for (std::size_t i = 0; i < r.survivors.size(); ++i)
      text += (i == 0 ? " " : ",") + std::to_string(r.survivors[i]);
  }
  return text;
}

}  // namespace bb::keeper
