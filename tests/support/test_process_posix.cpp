#include "test_process.h"

#include "paths.h"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <thread>

#include <dirent.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

namespace bb::test {

namespace {

class PosixProcess final : public TestProcess {
 public:
  explicit PosixProcess(pid_t pid) : pid_(pid) {}
  ~PosixProcess() override {
    if (pid_ > 0) kill();
  }
  std::int64_t pid() const override { return pid_; }

  std::optional<int> try_wait() override {
    if (status_) return status_;
    int status = 0;
    if (pid_ > 0 && ::waitpid(pid_, &status, WNOHANG) == pid_) {
      status_ = decode(status);
      pid_ = -1;
    }
    return status_;
  }

  int wait(std::chrono::milliseconds deadline) override {
    const auto end = std::chrono::steady_clock::now() + deadline;
    while (!try_wait()) {
      if (std::chrono::steady_clock::now() > end) {
        kill();
        return -2;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return *status_;
  }

  bool request_stop() override {
    if (pid_ > 0) ::kill(pid_, SIGTERM);
    return true;
  }

  void kill() override {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    status_ = decode(status);
    pid_ = -1;
  }

 private:
  static int decode(int status) {
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  pid_t pid_;
  std::optional<int> status_;
};

}  // namespace

std::unique_ptr<TestProcess> TestProcess::start(const ProcessOptions& o) {
  std::vector<std::string> env_s;
  for (const auto& [k, v] : o.env) env_s.push_back(k + "=" + v);
  if (!o.tag.empty() && !o.env.count("BB_TEST_TAG")) env_s.push_back("BB_TEST_TAG=" + o.tag);
  std::vector<char*> envp;
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = {o.exe.string()};
  args.insert(args.end(), o.args.begin(), o.args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  if (!o.stderr_file.empty())
    posix_spawn_file_actions_addopen(&fa, 2, o.stderr_file.c_str(),
                                     O_WRONLY | O_CREAT | (o.truncate_stderr ? O_TRUNC : O_APPEND),
                                     0600);
  else
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  if (!o.cwd.empty()) posix_spawn_file_actions_addchdir_np(&fa, o.cwd.c_str());
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, args[0].c_str(), &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0)
    throw std::runtime_error("cannot start " + args[0] + ": " + std::string(std::strerror(rc)));
  return std::make_unique<PosixProcess>(pid);
}

bool running_on_windows() { return false; }

bool process_exists(std::int64_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string content;
  if (!std::getline(f, content)) return false;
  auto rp = content.rfind(')');
  return rp != std::string::npos && rp + 2 < content.size() && content[rp + 2] != 'Z';
}

int kill_tagged_processes(const std::string& tag) {
  const std::string needle = "BB_TEST_TAG=" + tag;
  int found = 0;
  for (int round = 0; round < 20; ++round) {
    int this_round = 0;
    DIR* d = ::opendir("/proc");
    if (d == nullptr) return found;
    while (dirent* e = ::readdir(d)) {
      char* end = nullptr;
      long pid = std::strtol(e->d_name, &end, 10);
      if (*end != '\0' || pid <= 1 || pid == ::getpid()) continue;
      std::ifstream f(std::string("/proc/") + e->d_name + "/environ", std::ios::binary);
      std::string env((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
      bool tagged = false;
      for (std::size_t pos = 0; pos < env.size();) {
        std::size_t z = env.find('\0', pos);
        if (z == std::string::npos) z = env.size();
        if (env.compare(pos, z - pos, needle) == 0) tagged = true;
        pos = z + 1;
      }
      if (tagged && process_exists(pid)) {
        ::kill(static_cast<pid_t>(pid), SIGKILL);
        ++this_round;
      }
    }
    ::closedir(d);
    found += this_round;
    if (this_round == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return found;
}

std::filesystem::path make_temp_dir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/bbt-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

std::string shell_quote(const std::string& word) {
  std::string out = "'";
  for (char c : word) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

bool make_pipe(int fds[2]) { return ::pipe(fds) == 0; }
void ignore_broken_pipe_signal() { std::signal(SIGPIPE, SIG_IGN); }

void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

}  // namespace bb::test
