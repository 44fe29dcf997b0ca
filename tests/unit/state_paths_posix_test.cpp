// Unit: where the state lives on POSIX (~/.backburner and a socket in it).
#include <map>

#include <gtest/gtest.h>

#include "state_paths.h"

namespace bb {
namespace {

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars](std::string_view k) -> std::optional<std::string> {
    auto it = vars.find(std::string(k));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(StatePaths, TheDefaultStateDirIsDotBackburnerInHome) {
  auto p = resolve_state_paths(env_of({{"HOME", "/home/ann"}}));
  EXPECT_EQ(p.home, "/home/ann/.backburner");
  EXPECT_EQ(p.db, "/home/ann/.backburner/backburner.db");
  EXPECT_EQ(p.socket, "/home/ann/.backburner/backburnerd.sock");
  EXPECT_EQ(p.tasks_dir, "/home/ann/.backburner/tasks");
}

TEST(StatePaths, BackburnerHomeAndSocketOverrideTheDefaults) {
  auto p = resolve_state_paths(
      env_of({{"HOME", "/home/ann"}, {"BACKBURNER_HOME", "/srv/bb/"}, {"BACKBURNER_SOCKET", "/run/bb.sock"}}));
  EXPECT_EQ(p.home, "/srv/bb");  // one spelling per state dir: no trailing separator
  EXPECT_EQ(p.socket, "/run/bb.sock");
}

TEST(StatePaths, ASocketPathTooLongForSunPathStaysInTheStateDir) {
  // Linux reaches a deep socket through its directory (unix_socket_posix.h), so the socket
  // never leaves the private state dir for a place another user could take first.
  std::string deep = "/home/ann/" + std::string(120, 'd');
  auto a = resolve_state_paths(env_of({{"BACKBURNER_HOME", deep}, {"XDG_RUNTIME_DIR", "/run/user/1000"}}));
  EXPECT_EQ(a.socket, std::filesystem::path(deep) / "backburnerd.sock");
  auto tmp = resolve_state_paths(env_of({{"BACKBURNER_HOME", deep}}));
  EXPECT_EQ(tmp.socket, a.socket);
}

TEST(StatePaths, NoHomeAtAllIsAClearError) {
  try {
    resolve_state_paths(env_of({}));
    FAIL() << "resolved without HOME";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("HOME"), std::string::npos);
  }
}

}  // namespace
}  // namespace bb
