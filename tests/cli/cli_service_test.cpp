// backburner service: --dry-run prints the plan and changes nothing; the plans' contents are
// checked per system by tests/packaging (systemd-analyze, plistlib).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli_process.h"

namespace bb::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// An environment with a home of its own, so nothing can touch the real one.
std::map<std::string, std::string> service_env(const TempDir& home) {
  std::map<std::string, std::string> env;
  for (const char* k : {"PATH", "SystemRoot", "ASAN_OPTIONS", "UBSAN_OPTIONS"})
    if (const char* v = std::getenv(k)) env[k] = v;
  env["HOME"] = home.path().string();
  env["LOCALAPPDATA"] = home.path().string();  // where Windows keeps the state dir by default
  return env;
}

bool is_empty_dir(const std::filesystem::path& p) {
  return std::filesystem::directory_iterator(p) == std::filesystem::directory_iterator();
}

TEST(CliService, InstallDryRunPrintsTheUnitAndCommandsAndChangesNothing) {
  if (running_on_windows())
    GTEST_SKIP() << "a unit rendered on Windows names Windows paths (backburnerd.exe, quoted)";
  TempDir home;
  auto r = run_cli({"service", "install", "--dry-run", "--os", "linux"}, service_env(home));
  ASSERT_EQ(r.status, 0) << describe(r);
  const auto unit_dir = home.path() / ".config" / "systemd" / "user";
  EXPECT_THAT(r.out, HasSubstr("Dry run: nothing is changed."));
  EXPECT_THAT(r.out, HasSubstr("write " + (unit_dir / "backburnerd.service").string()));
  EXPECT_THAT(r.out, HasSubstr("    | ExecStart=" + (bin_dir() / "backburnerd").string() +
                               " --foreground"));
  EXPECT_THAT(r.out, HasSubstr("    | KillMode=process"));
  EXPECT_THAT(r.out, HasSubstr("run: systemctl --user daemon-reload"));
  EXPECT_THAT(r.out, HasSubstr("run: systemctl --user enable backburnerd.service"));
  EXPECT_THAT(r.out, Not(HasSubstr("backburnerd.socket")));
  EXPECT_TRUE(is_empty_dir(home.path()));
}

TEST(CliService, TheStateDirOfThisShellGoesIntoTheUnit) {
  if (running_on_windows())
    GTEST_SKIP() << "a unit rendered on Windows names this machine's endpoint, a named pipe";
  TempDir home;
  auto env = service_env(home);
  env["BACKBURNER_HOME"] = (home.path() / "elsewhere").string();
  auto r = run_cli({"service", "install", "--dry-run", "--os", "linux", "--socket"}, env);
  ASSERT_EQ(r.status, 0) << describe(r);
  EXPECT_THAT(r.out,
              HasSubstr("    | Environment=\"BACKBURNER_HOME=" + env["BACKBURNER_HOME"] + "\""));
  EXPECT_THAT(r.out,
              HasSubstr("    | ListenStream=" + env["BACKBURNER_HOME"] + "/backburnerd.sock"));
  EXPECT_THAT(r.out, HasSubstr("run: systemctl --user enable --now backburnerd.socket"));
  EXPECT_TRUE(is_empty_dir(home.path()));
}

TEST(CliService, EverySubcommandHasADryRunForEverySystem) {
  TempDir home;
  for (const char* os : {"linux", "macos", "windows"}) {
    for (const char* sub : {"install", "uninstall", "status"}) {
      auto r = run_cli({"service", sub, "--dry-run", "--os", os}, service_env(home));
      EXPECT_EQ(r.status, 0) << os << " " << sub << ": " << describe(r);
      EXPECT_THAT(
          r.out, HasSubstr(std::string("`backburner service ") + sub + " --os " + os + "` would:"));
      EXPECT_THAT(r.out, HasSubstr("run: "));
    }
  }
  EXPECT_TRUE(is_empty_dir(home.path()));
}

TEST(CliService, AnotherSystemsPlanCanOnlyBeADryRun) {
  TempDir home;
  auto r = run_cli({"service", "install", "--os", foreign_service_os()}, service_env(home));
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.err, HasSubstr("--dry-run"));
  EXPECT_TRUE(is_empty_dir(home.path()));
}

TEST(CliService, SocketActivationIsForSystemdOnly) {
  TempDir home;
  auto r =
      run_cli({"service", "install", "--dry-run", "--socket", "--os", "macos"}, service_env(home));
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.err, HasSubstr("--socket"));
  auto u = run_cli({"service", "uninstall", "--dry-run", "--socket"}, service_env(home));
  EXPECT_EQ(u.status, 2);
}

TEST(CliService, AnUnknownSubcommandIsAUsageError) {
  TempDir home;
  auto r = run_cli({"service", "enable"}, service_env(home));
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("install, uninstall or status"));
}

}  // namespace
}  // namespace bb::test
