#include "state_paths.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include <sys/un.h>
#include <unistd.h>

namespace bb {

namespace fs = std::filesystem;

EnvLookup process_env() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr || *v == '\0') return std::nullopt;
    return std::string(v);
  };
}

std::size_t max_socket_path_length() { return sizeof(sockaddr_un{}.sun_path) - 1; }

StatePaths resolve_state_paths(const EnvLookup& env) {
  StatePaths p;
  if (auto h = env("BACKBURNER_HOME")) {
    p.home = fs::absolute(*h).lexically_normal();
  } else if (auto home = env("HOME")) {
    p.home = fs::path(*home) / ".backburner";
  } else {
    throw std::runtime_error("neither BACKBURNER_HOME nor HOME is set: cannot locate the state dir");
  }
  p.db = p.home / "backburner.db";
  p.pid_file = p.home / "backburnerd.pid";
  p.lock_file = p.home / "backburnerd.lock";
  p.log_file = p.home / "backburnerd.log";
  p.tasks_dir = p.home / "tasks";
  if (auto s = env("BACKBURNER_SOCKET")) {
    p.socket = fs::absolute(*s).lexically_normal();
    return p;
  }
  p.socket = p.home / "backburnerd.sock";
  if (p.socket.native().size() <= max_socket_path_length()) return p;
  // Too long for a Unix socket address: a short per-user path keyed by the state dir, so two
  // state dirs never share a socket.
  // FNV-1a: stable across builds, so every binary version computes the same path.
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : p.home.native()) h = (h ^ c) * 1099511628211ull;
  char name[64];
  std::snprintf(name, sizeof name, "backburner-%016llx.sock", static_cast<unsigned long long>(h));
  fs::path dir;
  if (auto rt = env("XDG_RUNTIME_DIR")) {
    dir = *rt;
  } else {
    dir = fs::path("/tmp") / ("backburner-" + std::to_string(::getuid()));
  }
  p.socket = dir / name;
  p.socket_in_runtime_dir = true;
  return p;
}

fs::path task_dir(const StatePaths& paths, std::string_view task_id) {
  return paths.tasks_dir / std::string(task_id);
}

}  // namespace bb
