// The sections of the event stream, durability and grep through the daemon.
// - push: a task's end reaching a client subscribed to the daemon's events, measured from the
//   keeper's exit (watched here with a pidfd of our own) to the event's arrival (read on a
//   thread that does nothing else), for tasks of `true`.
// - durability: start -> finished and throughput with BACKBURNER_DURABILITY=full (the default)
//   against fast, two daemons side by side, runs interleaved.
// - daemon grep: a large log grepped through task.output (on the daemon's worker), its time and
//   the daemon's resident memory while it runs; and another client's task.get while a pattern
//   built to defeat RE2's DFA is grepped.
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "measure.h"
#include "protocol.h"

namespace bench {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
namespace method = bb::proto::method;

namespace {

json start(bb::RpcClient& c, const Config& cfg, const std::string& command) {
  return call(c, method::kTaskStart, {{"command", command}, {"cwd", cfg.work_dir}});
}

std::int64_t keeper_pid(const Daemon& d, const std::string& id) {
  std::ifstream f(fs::path(d.state_dir()) / "tasks" / id / "run");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("keeper_pid=", 0) == 0) return std::stoll(line.substr(11));
  return -1;
}

// Blocks until the process exits (a pidfd of our own); the time it did. nullopt if it was gone.
std::optional<Clock::time_point> wait_exit(std::int64_t pid) {
  const int fd = static_cast<int>(::syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0));
  if (fd < 0) return std::nullopt;
  pollfd p{fd, POLLIN, 0};
  ::poll(&p, 1, 30000);
  const auto t = Clock::now();
  ::close(fd);
  return t;
}

}  // namespace

void bench_push(const Config& cfg, Daemon& d, Report& report) {
  const std::string section = "events";
  bb::RpcClient events = d.connect();
  call(events, method::kEventsSubscribe, {{"all", true}});
  // Arrival times of terminal task events, by task id, stamped by a thread that only reads.
  std::mutex mutex;
  std::map<std::string, Clock::time_point> ended;
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    while (!stop) {
      auto n = events.next_notification(milliseconds(200));
      if (auto* e = std::get_if<json>(&n)) {
        const json& params = (*e)["params"];
        if (params.value("kind", "") == "task" &&
            params["task"].value("status", "working") != "working") {
          std::lock_guard lock(mutex);
          ended.emplace(params["task"]["task_id"], Clock::now());
        }
      } else if (std::holds_alternative<bb::RpcError>(n)) {
        return;
      }
    }
  });
  auto conn = d.connect();
  std::vector<double> push;
  const int reps = cfg.quick ? 20 : 100;
  for (int i = 0; i < reps + 3; ++i) {
    check_stop();
    json s = start(conn, cfg, "true");
    const std::string id = s.at("task_id");
    const auto pid = keeper_pid(d, id);
    const auto exited = pid > 0 ? wait_exit(pid) : std::nullopt;
    std::optional<Clock::time_point> arrived;
    for (int tries = 0; tries < 3000 && !arrived; ++tries) {
      {
        std::lock_guard lock(mutex);
        if (auto it = ended.find(id); it != ended.end()) arrived = it->second;
      }
      if (!arrived) std::this_thread::sleep_for(milliseconds(1));
    }
    if (i >= 3 && exited && arrived) push.push_back(std::max(0.0, ms_between(*exited, *arrived)));
  }
  stop = true;
  reader.join();
  Row r;
  r.section = section;
  r.figure = "keeper exit -> task's end pushed to a subscriber (events.subscribe)";
  r.unit = "ms";
  r.value = summarize(push);
  r.target = "< 5 ms";
  if (!push.empty()) r.holds = r.value->median < 5;
  r.note = "the keeper's exit seen through a pidfd of the benchmark's; the event read on a thread "
           "of its own";
  report.add(r);
}

void bench_durability(const Config& cfg, Report& report) {
  const std::string section = "durability";
  Daemon full(cfg, cfg.root + "/state-full", cfg.root + "/daemon-full.log");
  Daemon fast(cfg, cfg.root + "/state-fast", cfg.root + "/daemon-fast.log",
              {"BACKBURNER_DURABILITY=fast"});
  auto cf = full.connect();
  auto cs = fast.connect();
  auto latency = [&](bb::RpcClient& c) {
    const auto t0 = Clock::now();
    json s = start(c, cfg, "true");
    call(c, method::kTaskWait, {{"task_ids", {s.at("task_id")}}, {"timeout_seconds", 30}});
    return ms_since(t0);
  };
  auto throughput = [&](bb::RpcClient& c, int n) {
    std::vector<std::string> ids;
    const auto t0 = Clock::now();
    for (int i = 0; i < n; ++i) ids.push_back(start(c, cfg, "true").at("task_id"));
    for (std::size_t i = 0; i < ids.size(); i += bb::proto::kMaxWaitTasks) {
      json chunk(std::vector<std::string>(
          ids.begin() + static_cast<std::ptrdiff_t>(i),
          ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), i + bb::proto::kMaxWaitTasks))));
      call(c, method::kTaskWait, {{"task_ids", chunk}, {"timeout_seconds", 120}},
           std::chrono::seconds(150));
    }
    return n / (ms_since(t0) / 1000.0);
  };
  std::vector<double> lat_full, lat_fast, rate_full, rate_fast;
  const int reps = cfg.quick ? 20 : 100;
  for (int i = 0; i < reps; ++i) {
    check_stop();
    lat_full.push_back(latency(cf));
    lat_fast.push_back(latency(cs));
  }
  const int tasks = cfg.quick ? 50 : 200;
  for (int i = 0; i < (cfg.quick ? 2 : 5); ++i) {
    check_stop();
    rate_full.push_back(throughput(cf, tasks));
    rate_fast.push_back(throughput(cs, tasks));
  }
  Row l;
  l.section = section;
  l.figure = "start -> finished, `true`, BACKBURNER_DURABILITY=full (default)";
  l.unit = "ms";
  l.value = summarize(lat_full);
  l.floor = summarize(lat_fast);
  l.floor_what = "the same with BACKBURNER_DURABILITY=fast (no flushes)";
  l.note = "the difference is what the flushes cost: the start's commit, the keeper's run and "
           "outcome files and their directory";
  report.add(l);
  Row t;
  t.section = section;
  t.figure = std::to_string(tasks) + " `true` tasks, started then waited, durability full";
  t.unit = "tasks/s";
  t.value = summarize(rate_full, true);
  t.floor = summarize(rate_fast, true);
  t.floor_what = "the same with BACKBURNER_DURABILITY=fast";
  report.add(t);
  full.stop();
  fast.stop();
}

void bench_daemon_grep(const Config& cfg, Daemon& d, Report& report) {
  const std::string section = "daemon grep";
  const std::uint64_t bytes = cfg.quick ? (64ull << 20) : (1ull << 30);
  const std::string source = cfg.root + "/daemon-grep-source.log";
  {
    std::ofstream f(source, std::ios::binary);
    std::string block;
    for (std::uint64_t i = 0; block.size() < (1 << 20); ++i)
      block += "2026-11-30T07:00:00.000Z worker-" + std::to_string(i % 7) + " info request " +
               std::to_string(i) + " handled in " + std::to_string(i % 97) + " ms\n";
    for (std::uint64_t written = 0; written < bytes; written += block.size()) {
      if (written + block.size() / 2 >= bytes / 2 && written < bytes / 2 + block.size())
        f << "the needle in the middle of the log\n";
      f << block;
    }
  }
  auto conn = d.connect();
  json t = start(conn, cfg, "cat " + source);
  call(conn, method::kTaskWait, {{"task_ids", {t.at("task_id")}}, {"timeout_seconds", 300}},
       std::chrono::seconds(320));
  fs::remove(source);
  const std::string id = t.at("task_id");
  const auto idle_rss = rss_kib(d.pid()).value_or(0);
  // The daemon's resident set while it greps, sampled every 5 ms by a thread.
  std::atomic<bool> sampling{true};
  std::atomic<std::uint64_t> peak{0};
  std::thread sampler([&] {
    while (sampling) {
      const auto r = rss_kib(d.pid()).value_or(0);
      if (r > peak) peak = r;
      std::this_thread::sleep_for(milliseconds(5));
    }
  });
  std::vector<double> grep_ms;
  for (int i = 0; i < (cfg.quick ? 2 : 5); ++i) {
    check_stop();
    const auto t0 = Clock::now();
    json r = call(conn, method::kTaskOutput, {{"task_id", id}, {"grep", "needle"}},
                  std::chrono::seconds(120));
    grep_ms.push_back(ms_since(t0));
    if (r.at("matches").size() != 1) throw std::runtime_error("the needle was not found once");
  }
  sampling = false;
  sampler.join();
  Row g;
  g.section = section;
  g.figure = "grep of a " + std::to_string(bytes >> 20) + " MiB log through task.output";
  g.unit = "ms";
  g.value = summarize(grep_ms);
  g.note = "daemon RSS " + std::to_string(idle_rss / 1024) + " MB idle, at most " +
           std::to_string(peak.load() / 1024) + " MB while it greps";
  report.add(g);

  // Another client's task.get while a pattern built to defeat RE2's DFA is grepped.
  std::atomic<bool> busy{true};
  std::thread hostile([&] {
    auto h = d.connect();
    while (busy) {
      try {
        call(h, method::kTaskOutput, {{"task_id", id}, {"grep", "[ab]*a[ab]{12}z"}},
             std::chrono::seconds(60));
      } catch (const std::exception&) {
        return;
      }
    }
  });
  std::vector<double> get_ms;
  const auto until = Clock::now() + std::chrono::seconds(cfg.quick ? 2 : 5);
  while (Clock::now() < until) {
    const auto t0 = Clock::now();
    call(conn, method::kTaskGet, {{"task_id", id}});
    get_ms.push_back(ms_since(t0));
  }
  busy = false;
  hostile.join();
  Row b;
  b.section = section;
  b.figure = "another client's task.get while a hostile pattern is grepped";
  b.unit = "ms";
  b.value = summarize(get_ms);
  b.target = "< 50 ms";
  if (!get_ms.empty()) b.holds = *std::max_element(get_ms.begin(), get_ms.end()) < 50;
  b.note = "max " + format_number(get_ms.empty() ? 0 : *std::max_element(get_ms.begin(), get_ms.end())) +
           " ms over " + std::to_string(get_ms.size()) + " requests";
  report.add(b);
}

}  // namespace bench
