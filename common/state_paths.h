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
  // $BACKBURNER_SOCKET, else the platform's default (default_socket_path).
  std::filesystem::path socket;
};

using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;

// The process environment.
EnvLookup process_env();

// REQUIRES: BACKBURNER_HOME or the platform default's variable (HOME, LOCALAPPDATA) is set (else throws std::runtime_error saying so).
StatePaths resolve_state_paths(const EnvLookup& env);

std::filesystem::path task_dir(const StatePaths& paths, std::string_view task_id);

// Platform part (state_paths_<platform>.cpp): the default state dir (POSIX ~/.backburner,
// Windows %LOCALAPPDATA%\backburner), nullopt when the variable it derives from is unset;
// and that variable's name, for the message.
std::optional<std::filesystem::path> default_state_dir(const EnvLookup& env);
const char* default_state_dir_variable();

// Platform part: the daemon's endpoint for a state dir.
// POSIX: home/backburnerd.sock, always inside the private state dir (a path too long for a
// socket address is reached through its directory, see unix_socket_posix.h); where the OS
// offers no such way, a per-user directory in /tmp, checked by every client before use.
// Windows: a named pipe whose name is derived from the user's SID and the state dir.
std::filesystem::path default_socket_path(const std::filesystem::path& home, const EnvLookup& env);

// Platform part: the endpoint BACKBURNER_SOCKET names. POSIX: a socket path, made absolute
// against the cwd. Windows: a named pipe (\\.\pipe\NAME), taken as it is (it is no file path).
std::filesystem::path endpoint_from_setting(std::string_view value);

// FNV-1a of the state dir's path: stable across builds, so every client and daemon version
// derives the same name from the same state dir.
std::uint64_t state_dir_hash(const std::filesystem::path& home);

}  // namespace bb
