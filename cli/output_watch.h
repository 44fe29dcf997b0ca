// The platform part of following a task's output (`backburner logs -f`): waking up when the
// task's log is written to, without polling.
//
// On Linux the watch is inotify on the task's directory (which also sees the log being created
// and the keeper's outcome file appearing). Where no watch can be set up (inotify's limits, a
// file system without notifications) wait() still returns on notify() and at its timeout, so the
// follower degrades to reading once per timeout instead of failing.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

namespace bb::cli {

class OutputWatch {
 public:
  // Watches `task_dir` for writes to files in it. Never null. `error`, when given, receives why
  // the directory could not be watched (the watch then wakes only on notify() and timeouts).
  static std::unique_ptr<OutputWatch> create(const std::filesystem::path& task_dir,
                                             std::string* error);
  virtual ~OutputWatch() = default;

  // Blocks until a file in the directory was written to (since the last wait), notify() was
  // called, or `timeout` passed. Spurious returns are allowed: callers re-read and decide.
  virtual void wait(std::chrono::milliseconds timeout) = 0;

  // Wakes the current or the next wait(). Safe to call from any thread.
  virtual void notify() = 0;
};

}  // namespace bb::cli
