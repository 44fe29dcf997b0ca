// DaemonClient against a scripted daemon on a real Unix socket: connection reuse, a daemon
// that went away, the retry rule (never resend a start), cancellation, and autostart failures.
#include "daemon_client.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <fstream>
#include <mutex>
#include <thread>

#include "paths.h"

namespace bb::shim {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using std::chrono::milliseconds;

// Serves the daemon protocol's framing on a socket. The handler's answer for a request is its
// result, or {"error": {...}}, or the string "close" (drop the connection unanswered) or
// "hang" (never answer). hello is answered by default.
class ScriptedDaemon {
 public:
  std::function<json(const std::string& method, const json& params)> handler =
      [](const std::string&, const json&) { return json::object(); };
  // This many hellos are dropped unanswered first, as by a daemon exiting as it accepts.
  std::atomic<int> hellos_to_drop{0};

  explicit ScriptedDaemon(const fs::path& socket) {
    listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, socket.c_str(), sizeof addr.sun_path - 1);
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(listen_fd_, 16), 0);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~ScriptedDaemon() {
    stop_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    acceptor_.join();
    drop_connections();
    for (auto& t : servers_) t.join();
    ::close(listen_fd_);
  }
  // Closes every open connection, as a daemon that died would.
  void drop_connections() {
    std::lock_guard lock(mutex_);
    for (int fd : open_) ::shutdown(fd, SHUT_RDWR);
  }
  int connections() const { return connections_; }
  std::vector<std::string> methods() const {
    std::lock_guard lock(mutex_);
    return methods_;
  }
  json hello_params() const {
    std::lock_guard lock(mutex_);
    return hello_;
  }

 private:
  void accept_loop() {
    while (!stop_) {
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;
      ++connections_;
      std::lock_guard lock(mutex_);
      open_.push_back(fd);
      servers_.emplace_back([this, fd] { serve(fd); });
    }
  }
  void serve(int fd) {
    std::string buffer;
    char buf[4096];
    while (true) {
      const auto n = ::read(fd, buf, sizeof buf);
      if (n <= 0) break;
      buffer.append(buf, static_cast<std::size_t>(n));
      std::size_t nl;
      bool closing = false;
      while (!closing && (nl = buffer.find('\n')) != std::string::npos) {
        const auto req = json::parse(buffer.substr(0, nl));
        buffer.erase(0, nl + 1);
        const std::string method = req["method"];
        {
          std::lock_guard lock(mutex_);
          methods_.push_back(method);
          if (method == "hello") hello_ = req["params"];
        }
        const json answer = method != "hello"      ? handler(method, req.value("params", json()))
                            : hellos_to_drop-- > 0 ? json("close")
                                                   : json(proto::HelloResult{});
        if (answer == "close") {
          closing = true;
        } else if (answer != "hang") {
          json resp = {{"jsonrpc", "2.0"}, {"id", req["id"]}};
          if (answer.is_object() && answer.contains("error")) {
            resp["error"] = answer["error"];
          } else {
            resp["result"] = answer;
          }
          const auto line = resp.dump() + "\n";
          EXPECT_EQ(::write(fd, line.data(), line.size()), static_cast<ssize_t>(line.size()));
        }
      }
      if (closing) break;
    }
    std::lock_guard lock(mutex_);
    open_.erase(std::remove(open_.begin(), open_.end(), fd), open_.end());
    ::close(fd);
  }

  int listen_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread acceptor_;
  mutable std::mutex mutex_;
  std::vector<std::thread> servers_;
  std::vector<int> open_;
  std::vector<std::string> methods_;
  json hello_;
};

class DaemonClientTest : public ::testing::Test {
 protected:
  bb::test::TempDir dir;

  DaemonClientConfig config(std::vector<fs::path> candidates = {}) {
    DaemonClientConfig c;
    StatePaths p;
    p.home = dir.path() / "home";
    p.socket = dir.path() / "d.sock";
    p.log_file = p.home / "backburnerd.log";
    c.paths = p;
    c.hello.client = {"backburner-mcp", "test"};
    c.hello.policy.deny = {"rm -rf"};
    c.autostart.daemon_candidates =
        candidates.empty() ? std::vector<fs::path>{dir.path() / "no-such-daemon"} : candidates;
    c.autostart.start_timeout = milliseconds(5000);
    return c;
  }
  fs::path socket() const { return dir.path() / "d.sock"; }
};

TEST_F(DaemonClientTest, ACallSaysHelloWithTheClientsPolicyAndTheConnectionIsReused) {
  ScriptedDaemon daemon(socket());
  DaemonClient client(config());
  CancelToken cancel;
  EXPECT_TRUE(
      std::holds_alternative<json>(client.call("task.get", {}, milliseconds(5000), cancel)));
  EXPECT_TRUE(
      std::holds_alternative<json>(client.call("task.list", {}, milliseconds(5000), cancel)));
  EXPECT_EQ(daemon.connections(), 1);
  EXPECT_EQ(daemon.methods(), (std::vector<std::string>{"hello", "task.get", "task.list"}));
  EXPECT_EQ(daemon.hello_params()["client"]["name"], "backburner-mcp");
  EXPECT_EQ(daemon.hello_params()["policy"]["deny"], json::array({"rm -rf"}));
}

TEST_F(DaemonClientTest, AConnectionClosedWhileIdleIsReplacedEvenForAStart) {
  ScriptedDaemon daemon(socket());
  DaemonClient client(config());
  CancelToken cancel;
  client.call("task.get", {}, milliseconds(5000), cancel);
  daemon.drop_connections();  // the daemon restarted between two calls
  const auto out = client.call("task.start", {{"command", "true"}}, milliseconds(5000), cancel);
  EXPECT_TRUE(std::holds_alternative<json>(out));
  EXPECT_EQ(daemon.connections(), 2);
}

TEST_F(DaemonClientTest, AConnectionLostDuringASafeCallIsRetriedOnceOnANewOne) {
  ScriptedDaemon daemon(socket());
  std::atomic<int> gets{0};
  daemon.handler = [&](const std::string&, const json&) -> json {
    return ++gets == 1 ? json("close") : json({{"task_id", "x"}});
  };
  DaemonClient client(config());
  CancelToken cancel;
  const auto out = client.call("task.get", {}, milliseconds(5000), cancel);
  ASSERT_TRUE(std::holds_alternative<json>(out));
  EXPECT_EQ(std::get<json>(out)["task_id"], "x");
  EXPECT_EQ(daemon.connections(), 2);
}

TEST_F(DaemonClientTest, AConnectionDroppedAtHelloIsReplacedOnceEvenForAStart) {
  ScriptedDaemon daemon(socket());
  daemon.hellos_to_drop = 1;
  DaemonClient client(config());
  CancelToken cancel;
  const auto out = client.call("task.start", {{"command", "true"}}, milliseconds(5000), cancel);
  EXPECT_TRUE(std::holds_alternative<json>(out));
  EXPECT_EQ(daemon.connections(), 2);
  const auto m = daemon.methods();
  EXPECT_EQ(std::count(m.begin(), m.end(), "task.start"), 1);
}

TEST_F(DaemonClientTest, AConnectionDroppedAtHelloTwiceIsReportedWithoutSendingTheRequest) {
  ScriptedDaemon daemon(socket());
  daemon.hellos_to_drop = 2;
  DaemonClient client(config());
  CancelToken cancel;
  const auto out = client.call("task.start", {{"command", "true"}}, milliseconds(5000), cancel);
  ASSERT_TRUE(std::holds_alternative<RpcError>(out));
  EXPECT_NE(std::get<RpcError>(out).message.find("closed the connection at hello"),
            std::string::npos);
  EXPECT_EQ(daemon.methods(), (std::vector<std::string>{"hello", "hello"}));
}

TEST_F(DaemonClientTest, AStartWhoseConnectionBrokeAfterSendingIsNotResent) {
  ScriptedDaemon daemon(socket());
  daemon.handler = [](const std::string&, const json&) -> json { return "close"; };
  DaemonClient client(config());
  CancelToken cancel;
  const auto out = client.call("task.start", {{"command", "true"}}, milliseconds(5000), cancel);
  ASSERT_TRUE(std::holds_alternative<RpcError>(out));
  EXPECT_NE(std::get<RpcError>(out).message.find("may or may not have started"), std::string::npos);
  const auto m = daemon.methods();
  EXPECT_EQ(std::count(m.begin(), m.end(), "task.start"), 1);
}

TEST_F(DaemonClientTest, AStartWithAnIdempotencyKeyIsResentOnceWithTheSameKey) {
  ScriptedDaemon daemon(socket());
  std::atomic<int> starts{0};
  std::mutex m;
  std::vector<json> keys;
  daemon.handler = [&](const std::string& method, const json& params) -> json {
    if (method != "task.start") return json::object();
    {
      std::lock_guard lock(m);
      keys.push_back(params.value("idempotency_key", json()));
    }
    return ++starts == 1 ? json("close") : json({{"task_id", "t1"}});
  };
  DaemonClient client(config());
  CancelToken cancel;
  const auto out = client.call("task.start", {{"command", "true"}, {"idempotency_key", "k1"}},
                               milliseconds(5000), cancel);
  ASSERT_TRUE(std::holds_alternative<json>(out));
  EXPECT_EQ(std::get<json>(out)["task_id"], "t1");
  std::lock_guard lock(m);
  EXPECT_EQ(keys, (std::vector<json>{"k1", "k1"}));
}

TEST_F(DaemonClientTest, AKeyedStartThatBreaksTwiceSaysTheTaskMayOrMayNotHaveStarted) {
  ScriptedDaemon daemon(socket());
  daemon.handler = [](const std::string&, const json&) -> json { return "close"; };
  DaemonClient client(config());
  CancelToken cancel;
  const auto out = client.call("task.start", {{"command", "true"}, {"idempotency_key", "k"}},
                               milliseconds(5000), cancel);
  ASSERT_TRUE(std::holds_alternative<RpcError>(out));
  EXPECT_NE(std::get<RpcError>(out).message.find("may or may not have started"), std::string::npos);
  const auto methods = daemon.methods();
  EXPECT_EQ(std::count(methods.begin(), methods.end(), "task.start"), 2);
}

TEST_F(DaemonClientTest, ADaemonErrorIsPassedThroughWithoutRetrying) {
  ScriptedDaemon daemon(socket());
  daemon.handler = [](const std::string&, const json&) -> json {
    return {{"error", {{"code", proto::error::kTaskNotFound}, {"message", "no task"}}}};
  };
  DaemonClient client(config());
  CancelToken cancel;
  const auto out = client.call("task.get", {}, milliseconds(5000), cancel);
  ASSERT_TRUE(std::holds_alternative<RpcError>(out));
  EXPECT_EQ(std::get<RpcError>(out).code, proto::error::kTaskNotFound);
  EXPECT_EQ(daemon.connections(), 1);
}

TEST_F(DaemonClientTest, CancellingABlockedCallShutsItsConnectionDown) {
  ScriptedDaemon daemon(socket());
  daemon.handler = [](const std::string&, const json&) -> json { return "hang"; };
  DaemonClient client(config());
  CancelToken cancel;
  std::thread canceller([&] {
    while (daemon.methods().size() < 2) std::this_thread::sleep_for(milliseconds(1));
    cancel.cancel();
  });
  const auto out = client.call("task.wait", {}, milliseconds(60000), cancel);
  canceller.join();
  ASSERT_TRUE(std::holds_alternative<RpcError>(out));
  EXPECT_EQ(std::get<RpcError>(out).code, kTransportError);
  EXPECT_EQ(daemon.connections(), 1) << "a cancelled call is not retried";
}

TEST_F(DaemonClientTest, NoDaemonAndNothingToStartIsAnErrorThatSaysWhatToInstall) {
  DaemonClient client(config());
  CancelToken cancel;
  const auto out = client.call("task.list", {}, milliseconds(5000), cancel);
  ASSERT_TRUE(std::holds_alternative<RpcError>(out));
  const auto& msg = std::get<RpcError>(out).message;
  EXPECT_NE(msg.find("Could not reach the backburner daemon"), std::string::npos) << msg;
  EXPECT_NE(msg.find("backburnerd was found neither"), std::string::npos) << msg;
}

TEST_F(DaemonClientTest, ADaemonThatFailsToStartIsReportedWithItsOwnWords) {
  const auto fake = dir.path() / "backburnerd";
  {
    std::ofstream script(fake);
    script << "#!/bin/sh\necho 'cannot open the store: disk full' >&2\nexit 3\n";
  }
  ::chmod(fake.c_str(), 0755);
  DaemonClient client(config({fake}));
  CancelToken cancel;
  const auto out = client.call("task.list", {}, milliseconds(5000), cancel);
  ASSERT_TRUE(std::holds_alternative<RpcError>(out));
  const auto& msg = std::get<RpcError>(out).message;
  EXPECT_NE(msg.find("exited with status 3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("disk full"), std::string::npos) << msg;
  EXPECT_TRUE(fs::exists(autostart_lock_path(*config().paths))) << "the start took the lock";
}

TEST_F(DaemonClientTest, UnresolvableStatePathsAreReportedOnEveryCall) {
  DaemonClientConfig c;
  c.paths_error = "neither BACKBURNER_HOME nor HOME is set";
  DaemonClient client(std::move(c));
  CancelToken cancel;
  const auto out = client.call("task.list", {}, milliseconds(5000), cancel);
  ASSERT_TRUE(std::holds_alternative<RpcError>(out));
  EXPECT_NE(std::get<RpcError>(out).message.find("HOME"), std::string::npos);
}

}  // namespace
}  // namespace bb::shim
