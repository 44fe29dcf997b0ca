// End to end: the daemon's own life (restarts, crashes, single instance) never loses a task.
#include <csignal>
#include <fstream>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <gmock/gmock.h>
#include <iostream>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "daemon_fixture.h"
#include "process_identity.h"

namespace bb::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

// Keeper and shell of a running task, from the keeper's run file.
std::map<std::string, std::int64_t> run_record(const std::filesystem::path& dir) {
  std::map<std::string, std::int64_t> out;
  eventually([&] {
    std::ifstream f(dir / "run");
    std::string line;
    while (std::getline(f, line)) {
      auto eq = line.find('=');
      if (eq != std::string::npos && line.compare(0, eq, "boot_id") != 0)
        out[line.substr(0, eq)] = std::stoll(line.substr(eq + 1));
    }
    return out.count("shell_pid") > 0;
  });
  return out;
}

TEST(DaemonLifecycle, AKilledDaemonLosesNoTaskAndTheNextOneRecordsItsRealExitCode) {
  DaemonFixture d;
  d.start();
  auto gate = d.home() / "gate";
  json t = d.start_task("while [ ! -e " + shell_quote(gate.string()) + " ]; do sleep 0.05; done; exit 42");
  d.kill9();
  // The task keeps running with no daemon at all.
  auto run = run_record(d.task_dir(t["task_id"]));
  ASSERT_TRUE(process_exists(run["shell_pid"]));
  d.start();
  json mid = d.call("task.get", {{"task_id", t["task_id"]}});
  EXPECT_EQ(mid["status"], "working");  // re-adopted, not interrupted
  std::ofstream(gate).put('x');
  json done = d.wait_task(t["task_id"]);
  EXPECT_EQ(done["status"], "failed");
  EXPECT_EQ(done["exit_code"], 42);
}

TEST(DaemonLifecycle, AnOutcomeThatArrivesWhileTheDaemonIsDownIsRecorded) {
  DaemonFixture d;
  d.start();
  auto gate = d.home() / "gate";
  json t = d.start_task("while [ ! -e " + shell_quote(gate.string()) + " ]; do sleep 0.05; done; echo bye");
  d.stop();
  std::ofstream(gate).put('x');
  // The keeper records the outcome, then exits: wait for both, so the next daemon finds it gone.
  auto run = run_record(d.task_dir(t["task_id"]));
  ASSERT_TRUE(eventually([&] { return std::filesystem::exists(d.task_dir(t["task_id"]) / "outcome"); }));
  ASSERT_TRUE(eventually([&] { return !process_exists(run["keeper_pid"]); }));
  d.start();
  json got = d.call("task.get", {{"task_id", t["task_id"]}});
  EXPECT_EQ(got["status"], "completed");
  EXPECT_EQ(got["exit_code"], 0);
}

TEST(DaemonLifecycle, ADeadlineThatPassesWhileTheDaemonIsDownEndsTimedOut) {
  DaemonFixture d;
  d.start();
  json t = d.start_task("sleep 60", 0.5);
  auto run = run_record(d.task_dir(t["task_id"]));
  d.kill9();
  ASSERT_TRUE(eventually([&] { return std::filesystem::exists(d.task_dir(t["task_id"]) / "outcome"); }));
  ASSERT_TRUE(eventually([&] { return !process_exists(run["keeper_pid"]); }));
  d.start();
  json got = d.call("task.get", {{"task_id", t["task_id"]}});
  EXPECT_EQ(got["status"], "timed_out");
  EXPECT_FALSE(got.contains("exit_code"));
}

TEST(DaemonLifecycle, KeeperAndTaskKilledWhileTheDaemonIsDownEndInterrupted) {
  DaemonFixture d;
  d.start();
  json t = d.start_task("sleep 60");
  auto run = run_record(d.task_dir(t["task_id"]));
  d.kill9();
  ::kill(static_cast<pid_t>(run["keeper_pid"]), SIGKILL);
  ::kill(-static_cast<pid_t>(run["shell_pid"]), SIGKILL);
  ASSERT_TRUE(eventually([&] { return !process_exists(run["keeper_pid"]) && !process_exists(run["shell_pid"]); }));
  d.start();
  json got = d.call("task.get", {{"task_id", t["task_id"]}});
  EXPECT_EQ(got["status"], "interrupted");
  EXPECT_FALSE(got.contains("exit_code"));
}

TEST(DaemonLifecycle, AKeeperKilledWhileTheDaemonRunsEndsItsTaskInterruptedAndKillsTheRest) {
  DaemonFixture d;
  d.start();
  json t = d.start_task("sleep 60");
  auto run = run_record(d.task_dir(t["task_id"]));
  ::kill(static_cast<pid_t>(run["keeper_pid"]), SIGKILL);
  json got = d.wait_task(t["task_id"]);
  EXPECT_EQ(got["status"], "interrupted");
  EXPECT_TRUE(eventually([&] { return !process_exists(run["shell_pid"]); }));
}

TEST(DaemonLifecycle, StoppingTheDaemonLeavesTasksRunning) {
  DaemonFixture d;
  d.start();
  json t = d.start_task("sleep 60");
  auto run = run_record(d.task_dir(t["task_id"]));
  RpcClient idle = d.client();  // a connection still open while the daemon stops
  d.call("daemon.shutdown", json::object());
  ASSERT_TRUE(eventually([&] { return !process_exists(d.pid()); }));
  EXPECT_EQ(d.stop(), 0) << "the daemon must exit cleanly (a sanitizer report exits non-zero)";
  EXPECT_TRUE(process_exists(run["shell_pid"]));
  d.start();
  EXPECT_EQ(d.call("task.get", {{"task_id", t["task_id"]}})["status"], "working");
  d.call("task.cancel", {{"task_id", t["task_id"]}});
}

TEST(DaemonLifecycle, SigtermStopsTheDaemonButNotItsTasks) {
  DaemonFixture d;
  d.start();
  json t = d.start_task("sleep 60");
  auto run = run_record(d.task_dir(t["task_id"]));
  RpcClient idle = d.client();
  EXPECT_EQ(d.stop(), 0);
  EXPECT_TRUE(process_exists(run["shell_pid"]));
  EXPECT_FALSE(std::filesystem::exists(d.socket()));
}

TEST(DaemonLifecycle, ASecondDaemonOnTheSameStateDirIsRefusedWithoutDisturbingTheFirst) {
  DaemonFixture d;
  d.start();
  std::string err;
  int status = d.run_daemon_expecting_exit({"--foreground"}, std::chrono::seconds(20), &err);
  EXPECT_EQ(status, 3);
  EXPECT_THAT(err, HasSubstr("already serves"));
  EXPECT_THAT(err, HasSubstr(std::to_string(d.pid())));
  EXPECT_EQ(d.call("daemon.info", json::object())["pid"], d.pid());
}

TEST(DaemonLifecycle, WithoutForegroundTheDaemonDetachesOnceItServes) {
  DaemonFixture d;
  std::string err;
  int status = d.run_daemon_expecting_exit({}, std::chrono::seconds(20), &err);
  ASSERT_EQ(status, 0) << err;
  json info = d.call("daemon.info", json::object());
  std::int64_t pid = info["pid"];
  EXPECT_GT(pid, 0);
  d.call("daemon.shutdown", json::object());
  EXPECT_TRUE(eventually([&] { return !process_exists(pid); }));
}

TEST(DaemonLifecycle, TheStateDirIsPrivateAndTheSocketIsOwnerOnly) {
  DaemonFixture d;
  d.start();
  struct stat st {};
  ASSERT_EQ(::stat((d.home() / "state").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat(d.socket().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::ifstream pidf(d.home() / "state" / "backburnerd.pid");
  std::int64_t pid = 0;
  pidf >> pid;
  EXPECT_EQ(pid, d.pid());
}

mode_t mode_of(const std::filesystem::path& p) {
  struct stat st {};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

TEST(DaemonLifecycle, AStateDirOfOursThatOthersCanEnterIsMadePrivateAndEverythingInItToo) {
  DaemonFixture d;
  std::filesystem::create_directory(d.home() / "state");
  ::chmod((d.home() / "state").c_str(), 0755);
  // Whatever umask the daemon starts with, what it and its keepers create is private.
  const mode_t old = ::umask(0);
  d.start();
  ::umask(old);
  EXPECT_EQ(mode_of(d.home() / "state"), 0700u);
  json t = d.start_task("echo hi");
  d.wait_task(t["task_id"]);
  const auto dir = d.task_dir(t["task_id"]);
  EXPECT_EQ(mode_of(dir), 0700u);
  for (const char* f : {"output.log", "run", "outcome", "keeper.log", "keeper.lock"})
    EXPECT_EQ(mode_of(dir / f), 0600u) << f;
  for (const char* f : {"backburner.db", "backburner.db-wal", "backburnerd.lock", "backburnerd.pid"})
    EXPECT_EQ(mode_of(d.home() / "state" / f), 0600u) << f;
  EXPECT_EQ(mode_of(d.socket()) & 0777, 0600u);
}

TEST(DaemonLifecycle, TheTasksOwnUmaskIsTheOneItsStarterHad) {
  DaemonFixture d;
  const mode_t old = ::umask(022);
  d.start();
  ::umask(old);
  json t = d.start_task("umask; touch made");
  d.wait_task(t["task_id"]);
  json out = d.call("task.output", {{"task_id", t["task_id"]}});
  EXPECT_EQ(out["output"], "0022\n");
  EXPECT_EQ(mode_of(d.home() / "made"), 0644u);
}

// Context switches of every thread of a process: a process blocked in epoll_wait has none.
std::uint64_t context_switches(std::int64_t pid) {
  std::uint64_t total = 0;
  for (const auto& t : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task")) {
    std::ifstream f(t.path() / "status");
    std::string line;
    while (std::getline(f, line))
      if (line.rfind("voluntary_ctxt_switches:", 0) == 0 ||
          line.rfind("nonvoluntary_ctxt_switches:", 0) == 0)
        total += std::stoull(line.substr(line.find(':') + 1));
  }
  return total;
}

TEST(DaemonLifecycle, AnIdleDaemonNeverWakesUpEvenWithATaskRunning) {
  DaemonFixture d;
  d.start();
  json t = d.start_task("sleep 60");
  d.call("task.get", {{"task_id", t["task_id"]}});
  // Let the connection's close be processed, then watch the daemon do nothing.
  struct timespec settle {0, 200'000'000};
  nanosleep(&settle, nullptr);
  std::uint64_t before = context_switches(d.pid());
  struct timespec idle {1, 0};
  nanosleep(&idle, nullptr);
  EXPECT_EQ(context_switches(d.pid()), before) << "the daemon woke up while idle";
  d.call("task.cancel", {{"task_id", t["task_id"]}});
}

// A blocking HTTP/1.1 exchange with the dashboard on the loopback interface.
class HttpLink {
 public:
  explicit HttpLink(int port) : socket_(io_) {
    socket_.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::address_v4::loopback(),
                                                   static_cast<unsigned short>(port)));
  }
  // Sends a request and reads until `needle` arrived (the response's head, an event...).
  std::string exchange(const std::string& request, const std::string& needle) {
    boost::asio::write(socket_, boost::asio::buffer(request));
    return read_until(needle);
  }
  std::string read_until(const std::string& needle) {
    std::string got;
    char buf[4096];
    while (got.find(needle) == std::string::npos) {
      boost::system::error_code ec;
      const std::size_t n = socket_.read_some(boost::asio::buffer(buf), ec);
      if (ec) break;
      got.append(buf, n);
    }
    return got;
  }

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_;
};

// Signs in with a fresh token; returns the session cookie ("name=value").
std::string dashboard_cookie(int port, const std::string& url) {
  const std::string host = "Host: 127.0.0.1:" + std::to_string(port) + "\r\n";
  HttpLink link(port);
  const std::string head =
      link.exchange("GET /" + url.substr(url.find('?')) + " HTTP/1.1\r\n" + host +
                        "Connection: close\r\n\r\n",
                    "\r\n\r\n");
  const auto at = head.find("Set-Cookie: ");
  if (at == std::string::npos) return "";
  const auto start = at + 12;
  return head.substr(start, head.find(';', start) - start);
}

// Wake-ups of an idle daemon over `seconds`, its dashboard listening.
std::uint64_t wakeups_over(std::int64_t pid, int seconds) {
  struct timespec settle {0, 300'000'000};
  nanosleep(&settle, nullptr);
  const std::uint64_t before = context_switches(pid);
  struct timespec idle {seconds, 0};
  nanosleep(&idle, nullptr);
  return context_switches(pid) - before;
}

TEST(DaemonLifecycle, TheDashboardCostsAnIdleDaemonNoWakeUpWithThePageClosedOrOpen) {
  DaemonFixture d(std::map<std::string, std::string>{{"BACKBURNER_DASHBOARD_PORT", "0"}});
  d.start();
  json t = d.start_task("sleep 60");
  json opened = d.call("dashboard.open", json::object());
  const int port = opened["port"];
  const std::string cookie = dashboard_cookie(port, opened["url"]);
  ASSERT_FALSE(cookie.empty());
  const std::string host = "Host: 127.0.0.1:" + std::to_string(port) + "\r\n";
  {
    // The page was open and is closed again: its connections are gone.
    HttpLink page(port);
    page.exchange("GET /api/tasks HTTP/1.1\r\n" + host + "Cookie: " + cookie +
                      "\r\nConnection: close\r\n\r\n",
                  "\"total\"");
  }
  const std::uint64_t closed = wakeups_over(d.pid(), 10);
  ::testing::Test::RecordProperty("dashboard_wakeups_10s_page_closed", std::to_string(closed));
  std::cout << "[ figures  ] daemon wake-ups in 10 s, dashboard listening, page closed: "
            << closed << "\n";
  EXPECT_EQ(closed, 0u) << "the daemon woke up with the dashboard listening and nobody on it";

  // A page's live stream open, nothing changing.
  HttpLink stream(port);
  const std::string hello = stream.exchange("GET /api/events HTTP/1.1\r\n" + host + "Cookie: " +
                                                cookie + "\r\n\r\n",
                                            "event: hello");
  ASSERT_NE(hello.find("event: hello"), std::string::npos) << hello;
  const std::uint64_t open = wakeups_over(d.pid(), 10);
  ::testing::Test::RecordProperty("dashboard_wakeups_10s_stream_open", std::to_string(open));
  std::cout << "[ figures  ] daemon wake-ups in 10 s, a page's live stream open, nothing changing: "
            << open << "\n";
  EXPECT_EQ(open, 0u) << "the daemon woke up with a live stream open and nothing changing";

  // And the stream is live: the task's end arrives on it.
  d.call("task.cancel", {{"task_id", t["task_id"]}});
  const std::string ended = stream.read_until("\"status\":\"cancelled\"");
  EXPECT_NE(ended.find("\"status\":\"cancelled\""), std::string::npos);
}

TEST(DaemonLifecycle, DaemonInfoReportsVersionPidUptimeAndCounts) {
  DaemonFixture d;
  d.start();
  d.wait_task(d.start_task("true")["task_id"]);
  json info = d.call("daemon.info", json::object());
  EXPECT_EQ(info["pid"], d.pid());
  EXPECT_TRUE(info["version"].is_string());
  EXPECT_GE(info["uptime_seconds"].get<double>(), 0);
  EXPECT_EQ(info["counts"]["completed"], 1);
  EXPECT_EQ(info["counts"]["working"], 0);
}

}  // namespace
}  // namespace bb::test

namespace bb::test {
namespace {

TEST(DaemonDurability, FastModeRunsTasksAndAnUnknownSettingKeepsFull) {
  DaemonFixture fast(DaemonEnv{{"BACKBURNER_DURABILITY", "fast"}});
  fast.start();
  auto t = fast.start_task("echo quick");
  EXPECT_EQ(fast.wait_task(t["task_id"])["status"], "completed");
  EXPECT_TRUE(std::filesystem::exists(fast.task_dir(t["task_id"]) / "outcome"));
  DaemonFixture odd(DaemonEnv{{"BACKBURNER_DURABILITY", "sometimes"}});
  odd.start();
  auto u = odd.start_task("echo fine");
  EXPECT_EQ(odd.wait_task(u["task_id"])["status"], "completed");
}

}  // namespace
}  // namespace bb::test
