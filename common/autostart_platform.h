// The OS's part of starting the daemon (daemon_autostart.cpp), in
// daemon_autostart_<platform>.cpp.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <variant>

namespace bb {

// PATH's separator and an executable's suffix ("" / ".exe").
extern const char kPathListSeparator;
extern const char* const kExeSuffix;

// Held while one client starts the daemon; released when destroyed (or the process dies).
class StartLock {
 public:
  virtual ~StartLock() = default;
};

// Takes the start lock (creating the state dir private if it is missing, never changing an
// existing one), waiting at most `timeout` for another client that holds it.
std::variant<std::unique_ptr<StartLock>, std::string> take_start_lock(
    const std::filesystem::path& lock_path, std::chrono::milliseconds timeout);

bool is_executable_file(const std::filesystem::path& p);

struct SpawnOutcome {
  bool exited = false;
  int exit_status = -1;  // valid when exited
  std::string stderr_text;
  std::string error;  // the spawn itself failed
};

// Starts the daemon (it detaches: its first process exits once it serves) and waits for that
// exit, at most `timeout`. stdin and stdout are the null device: the caller's stdout may be a
// protocol channel (the shim's). Nothing else of the caller's is inherited, and a client's own
// command policy (BACKBURNER_ALLOW/DENY) is not passed on: each client declares its own at hello.
SpawnOutcome spawn_daemon(const std::filesystem::path& exe, std::chrono::milliseconds timeout);

}  // namespace bb
