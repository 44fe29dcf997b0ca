// Starts a task's keeper. The seam between the task state machine and the OS: tests replace it
// with a fake that starts nothing.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "process_identity.h"

namespace bb {

struct KeeperSpec {
  std::filesystem::path task_dir;  // exists; the keeper writes run/outcome/output.log in it
  std::string cwd;
  std::string command;
  std::optional<std::int64_t> deadline_ms;  // wall clock, epoch ms
  int grace_ms = 5000;                      // SIGTERM -> SIGKILL grace of the kill ladder
  std::vector<std::string> env;             // "NAME=value", the task's whole environment
};

class KeeperLauncher {
 public:
  virtual ~KeeperLauncher() = default;
  // The started keeper's identity, or a message saying why it could not start.
  virtual std::variant<ProcessIdentity, std::string> launch(const KeeperSpec& spec) = 0;
};

// The real one: posix_spawn (never fork from the multi-component daemon), a new session so
// that signals aimed at the daemon's group never reach tasks, only fds 0-2 inherited.
class PosixKeeperLauncher final : public KeeperLauncher {
 public:
  explicit PosixKeeperLauncher(std::filesystem::path keeper_exe);
  std::variant<ProcessIdentity, std::string> launch(const KeeperSpec& spec) override;

 private:
  std::filesystem::path exe_;
};

// backburner-keeper next to the running executable, unless BACKBURNER_KEEPER names another.
std::filesystem::path default_keeper_path();

}  // namespace bb
