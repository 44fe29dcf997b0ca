#include <cstdio>

#include "os.h"
#include "state_paths.h"
#include "utf8_path.h"

namespace bb {

namespace fs = std::filesystem;

std::optional<fs::path> default_state_dir(const EnvLookup& env) {
  if (auto local = env("LOCALAPPDATA")) return utf8_path(*local) / "backburner";
  return std::nullopt;
}

const char* default_state_dir_variable() { return "LOCALAPPDATA"; }

fs::path endpoint_from_setting(std::string_view value) {
  std::string name(value);
  for (auto& c : name)
    if (c == '/') c = '\\';
  return utf8_path(name);
}

// A named pipe lives in a flat namespace shared by every user of the machine. Its name carries
// the user's SID (two users never collide) and a hash of the state dir (two state dirs of one
// user never do); whoever creates it first owns it, so clients check who serves it before they
// say anything (client_transport_win.cpp) and the daemon refuses clients of other users.
fs::path default_socket_path(const fs::path& home, const EnvLookup&) {
  char hash[20];
  std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(state_dir_hash(home)));
  return utf8_path("\\\\.\\pipe\\backburner-" + os::current_user_id() + "-" + hash);
}

}  // namespace bb
