// A process identity that survives pid reuse: the pid plus the kernel's start time for it.
#pragma once

#include <cstdint>
#include <optional>

namespace bb {

struct ProcessIdentity {
  std::int64_t pid = 0;
  std::uint64_t start_time = 0;  // clock ticks since boot (Linux: /proc/PID/stat field 22)
  friend bool operator==(const ProcessIdentity&, const ProcessIdentity&) = default;
};

// What /proc/PID/stat says of a process (Linux).
struct ProcStat {
  std::int64_t pid = 0;
  std::int64_t ppid = 0;
  std::int64_t pgrp = 0;
  std::uint64_t start_time = 0;  // field 22
  char state = '?';              // 'Z' = zombie: dead, waiting for its parent to reap it
};

// nullopt if there is no such process (or its stat cannot be read).
std::optional<ProcStat> read_proc_stat(std::int64_t pid);

// Start time of a live (or zombie) process; nullopt if there is no such process.
std::optional<std::uint64_t> process_start_time(std::int64_t pid);

// True if a process with this pid exists and started at the recorded time.
bool is_alive(const ProcessIdentity& id);

}  // namespace bb
