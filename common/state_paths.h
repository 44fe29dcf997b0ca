// Where a daemon's state lives, resolved the same way by the daemon, the shim and the CLI.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace bb {

struct StatePaths {
  std::filesystem::path home;       // $BACKBURNER_HOME, default ~/.backburner
  std::filesystem::path db;         // home/backburner.db
  std::filesystem::path pid_file;   // home/backburnerd.pid
  std::filesystem::path lock_file;  // home/backburnerd.lock (held by the serving daemon)
  std::filesystem::path log_file;   // home/backburnerd.log (a detached daemon's stderr)
  std::filesystem::path tasks_dir;  // home/tasks
  std::filesystem::path socket;     // $BACKBURNER_SOCKET, or home/backburnerd.sock if it fits
  bool socket_in_runtime_dir = false;  // the default path was too long for sun_path
};

using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;

// The process environment.
EnvLookup process_env();

// REQUIRES: HOME or BACKBURNER_HOME is set (else throws std::runtime_error saying so).
StatePaths resolve_state_paths(const EnvLookup& env);

std::filesystem::path task_dir(const StatePaths& paths, std::string_view task_id);

// Longest socket path that fits sockaddr_un::sun_path with its terminating NUL.
std::size_t max_socket_path_length();

}  // namespace bb
