#include "processes.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace bench {

namespace {

std::atomic<bool> g_stop{false};

void on_stop_signal(int) { g_stop.store(true); }

std::runtime_error sys_error(const std::string& what, int err = errno) {
  return std::runtime_error(what + ": " + std::strerror(err));
}

std::vector<char*> c_strings(const std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (const auto& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

}  // namespace

double realtime_ms() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) * 1000.0 + static_cast<double>(ts.tv_nsec) / 1e6;
}

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocking call returns EINTR and its loop sees the flag
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGALRM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

bool stop_requested() { return g_stop.load(); }

void check_stop() {
  if (g_stop.load()) throw std::runtime_error("interrupted (signal or time limit)");
}

std::vector<std::string> clean_environment(const std::vector<std::string>& extra) {
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view kv(*e);
    if (kv.starts_with("BACKBURNER_") || kv.starts_with("TS_") || kv.starts_with("NQDIR="))
      continue;
    out.emplace_back(kv);
  }
  for (const auto& kv : extra) out.push_back(kv);
  return out;
}

pid_t spawn(const std::vector<std::string>& argv, const SpawnOptions& o) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, o.stdin_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, o.stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_addopen(&fa, 2, o.stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0600);
  if (!o.cwd.empty()) posix_spawn_file_actions_addchdir_np(&fa, o.cwd.c_str());
  auto args = c_strings(argv);
  std::vector<char*> envp;
  if (o.env != nullptr) envp = c_strings(*o.env);
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, argv.at(0).c_str(), &fa, nullptr, args.data(),
                          o.env != nullptr ? envp.data() : environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw sys_error("cannot start " + argv.at(0), rc);
  return pid;
}

int reap(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw sys_error("waitpid");
  }
  return status;
}

std::optional<int> reap_within(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  int status = 0;
  for (;;) {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0 && errno != EINTR) return std::nullopt;
    if (Clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ::kill(pid, SIGKILL);
  reap(pid);
  return std::nullopt;
}

int run(const std::vector<std::string>& argv, const SpawnOptions& options) {
  int status = reap(spawn(argv, options));
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

double time_sh_true() {
  static const std::vector<std::string> argv = {"/bin/sh", "-c", "true"};
  const auto t0 = Clock::now();
  reap(spawn(argv));
  return ms_since(t0);
}

LineChild::LineChild(const std::vector<std::string>& argv, const std::vector<std::string>* env,
                     const std::string& stderr_path) {
  int in[2];
  int out[2];
  if (::pipe2(in, O_CLOEXEC) != 0) throw sys_error("pipe");
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ::close(in[0]);
    ::close(in[1]);
    throw sys_error("pipe");
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_addopen(&fa, 2, stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0600);
  auto args = c_strings(argv);
  std::vector<char*> envp;
  if (env != nullptr) envp = c_strings(*env);
  int rc = ::posix_spawnp(&pid_, argv.at(0).c_str(), &fa, nullptr, args.data(),
                          env != nullptr ? envp.data() : environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(in[0]);
  ::close(out[1]);
  to_child_ = in[1];
  from_child_ = out[0];
  if (rc != 0) {
    ::close(to_child_);
    ::close(from_child_);
    to_child_ = from_child_ = -1;
    pid_ = -1;
    throw sys_error("cannot start " + argv.at(0), rc);
  }
}

LineChild::~LineChild() {
  try {
    finish(std::chrono::milliseconds(2000));
  } catch (...) {
  }
}

void LineChild::send(const std::string& line) {
  std::string data = line + "\n";
  std::string_view rest(data);
  while (!rest.empty()) {
    ssize_t n = ::write(to_child_, rest.data(), rest.size());
    if (n < 0) {
      if (errno == EINTR) {
        check_stop();
        continue;
      }
      throw sys_error("write to child");
    }
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::string LineChild::read_line(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    check_stop();
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) throw std::runtime_error("no answer from the child in time");
    pollfd p{from_child_, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0) {
      if (errno == EINTR) continue;
      throw sys_error("poll");
    }
    if (r == 0) continue;
    char buf[65536];
    ssize_t n = ::read(from_child_, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw sys_error("read from child");
    }
    if (n == 0) throw std::runtime_error("the child closed its stdout");
    buffer_.append(buf, static_cast<std::size_t>(n));
  }
}

void LineChild::finish(std::chrono::milliseconds timeout) {
  if (to_child_ >= 0) ::close(to_child_);
  to_child_ = -1;
  if (pid_ > 0) reap_within(pid_, timeout);
  pid_ = -1;
  if (from_child_ >= 0) ::close(from_child_);
  from_child_ = -1;
}

std::optional<std::uint64_t> rss_kib(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
  }
  return std::nullopt;
}

namespace {
// The fields of /proc/<pid>/stat after the command name; index 0 is field 3 (state).
std::optional<std::vector<std::string>> stat_fields(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string all;
  if (!std::getline(f, all)) return std::nullopt;
  auto close = all.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(all.substr(close + 1));
  std::vector<std::string> out;
  std::string field;
  while (rest >> field) out.push_back(field);
  return out;
}
}  // namespace

std::optional<double> cpu_ms(pid_t pid) {
  auto f = stat_fields(pid);
  if (!f || f->size() < 13) return std::nullopt;
  // utime is field 14, stime field 15 (1-based); the vector starts at field 3.
  const double ticks = std::stod((*f)[11]) + std::stod((*f)[12]);
  return ticks * 1000.0 / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

std::optional<double> children_cpu_ms(pid_t pid) {
  auto f = stat_fields(pid);
  if (!f || f->size() < 15) return std::nullopt;
  // cutime is field 16, cstime field 17.
  const double ticks = std::stod((*f)[13]) + std::stod((*f)[14]);
  return ticks * 1000.0 / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double own_children_cpu_ms() {
  rusage u{};
  ::getrusage(RUSAGE_CHILDREN, &u);
  auto ms = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) * 1000.0 + t.tv_usec / 1000.0;
  };
  return ms(u.ru_utime) + ms(u.ru_stime);
}

std::vector<std::pair<pid_t, pid_t>> parent_links() {
  std::vector<std::pair<pid_t, pid_t>> out;
  DIR* d = ::opendir("/proc");
  if (d == nullptr) return out;
  while (dirent* e = ::readdir(d)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0') continue;
    auto f = stat_fields(static_cast<pid_t>(pid));
    if (f && f->size() > 1)
      out.emplace_back(static_cast<pid_t>(std::stol((*f)[1])), static_cast<pid_t>(pid));
  }
  ::closedir(d);
  return out;
}

std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> out;
  for (const auto& [pp, pid] : parent_links())
    if (pp == parent) out.push_back(pid);
  return out;
}

void kill_descendants(const std::vector<pid_t>& roots) {
  const auto links = parent_links();
  std::vector<pid_t> found;
  std::vector<pid_t> level = roots;
  while (!level.empty()) {
    std::vector<pid_t> next;
    for (const auto& [parent, pid] : links)
      if (std::find(level.begin(), level.end(), parent) != level.end()) next.push_back(pid);
    found.insert(found.end(), next.begin(), next.end());
    level = std::move(next);
  }
  for (auto it = found.rbegin(); it != found.rend(); ++it) ::kill(*it, SIGKILL);
}

bool alive(pid_t pid) { return ::kill(pid, 0) == 0 || errno == EPERM; }

TempDir::TempDir(const std::string& prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl =
      std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/" + prefix + "XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) throw sys_error("mkdtemp " + tmpl);
  path_ = buf.data();
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace bench
