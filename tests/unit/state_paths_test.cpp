// Unit: where the state lives, as every binary resolves it.
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
  EXPECT_FALSE(p.socket_in_runtime_dir);
}

TEST(StatePaths, BackburnerHomeAndSocketOverrideTheDefaults) {
  auto p = resolve_state_paths(
      env_of({{"HOME", "/home/ann"}, {"BACKBURNER_HOME", "/srv/bb/"}, {"BACKBURNER_SOCKET", "/run/bb.sock"}}));
  EXPECT_EQ(p.home, "/srv/bb/");
  EXPECT_EQ(p.socket, "/run/bb.sock");
}

TEST(StatePaths, ASocketPathTooLongForSunPathMovesToAShortStablePerUserPath) {
  std::string deep = "/home/ann/" + std::string(120, 'd');
  auto a = resolve_state_paths(env_of({{"BACKBURNER_HOME", deep}, {"XDG_RUNTIME_DIR", "/run/user/1000"}}));
  EXPECT_TRUE(a.socket_in_runtime_dir);
  EXPECT_EQ(a.socket.parent_path(), "/run/user/1000");
  EXPECT_LE(a.socket.native().size(), max_socket_path_length());
  // Every client computes the same path for the same state dir, and another for another.
  auto again = resolve_state_paths(env_of({{"BACKBURNER_HOME", deep}, {"XDG_RUNTIME_DIR", "/run/user/1000"}}));
  EXPECT_EQ(again.socket, a.socket);
  auto other = resolve_state_paths(env_of({{"BACKBURNER_HOME", deep + "x"}, {"XDG_RUNTIME_DIR", "/run/user/1000"}}));
  EXPECT_NE(other.socket, a.socket);
  // Without a runtime dir: a private per-user dir under /tmp.
  auto tmp = resolve_state_paths(env_of({{"BACKBURNER_HOME", deep}}));
  EXPECT_EQ(tmp.socket.parent_path().parent_path(), "/tmp");
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
