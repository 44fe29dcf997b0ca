// End to end: systemd socket activation (LISTEN_FDS), driven by systemd-socket-activate, which
// listens, then on the first connection execs the daemon with the socket as fd 3.
#include <csignal>
#include <filesystem>

#include <gtest/gtest.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon_fixture.h"

extern char** environ;

namespace bb::test {
namespace {

using nlohmann::json;

TEST(DaemonActivation, ADaemonServesASocketHandedOverBySystemdAndLeavesItInPlace) {
  const char* activator = "/usr/bin/systemd-socket-activate";
  if (::access(activator, X_OK) != 0) BB_SKIP_OR_FAIL("systemd-socket-activate is not installed");
  DaemonFixture d;  // for its temp dir, its env and its teardown
  const auto sock = d.home() / "activated.sock";
  auto env = d.daemon_env();
  env["BACKBURNER_SOCKET"] = sock.string();
  std::vector<std::string> args = {activator, "-l", sock.string()};
  for (const auto& [k, v] : env) {
    args.push_back("-E");
    args.push_back(k + "=" + v);
  }
  args.push_back((bin_dir() / "backburnerd").string());
  args.push_back("--foreground");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> own_env = {"PATH=/usr/bin:/bin", "BB_TEST_TAG=" + d.tag()};
  std::vector<char*> envp;
  for (auto& e : own_env) envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  ASSERT_EQ(::posix_spawn(&pid, activator, &fa, nullptr, argv.data(), envp.data()), 0);
  posix_spawn_file_actions_destroy(&fa);

  // The activator listens first; the first connection starts the daemon, which answers it.
  ASSERT_TRUE(eventually([&] { return std::filesystem::exists(sock); }));
  auto c = RpcClient::connect(sock.string());
  ASSERT_TRUE(std::holds_alternative<RpcClient>(c)) << std::get<std::string>(c);
  RpcClient client = std::move(std::get<RpcClient>(c));
  proto::HelloParams hello;
  hello.client = {"activation-test", "1"};
  auto h = client.hello(hello);
  ASSERT_TRUE(std::holds_alternative<proto::HelloResult>(h)) << std::get<RpcError>(h).message;
  EXPECT_EQ(std::get<proto::HelloResult>(h).pid, pid) << "the activator execs the daemon in place";
  auto info = client.call("daemon.info", json::object(), std::chrono::seconds(20));
  ASSERT_TRUE(std::holds_alternative<json>(info));
  EXPECT_EQ(std::get<json>(info)["socket"], sock.string());

  client.call("daemon.shutdown", json::object(), std::chrono::seconds(20));
  int status = 0;
  ASSERT_TRUE(eventually([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, std::chrono::seconds(20)));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  // The socket belongs to the socket unit, which will serve it again: it stays.
  EXPECT_TRUE(std::filesystem::exists(sock));
}

}  // namespace
}  // namespace bb::test
