#include "state_paths.h"

#include <cstdint>
#include <cstdlib>
#include <stdexcept>

#include "os.h"
#include "utf8_path.h"

namespace bb {

namespace fs = std::filesystem;

EnvLookup process_env() {
  return [](std::string_view name) { return os::environment_variable(name); };
}

std::uint64_t state_dir_hash(const fs::path& home) {
  std::uint64_t h = 1469598103934665603ull;
  for (char8_t c : home.u8string()) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return h;
}

StatePaths resolve_state_paths(const EnvLookup& env) {
  StatePaths p;
  if (auto h = env("BACKBURNER_HOME")) {
    p.home = fs::absolute(utf8_path(*h)).lexically_normal();
  } else if (auto dir = default_state_dir(env)) {
    p.home = *dir;
  } else {
    throw std::runtime_error(std::string("neither BACKBURNER_HOME nor ") +
                             default_state_dir_variable() +
                             " is set: cannot locate the state dir");
  }
  // A trailing separator would make two spellings of one state dir hash differently.
  if (!p.home.has_filename() && p.home.has_parent_path() && p.home != p.home.root_path())
    p.home = p.home.parent_path();
  p.db = p.home / "backburner.db";
  p.pid_file = p.home / "backburnerd.pid";
  p.lock_file = p.home / "backburnerd.lock";
  p.log_file = p.home / "backburnerd.log";
  p.tasks_dir = p.home / "tasks";
  if (auto s = env("BACKBURNER_SOCKET"))
    p.socket = endpoint_from_setting(*s);
  else
    p.socket = default_socket_path(p.home, env);
  return p;
}

fs::path task_dir(const StatePaths& paths, std::string_view task_id) {
  return paths.tasks_dir / std::string(task_id);
}

}  // namespace bb
