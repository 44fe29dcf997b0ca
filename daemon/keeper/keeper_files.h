// The files a keeper leaves in its task directory, and the only code that reads or writes them.
//
// Both record files are text, one `key=value` per line, keys in any order; readers ignore keys
// they do not know, so fields can be added without breaking an older daemon. Writers replace a
// file atomically (temp file in the same directory, then rename): a reader sees the previous
// file or the complete new one, never a torn one.
//
//   run      written once, right after the shell started:
//              keeper_pid, keeper_start, shell_pid, shell_start, started_at_ms, boot_id
//            (`*_start` are kernel start times and boot_id names the boot, so a pid is never
//            trusted on its own, not even after a reboot; boot_id may be absent in old files)
//   outcome  written last, just before the keeper exits:
//              how, exit_code, signal, started_at_ms, finished_at_ms,
//              survivors (comma-separated pids, empty if none), message (one line)
//            exit_code / signal are absent when they do not apply.
//
// A task directory with an outcome is finished. One with a run file and a live keeper
// (pid + start time) is still running. A run file without a live keeper nor an outcome means the
// keeper was killed (e.g. SIGKILL at shutdown): the task was interrupted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bb::keeper {

inline constexpr const char* kRunFile = "run";            // written once the shell is started
inline constexpr const char* kOutcomeFile = "outcome";    // written last, before the keeper exits
inline constexpr const char* kOutputFile = "output.log";  // the task's merged stdout + stderr
inline constexpr const char* kKeeperLog = "keeper.log";   // the keeper's own stderr (diagnostics)
// Locked (flock) by the daemon before it starts the keeper and by the keeper for its whole life
// (it inherits the lock): held means a keeper lives, free means none ever will again. The
// keeper writes its identity into it as its first act (format of `run`, keeper_* keys only).
inline constexpr const char* kKeeperLock = "keeper.lock";
// The task's stdin when it has one the daemon can write to (a FIFO, see stdin_pipe_posix.h);
// gone once its input was closed.
inline constexpr const char* kStdinFifo = "stdin";
// Output cap bookkeeping (see log_cap.h): which middle part of output.log was cut.
inline constexpr const char* kCutFile = "output.cut";
// Largest outcome file the keeper reserves space for up front.
inline constexpr std::size_t kOutcomeReserveBytes = 4096;

struct RunRecord {
  std::int64_t keeper_pid = 0;
  std::uint64_t keeper_start = 0;
  std::int64_t shell_pid = 0;  // also the task's process group id
  std::uint64_t shell_start = 0;
  std::int64_t started_at_ms = 0;  // epoch ms
  std::string boot_id;             // empty in files written before it was recorded
  friend bool operator==(const RunRecord&, const RunRecord&) = default;
};

// How a task ended.
//   exited        the shell exited by itself; exit_code is set
//   signaled      the shell died from a signal that was not ours; signal is set
//   timed_out     the deadline passed and the keeper killed the tree
//   cancelled     the daemon asked (SIGUSR1) and the keeper killed the tree
//   interrupted   the keeper itself got SIGTERM/SIGINT/SIGHUP and killed the tree
//   spawn_failed  the shell never started; message says why
enum class How { exited, signaled, timed_out, cancelled, interrupted, spawn_failed };

const char* to_string(How how);
std::optional<How> how_from_string(std::string_view s);

struct Outcome {
  How how = How::exited;
  std::optional<int> exit_code;  // only for exited
  std::optional<int> signal;     // only for signaled
  std::int64_t started_at_ms = 0;
  std::int64_t finished_at_ms = 0;      // when the shell exited (or when the keeper gave up on it)
  std::vector<std::int64_t> survivors;  // pids still alive after the kill ladder's last SIGKILL
  std::string message;                  // one line for humans
  friend bool operator==(const Outcome&, const Outcome&) = default;
};

// nullopt if the file is absent or unreadable, a value is malformed, or a required key is
// missing (run: all five keys; outcome: `how`, the others default as above).
std::optional<RunRecord> read_run(const std::filesystem::path& task_dir);
std::optional<Outcome> read_outcome(const std::filesystem::path& task_dir);

// Atomic replace; false if the file could not be written. Newlines in message become spaces.
// `outcome` is flushed to disk with its directory (it is a task's end); `run` is not (it only
// matters while the machine is up).
bool write_run(const std::filesystem::path& task_dir, const RunRecord& run);
bool write_outcome(const std::filesystem::path& task_dir, const Outcome& outcome);
// The outcome file's text (for writing it into space reserved earlier).
std::string format_outcome(const Outcome& outcome);

// What a keeper writes into its lock file (kKeeperLock) as its first act: who holds the lock.
struct KeeperIdentity {
  std::int64_t pid = 0;
  std::uint64_t start_time = 0;
  std::string boot_id;
  friend bool operator==(const KeeperIdentity&, const KeeperIdentity&) = default;
};
std::string format_keeper_identity(const KeeperIdentity& id);
// nullopt if the lock file is absent, empty (the keeper has not written yet) or malformed.
std::optional<KeeperIdentity> read_keeper_identity(const std::filesystem::path& task_dir);

}  // namespace bb::keeper
