// The benchmark's sections. Where a figure has a floor, the floor's runs are interleaved with
// the figure's runs, so that a noisy neighbour slows both alike.
#include <SQLiteCpp/SQLiteCpp.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>
#include <thread>

#include "measure.h"
#include "protocol.h"

namespace bench {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;
namespace method = bb::proto::method;

namespace {

constexpr double kMB = 1e6;  // targets speak of MB; figures are in 10^6 bytes

std::string size_words(std::uint64_t bytes) {
  if (bytes % (1ull << 30) == 0) return std::to_string(bytes >> 30) + " GiB";
  if (bytes % (1ull << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  return std::to_string(bytes) + " B";
}

json start_task(bb::RpcClient& c, const Config& cfg, const std::string& command,
                std::optional<double> timeout_seconds = std::nullopt) {
  json p = {{"command", command}, {"cwd", cfg.work_dir}};
  if (timeout_seconds) p["timeout_seconds"] = *timeout_seconds;
  return call(c, method::kTaskStart, p);
}

// Waits for every id (task.wait takes at most kMaxWaitTasks ids); throws unless all finished.
json wait_all(bb::RpcClient& c, const std::vector<std::string>& ids, double timeout_seconds) {
  json tasks = json::array();
  for (std::size_t i = 0; i < ids.size(); i += bb::proto::kMaxWaitTasks) {
    const auto end = std::min(ids.size(), i + bb::proto::kMaxWaitTasks);
    json chunk(std::vector<std::string>(ids.begin() + static_cast<std::ptrdiff_t>(i),
                                        ids.begin() + static_cast<std::ptrdiff_t>(end)));
    json w = call(c, method::kTaskWait, {{"task_ids", chunk}, {"timeout_seconds", timeout_seconds}},
                  milliseconds(static_cast<long long>(timeout_seconds * 1000) + 15000));
    if (!w.value("all_finished", false))
      throw std::runtime_error("tasks still working after the wait's timeout");
    for (auto& t : w["tasks"]) tasks.push_back(t);
  }
  return tasks;
}

void expect_completed(const json& task) {
  if (task.value("status", "") != "completed")
    throw std::runtime_error("task " + task.value("task_id", "?") + " ended " +
                             task.value("status", "?") + ": " + task.dump());
}

// CPU time on the processor (ns, /proc/<pid>/task/*/schedstat) and context switches (each one a
// wake-up or a preemption) over every thread of a process.
struct CpuUse {
  double run_ms = 0;
  std::uint64_t switches = 0;
};

CpuUse cpu_use(pid_t pid) {
  CpuUse u;
  const fs::path tasks = "/proc/" + std::to_string(pid) + "/task";
  std::error_code ec;
  for (const auto& t : fs::directory_iterator(tasks, ec)) {
    std::ifstream sched(t.path() / "schedstat");
    std::uint64_t run_ns = 0;
    if (sched >> run_ns) u.run_ms += static_cast<double>(run_ns) / 1e6;
    std::ifstream status(t.path() / "status");
    std::string line;
    while (std::getline(status, line)) {
      if (line.rfind("voluntary_ctxt_switches:", 0) == 0 ||
          line.rfind("nonvoluntary_ctxt_switches:", 0) == 0)
        u.switches += std::stoull(line.substr(line.find(':') + 1));
    }
  }
  return u;
}

std::vector<double> rss_samples_mb(pid_t pid, int n, milliseconds gap) {
  std::vector<double> out;
  for (int i = 0; i < n; ++i) {
    if (i > 0) std::this_thread::sleep_for(gap);
    if (auto r = rss_kib(pid)) out.push_back(static_cast<double>(*r) * 1024.0 / kMB);
  }
  return out;
}

std::vector<double> kib_to_mb(std::vector<double> v) {
  for (auto& x : v) x = x * 1024.0 / kMB;
  return v;
}

// A peer that answers each line with a reply of a given size over a socketpair: the floor of a
// request/response round trip between two processes' worth of scheduling.
class EchoPeer {
 public:
  explicit EchoPeer(std::size_t reply_bytes)
      : reply_(std::max<std::size_t>(reply_bytes, 2) - 1, 'x') {
    reply_ += '\n';
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
      throw std::runtime_error(std::string("socketpair: ") + std::strerror(errno));
    mine_ = sv[0];
    theirs_ = sv[1];
    thread_ = std::thread([this] { serve(); });
  }
  ~EchoPeer() {
    ::shutdown(mine_, SHUT_RDWR);
    thread_.join();
    ::close(mine_);
    ::close(theirs_);
  }
  double round_trip(const std::string& line) {
    const auto t0 = Clock::now();
    write_all(mine_, line);
    read_line(mine_, buffer_);
    return ms_since(t0);
  }

 private:
  static void write_all(int fd, std::string_view d) {
    while (!d.empty()) {
      ssize_t n = ::send(fd, d.data(), d.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw std::runtime_error("echo send failed");
      }
      d.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  static bool read_line(int fd, std::string& buf) {
    for (;;) {
      if (auto nl = buf.find('\n'); nl != std::string::npos) {
        buf.erase(0, nl + 1);
        return true;
      }
      char tmp[65536];
      ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      buf.append(tmp, static_cast<std::size_t>(n));
    }
  }
  void serve() {
    std::string buf;
    try {
      while (read_line(theirs_, buf)) write_all(theirs_, reply_);
    } catch (...) {
    }
  }

  std::string reply_;
  std::string buffer_;
  int mine_ = -1;
  int theirs_ = -1;
  std::thread thread_;
};

bool executable(const std::string& path) { return ::access(path.c_str(), X_OK) == 0; }

std::optional<std::string> find_in_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string_view rest = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  while (!rest.empty()) {
    auto colon = rest.find(':');
    std::string dir(rest.substr(0, colon));
    rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
    if (dir.empty()) continue;
    std::string candidate = dir + "/" + name;
    if (executable(candidate)) return candidate;
  }
  return std::nullopt;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// task-spooler is `tsp` on Debian; elsewhere `ts`, a name moreutils also uses for another tool.
std::optional<std::string> find_task_spooler(const std::string& scratch) {
  if (auto p = find_in_path("tsp")) return p;
  if (auto p = find_in_path("ts")) {
    SpawnOptions o;
    o.stdout_path = scratch;
    run({*p, "-V"}, o);
    const std::string v = read_file(scratch);
    if (v.find("Task Spooler") != std::string::npos || v.find("task-spooler") != std::string::npos)
      return p;
  }
  return std::nullopt;
}

// Starts backburner-keeper for a `true` task the way the daemon does (task dir made first,
// stdin/stdout on /dev/null, stderr on keeper.log), without the daemon.
pid_t spawn_keeper_direct(const Config& cfg, const fs::path& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0) throw std::runtime_error("mkdir " + dir.string());
  SpawnOptions o;
  o.stderr_path = (dir / "keeper.log").string();
  return spawn({cfg.bin_dir + "/backburner-keeper", "--task-dir", dir.string(), "--cwd",
                cfg.work_dir, "--", "true"},
               o);
}

}  // namespace

// ---------------------------------------------------------------------------------------------

void bench_idle(const Config& cfg, Daemon& d, Report& report) {
  const std::string section = "memory and idle CPU";
  std::this_thread::sleep_for(milliseconds(300));  // let the start settle
  const auto floor = kib_to_mb(sleep_rss_kib(5));

  const CpuUse before = cpu_use(d.pid());
  const auto t0 = Clock::now();
  std::vector<double> rss;
  const int steps = std::max(1, static_cast<int>(cfg.idle_seconds * 2));
  for (int i = 0; i < steps; ++i) {
    check_stop();
    std::this_thread::sleep_for(milliseconds(500));
    if (auto r = rss_kib(d.pid())) rss.push_back(static_cast<double>(*r) * 1024.0 / kMB);
  }
  const double window_s = ms_since(t0) / 1000.0;
  const CpuUse after = cpu_use(d.pid());
  const double cpu = after.run_ms - before.run_ms;
  // Reading its /proc files does not wake the daemon; nothing else talks to it meanwhile.
  const auto wakeups = static_cast<double>(after.switches - before.switches);

  Row r;
  r.section = section;
  r.figure = "daemon RSS, idle";
  r.unit = "MB";
  r.value = summarize(rss);
  r.floor = summarize(floor);
  r.floor_what = "RSS of a `sleep` process";
  r.target = "<= 10 MB";
  r.holds = r.value->median <= 10.0;
  report.add(r);

  char window[64];
  std::snprintf(window, sizeof window, "%.0f s", window_s);
  Row c;
  c.section = section;
  c.figure = std::string("daemon CPU time while idle, over ") + window;
  c.unit = "ms";
  c.value = summarize({cpu});
  c.target = "~0 (< 10 ms)";
  c.holds = cpu < 10.0;
  report.add(c);

  Row w;
  w.section = section;
  w.figure = std::string("daemon wake-ups while idle, over ") + window;
  w.unit = "";
  w.value = summarize({wakeups});
  w.target = "0";
  w.holds = wakeups == 0;
  report.add(w);
}

void bench_latency(const Config& cfg, Daemon& d, Report& report) {
  const std::string section = "latency";
  auto conn = d.connect();
  std::vector<double> lat, exit_to_answer, floor;
  auto one = [&](bool record) {
    const auto t0 = Clock::now();
    json s = start_task(conn, cfg, "true");
    const std::string id = s.at("task_id");
    json w = call(conn, method::kTaskWait, {{"task_ids", {id}}, {"timeout_seconds", 30}});
    const double answered_at = realtime_ms();
    const double ms = ms_since(t0);
    if (!w.value("all_finished", false))
      throw std::runtime_error("`true` still working after 30 s");
    const json& t = w.at("tasks").at(0);
    expect_completed(t);
    if (record) {
      lat.push_back(ms);
      exit_to_answer.push_back(answered_at - iso_to_ms(t.at("finished_at")));
    }
  };
  const fs::path kdirs = fs::path(cfg.root) / "keeper-direct";
  fs::create_directories(kdirs);
  std::vector<double> keeper_alone;
  for (int i = 0; i < 3; ++i) one(false);
  for (int i = 0; i < cfg.latency_reps; ++i) {
    check_stop();
    floor.push_back(time_sh_true());
    one(true);
    const auto k0 = Clock::now();
    reap(spawn_keeper_direct(cfg, kdirs / std::to_string(i)));
    keeper_alone.push_back(ms_since(k0));
  }
  fs::remove_all(kdirs);
  Row r;
  r.section = section;
  r.figure = "start -> finished, `true`, socket (task.start + task.wait)";
  r.unit = "ms";
  r.value = summarize(lat);
  r.floor = summarize(floor);
  r.floor_what = "posix_spawn + waitpid of `/bin/sh -c true`";
  r.target = "<= floor + 3 ms";
  r.holds = r.value->median - r.floor->median <= 3.0;
  report.add(r);

  Row k;
  k.section = section;
  k.figure = "keeper alone, `true` (mkdir, spawn keeper, waitpid; no daemon)";
  k.unit = "ms";
  k.value = summarize(keeper_alone);
  k.floor = r.floor;
  k.floor_what = r.floor_what;
  k.note =
      "what the keeper and its files cost by themselves: the rest of the figure above is the "
      "daemon";
  report.add(k);

  Row e;
  e.section = section;
  e.figure = "task exit -> task.wait answered, socket";
  e.unit = "ms";
  e.value = summarize(exit_to_answer);
  e.note = "exit time as the keeper records it (whole ms)";
  report.add(e);
}

void bench_status_round_trip(const Config& cfg, Daemon& d, Report& report) {
  auto conn = d.connect();
  json s = start_task(conn, cfg, "true");
  const std::string id = s.at("task_id");
  wait_all(conn, {id}, 30);
  json reply = call(conn, method::kTaskGet, {{"task_id", id}});
  // The daemon's answer line: the result plus the JSON-RPC envelope.
  EchoPeer echo(reply.dump().size() + 30);
  const std::string request =
      json{{"jsonrpc", "2.0"}, {"id", 12345}, {"method", "task.get"}, {"params", {{"task_id", id}}}}
          .dump() +
      "\n";
  std::vector<double> rtt, floor;
  for (int i = 0; i < 50; ++i) call(conn, method::kTaskGet, {{"task_id", id}});
  for (int i = 0; i < cfg.rtt_reps; ++i) {
    if (i % 64 == 0) check_stop();
    floor.push_back(echo.round_trip(request));
    const auto t0 = Clock::now();
    call(conn, method::kTaskGet, {{"task_id", id}});
    rtt.push_back(ms_since(t0));
  }
  Row r;
  r.section = "round trips";
  r.figure = "status round trip (task.get), socket";
  r.unit = "ms";
  r.value = summarize(rtt);
  r.floor = summarize(floor);
  r.floor_what = "the same line sizes echoed over a socketpair by a thread";
  r.target = "< 0.3 ms";
  r.holds = r.value->median < 0.3;
  report.add(r);
}

void bench_shim(const Config& cfg, Daemon& d, Report& report) {
  const std::string section = "shim (backburner-mcp)";
  const std::string exe = cfg.mcp_path();
  const std::vector<std::string> figures = {
      "shim cold start -> tools/list answered", "status round trip (task_status), shim",
      "start -> finished, `true`, shim (start_task + wait_task)",
      "task exit -> wait_task returned, shim"};
  if (!executable(exe)) {
    for (const auto& f : figures) {
      Row r;
      r.section = section;
      r.figure = f;
      r.note = "n/a (shim not built)";
      report.add(r);
    }
    return;
  }
  const auto& env = d.client_env();
  const std::string stderr_log = cfg.root + "/shim.stderr.log";

  // Cold start: spawn, initialize, initialized, tools/list answered.
  std::vector<double> cold, cold_floor;
  const std::string init_line =
      json{{"jsonrpc", "2.0"},
           {"id", 1},
           {"method", "initialize"},
           {"params",
            {{"protocolVersion", "2025-11-25"},
             {"capabilities", json::object()},
             {"clientInfo", {{"name", "backburner-bench"}, {"version", "1"}}}}}}
          .dump();
  auto cold_once = [&]() {
    const auto t0 = Clock::now();
    McpSession s(exe, env);
    s.initialize();
    json tools = s.request("tools/list", json::object());
    const double ms = ms_since(t0);
    if (!tools.contains("tools") || tools["tools"].empty())
      throw std::runtime_error("tools/list answered without tools");
    s.finish();
    return ms;
  };
  cold_once();  // page cache warm, like every start after the first
  for (int i = 0; i < cfg.shim_cold_reps; ++i) {
    check_stop();
    {
      const auto t0 = Clock::now();
      LineChild cat({"cat"}, &env);
      cat.send(init_line);
      cat.read_line();
      cold_floor.push_back(ms_since(t0));
      cat.finish();
    }
    cold.push_back(cold_once());
  }
  Row r;
  r.section = section;
  r.figure = figures[0];
  r.unit = "ms";
  r.value = summarize(cold);
  r.floor = summarize(cold_floor);
  r.floor_what = "spawn `cat`, one line echoed back";
  r.target = "< 20 ms";
  r.holds = r.value->median < 20.0;
  report.add(r);

  // One session for the rest.
  McpSession s(exe, env);
  s.initialize();
  LineChild cat({"cat"}, &env);

  std::vector<double> lat, exit_to_answer, lat_floor;
  std::string last_id;
  auto one = [&](bool record) {
    const auto t0 = Clock::now();
    json st = s.tool("start_task", {{"command", "true"}, {"cwd", cfg.work_dir}});
    const std::string id = st.at("task_id");
    json w = s.tool("wait_task", {{"task_ids", {id}}, {"timeout_seconds", 30}});
    const double answered_at = realtime_ms();
    const double ms = ms_since(t0);
    if (!w.value("all_finished", false))
      throw std::runtime_error("`true` still working after 30 s");
    const json& t = w.at("tasks").at(0);
    expect_completed(t);
    last_id = id;
    if (record) {
      lat.push_back(ms);
      exit_to_answer.push_back(answered_at - iso_to_ms(t.at("finished_at")));
    }
  };
  for (int i = 0; i < 3; ++i) one(false);
  for (int i = 0; i < cfg.shim_latency_reps; ++i) {
    check_stop();
    lat_floor.push_back(time_sh_true());
    one(true);
  }

  std::vector<double> rtt, rtt_floor;
  for (int i = 0; i < 20; ++i) s.tool("task_status", {{"task_id", last_id}});
  for (int i = 0; i < cfg.shim_rtt_reps; ++i) {
    if (i % 64 == 0) check_stop();
    const auto t0 = Clock::now();
    s.tool("task_status", {{"task_id", last_id}});
    rtt.push_back(ms_since(t0));
    const auto t1 = Clock::now();
    cat.send(s.last_request());
    cat.read_line();
    rtt_floor.push_back(ms_since(t1));
  }
  Row q;
  q.section = section;
  q.figure = figures[1];
  q.unit = "ms";
  q.value = summarize(rtt);
  q.floor = summarize(rtt_floor);
  q.floor_what = "the same request line echoed by `cat` over pipes";
  q.target = "< 0.5 ms";
  q.holds = q.value->median < 0.5;
  report.add(q);

  Row l;
  l.section = section;
  l.figure = figures[2];
  l.unit = "ms";
  l.value = summarize(lat);
  l.floor = summarize(lat_floor);
  l.floor_what = "posix_spawn + waitpid of `/bin/sh -c true`";
  l.target = "<= floor + 3 ms";
  l.holds = l.value->median - l.floor->median <= 3.0;
  report.add(l);

  Row e;
  e.section = section;
  e.figure = figures[3];
  e.unit = "ms";
  e.value = summarize(exit_to_answer);
  e.note = "exit time as the keeper records it (whole ms)";
  report.add(e);
  s.finish();
  cat.finish();
}

void bench_throughput(const Config& cfg, Daemon& d, Report& report) {
  const std::string section = "throughput";
  auto conn = d.connect();
  static const std::vector<std::string> sh_true = {"/bin/sh", "-c", "true"};

  // Issue 2's figure: how fast starts are answered, 200 `true` tasks back to back.
  {
    std::vector<double> rate, floor;
    const int n = cfg.start_rate_tasks;
    for (int rep = 0; rep < cfg.start_rate_reps; ++rep) {
      check_stop();
      std::vector<pid_t> pids;
      auto t0 = Clock::now();
      for (int i = 0; i < n; ++i) pids.push_back(spawn(sh_true));
      floor.push_back(n / (ms_since(t0) / 1000.0));
      for (pid_t p : pids) reap(p);
      std::vector<std::string> ids;
      t0 = Clock::now();
      for (int i = 0; i < n; ++i) ids.push_back(start_task(conn, cfg, "true").at("task_id"));
      rate.push_back(n / (ms_since(t0) / 1000.0));
      for (const auto& t : wait_all(conn, ids, 120)) expect_completed(t);
    }
    Row r;
    r.section = section;
    r.figure = "start rate, " + std::to_string(n) + " `true` tasks (task.start answered)";
    r.unit = "tasks/s";
    r.value = summarize(rate, true);
    r.floor = summarize(floor, true);
    r.floor_what = "posix_spawn of as many `sh -c true` (not waited for)";
    report.add(r);
  }

  const int n = cfg.throughput_tasks;
  std::vector<double> rate, floor, keepers;
  // CPU time per task, which the machine's load does not inflate: the daemon's own, that of
  // the keepers and their shells (the daemon's reaped children), and of a bare `sh -c true`.
  std::vector<double> daemon_cpu, task_cpu, sh_cpu;
  const fs::path kdirs = fs::path(cfg.root) / "keeper-direct";
  for (int rep = 0; rep < cfg.throughput_reps; ++rep) {
    check_stop();
    std::vector<pid_t> pids;
    const double own0 = own_children_cpu_ms();
    auto t0 = Clock::now();
    for (int i = 0; i < n; ++i) pids.push_back(spawn(sh_true));
    for (pid_t p : pids) reap(p);
    floor.push_back(n / (ms_since(t0) / 1000.0));
    sh_cpu.push_back((own_children_cpu_ms() - own0) / n);

    fs::create_directories(kdirs);
    pids.clear();
    t0 = Clock::now();
    for (int i = 0; i < n; ++i) pids.push_back(spawn_keeper_direct(cfg, kdirs / std::to_string(i)));
    for (pid_t p : pids) reap(p);
    keepers.push_back(n / (ms_since(t0) / 1000.0));
    fs::remove_all(kdirs);
    std::vector<std::string> ids;
    const double d0 = cpu_use(d.pid()).run_ms;
    const double c0 = children_cpu_ms(d.pid()).value_or(0);
    t0 = Clock::now();
    for (int i = 0; i < n; ++i) ids.push_back(start_task(conn, cfg, "true").at("task_id"));
    json done = wait_all(conn, ids, 300);
    rate.push_back(n / (ms_since(t0) / 1000.0));
    daemon_cpu.push_back((cpu_use(d.pid()).run_ms - d0) / n);
    task_cpu.push_back((children_cpu_ms(d.pid()).value_or(0) - c0) / n);
    for (const auto& t : done) expect_completed(t);
  }
  const Summary floor_s = summarize(floor, true);

  // Peers, through their own command-line clients (one client process per job, as they are
  // used), each in a queue of its own.
  auto peer_row = [&](const std::string& figure, std::vector<double> samples,
                      const std::string& note) {
    Row p;
    p.section = section;
    p.figure = figure;
    p.unit = "tasks/s";
    if (!samples.empty()) {
      p.value = summarize(std::move(samples), true);
      p.floor = floor_s;
      p.floor_what = "posix_spawn + waitpid of as many `sh -c true`";
    }
    p.note = note;
    return p;
  };
  std::optional<double> tsp_median, nq_median;
  Row tsp_row, nq_row;
  const std::string tsp_figure = "task-spooler (tsp): " + std::to_string(n) + " `true` jobs";
  const std::string nq_figure = "nq: " + std::to_string(n) + " `true` jobs";
  if (auto tsp = find_task_spooler(cfg.root + "/ts-version.txt")) {
    const std::string dir = cfg.root + "/tsp";
    fs::create_directories(dir);
    const auto env = clean_environment({"TS_SOCKET=" + dir + "/socket", "TMPDIR=" + dir});
    SpawnOptions o;
    o.env = &env;
    std::vector<double> samples;
    try {
      run({*tsp, "true"}, o);  // starts its server
      run({*tsp, "-w"}, o);
      for (int rep = 0; rep < cfg.peer_reps; ++rep) {
        check_stop();
        run({*tsp, "-C"}, o);
        const auto t0 = Clock::now();
        for (int i = 0; i < n; ++i) run({*tsp, "true"}, o);
        run({*tsp, "-w"}, o);  // the last job; the queue runs one job at a time (its default)
        samples.push_back(n / (ms_since(t0) / 1000.0));
      }
    } catch (...) {
      run({*tsp, "-K"}, o);
      throw;
    }
    run({*tsp, "-K"}, o);
    tsp_median = summarize(samples, true).median;
    tsp_row =
        peer_row(tsp_figure, samples,
                 "one `tsp` client process per job; its queue runs one job at a time (default)");
  } else {
    tsp_row = peer_row(tsp_figure, {}, "n/a (task-spooler not installed)");
  }
  if (auto nq = find_in_path("nq")) {
    const std::string dir = cfg.root + "/nq";
    const auto env = clean_environment({"NQDIR=" + dir});
    SpawnOptions o;
    o.env = &env;
    std::vector<double> samples;
    for (int rep = 0; rep < cfg.peer_reps; ++rep) {
      check_stop();
      fs::remove_all(dir);
      fs::create_directories(dir);
      const auto t0 = Clock::now();
      for (int i = 0; i < n; ++i) run({*nq, "-q", "true"}, o);
      run({*nq, "-w"}, o);  // every job in the queue
      samples.push_back(n / (ms_since(t0) / 1000.0));
    }
    fs::remove_all(dir);
    nq_median = summarize(samples, true).median;
    nq_row = peer_row(nq_figure, samples,
                      "one `nq` process per job; each job waits for the earlier ones (its design)");
  } else {
    nq_row = peer_row(nq_figure, {}, "n/a (nq not installed)");
  }

  // backburner's own CLI the way the peers are driven: one client process per task.
  Row cli_row;
  const std::string cli_figure = "backburner CLI: " + std::to_string(n) + " `true` tasks";
  if (const std::string cli = cfg.bin_dir + "/backburner"; executable(cli)) {
    const auto& env = d.client_env();
    SpawnOptions o;
    o.env = &env;
    o.cwd = cfg.work_dir;
    o.stdout_path = cfg.root + "/cli-start.out";
    o.stderr_path = cfg.root + "/cli.err";
    std::vector<double> samples;
    std::string error;
    try {
      for (int rep = 0; rep < cfg.peer_reps; ++rep) {
        check_stop();
        std::vector<std::string> ids;
        const auto t0 = Clock::now();
        for (int i = 0; i < n; ++i) {
          if (int rc = run({cli, "start", "--", "true"}, o); rc != 0)
            throw std::runtime_error("`backburner start` exited " + std::to_string(rc));
          std::string id = read_file(o.stdout_path);
          while (!id.empty() && std::isspace(static_cast<unsigned char>(id.back()))) id.pop_back();
          ids.push_back(id);
        }
        for (std::size_t i = 0; i < ids.size(); i += bb::proto::kMaxWaitTasks) {
          std::vector<std::string> argv = {cli, "wait", "-q"};
          argv.insert(argv.end(), ids.begin() + static_cast<std::ptrdiff_t>(i),
                      ids.begin() + static_cast<std::ptrdiff_t>(
                                        std::min(ids.size(), i + bb::proto::kMaxWaitTasks)));
          if (int rc = run(argv, o); rc != 0)
            throw std::runtime_error("`backburner wait` exited " + std::to_string(rc));
        }
        samples.push_back(n / (ms_since(t0) / 1000.0));
      }
    } catch (const std::exception& e) {
      error = std::string("n/a (") + e.what() + ")";
      samples.clear();
    }
    cli_row = peer_row(
        cli_figure, samples,
        error.empty()
            ? "one `backburner start` process per task, like the peers; then `backburner wait -q`"
            : error);
  } else {
    cli_row = peer_row(cli_figure, {}, "n/a (CLI not built)");
  }

  Row r;
  r.section = section;
  r.figure = "throughput, " + std::to_string(n) + " `true` tasks started, all finished";
  r.unit = "tasks/s";
  r.value = summarize(rate, true);
  r.floor = floor_s;
  r.floor_what = "posix_spawn of as many `sh -c true`, then waitpid of each";
  r.target = ">= 0.5x floor, > tsp, > nq";
  bool holds = r.value->median >= 0.5 * floor_s.median;
  if (tsp_median) holds = holds && r.value->median > *tsp_median;
  if (nq_median) holds = holds && r.value->median > *nq_median;
  r.holds = holds;
  if (!tsp_median || !nq_median) r.note = "a peer is missing: compared with those present";
  report.add(r);
  Row k;
  k.section = section;
  k.figure = std::to_string(n) + " keepers run directly (`true`; no daemon), then reaped";
  k.unit = "tasks/s";
  k.value = summarize(keepers, true);
  k.floor = floor_s;
  k.floor_what = r.floor_what;
  k.note =
      "the ceiling for the daemon: two processes per task (keeper + shell) and the task's files";
  report.add(k);
  report.add(cli_row);
  report.add(tsp_row);
  report.add(nq_row);

  Row dc;
  dc.section = section;
  dc.figure = "CPU per `true` task: the daemon (start, watch, finish, answer)";
  dc.unit = "ms";
  dc.value = summarize(daemon_cpu);
  dc.floor = summarize(sh_cpu);
  dc.floor_what = "CPU of one `sh -c true`, spawned and reaped";
  report.add(dc);
  Row tc;
  tc.section = section;
  tc.figure = "CPU per `true` task: its keeper and shell";
  tc.unit = "ms";
  tc.value = summarize(task_cpu);
  tc.floor = summarize(sh_cpu);
  tc.floor_what = dc.floor_what;
  tc.note = "the daemon's cutime + cstime: resolution one clock tick (10 ms) per run of " +
            std::to_string(n) + " tasks";
  report.add(tc);

  // What the files of one task cost on the state dir's file system, done directly: the task
  // dir, keeper.log, output.log, and `run` and `outcome` written to a temp file and renamed.
  const fs::path scratch = fs::path(d.state_dir()) / "bench-files";
  fs::create_directories(scratch);
  std::vector<double> files;
  auto create = [](const fs::path& p, const char* text) {
    int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) throw std::runtime_error("cannot create " + p.string());
    if (*text != '\0' && ::write(fd, text, std::strlen(text)) < 0) {
      ::close(fd);
      throw std::runtime_error("cannot write " + p.string());
    }
    ::close(fd);
  };
  for (int i = 0; i < std::min(n, 200); ++i) {
    if (i % 16 == 0) check_stop();
    const fs::path dir = scratch / std::to_string(i);
    const auto t0 = Clock::now();
    if (::mkdir(dir.c_str(), 0700) != 0) throw std::runtime_error("mkdir " + dir.string());
    create(dir / "keeper.log", "");
    create(dir / "output.log", "");
    create(dir / "run.tmp", "keeper_pid=1\nshell_pid=2\n");
    fs::rename(dir / "run.tmp", dir / "run");
    create(dir / "outcome.tmp", "how=exited\nexit_code=0\n");
    fs::rename(dir / "outcome.tmp", dir / "outcome");
    files.push_back(ms_since(t0));
  }
  fs::remove_all(scratch);
  Row f;
  f.section = section;
  f.figure = "one task's files, made directly (mkdir, 4 creates, 2 renames)";
  f.unit = "ms";
  f.value = summarize(files);
  f.note = "in the state dir's file system; part of every task's cost, not of the floor";
  report.add(f);
}

void bench_capture(const Config& cfg, Daemon& d, Report& report) {
  auto conn = d.connect();
  const std::string bytes = std::to_string(cfg.capture_bytes);
  const std::string floor_file = cfg.work_dir + "/capture-floor.out";
  const std::string floor_cmd = "head -c " + bytes + " /dev/zero > '" + floor_file + "'";
  std::vector<double> wall, floor;
  for (int rep = 0; rep < cfg.capture_reps; ++rep) {
    check_stop();
    auto t0 = Clock::now();
    run({"/bin/sh", "-c", floor_cmd});
    floor.push_back(ms_since(t0));
    fs::remove(floor_file);
    ::sync();

    t0 = Clock::now();
    json s = start_task(conn, cfg, "head -c " + bytes + " /dev/zero");
    const std::string id = s.at("task_id");
    json t = wait_all(conn, {id}, 900).at(0);
    wall.push_back(ms_since(t0));
    expect_completed(t);
    if (t.value("output_bytes", std::uint64_t{0}) != cfg.capture_bytes)
      throw std::runtime_error("the task's log holds " + t.value("output_bytes", json()).dump() +
                               " bytes, not " + bytes);
    fs::remove(fs::path(d.state_dir()) / "tasks" / id / "output.log");
    ::sync();
  }
  Row r;
  r.section = "output";
  r.figure = "output capture, " + size_words(cfg.capture_bytes) + " to stdout, start -> finished";
  r.unit = "ms";
  r.value = summarize(wall);
  r.floor = summarize(floor);
  r.floor_what = "`sh -c 'head -c N /dev/zero > file'`";
  r.target = "<= 1.05x floor";
  r.holds = r.value->median <= 1.05 * r.floor->median;
  report.add(r);
}

void bench_reads(const Config& cfg, Daemon& d, Report& report) {
  auto conn = d.connect();
  // `seq 1 N`, N the first count whose output reaches log_bytes.
  std::uint64_t lines = 0, bytes = 0;
  for (std::uint64_t digits = 1, lo = 1; bytes < cfg.log_bytes; ++digits, lo *= 10) {
    const std::uint64_t count = lo * 9;  // numbers with `digits` digits
    const std::uint64_t per = digits + 1;
    if (bytes + count * per >= cfg.log_bytes) {
      const std::uint64_t need = (cfg.log_bytes - bytes + per - 1) / per;
      lines += need;
      bytes += need * per;
      break;
    }
    lines += count;
    bytes += count * per;
  }
  json s = start_task(conn, cfg, "seq 1 " + std::to_string(lines));
  const std::string id = s.at("task_id");
  json t = wait_all(conn, {id}, 900).at(0);
  expect_completed(t);
  const std::uint64_t size = t.value("output_bytes", std::uint64_t{0});
  if (size != bytes)
    throw std::runtime_error("the numbered log holds " + std::to_string(size) +
                             " bytes, expected " + std::to_string(bytes));
  const std::string log = (fs::path(d.state_dir()) / "tasks" / id / "output.log").string();
  const std::string last_line = std::to_string(lines) + "\n";

  auto tail_floor = [&]() {
    const auto t0 = Clock::now();
    int fd = ::open(log.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    ::fstat(fd, &st);
    std::string buf(64 * 1024, '\0');
    const off_t at = st.st_size - static_cast<off_t>(buf.size());
    ssize_t n = ::pread(fd, buf.data(), buf.size(), at);
    ::close(fd);
    buf.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    std::size_t pos = buf.size();
    for (int k = 0; k <= 100 && pos > 0; ++k) pos = buf.rfind('\n', pos - 1);
    std::string out = buf.substr(pos == std::string::npos ? 0 : pos + 1);
    const double ms = ms_since(t0);
    if (!out.ends_with(last_line)) throw std::runtime_error("floor tail read went wrong");
    return ms;
  };
  auto range_floor = [&]() {
    const auto t0 = Clock::now();
    int fd = ::open(log.c_str(), O_RDONLY | O_CLOEXEC);
    std::string buf(1u << 20, '\0');
    ssize_t n = ::pread(fd, buf.data(), buf.size(), static_cast<off_t>(size / 2));
    ::close(fd);
    const double ms = ms_since(t0);
    if (n != static_cast<ssize_t>(buf.size()))
      throw std::runtime_error("floor range read went short");
    return ms;
  };

  std::vector<double> tail, tail_fl, range, range_fl, range_raw;
  // The same offset read with the answer line only received, not parsed: the daemon's share.
  const std::string raw_request =
      json{{"jsonrpc", "2.0"},
           {"id", 999999},
           {"method", method::kTaskOutput},
           {"params", {{"task_id", id}, {"offset", size / 2}, {"max_bytes", 1u << 20}}}}
          .dump() +
      "\n";
  for (int i = 0; i < 5; ++i) {  // warm the cache for both sides
    call(conn, method::kTaskOutput, {{"task_id", id}, {"tail_lines", 100}});
    call(conn, method::kTaskOutput,
         {{"task_id", id}, {"offset", size / 2}, {"max_bytes", 1u << 20}});
  }
  for (int i = 0; i < cfg.read_reps; ++i) {
    check_stop();
    tail_fl.push_back(tail_floor());
    auto t0 = Clock::now();
    json o = call(conn, method::kTaskOutput, {{"task_id", id}, {"tail_lines", 100}});
    tail.push_back(ms_since(t0));
    const std::string text = o.at("output");
    if (!text.ends_with(last_line))
      throw std::runtime_error("the tail does not end with the last line");

    range_fl.push_back(range_floor());
    t0 = Clock::now();
    json rr = call(conn, method::kTaskOutput,
                   {{"task_id", id}, {"offset", size / 2}, {"max_bytes", 1u << 20}});
    range.push_back(ms_since(t0));
    if (rr.at("output").get_ref<const std::string&>().size() < (1u << 20) - 4)
      throw std::runtime_error("the offset read returned less than 1 MiB");

    t0 = Clock::now();
    auto raw = conn.raw_exchange(raw_request, seconds(30));
    range_raw.push_back(ms_since(t0));
    if (auto* e = std::get_if<bb::RpcError>(&raw)) throw std::runtime_error(e->message);
    if (std::get<std::string>(raw).size() < (1u << 20))
      throw std::runtime_error("short raw answer");
  }
  Row r;
  r.section = "output";
  r.figure = "tail, last 100 lines of a " + size_words(cfg.log_bytes) + " log (task.output)";
  r.unit = "ms";
  r.value = summarize(tail);
  r.floor = summarize(tail_fl);
  r.floor_what = "open + pread of the last 64 KiB + newline scan, in-process";
  r.target = "< 5 ms";
  r.holds = r.value->median < 5.0;
  report.add(r);
  Row o;
  o.section = "output";
  o.figure = "offset read, 1 MiB at the middle of the log (task.output)";
  o.unit = "ms";
  o.value = summarize(range);
  o.floor = summarize(range_fl);
  o.floor_what = "open + pread of 1 MiB, in-process";
  o.target = "< 5 ms";
  o.holds = o.value->median < 5.0;
  report.add(o);
  Row w;
  w.section = "output";
  w.figure = "offset read, 1 MiB, answer line received but not parsed";
  w.unit = "ms";
  w.value = summarize(range_raw);
  w.floor = o.floor;
  w.floor_what = o.floor_what;
  w.note = "the daemon's share of the offset read: the rest is the client parsing 1 MiB of JSON";
  report.add(w);

  // The same MiB through the shim, as an agent pages it: task_result with offset, each answer
  // capped at 100,000 characters (the tool's most), next_offset to the next call.
  Row m;
  m.section = "output";
  m.figure = "1 MiB at the middle of the log read through the shim (task_result pages)";
  m.unit = "ms";
  if (!executable(cfg.mcp_path())) {
    m.note = "n/a (shim not built)";
  } else {
    McpSession shim(cfg.mcp_path(), d.client_env());
    shim.initialize();
    std::vector<double> paged;
    int calls = 0;
    auto read_mib = [&]() {
      const auto t0 = Clock::now();
      std::uint64_t at = size / 2;
      const std::uint64_t end = at + (1u << 20);
      calls = 0;
      while (at < end) {
        json page = shim.tool("task_result", {{"task_id", id},
                                           {"offset", at},
                                           {"max_bytes", end - at},
                                           {"max_chars", 100000}});
        ++calls;
        const std::uint64_t next = page.at("next_offset");
        if (next <= at) throw std::runtime_error("task_result did not move forward");
        at = next;
      }
      return ms_since(t0);
    };
    read_mib();
    for (int i = 0; i < cfg.read_reps; ++i) {
      check_stop();
      paged.push_back(read_mib());
    }
    shim.finish();
    m.value = summarize(paged);
    m.floor = o.floor;
    m.floor_what = o.floor_what;
    m.note = std::to_string(calls) + " calls of at most 100,000 characters each";
  }
  report.add(m);
  fs::remove(log);
}

void bench_many_tasks(const Config& cfg, Daemon& d, Report& report) {
  const std::string section = "memory and idle CPU";
  auto conn = d.connect();
  const int m = cfg.sleep_tasks;
  std::vector<std::string> ids;
  std::string start_error;
  const auto t0 = Clock::now();
  for (int i = 0; i < m; ++i) {
    check_stop();
    try {
      ids.push_back(start_task(conn, cfg, "sleep 600", 900.0).at("task_id"));
    } catch (const std::exception& e) {
      start_error = "task.start failed after " + std::to_string(ids.size()) + " tasks: " + e.what();
      break;
    }
  }
  const double start_s = ms_since(t0) / 1000.0;
  // Until every keeper runs its `sleep` (a keeper's child).
  std::vector<pid_t> keepers;
  const auto deadline = Clock::now() + seconds(60);
  while (Clock::now() < deadline) {
    check_stop();
    const auto links = parent_links();
    keepers.clear();
    for (const auto& [parent, pid] : links)
      if (parent == d.pid()) keepers.push_back(pid);
    std::set<pid_t> with_child;
    for (const auto& [parent, pid] : links) with_child.insert(parent);
    const auto ready = std::count_if(keepers.begin(), keepers.end(),
                                     [&](pid_t k) { return with_child.count(k) > 0; });
    if (static_cast<std::size_t>(ready) >= ids.size()) break;
    std::this_thread::sleep_for(milliseconds(100));
  }
  std::vector<double> keeper_rss;
  for (pid_t k : keepers)
    if (auto r = rss_kib(k)) keeper_rss.push_back(static_cast<double>(*r) * 1024.0 / kMB);
  const auto daemon_rss = rss_samples_mb(d.pid(), 5, milliseconds(100));
  const auto floor = kib_to_mb(sleep_rss_kib(5));

  Row r;
  r.section = section;
  r.figure = "daemon RSS, " + std::to_string(ids.size()) + " `sleep` tasks running";
  r.unit = "MB";
  r.value = summarize(daemon_rss);
  r.note = start_error;
  report.add(r);
  Row k;
  k.section = section;
  k.figure = "keeper RSS, each (" + std::to_string(keepers.size()) + " keepers)";
  k.unit = "MB";
  k.value = summarize(keeper_rss);
  k.floor = summarize(floor);
  k.floor_what = "RSS of a `sleep` process";
  report.add(k);
  // A `true` task's start -> finished while they all run.
  std::vector<double> busy, busy_floor;
  for (int i = 0; i < (cfg.quick ? 10 : 30); ++i) {
    check_stop();
    busy_floor.push_back(time_sh_true());
    const auto b0 = Clock::now();
    const std::string id = start_task(conn, cfg, "true").at("task_id");
    expect_completed(wait_all(conn, {id}, 30).at(0));
    busy.push_back(ms_since(b0));
  }
  Row b;
  b.section = "latency";
  b.figure =
      "start -> finished, `true`, socket, " + std::to_string(ids.size()) + " other tasks running";
  b.unit = "ms";
  b.value = summarize(busy);
  b.floor = summarize(busy_floor);
  b.floor_what = "posix_spawn + waitpid of `/bin/sh -c true`";
  report.add(b);

  Row sr;
  sr.section = "throughput";
  sr.figure = "start rate while up to " + std::to_string(ids.size()) + " tasks run (`sleep`)";
  sr.unit = "tasks/s";
  sr.value = summarize({static_cast<double>(ids.size()) / start_s}, true);
  report.add(sr);

  // Cancel 100 of them through the daemon (each answer comes once the task's tree is gone),
  // while the others still run; then end the rest by killing their processes (not by SIGTERM
  // to the keepers: each would walk all of /proc at once) and wait until the daemon has
  // recorded every one.
  std::vector<double> cancel, cancel_floor;
  const std::size_t cancelled = std::min<std::size_t>(ids.size(), 100);
  for (std::size_t i = 0; i < cancelled; ++i) {
    if (i % 16 == 0) check_stop();
    pid_t p = spawn({"sleep", "600"});
    std::this_thread::sleep_for(milliseconds(2));
    const auto f0 = Clock::now();
    ::kill(p, SIGTERM);
    reap(p);
    cancel_floor.push_back(ms_since(f0));

    const auto c0 = Clock::now();
    json c = call(conn, method::kTaskCancel, {{"task_id", ids[i]}}, seconds(30));
    cancel.push_back(ms_since(c0));
    if (!c.value("cancelled", false))
      throw std::runtime_error("cancel did not end task " + ids[i] + ": " + c.dump());
  }
  // In batches, so that a thousand keepers do not all wake at the same moment.
  for (std::size_t from = cancelled; from < ids.size(); from += 100) {
    const std::size_t to = std::min(ids.size(), from + 100);
    const std::vector<std::string> batch(ids.begin() + static_cast<std::ptrdiff_t>(from),
                                         ids.begin() + static_cast<std::ptrdiff_t>(to));
    std::vector<pid_t> shells;
    for (const auto& id : batch) {
      json t = call(conn, method::kTaskGet, {{"task_id", id}});
      if (t.contains("pid") && t["pid"].is_number_integer())
        shells.push_back(t["pid"].get<pid_t>());
    }
    kill_descendants(shells);
    for (pid_t p : shells) ::kill(p, SIGKILL);
    wait_all(conn, batch, 120);
  }
  Row c;
  c.section = "latency";
  c.figure =
      "cancel -> tree gone (`sleep` task, task.cancel, " + std::to_string(ids.size()) + " running)";
  c.unit = "ms";
  c.value = summarize(cancel);
  c.floor = summarize(cancel_floor);
  c.floor_what = "kill(SIGTERM) + waitpid of a `sleep`";
  c.note = "the keeper finds the task's tree by reading every /proc/<pid>/stat on the machine";
  report.add(c);
}

void bench_after_run(const Config&, Daemon& d, Report& report) {
  std::this_thread::sleep_for(milliseconds(300));
  Row r;
  r.section = "memory and idle CPU";
  r.figure = "daemon RSS, idle again after the run";
  r.unit = "MB";
  r.value = summarize(rss_samples_mb(d.pid(), 5, milliseconds(100)));
  report.add(r);
}

void bench_scale(const Config& cfg, Report& report) {
  const std::string section = "scale";
  const std::string state = cfg.root + "/scale-state";
  Daemon d(cfg, state, cfg.root + "/daemon-scale.log");
  d.shutdown();  // the daemon made the schema; now fill it while no daemon runs
  const std::string db_path = state + "/backburner.db";
  const int k = cfg.stored_tasks;
  {
    SQLite::Database db(db_path, SQLite::OPEN_READWRITE);
    SQLite::Transaction tx(db);
    SQLite::Statement ins(db,
                          "INSERT INTO tasks (id, command, cwd, status, created_at_ms, "
                          "started_at_ms, finished_at_ms, exit_code, status_message, client_name, "
                          "client_version) VALUES (?, ?, ?, 'completed', ?, ?, ?, 0, "
                          "'exited with code 0', 'bench', '1')");
    const std::int64_t now = static_cast<std::int64_t>(realtime_ms());
    static constexpr char kAlphabet[] = "abcdefghijkmnpqrstuvwxyz23456789";
    for (int i = 0; i < k; ++i) {
      std::string id = "b";
      for (int v = i, n = 0; n < 9; ++n, v /= 32) id += kAlphabet[v % 32];
      const std::int64_t created = now - static_cast<std::int64_t>(k - i) * 1000;
      ins.reset();
      ins.bind(1, id);
      ins.bind(2, "make test-" + std::to_string(i % 97));
      ins.bind(3, cfg.work_dir);
      ins.bind(4, created);
      ins.bind(5, created + 5);
      ins.bind(6, created + 900);
      ins.exec();
    }
    tx.commit();
  }
  const double start_ms = d.restart();
  auto conn = d.connect();

  SQLite::Database ro(db_path, SQLite::OPEN_READONLY);
  auto list_floor = [&]() {
    const auto t0 = Clock::now();
    SQLite::Statement q(ro,
                        "SELECT id, command, cwd, status, created_at_ms, started_at_ms, "
                        "finished_at_ms, exit_code, signal, timeout_ms, deadline_ms, keeper_pid, "
                        "keeper_start, status_message, client_name, client_version FROM tasks "
                        "ORDER BY seq DESC LIMIT ?");
    q.bind(1, 50);
    std::size_t rows = 0, chars = 0;
    while (q.executeStep()) {
      for (int c = 0; c < 16; ++c) chars += q.getColumn(c).getString().size();
      ++rows;
    }
    SQLite::Statement cnt(ro, "SELECT COUNT(*) FROM tasks");
    cnt.executeStep();
    const auto total = cnt.getColumn(0).getInt64();
    const double ms = ms_since(t0);
    if (rows != 50 || total != k || chars == 0)
      throw std::runtime_error("floor list query went wrong");
    return ms;
  };
  auto info_floor = [&]() {
    const auto t0 = Clock::now();
    SQLite::Statement q(ro, "SELECT status, COUNT(*) FROM tasks GROUP BY status");
    while (q.executeStep()) {
    }
    return ms_since(t0);
  };

  std::vector<double> list, list_fl, info, info_fl;
  for (int i = 0; i < 5; ++i) call(conn, method::kTaskList, {{"limit", 50}});
  for (int i = 0; i < cfg.list_reps; ++i) {
    check_stop();
    list_fl.push_back(list_floor());
    const auto t0 = Clock::now();
    json l = call(conn, method::kTaskList, {{"limit", 50}});
    list.push_back(ms_since(t0));
    if (l.at("tasks").size() != 50 || l.value("total", 0) != k)
      throw std::runtime_error("task.list answered " + std::to_string(l.at("tasks").size()) +
                               " tasks of " + l.value("total", json()).dump());
  }
  for (int i = 0; i < std::max(10, cfg.list_reps / 4); ++i) {
    check_stop();
    info_fl.push_back(info_floor());
    const auto t0 = Clock::now();
    call(conn, method::kDaemonInfo, json::object());
    info.push_back(ms_since(t0));
  }
  Row r;
  r.section = section;
  r.figure = "list newest 50 of " + std::to_string(k) + " stored tasks (task.list)";
  r.unit = "ms";
  r.value = summarize(list);
  r.floor = summarize(list_fl);
  r.floor_what = "the daemon's two queries (newest 50, count) on SQLite in-process";
  r.target = "< 5 ms";
  r.holds = r.value->median < 5.0;
  report.add(r);
  Row i;
  i.section = section;
  i.figure = "daemon.info with " + std::to_string(k) + " stored tasks";
  i.unit = "ms";
  i.value = summarize(info);
  i.floor = summarize(info_fl);
  i.floor_what = "the daemon's count-by-status query on SQLite in-process";
  report.add(i);
  Row s;
  s.section = section;
  s.figure = "daemon start -> hello answered, " + std::to_string(k) + " stored tasks";
  s.unit = "ms";
  s.value = summarize({start_ms});
  report.add(s);
  d.stop();
}

}  // namespace bench
