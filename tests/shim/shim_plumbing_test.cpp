// The pieces around the MCP layer: stdin line framing, the task environment, the policy split.
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <thread>

#include "policy_config.h"
#include "stdio_transport.h"
#include "task_environment.h"

namespace bb::shim {
namespace {

struct Read {
  std::vector<std::string> lines;
  std::vector<std::size_t> oversized;
};

WriteAll write_to(int fd) {
  return [fd](std::string_view data) {
    while (!data.empty()) {
      const auto n = ::write(fd, data.data(), data.size());
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  };
}

Read read_all(const std::string& input, std::size_t max_line) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  std::thread writer([&] {
    std::string_view rest = input;
    while (!rest.empty()) {
      const auto n =
          ::write(fds[1], rest.data(), std::min<std::size_t>(rest.size(), 7));  // small chunks
      if (n <= 0) break;
      rest.remove_prefix(static_cast<std::size_t>(n));
    }
    ::close(fds[1]);
  });
  Read r;
  read_lines([&](char* data, std::size_t size) { return ::read(fds[0], data, size); }, max_line,
             [&](std::string_view l) { r.lines.emplace_back(l); },
             [&](std::size_t n) { r.oversized.push_back(n); });
  writer.join();
  ::close(fds[0]);
  return r;
}

TEST(StdioTransport, SplitsInputIntoLinesAcrossReadBoundaries) {
  const auto r = read_all("{\"a\":1}\n{\"b\":2}\n\nlast-without-newline", 1000);
  EXPECT_EQ(r.lines,
            (std::vector<std::string>{"{\"a\":1}", "{\"b\":2}", "", "last-without-newline"}));
  EXPECT_TRUE(r.oversized.empty());
}

TEST(StdioTransport, AnOversizedLineIsSkippedAndReportedAndTheNextLineStillArrives) {
  const auto r = read_all(std::string(50, 'x') + "\nok\n", 20);
  EXPECT_EQ(r.lines, (std::vector<std::string>{"ok"}));
  ASSERT_EQ(r.oversized.size(), 1u);
  EXPECT_EQ(r.oversized[0], 50u);
}

TEST(StdioTransport, TheSinkWritesOneLinePerMessage) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  LineSink sink(write_to(fds[1]));
  sink.write_line("{\"x\":1}");
  sink.write_line("{\"y\":2}");
  ::close(fds[1]);
  char buf[64] = {};
  const auto n = ::read(fds[0], buf, sizeof buf - 1);
  ::close(fds[0]);
  EXPECT_EQ(std::string(buf, static_cast<std::size_t>(n)), "{\"x\":1}\n{\"y\":2}\n");
  EXPECT_FALSE(sink.failed());
}

TEST(StdioTransport, TheSinkStopsAfterTheReaderGoesAway) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::close(fds[0]);
  std::signal(SIGPIPE, SIG_IGN);
  LineSink sink(write_to(fds[1]));
  sink.write_line("{}");
  EXPECT_TRUE(sink.failed());
  ::close(fds[1]);
}

TEST(TaskEnvironment, CopiesTheEnvironmentAndDropsEntriesThatAreNotUtf8) {
  const std::vector<std::string> block = {"PATH=/bin", "BAD=\xff\xfe", "EMPTY=", "NOEQUALS",
                                          "=C:=C:\\dir"};
  std::vector<std::string> dropped;
  const auto env = task_environment(block, &dropped);
  EXPECT_EQ(env, (std::map<std::string, std::string>{{"PATH", "/bin"}, {"EMPTY", ""}}));
  EXPECT_EQ(dropped, std::vector<std::string>{"BAD"});
}

TEST(PolicyConfig, SplitsOnCommasTrimsAndDropsEmptyItems) {
  EXPECT_EQ(split_policy_list("rm -rf, sudo ,,  ,curl.*\\|\\s*sh"),
            (std::vector<std::string>{"rm -rf", "sudo", "curl.*\\|\\s*sh"}));
  EXPECT_TRUE(split_policy_list("").empty());
  EXPECT_TRUE(split_policy_list(" , ,").empty());
}

TEST(PolicyConfig, ReadsAllowAndDenyFromTheEnvironment) {
  const EnvLookup env = [](std::string_view name) -> std::optional<std::string> {
    if (name == "BACKBURNER_ALLOW") return "^make,^pytest";
    if (name == "BACKBURNER_DENY") return "rm -rf";
    return std::nullopt;
  };
  const auto p = policy_from_env(env);
  EXPECT_EQ(p.allow, (std::vector<std::string>{"^make", "^pytest"}));
  EXPECT_EQ(p.deny, std::vector<std::string>{"rm -rf"});
  EXPECT_TRUE(
      policy_from_env([](std::string_view) { return std::optional<std::string>(); }).allow.empty());
}

}  // namespace
}  // namespace bb::shim
