// Unit: the dashboard's API over HTTP, answered by the real TaskManager, OutputService and
// EventHub with fake processes (no keeper is started): paging, filters, the timeline, ranges of
// a log, rerun, and dashboard.open's links.
#include <chrono>
#include <fstream>
#include <future>
#include <set>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "dashboard.h"
#include "keeper_files.h"
#include "paths.h"

namespace bb {
namespace {

using nlohmann::json;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

class NoLauncher : public KeeperLauncher {
 public:
  std::variant<ProcessIdentity, std::string> launch(const KeeperSpec&,
                                                    Running on_running) override {
    if (on_running) on_running(next_pid + 10000);  // the shell runs at once
    return ProcessIdentity{next_pid++, 1};
  }
  std::int64_t next_pid = 1000;
};

class StillWatcher : public ProcessWatcher {
 public:
  Watch watch(const ProcessIdentity& id, OnExit on_exit) override {
    callbacks[id.pid] = std::move(on_exit);
    return Watch::watching;
  }
  bool request_cancel(const ProcessIdentity&) override { return true; }
  bool request_stdin_close(const ProcessIdentity&) override { return true; }
  void kill_orphaned_group(const ProcessIdentity&) override {}
  bool alive(const ProcessIdentity&) override { return true; }
  Lock keeper_lock(const std::filesystem::path&) override { return Lock::absent; }
  std::map<std::int64_t, OnExit> callbacks;
};

class NoOutputWatcher : public OutputWatcher {
 public:
  bool watch(const std::string&, const std::filesystem::path&, std::function<void()>) override {
    return true;
  }
  void unwatch(const std::string&) override {}
};

struct HttpReply {
  unsigned status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
  json j() const { return json::parse(body); }
};

// One request on its own connection, read to the end (Connection: close).
HttpReply http(std::uint16_t port, const std::string& request) {
  asio::io_context io;
  tcp::socket s(io);
  s.connect(tcp::endpoint(asio::ip::address_v4::loopback(), port));
  asio::write(s, asio::buffer(request));
  std::string raw;
  char buf[65536];
  boost::system::error_code ec;
  for (;;) {
    const std::size_t n = s.read_some(asio::buffer(buf), ec);
    if (ec) break;
    raw.append(buf, n);
  }
  HttpReply r;
  const auto end = raw.find("\r\n\r\n");
  if (end == std::string::npos) return r;
  std::istringstream head(raw.substr(0, end));
  std::string line;
  std::getline(head, line);
  r.status = static_cast<unsigned>(std::stoi(line.substr(9, 3)));
  while (std::getline(head, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string k = line.substr(0, colon);
    for (auto& c : k) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers[k] = line.substr(colon + 2);
  }
  r.body = raw.substr(end + 4);
  return r;
}

class DashboardApiTest : public ::testing::Test {
 protected:
  DashboardApiTest() {
    paths.home = dir.path();
    paths.tasks_dir = dir.path() / "tasks";
    std::filesystem::create_directories(paths.tasks_dir);
    store = std::make_unique<TaskStore>(dir.path() / "db");
    TaskManagerOptions o;
    tasks = std::make_unique<TaskManager>(io, *store, launcher, watcher, paths, o);
    events = std::make_unique<EventHub>(io, *tasks, output_watcher);
    workers = std::make_unique<WorkerPool>(io, 1);
    output = std::make_unique<OutputService>(io, *tasks, *workers);
    tasks->add_listener(events.get());
    auto info = [this] {
      proto::DaemonInfo d;
      d.version = "9.9.9";
      d.pid = 1;
      d.started_at = "2026-11-24T10:30:00.000Z";
      d.counts = tasks->counts();
      d.log_bytes = 1234;
      return d;
    };
    DashboardOptions opts;
    opts.port = 0;
    dashboard = std::make_unique<Dashboard>(
        io, DashboardServices{*tasks, *workers, *output, *events, policy, info}, opts);
  }
  template <typename F>
  auto on_loop(F f) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto fut = task.get_future();
    asio::post(io, [&task] { task(); });
    return fut.get();
  }
  ~DashboardApiTest() override {
    if (thread.joinable()) {
      on_loop([this] {
        dashboard->stop();
        return 0;
      });
      guard.reset();
      io.stop();
      thread.join();
    }
  }
  proto::TaskView start(const std::string& command, const std::string& client = "tests",
                        const std::string& label = "") {
    proto::StartParams p;
    p.command = command;
    p.cwd = dir.path().string();
    if (!label.empty()) p.label = label;
    auto r = tasks->start(p, {client, "1"});
    return std::get<proto::TaskView>(r);
  }
  // Serves, and signs in as a browser would.
  void serve() {
    auto opened = dashboard->open();
    ASSERT_TRUE(std::holds_alternative<proto::DashboardOpenResult>(opened));
    const auto& o = std::get<proto::DashboardOpenResult>(opened);
    port = static_cast<std::uint16_t>(o.port);
    EXPECT_EQ(o.base_url, "http://127.0.0.1:" + std::to_string(port) + "/");
    EXPECT_EQ(o.url.rfind(o.base_url + "?token=", 0), 0u);
    thread = std::thread([this] { io.run(); });
    const std::string token = o.url.substr(o.url.find("token=") + 6);
    HttpReply r = http(port, "GET /?token=" + token + " HTTP/1.1\r\n" + host() + "Connection: close\r\n\r\n");
    ASSERT_EQ(r.status, 303u);
    cookie = r.headers["set-cookie"].substr(0, r.headers["set-cookie"].find(';'));
    csrf = get("/api/session").j()["csrf"];
  }
  std::string host() const { return "Host: 127.0.0.1:" + std::to_string(port) + "\r\n"; }
  HttpReply get(const std::string& target, const std::string& extra = "") {
    return http(port, "GET " + target + " HTTP/1.1\r\n" + host() + "Cookie: " + cookie + "\r\n" +
                          extra + "Connection: close\r\n\r\n");
  }
  HttpReply post(const std::string& target) {
    return http(port, "POST " + target + " HTTP/1.1\r\n" + host() + "Cookie: " + cookie +
                          "\r\nOrigin: http://127.0.0.1:" + std::to_string(port) +
                          "\r\nX-Backburner-CSRF: " + csrf +
                          "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  }

  test::TempDir dir;
  StatePaths paths;
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
  std::unique_ptr<TaskStore> store;
  NoLauncher launcher;
  StillWatcher watcher;
  NoOutputWatcher output_watcher;
  CommandPolicy policy;
  std::unique_ptr<TaskManager> tasks;
  std::unique_ptr<EventHub> events;
  std::unique_ptr<WorkerPool> workers;
  std::unique_ptr<OutputService> output;
  std::unique_ptr<Dashboard> dashboard;
  std::thread thread;
  std::uint16_t port = 0;
  std::string cookie, csrf;
};

TEST_F(DashboardApiTest, NothingListensUntilOpenAndEachOpenMintsAnotherToken) {
  EXPECT_FALSE(dashboard->base_url());
  auto a = std::get<proto::DashboardOpenResult>(dashboard->open());
  auto b = std::get<proto::DashboardOpenResult>(dashboard->open());
  EXPECT_EQ(a.port, b.port);
  EXPECT_NE(a.url, b.url);
  EXPECT_EQ(dashboard->base_url(), a.base_url);
  EXPECT_EQ(a.token_expires_in_seconds, 600);
}

TEST_F(DashboardApiTest, TheListIsNewestFirstAndPagedWithoutOverlap) {
  std::vector<std::string> ids;
  for (int i = 0; i < 120; ++i) ids.push_back(start("echo " + std::to_string(i)).task_id);
  serve();
  std::vector<std::string> seen;
  std::string cursor;
  int pages = 0;
  for (;;) {
    HttpReply r = get("/api/tasks?limit=50" + (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(r.status, 200u) << r.body;
    json j = r.j();
    EXPECT_EQ(j["total"], 120);
    for (const auto& t : j["tasks"]) seen.push_back(t["task_id"]);
    ++pages;
    if (!j.contains("next_cursor")) break;
    cursor = j["next_cursor"];
  }
  EXPECT_EQ(pages, 3);
  std::vector<std::string> newest_first(ids.rbegin(), ids.rend());
  EXPECT_EQ(seen, newest_first);
  EXPECT_EQ(get("/api/tasks?limit=0").status, 400u);
  EXPECT_EQ(get("/api/tasks?limit=201").status, 400u);
  EXPECT_EQ(get("/api/tasks?cursor=nope").status, 400u);
}

TEST_F(DashboardApiTest, TheListFiltersByStatusLabelClientAndText) {
  start("make test", "claude-code", "ci");
  start("npm run Build", "cursor", "web");
  start("sleep 5", "claude-code");
  serve();
  auto ids = [&](const std::string& q) {
    std::set<std::string> out;
    HttpReply r = get("/api/tasks?" + q);
    EXPECT_EQ(r.status, 200u) << q << ": " << r.body;
    const json j = r.j();
    for (const auto& t : j["tasks"]) out.insert(t["command"].get<std::string>());
    return out;
  };
  EXPECT_EQ(ids("client=claude-code"), (std::set<std::string>{"make test", "sleep 5"}));
  EXPECT_EQ(ids("label=web"), (std::set<std::string>{"npm run Build"}));
  EXPECT_EQ(ids("q=BUILD"), (std::set<std::string>{"npm run Build"}));
  EXPECT_EQ(ids("q=ci"), (std::set<std::string>{"make test"}));  // the label matches
  EXPECT_EQ(ids("status=working&client=cursor"), (std::set<std::string>{"npm run Build"}));
  EXPECT_EQ(ids("status=failed"), (std::set<std::string>{}));
  EXPECT_EQ(get("/api/tasks?status=bogus").status, 400u);
  json h = get("/api/health").j();
  EXPECT_EQ(h["version"], "9.9.9");
  EXPECT_EQ(h["working"], 3);
  EXPECT_EQ(h["log_bytes"], 1234);
  EXPECT_EQ(h["clients"], (json{"claude-code", "cursor"}));
}

TEST_F(DashboardApiTest, TheLogDownloadHonoursRanges) {
  auto t = start("cat big");
  const std::string content = [] {
    std::string s;
    for (int i = 0; i < 10000; ++i) s += "line " + std::to_string(i) + "\n";
    return s;
  }();
  std::ofstream(task_dir(paths, t.task_id) / keeper::kOutputFile, std::ios::binary) << content;
  serve();
  const std::string path = "/api/tasks/" + t.task_id + "/log";
  HttpReply whole = get(path);
  EXPECT_EQ(whole.status, 200u);
  EXPECT_EQ(whole.body, content);
  EXPECT_EQ(whole.headers["accept-ranges"], "bytes");
  EXPECT_EQ(whole.headers["content-disposition"],
            "attachment; filename=\"backburner-" + t.task_id + ".log\"");
  HttpReply part = get(path, "Range: bytes=10-19\r\n");
  EXPECT_EQ(part.status, 206u);
  EXPECT_EQ(part.body, content.substr(10, 10));
  EXPECT_EQ(part.headers["content-range"], "bytes 10-19/" + std::to_string(content.size()));
  HttpReply last = get(path, "Range: bytes=-7\r\n");
  EXPECT_EQ(last.body, content.substr(content.size() - 7));
  HttpReply beyond = get(path, "Range: bytes=99999999-\r\n");
  EXPECT_EQ(beyond.status, 416u);
  EXPECT_EQ(beyond.headers["content-range"], "bytes */" + std::to_string(content.size()));
  EXPECT_EQ(get("/api/tasks/nosuchtask/log").status, 404u);

  // The output API: a tail, then range reads from where it ended.
  json tail = get("/api/tasks/" + t.task_id + "/output?tail=2").j();
  EXPECT_EQ(tail["output"], "line 9998\nline 9999\n");
  EXPECT_EQ(tail["next_offset"], content.size());
  json range = get("/api/tasks/" + t.task_id + "/output?offset=0&max_bytes=7").j();
  EXPECT_EQ(range["output"], "line 0\n");
  json grep = get("/api/tasks/" + t.task_id + "/output?grep=%5Eline%20999%24").j();
  ASSERT_EQ(grep["matches"].size(), 1u);
  EXPECT_EQ(grep["matches"][0]["line"], 1000);
}

TEST_F(DashboardApiTest, TheTimelineHoldsTheTasksAliveInTheWindow) {
  auto t = start("sleep 100");
  serve();
  json j = get("/api/timeline?hours=1").j();
  ASSERT_EQ(j["tasks"].size(), 1u);
  EXPECT_EQ(j["tasks"][0]["task_id"], t.task_id);
  EXPECT_EQ(j["tasks"][0]["status"], "working");
  // A window that ended before the task began holds nothing.
  json before = get("/api/timeline?from=1000&to=2000").j();
  EXPECT_EQ(before["tasks"].size(), 0u);
  EXPECT_EQ(get("/api/timeline?hours=0").status, 400u);
}

TEST_F(DashboardApiTest, RerunStartsAFinishedTasksCommandAgainAsTheDashboard) {
  auto t = start("make check", "claude-code", "ci");
  // The keeper exits without an outcome: the task ends (interrupted) on the loop.
  const auto keeper = *store->get(t.task_id)->keeper_pid;
  serve();
  EXPECT_EQ(post("/api/tasks/" + t.task_id + "/rerun").status, 409u);  // still running
  on_loop([&] {
    auto cb = std::move(watcher.callbacks[keeper]);
    cb(std::nullopt);
    return 0;
  });
  HttpReply r = post("/api/tasks/" + t.task_id + "/rerun");
  ASSERT_EQ(r.status, 201u) << r.body;
  json n = r.j();
  EXPECT_NE(n["task_id"], t.task_id);
  EXPECT_EQ(n["command"], "make check");
  EXPECT_EQ(n["cwd"], dir.path().string());
  EXPECT_EQ(n["label"], "ci");
  EXPECT_EQ(n["client"]["name"], "backburner-dashboard");
  // Without the CSRF header the same request changes nothing.
  HttpReply forged = http(port, "POST /api/tasks/" + t.task_id + "/rerun HTTP/1.1\r\n" + host() +
                                    "Cookie: " + cookie + "\r\nOrigin: http://127.0.0.1:" +
                                    std::to_string(port) + "\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(forged.status, 403u);
  EXPECT_EQ(get("/api/tasks").j()["total"], 2);
}

TEST_F(DashboardApiTest, UnknownTasksAndPathsAre404AndThePageIsServedWithItsCsp) {
  serve();
  HttpReply r = get("/api/tasks/abcdefghij");
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(r.j()["error"]["code"], proto::error::kTaskNotFound);
  EXPECT_EQ(get("/nope.html").status, 404u);
  HttpReply page = get("/");
  EXPECT_EQ(page.status, 200u);
  EXPECT_EQ(page.headers["content-type"], "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("<script src=\"/app.js\" defer></script>"), std::string::npos);
  EXPECT_EQ(page.body.find("<script>"), std::string::npos) << "no inline script";
  EXPECT_EQ(get("/app.js").headers["content-type"], "text/javascript; charset=utf-8");
}

}  // namespace
}  // namespace bb
