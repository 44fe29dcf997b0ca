// Unit: where the state lives on Windows: %LOCALAPPDATA%\backburner, and a named pipe whose
// name carries the user's SID and the state dir's hash.
#include <map>

#include <gtest/gtest.h>

#include "os.h"
#include "state_paths.h"
#include "utf8_path.h"

namespace bb {
namespace {

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars](std::string_view k) -> std::optional<std::string> {
    auto it = vars.find(std::string(k));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(StatePathsWin, TheDefaultStateDirIsBackburnerInLocalAppData) {
  auto p = resolve_state_paths(env_of({{"LOCALAPPDATA", "C:\\Users\\ann\\AppData\\Local"}}));
  EXPECT_EQ(p.home, std::filesystem::path(L"C:\\Users\\ann\\AppData\\Local\\backburner"));
  EXPECT_EQ(p.db, p.home / "backburner.db");
  EXPECT_EQ(p.tasks_dir, p.home / "tasks");
}

TEST(StatePathsWin, TheEndpointIsANamedPipeNamedAfterTheUserAndTheStateDir) {
  auto a = resolve_state_paths(env_of({{"BACKBURNER_HOME", "C:\\bb\\one"}}));
  auto b = resolve_state_paths(env_of({{"BACKBURNER_HOME", "C:\\bb\\two"}}));
  const std::string pipe = path_utf8(a.socket);
  EXPECT_EQ(pipe.rfind("\\\\.\\pipe\\backburner-" + os::current_user_id() + "-", 0), 0u) << pipe;
  EXPECT_NE(a.socket, b.socket);
  // The same state dir, spelled with a trailing separator, is the same daemon.
  auto a2 = resolve_state_paths(env_of({{"BACKBURNER_HOME", "C:\\bb\\one\\"}}));
  EXPECT_EQ(a2.home, a.home);
  EXPECT_EQ(a2.socket, a.socket);
}

TEST(StatePathsWin, BackburnerSocketNamesAnotherPipe) {
  auto p = resolve_state_paths(
      env_of({{"BACKBURNER_HOME", "C:\\bb"}, {"BACKBURNER_SOCKET", "\\\\.\\pipe\\my-backburner"}}));
  EXPECT_EQ(path_utf8(p.socket), "\\\\.\\pipe\\my-backburner");
}

TEST(StatePathsWin, NonAsciiStateDirsKeepEveryCharacter) {
  auto p = resolve_state_paths(env_of({{"BACKBURNER_HOME", "C:\\Users\\J\xc3\xb6rg\\\xe6\x97\xa5"}}));
  EXPECT_EQ(p.home.native(), std::wstring(L"C:\\Users\\J\u00f6rg\\\u65e5"));
  EXPECT_EQ(path_utf8(p.home), "C:\\Users\\J\xc3\xb6rg\\\xe6\x97\xa5");
}

TEST(StatePathsWin, NoLocalAppDataIsAClearError) {
  try {
    resolve_state_paths(env_of({}));
    FAIL() << "resolved without LOCALAPPDATA";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("LOCALAPPDATA"), std::string::npos);
  }
}

}  // namespace
}  // namespace bb
