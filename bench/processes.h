// Processes for the benchmark: spawning and reaping children, a child spoken to in lines over
// pipes (the shim, or `cat` as its floor), and what /proc says about a process.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bench {

using Clock = std::chrono::steady_clock;

inline double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}
inline double ms_since(Clock::time_point a) { return ms_between(a, Clock::now()); }

// Wall-clock milliseconds since the epoch, with the sub-millisecond part.
double realtime_ms();

// Set by SIGINT/SIGTERM/SIGALRM; long loops call check_stop(), which throws once it is set.
void install_stop_handlers();
bool stop_requested();
void check_stop();

// An environment: the benchmark's own minus every BACKBURNER_* and TS_*/NQDIR variable, plus
// `extra` ("NAME=value").
std::vector<std::string> clean_environment(const std::vector<std::string>& extra = {});

struct SpawnOptions {
  const std::vector<std::string>* env = nullptr;  // nullptr: the benchmark's environment
  std::string stdin_path = "/dev/null";
  std::string stdout_path = "/dev/null";  // opened O_WRONLY|O_CREAT|O_TRUNC
  std::string stderr_path = "/dev/null";  // opened O_WRONLY|O_CREAT|O_APPEND
  std::string cwd;                        // empty: the benchmark's
};

// posix_spawn (the path is searched in PATH if it has no slash). Throws on failure.
pid_t spawn(const std::vector<std::string>& argv, const SpawnOptions& options = {});

// waitpid; returns the raw status. Throws if the child is not ours.
int reap(pid_t pid);

// Waits at most `timeout` for the child to exit; then SIGKILLs and reaps it. Returns the raw
// status, or nullopt if it had to be killed.
std::optional<int> reap_within(pid_t pid, std::chrono::milliseconds timeout);

// Runs a command to completion (stdout/stderr to /dev/null unless set); returns its exit code
// (128+signal when a signal ended it).
int run(const std::vector<std::string>& argv, const SpawnOptions& options = {});

// posix_spawn + waitpid of `/bin/sh -c true` with stdio on /dev/null: the floor of running a
// command at all. Returns milliseconds.
double time_sh_true();

// A child with its stdin and stdout on pipes, spoken to in lines.
class LineChild {
 public:
  LineChild(const std::vector<std::string>& argv, const std::vector<std::string>* env,
            const std::string& stderr_path = "/dev/null");
  LineChild(const LineChild&) = delete;
  LineChild& operator=(const LineChild&) = delete;
  ~LineChild();

  void send(const std::string& line);  // adds the newline
  // The next line, without its newline. Throws on EOF or after `timeout`.
  std::string read_line(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Closes stdin and waits for the exit (SIGKILL after `timeout`).
  void finish(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int to_child_ = -1;
  int from_child_ = -1;
  std::string buffer_;
};

// /proc/<pid>/status VmRSS in KiB; nullopt if the process is gone.
std::optional<std::uint64_t> rss_kib(pid_t pid);
// utime + stime from /proc/<pid>/stat, in milliseconds.
std::optional<double> cpu_ms(pid_t pid);
// cutime + cstime from /proc/<pid>/stat: the CPU time of its reaped descendants, in ms.
std::optional<double> children_cpu_ms(pid_t pid);
// The CPU time of this process's reaped descendants (getrusage), in ms.
double own_children_cpu_ms();
// Pids whose parent is `parent` (a /proc scan).
std::vector<pid_t> children_of(pid_t parent);
// Every process's parent, from one /proc scan: (parent, child) pairs.
std::vector<std::pair<pid_t, pid_t>> parent_links();
bool alive(pid_t pid);
// SIGKILLs every descendant of each root (not the roots), the deepest first.
void kill_descendants(const std::vector<pid_t>& roots);

// mkdtemp under $TMPDIR (default /tmp); removed by the destructor.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix);
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace bench
