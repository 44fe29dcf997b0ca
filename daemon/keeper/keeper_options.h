// The keeper's command line:
//   backburner-keeper --task-dir DIR --cwd DIR [--deadline-ms EPOCH_MS] [--grace-ms N]
//                     [--lock-fd N] [--ready-fd N] [--umask OCTAL] [--stdin-pipe] [--log-cap BYTES] -- COMMAND
// COMMAND is exactly one argument, handed to `/bin/sh -c` unchanged.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <variant>

namespace bb::keeper {

struct KeeperOptions {
  std::filesystem::path task_dir;           // run, outcome, output.log live here; must exist
  std::filesystem::path cwd;                // the shell's working directory
  std::optional<std::int64_t> deadline_ms;  // wall clock, epoch ms; absent = no deadline
  std::int64_t grace_ms = 5000;             // SIGTERM -> SIGKILL wait of the kill ladder
  // The inherited descriptor holding the task's keeper lock (keeper_files.h), kept for the
  // keeper's whole life; -1 when started without one (tests).
  int lock_fd = -1;
  // The write end of the daemon's readiness pipe, closed once the shell runs and `run` is
  // written; -1 without one.
  int ready_fd = -1;
  int umask = 022;                  // the shell's umask
  bool stdin_pipe = false;          // give the shell a stdin the daemon can write to
  bool flush = true;                // --no-flush: records are not flushed to disk (fast mode)
  std::uint64_t log_cap_bytes = 0;  // cap on output.log (0: none): see log_cap_posix.h
  std::string command;
};

struct UsageError {
  std::string message;
};
struct HelpRequested {};

std::variant<KeeperOptions, UsageError, HelpRequested> parse_keeper_args(int argc,
                                                                         const char* const* argv);

const char* keeper_usage();

}  // namespace bb::keeper
