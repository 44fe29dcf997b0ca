// The CLI's surface without tasks: version, help for every command, usage errors, and where
// colour may appear.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli_process.h"
#include "version.h"

namespace bb::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

const std::vector<std::string> kCommands = {"start",  "list", "status", "logs",
                                            "cancel", "wait", "daemon", "service"};

// Tests that need no daemon still run in a state dir of their own, with the fixture's tag: if a
// command ever reached for a daemon by mistake, it would start it there, and teardown kills it.
class CliBasics : public ::testing::Test {
 protected:
  std::map<std::string, std::string> plain_env() const { return unstarted_.daemon_env(); }
  bool daemon_was_started() const { return std::filesystem::exists(unstarted_.socket()); }

 private:
  DaemonFixture unstarted_;
};

TEST_F(CliBasics, VersionPrintsTheProgramAndItsVersion) {
  for (const char* flag : {"--version", "-V", "version"}) {
    auto r = run_cli({flag}, plain_env());
    EXPECT_EQ(r.status, 0) << describe(r);
    EXPECT_EQ(r.out, std::string("backburner ") + BACKBURNER_VERSION + "\n");
    EXPECT_EQ(r.err, "");
  }
}

TEST_F(CliBasics, HelpListsEveryCommand) {
  auto r = run_cli({"--help"}, plain_env());
  EXPECT_EQ(r.status, 0) << describe(r);
  EXPECT_THAT(r.out, StartsWith("Usage: backburner COMMAND"));
  for (const auto& c : kCommands) EXPECT_THAT(r.out, HasSubstr("\n  " + c)) << c;
  EXPECT_THAT(r.out, HasSubstr("list, ls"));
}

TEST_F(CliBasics, EveryCommandHasItsOwnHelp) {
  for (const auto& c : kCommands) {
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{c, "--help"}, {c, "-h"}, {"help", c}}) {
      auto r = run_cli(args, plain_env());
      EXPECT_EQ(r.status, 0) << c << ": " << describe(r);
      EXPECT_THAT(r.out, StartsWith("Usage: backburner " + c)) << c;
      EXPECT_THAT(r.out, HasSubstr("Options:")) << c;
      EXPECT_EQ(r.err, "") << c;
    }
  }
}

TEST_F(CliBasics, WaitHelpDocumentsItsExitStatuses) {
  auto r = run_cli({"wait", "--help"}, plain_env());
  for (const char* code : {"124", "125", "128+S", "129", "130"})
    EXPECT_THAT(r.out, HasSubstr(code));
}

TEST_F(CliBasics, NoArgumentsPrintsTheOverviewOnStderrAsAUsageError) {
  auto r = run_cli({}, plain_env());
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, HasSubstr("Usage: backburner COMMAND"));
}

TEST_F(CliBasics, AnUnknownCommandIsAUsageErrorOnStderr) {
  auto r = run_cli({"frobnicate"}, plain_env());
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, HasSubstr("unknown command \"frobnicate\""));
  EXPECT_THAT(r.err, HasSubstr("backburner --help"));
}

TEST_F(CliBasics, AnUnknownOptionIsAUsageErrorNamingTheCommand) {
  auto r = run_cli({"list", "--bogus"}, plain_env());
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, HasSubstr("backburner list: unknown option --bogus"));
  EXPECT_THAT(r.err, HasSubstr("backburner list --help"));
}

TEST_F(CliBasics, MissingArgumentsAndBadValuesAreUsageErrors) {
  const std::vector<std::vector<std::string>> cases = {
      {"status"},
      {"logs"},
      {"wait"},
      {"cancel"},
      {"start"},
      {"status", "a", "b"},
      {"daemon"},
      {"daemon", "restart"},
      {"list", "--limit", "0"},
      {"list", "--status", "sleeping"},
      {"logs", "--tail", "x", "id"},
      {"start", "--timeout", "-3", "--", "true"},
      {"wait", "--timeout", "soon", "id"},
      {"service", "install", "--os", "plan9", "--dry-run"},
      {"list", "--limit"}};
  for (const auto& args : cases) {
    auto r = run_cli(args, plain_env());
    const std::string what = ::testing::PrintToString(args);
    EXPECT_NE(r.status, 0) << what;
    EXPECT_EQ(r.out, "") << what;
    EXPECT_THAT(r.err, StartsWith("backburner")) << what;
  }
  EXPECT_FALSE(daemon_was_started()) << "a usage error must be reported before any connection";
}

TEST(CliColour, OutputThroughAPipeHasNoColour) {
  DaemonFixture d;
  d.start();
  d.wait_task(d.start_task("exit 3")["task_id"]);
  auto env = d.daemon_env();
  env["TERM"] = "xterm-256color";
  auto r = run_cli({"list"}, env);
  EXPECT_EQ(r.status, 0) << describe(r);
  EXPECT_THAT(r.out, HasSubstr("failed"));
  EXPECT_THAT(r.out, Not(HasSubstr("\x1b[")));
}

TEST(CliColour, ATerminalGetsColourUnlessNoColorIsSet) {
  if (!terminal_supported()) GTEST_SKIP() << "no pseudo-terminal a test can read on this platform";
  DaemonFixture d;
  d.start();
  auto t = d.start_task("exit 3");
  d.wait_task(t["task_id"]);
  auto env = d.daemon_env();
  env["TERM"] = "xterm-256color";
  auto coloured = run_cli({"list"}, env, std::chrono::seconds(30), {.terminal = true});
  EXPECT_EQ(coloured.status, 0) << describe(coloured);
  EXPECT_THAT(coloured.out, HasSubstr("\x1b[31mfailed\x1b[0m"));

  env["NO_COLOR"] = "1";
  auto plain = run_cli({"list"}, env, std::chrono::seconds(30), {.terminal = true});
  EXPECT_EQ(plain.status, 0) << describe(plain);
  EXPECT_THAT(plain.out, HasSubstr("failed"));
  EXPECT_THAT(plain.out, Not(HasSubstr("\x1b[")));

  env.erase("NO_COLOR");
  env["TERM"] = "dumb";
  auto dumb = run_cli({"list"}, env, std::chrono::seconds(30), {.terminal = true});
  EXPECT_THAT(dumb.out, Not(HasSubstr("\x1b[")));
}

}  // namespace
}  // namespace bb::test
