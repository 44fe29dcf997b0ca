#include <cstdio>

#include <sys/un.h>
#include <unistd.h>

#include "state_paths.h"
#include "utf8_path.h"

namespace bb {

namespace fs = std::filesystem;

std::optional<fs::path> default_state_dir(const EnvLookup& env) {
  if (auto home = env("HOME")) return fs::path(*home) / ".backburner";
  return std::nullopt;
}

const char* default_state_dir_variable() { return "HOME"; }

fs::path endpoint_from_setting(std::string_view value) {
  return fs::absolute(utf8_path(value)).lexically_normal();
}

fs::path default_socket_path(const fs::path& home, const EnvLookup&) {
  fs::path socket = home / "backburnerd.sock";
#if !defined(__linux__)
  // Without /proc/self/fd a socket address cannot reach into a deep directory: use a short
  // per-user directory instead, keyed by the state dir so two state dirs never share a socket.
  // Clients check that it is the user's own and private before they connect (an existing one
  // of another user is refused with a message naming it and BACKBURNER_SOCKET as the way out).
  if (socket.native().size() >= sizeof(sockaddr_un{}.sun_path)) {
    char name[64];
    std::snprintf(name, sizeof name, "backburner-%016llx.sock",
                  static_cast<unsigned long long>(state_dir_hash(home)));
    socket = fs::path("/tmp") / ("backburner-" + std::to_string(::getuid())) / name;
  }
#endif
  return socket;
}

}  // namespace bb
