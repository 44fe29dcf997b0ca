// backburner dashboard: prints a fresh link (starting the daemon if need be), opens it when
// asked, and the link is a real one: the daemon answers it on the loopback interface.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "cli_process.h"
#include "utf8_path.h"

namespace bb::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

std::map<std::string, std::string> env_of(const DaemonFixture& d) {
  auto env = d.daemon_env();
  env["BACKBURNER_DASHBOARD_PORT"] = "0";  // tests run side by side: any free port
  return env;
}

// A dashboard link with its token (std::regex: GoogleTest's own regular expressions on Windows
// know neither classes nor counts).
bool is_link(const std::string& text) {
  static const std::regex link(R"(http://127\.0\.0\.1:[0-9]+/\?token=[0-9a-f]{64})");
  return std::regex_match(text, link);
}

TEST(CliDashboard, PrintUrlStartsTheDaemonAndPrintsOnlyAFreshLink) {
  DaemonFixture d(std::map<std::string, std::string>{{"BACKBURNER_DASHBOARD_PORT", "0"}});
  auto a = run_cli({"dashboard", "--print-url"}, env_of(d));
  ASSERT_EQ(a.status, 0) << describe(a);
  ASSERT_FALSE(a.out.empty());
  EXPECT_EQ(a.out.back(), '\n');
  EXPECT_TRUE(is_link(a.out.substr(0, a.out.size() - 1))) << a.out;
  auto b = run_cli({"dashboard", "--print-url"}, env_of(d));
  ASSERT_EQ(b.status, 0) << describe(b);
  EXPECT_NE(a.out, b.out) << "every call mints another token";
  EXPECT_EQ(a.out.substr(0, a.out.find('?')), b.out.substr(0, b.out.find('?')));
  auto info = run_cli({"daemon", "status", "--json"}, env_of(d));
  EXPECT_EQ(json::parse(info.out)["dashboard_url"], a.out.substr(0, a.out.find('?')));
  run_cli({"daemon", "stop"}, env_of(d));
}

TEST(CliDashboard, PlainlyItSaysWhatTheLinkIsForAndJsonGivesTheWholeAnswer) {
  DaemonFixture d(std::map<std::string, std::string>{{"BACKBURNER_DASHBOARD_PORT", "0"}});
  d.start();
  auto r = run_cli({"dashboard"}, env_of(d));
  ASSERT_EQ(r.status, 0) << describe(r);
  EXPECT_THAT(r.out, HasSubstr("Dashboard: http://127.0.0.1:"));
  EXPECT_THAT(r.out, HasSubstr("once, within 10 minutes"));
  auto j = run_cli({"dashboard", "--json"}, env_of(d));
  ASSERT_EQ(j.status, 0) << describe(j);
  json o = json::parse(j.out);
  EXPECT_EQ(o["token_expires_in_seconds"], 600);
  EXPECT_EQ(o["base_url"], "http://127.0.0.1:" + std::to_string(o["port"].get<int>()) + "/");
}

TEST(CliDashboard, OpenHandsTheLinkToTheBrowser) {
  DaemonFixture d(std::map<std::string, std::string>{{"BACKBURNER_DASHBOARD_PORT", "0"}});
  d.start();
  const auto seen = d.home() / "opened";
  // A browser whose path has a space in it (a .cmd script on Windows).
  const auto dir = d.home() / "my browser";
  std::filesystem::create_directory(dir);
  const auto browser = write_recording_program(dir, "browser", seen);
  auto env = env_of(d);
  env["BACKBURNER_BROWSER"] = path_utf8(browser);
  auto r = run_cli({"dashboard", "--open"}, env);
  ASSERT_EQ(r.status, 0) << describe(r);
  std::ifstream f(seen, std::ios::binary);
  std::string url((std::istreambuf_iterator<char>(f)), {});
  ASSERT_FALSE(url.empty());
  EXPECT_EQ(url.back(), '\n');
  url.pop_back();
  EXPECT_TRUE(is_link(url)) << url;
  EXPECT_THAT(r.out, HasSubstr(url));

  env["BACKBURNER_BROWSER"] = path_utf8(dir / "no-such-browser");
  auto failed = run_cli({"dashboard", "--open"}, env);
  EXPECT_EQ(failed.status, 1) << describe(failed);
  EXPECT_THAT(failed.err, HasSubstr("open the link above yourself"));
  EXPECT_THAT(failed.out, HasSubstr("?token="));  // printed anyway
}

TEST(CliDashboard, OpenAndPrintUrlTogetherAreAUsageError) {
  DaemonFixture d;
  auto r = run_cli({"dashboard", "--open", "--print-url"}, env_of(d));
  EXPECT_EQ(r.status, 2) << describe(r);
}

TEST(CliDashboard, APortThatIsTakenIsSaidSo) {
  DaemonFixture d;
  d.start();
  // The daemon's own dashboard takes one port; a second daemon told to use it cannot.
  auto first = run_cli({"dashboard", "--json"}, env_of(d));
  ASSERT_EQ(first.status, 0) << describe(first);
  const int port = json::parse(first.out)["port"];
  DaemonFixture other(std::map<std::string, std::string>{{"BACKBURNER_DASHBOARD_PORT", std::to_string(port)}});
  other.start();
  auto r = run_cli({"dashboard"}, other.daemon_env());
  EXPECT_EQ(r.status, 1) << describe(r);
  EXPECT_THAT(r.err, HasSubstr("cannot listen on 127.0.0.1:" + std::to_string(port)));
  EXPECT_THAT(r.err, HasSubstr("BACKBURNER_DASHBOARD_PORT"));
}

}  // namespace
}  // namespace bb::test
