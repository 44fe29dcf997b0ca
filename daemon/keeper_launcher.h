// Starts a task's keeper. The seam between the task state machine and the OS: tests replace it
// with a fake that starts nothing. Platform part: keeper_launcher_<platform>.cpp.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "process_identity.h"

namespace boost::asio {
class io_context;
}

namespace bb {

struct KeeperSpec {
  std::filesystem::path task_dir;  // exists; the keeper writes run/outcome/output.log in it
  std::string cwd;
  std::string command;
  std::optional<std::int64_t> deadline_ms;  // wall clock, epoch ms
  int grace_ms = 5000;                      // SIGTERM -> SIGKILL grace of the kill ladder
  std::vector<std::string> env;             // "NAME=value", the task's whole environment
  int umask = 022;                          // the shell's umask (the keeper's own is 077)
  bool stdin_pipe = false;                  // give the task a stdin the daemon can write to
  std::uint64_t log_cap_bytes = 0;          // output.log's cap (0: none), see log_cap.h
  bool flush = true;                        // the keeper flushes its records to disk
};

class KeeperLauncher {
 public:
  virtual ~KeeperLauncher() = default;
  // Called on the Asio thread once the keeper has started the task's shell, with the shell's
  // pid (nullopt if the keeper gave up, or a bound passed): a start is answered then, so that
  // the answer carries the shell's pid and the task's stdin exists.
  using Running = std::function<void(std::optional<std::int64_t> shell_pid)>;
  // The started keeper's identity, or a message saying why it could not start (then
  // `on_running` is never called).
  // Before the keeper exists its liveness lock (keeper_files.h, kKeeperLock) is taken, and the
  // keeper inherits it: from the first instant a crash of the daemon could leave a keeper
  // unrecorded, the lock says that it lives.
  virtual std::variant<ProcessIdentity, std::string> launch(const KeeperSpec& spec,
                                                            Running on_running) = 0;
};

// The real one: posix_spawn (never fork from the multi-component daemon), a new session so
// that signals aimed at the daemon's group never reach tasks, only fds 0-2, the lock and the
// readiness pipe inherited. On Windows: CreateProcess through Boost.Process v2, suspended in a launch job until
// the keeper is recorded (keeper_launcher_win.cpp); the readiness pipe is the keeper's stdout.
std::unique_ptr<KeeperLauncher> make_keeper_launcher(boost::asio::io_context& io,
                                                     std::filesystem::path keeper_exe);

// backburner-keeper next to the running executable, unless BACKBURNER_KEEPER names another.
std::filesystem::path default_keeper_path();

}  // namespace bb
