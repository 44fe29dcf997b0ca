// backburner-bench-win: the figures of the Windows port, measured the way bench/sections.cpp
// measures them on Linux: each as median and p90 over many runs after a few warm-up runs, next
// to its floor (the raw operation it wraps), against the real daemon serving a temp state dir
// (tests/support's DaemonFixture). Prints figures; asserts nothing about them.
//
//   backburner-bench-win [--quick]
//
// start -> finished   task.start of `exit 0` (cmd.exe /d /s /c "exit 0") + task.wait, one
//                     connection; floor: CreateProcess + wait of the same cmd.exe line
// status round trip   task.get of a finished task over the named pipe; floor: the same line
//                     sizes echoed over a named pipe by a thread
// tree kill           task.cancel of a task whose child started a grandchild (the answer comes
//                     once the job is empty); floor: TerminateJobObject + wait of one process;
//                     afterwards every process the task started is looked up by its identity
//                     (pid + creation time)
#include <windows.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "daemon_fixture.h"
#include "process_identity.h"
#include "process_launch_win.h"
#include "utf8_path.h"
#include "win_text_win.h"

namespace {

using bb::test::DaemonFixture;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

struct Summary {
  double median = 0;
  double p90 = 0;
  std::size_t n = 0;
};

// Median and nearest-rank 90th percentile, as bench/report.cpp computes them.
Summary summarize(std::vector<double> v) {
  Summary s;
  s.n = v.size();
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  s.median = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
  const auto rank = static_cast<std::size_t>(std::ceil(0.9 * static_cast<double>(n)));
  s.p90 = v[std::clamp<std::size_t>(rank, 1, n) - 1];
  return s;
}

void print(const char* figure, const Summary& value, const Summary& floor, const char* floor_what) {
  std::printf("%-48s median %8.3f ms  p90 %8.3f ms  (n=%zu)\n", figure, value.median, value.p90,
              value.n);
  std::printf("%-48s median %8.3f ms  p90 %8.3f ms  (n=%zu)  floor: %s\n", "", floor.median,
              floor.p90, floor.n, floor_what);
}

std::filesystem::path system_cmd() {
  wchar_t dir[MAX_PATH];
  const UINT n = ::GetSystemDirectoryW(dir, MAX_PATH);
  return std::filesystem::path(std::wstring(dir, n)) / L"cmd.exe";
}

bb::win::Launched launch_or_throw(bb::win::LaunchSpec spec) {
  auto launched = bb::win::launch(spec);
  if (auto* err = std::get_if<std::string>(&launched)) throw std::runtime_error(*err);
  return std::move(std::get<bb::win::Launched>(launched));
}

// CreateProcess + wait of cmd.exe running `exit 0`, as the keeper starts the task's shell.
double time_cmd_exit0() {
  bb::win::LaunchSpec spec;
  spec.program = system_cmd();
  spec.command_line = bb::win::quote_argument(spec.program.native()) + L" /d /s /c \"exit 0\"";
  const auto t0 = Clock::now();
  auto p = launch_or_throw(spec);
  ::WaitForSingleObject(p.process.get(), INFINITE);
  return ms_since(t0);
}

// TerminateJobObject of a job holding one sleeping test child, until its process is gone.
double time_job_kill() {
  bb::win::Handle job(::CreateJobObjectW(nullptr, nullptr));
  bb::win::LaunchSpec spec;
  spec.program = bb::test::test_child();
  spec.command_line = bb::win::command_line({bb::path_utf8(spec.program), "sleep", "60"});
  spec.job = job.get();
  auto p = launch_or_throw(spec);
  ::Sleep(20);
  const auto t0 = Clock::now();
  ::TerminateJobObject(job.get(), 1);
  ::WaitForSingleObject(p.process.get(), INFINITE);
  return ms_since(t0);
}

// A thread that answers each request line with a line of `reply_bytes`, over a named pipe.
class PipeEcho {
 public:
  explicit PipeEcho(std::size_t reply_bytes)
      : reply_(std::max<std::size_t>(reply_bytes, 2) - 1, 'x') {
    reply_ += '\n';
    const std::wstring name =
        L"\\\\.\\pipe\\backburner-bench-echo-" + std::to_wstring(::GetCurrentProcessId());
    server_.reset(::CreateNamedPipeW(name.c_str(), PIPE_ACCESS_DUPLEX,
                                     PIPE_TYPE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS, 1,
                                     65536, 65536, 0, nullptr));
    client_.reset(::CreateFileW(name.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr,
                                OPEN_EXISTING, 0, nullptr));
    if (!server_ || !client_) throw std::runtime_error("cannot make the echo pipe");
    thread_ = std::thread([this] { serve(); });
  }
  ~PipeEcho() {
    client_.reset();  // the server's read fails: it ends
    thread_.join();
  }
  double round_trip(const std::string& line) {
    const auto t0 = Clock::now();
    write_all(client_.get(), line);
    read_line(client_.get(), buffer_);
    return ms_since(t0);
  }

 private:
  static void write_all(HANDLE h, std::string_view d) {
    while (!d.empty()) {
      DWORD n = 0;
      if (!::WriteFile(h, d.data(), static_cast<DWORD>(d.size()), &n, nullptr))
        throw std::runtime_error("echo write failed");
      d.remove_prefix(n);
    }
  }
  static bool read_line(HANDLE h, std::string& buf) {
    for (;;) {
      if (auto nl = buf.find('\n'); nl != std::string::npos) {
        buf.erase(0, nl + 1);
        return true;
      }
      char tmp[65536];
      DWORD n = 0;
      if (!::ReadFile(h, tmp, sizeof tmp, &n, nullptr) || n == 0) return false;
      buf.append(tmp, n);
    }
  }
  void serve() {
    std::string buf;
    while (read_line(server_.get(), buf)) write_all(server_.get(), reply_);
  }

  std::string reply_;
  bb::win::Handle server_, client_;
  std::thread thread_;
  std::string buffer_;
};

json call(bb::RpcClient& c, const std::string& method, const json& params) {
  auto r = c.call(method, params, std::chrono::seconds(60));
  if (auto* e = std::get_if<bb::RpcError>(&r)) throw std::runtime_error(method + ": " + e->message);
  return std::get<json>(std::move(r));
}

json start(bb::RpcClient& c, DaemonFixture& d, const std::string& command) {
  return call(c, "task.start",
              {{"command", command}, {"cwd", bb::path_utf8(d.home())}, {"env", d.task_env()}});
}

void bench_start_to_finished(DaemonFixture& d, int reps) {
  auto conn = d.client();
  std::vector<double> lat, floor;
  auto one = [&] {
    const auto t0 = Clock::now();
    const std::string id = start(conn, d, "exit 0")["task_id"];
    json w = call(conn, "task.wait", {{"task_ids", {id}}, {"timeout_seconds", 30}});
    const double ms = ms_since(t0);
    if (w["tasks"][0]["status"] != "completed")
      throw std::runtime_error("`exit 0` did not complete: " + w.dump());
    return ms;
  };
  for (int i = 0; i < 3; ++i) one();
  for (int i = 0; i < reps; ++i) {
    floor.push_back(time_cmd_exit0());
    lat.push_back(one());
  }
  print("start -> finished, `exit 0`, named pipe", summarize(lat), summarize(floor),
        "CreateProcess + wait of cmd.exe /d /s /c \"exit 0\"");
}

void bench_status_round_trip(DaemonFixture& d, int reps) {
  auto conn = d.client();
  const std::string id = start(conn, d, "exit 0")["task_id"];
  call(conn, "task.wait", {{"task_ids", {id}}, {"timeout_seconds", 30}});
  const json reply = call(conn, "task.get", {{"task_id", id}});
  PipeEcho echo(reply.dump().size() + 30);  // the answer line: result plus envelope
  const std::string request =
      json{{"jsonrpc", "2.0"}, {"id", 12345}, {"method", "task.get"}, {"params", {{"task_id", id}}}}
          .dump() +
      "\n";
  std::vector<double> rtt, floor;
  for (int i = 0; i < 50; ++i) call(conn, "task.get", {{"task_id", id}});
  for (int i = 0; i < reps; ++i) {
    floor.push_back(echo.round_trip(request));
    const auto t0 = Clock::now();
    call(conn, "task.get", {{"task_id", id}});
    rtt.push_back(ms_since(t0));
  }
  print("status round trip (task.get), named pipe", summarize(rtt), summarize(floor),
        "the same line sizes echoed over a named pipe by a thread");
}

std::vector<bb::ProcessIdentity> read_pidfile(const std::filesystem::path& p, std::size_t lines) {
  for (int i = 0; i < 3000; ++i) {
    std::ifstream f(p);
    std::vector<bb::ProcessIdentity> ids;
    bb::ProcessIdentity id;
    while (f >> id.pid >> id.start_time) ids.push_back(id);
    if (ids.size() >= lines) return ids;
    ::Sleep(10);
  }
  throw std::runtime_error("no pid file " + bb::path_utf8(p));
}

void bench_tree_kill(DaemonFixture& d, int reps) {
  auto conn = d.client();
  std::vector<double> kill, floor;
  int left = 0, checked = 0;
  for (int i = 0; i < reps; ++i) {
    floor.push_back(time_job_kill());
    const auto pidfile = d.home() / ("tree-" + std::to_string(i) + ".pid");
    // cmd.exe -> bb-testchild (grandchild mode) -> bb-testchild sleep: the shell's grandchild.
    const std::string id =
        start(conn, d,
              bb::test::shell_quote(bb::path_utf8(bb::test::test_child())) + " grandchild " +
                  bb::test::shell_quote(bb::path_utf8(pidfile)) + " 60")["task_id"];
    const auto tree = read_pidfile(pidfile, 2);
    const auto t0 = Clock::now();
    json r = call(conn, "task.cancel", {{"task_id", id}});
    kill.push_back(ms_since(t0));
    if (r["task"]["status"] != "cancelled" || !r["survivors"].empty())
      throw std::runtime_error("cancel did not end the tree: " + r.dump());
    for (const auto& p : tree) {
      ++checked;
      if (bb::is_alive(p)) ++left;
    }
  }
  print("tree kill: task.cancel -> answered (tree gone)", summarize(kill), summarize(floor),
        "TerminateJobObject + wait of one process");
  std::printf(
      "%-48s %d of %d processes the tasks started were alive after the answers "
      "(grandchild and child, by pid + creation time)\n",
      "", left, checked);
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::string(argv[1]) == "--quick";
  try {
    DaemonFixture d;
    d.start();
    std::printf("backburner-bench-win%s: daemon pid %lld, state dir %s\n", quick ? " --quick" : "",
                static_cast<long long>(d.pid()), bb::path_utf8(d.home()).c_str());
    bench_start_to_finished(d, quick ? 30 : 100);
    bench_status_round_trip(d, quick ? 300 : 2000);
    bench_tree_kill(d, quick ? 10 : 30);
    d.stop();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "backburner-bench-win: %s\n", e.what());
    return 1;
  }
  return 0;
}
