// What the benchmark measures with: its configuration, a daemon it starts in a temp state dir,
// an MCP session with the shim, and the sections that fill the report.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "processes.h"
#include "report.h"
#include "rpc_client.h"

namespace bench {

struct Config {
  bool quick = false;
  std::string bin_dir;   // where backburnerd, backburner-keeper and backburner-mcp are
  std::string root;      // the run's temp dir
  std::string work_dir;  // the tasks' cwd (inside root)

  int latency_reps = 100;
  int rtt_reps = 2000;
  int shim_cold_reps = 30;
  int shim_rtt_reps = 1000;
  int shim_latency_reps = 50;
  int start_rate_tasks = 200;
  int start_rate_reps = 5;
  int throughput_tasks = 500;
  int throughput_reps = 5;
  int peer_reps = 3;
  std::uint64_t capture_bytes = 1ull << 30;
  int capture_reps = 5;
  std::uint64_t log_bytes = 1ull << 30;
  int read_reps = 200;
  int sleep_tasks = 1000;
  double idle_seconds = 10;
  int stored_tasks = 100000;
  int list_reps = 200;

  static Config make(bool quick);
  std::string mcp_path() const { return bin_dir + "/backburner-mcp"; }
};

using nlohmann::json;

// One request on a connection that said hello; throws std::runtime_error on an error answer.
json call(bb::RpcClient& c, const char* method, const json& params,
          std::chrono::milliseconds timeout = std::chrono::seconds(60));

// "2026-11-24T10:30:00.123Z" -> milliseconds since the epoch.
double iso_to_ms(const std::string& iso);

// A backburnerd serving a state dir of its own, started with --foreground as our child.
class Daemon {
 public:
  // `extra_env`: more NAME=value for the daemon (e.g. BACKBURNER_DURABILITY=fast).
  Daemon(const Config& config, const std::string& state_dir, const std::string& log_path,
         const std::vector<std::string>& extra_env = {});
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;
  ~Daemon();

  // A new connection that has said hello.
  bb::RpcClient connect() const;
  // Stops every task's keeper (SIGTERM: each runs its kill ladder), then the daemon.
  void stop();
  // Asks the daemon to shut down over the socket (tasks keep running) and reaps it.
  void shutdown();
  // Starts it again on the same state dir; returns the milliseconds until hello was answered.
  double restart();

  pid_t pid() const { return pid_; }
  const std::string& state_dir() const { return state_dir_; }
  const std::string& socket_path() const { return socket_; }
  // The environment a client of this daemon runs with (BACKBURNER_HOME set).
  const std::vector<std::string>& client_env() const { return client_env_; }

 private:
  double start();

  const Config& config_;
  std::string state_dir_;
  std::string log_path_;
  std::string socket_;
  std::vector<std::string> daemon_env_;
  std::vector<std::string> client_env_;
  pid_t pid_ = -1;
};

// An MCP client session with backburner-mcp over its stdio.
class McpSession {
 public:
  McpSession(const std::string& exe, const std::vector<std::string>& env);
  // initialize + notifications/initialized.
  void initialize();
  // A request's result; throws on a JSON-RPC error.
  json request(const std::string& method, const json& params,
               std::chrono::milliseconds timeout = std::chrono::seconds(60));
  // tools/call; returns structuredContent, throws if the result is an error.
  json tool(const std::string& name, const json& arguments,
            std::chrono::milliseconds timeout = std::chrono::seconds(60));
  // The last request line sent (its size is what the floor echoes).
  const std::string& last_request() const { return last_request_; }
  void finish() { child_.finish(); }

 private:
  LineChild child_;
  std::int64_t next_id_ = 1;
  std::string last_request_;
};

// The sections. Each adds its rows to the report; a failure inside one becomes a row that says
// so, and the next section runs.
void bench_idle(const Config&, Daemon&, Report&);
void bench_latency(const Config&, Daemon&, Report&);
void bench_status_round_trip(const Config&, Daemon&, Report&);
void bench_shim(const Config&, Daemon&, Report&);
void bench_throughput(const Config&, Daemon&, Report&);
void bench_capture(const Config&, Daemon&, Report&);
void bench_reads(const Config&, Daemon&, Report&);
void bench_many_tasks(const Config&, Daemon&, Report&);
void bench_after_run(const Config&, Daemon&, Report&);
void bench_scale(const Config&, Report&);
// policy_section.cpp
void bench_policy(const Config&, Daemon&, Report&);
// grep_section.cpp: the daemon's grep engine, in this process (no daemon needed)
void bench_grep(const Config&, Report&);
// events_section.cpp: a task's end pushed to a subscriber; what durability costs; a grep of a
// large log through the daemon with another client's requests beside it.
void bench_push(const Config&, Daemon&, Report&);
void bench_durability(const Config&, Report&);
void bench_daemon_grep(const Config&, Daemon&, Report&);

// The RSS of a minimal process (`sleep`), the floor for the memory figures; KiB samples.
std::vector<double> sleep_rss_kib(int samples);

}  // namespace bench
