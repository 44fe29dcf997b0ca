#include "daemon_fixture.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <dirent.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace bb::test {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string random_tag() {
  std::random_device rd;
  std::ostringstream s;
  s << std::hex << rd() << rd();
  return s.str();
}

// waitpid with a deadline; SIGKILLs the child if it does not exit in time.
int reap(pid_t pid, std::chrono::milliseconds deadline) {
  auto end = std::chrono::steady_clock::now() + deadline;
  int status = 0;
  for (;;) {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0 && errno != EINTR) return -1;
    if (std::chrono::steady_clock::now() > end) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return -2;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace

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

DaemonFixture::DaemonFixture(std::map<std::string, std::string> extra_env)
    : tag_(random_tag()), extra_env_(std::move(extra_env)) {
  stderr_file_ = home_.path() / "daemon-stderr.log";
}

DaemonFixture::~DaemonFixture() {
  if (pid_ > 0) kill9();
  kill_tagged_processes(tag_);
}

fs::path DaemonFixture::socket() const { return home_.path() / "state" / "backburnerd.sock"; }

fs::path DaemonFixture::task_dir(const std::string& id) const {
  return home_.path() / "state" / "tasks" / id;
}

std::map<std::string, std::string> DaemonFixture::daemon_env() const {
  std::map<std::string, std::string> env;
  for (const char* k : {"PATH", "HOME", "LANG", "TMPDIR", "ASAN_OPTIONS", "UBSAN_OPTIONS"})
    if (const char* v = std::getenv(k)) env[k] = v;
  env["BACKBURNER_HOME"] = (home_.path() / "state").string();
  env["BACKBURNER_KILL_GRACE"] = "0.3";
  env["BB_TEST_TAG"] = tag_;
  for (const auto& [k, v] : extra_env_) env[k] = v;
  return env;
}

std::map<std::string, std::string> DaemonFixture::task_env() const {
  std::map<std::string, std::string> env;
  for (const char* k : {"PATH", "HOME", "LANG"})
    if (const char* v = std::getenv(k)) env[k] = v;
  env["BB_TEST_TAG"] = tag_;
  return env;
}

std::vector<std::string> DaemonFixture::env_block(
    const std::map<std::string, std::string>& env) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

void DaemonFixture::start() {
  auto env = env_block(daemon_env());
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string exe = (bin_dir() / "backburnerd").string();
  std::vector<std::string> args = {exe, "--foreground"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, stderr_file_.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0600);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, exe.c_str(), &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error("cannot start backburnerd: " + std::string(strerror(rc)));
  pid_ = pid;
  // Up once it has written its pid file (after it listens) and answers: a killed predecessor's
  // socket can linger a moment in a process it was starting, and must not be taken for it.
  const fs::path pid_file = home_.path() / "state" / "backburnerd.pid";
  bool up = eventually(
      [&] {
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) == pid) {
          pid_ = -1;
          return true;
        }
        std::ifstream pf(pid_file);
        long written = 0;
        if (!(pf >> written) || written != pid) return false;
        auto c = RpcClient::connect(socket().string());
        return std::holds_alternative<RpcClient>(c);
      },
      std::chrono::seconds(20));
  if (!up || pid_ < 0) {
    std::ifstream f(stderr_file_);
    std::string log((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    throw std::runtime_error("backburnerd did not come up: " + log);
  }
}

int DaemonFixture::run_daemon_expecting_exit(const std::vector<std::string>& extra_args,
                                             std::chrono::milliseconds wait_exit,
                                             std::string* stderr_out) {
  auto env = env_block(daemon_env());
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string exe = (bin_dir() / "backburnerd").string();
  std::vector<std::string> args = {exe};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  fs::path err = home_.path() / "second-stderr.log";
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, exe.c_str(), &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return -1;
  int status = reap(pid, wait_exit);
  if (stderr_out) {
    std::ifstream f(err);
    stderr_out->assign((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  }
  return status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int DaemonFixture::stop() {
  if (pid_ <= 0) return -1;
  ::kill(static_cast<pid_t>(pid_), SIGTERM);
  int status = reap(static_cast<pid_t>(pid_), std::chrono::seconds(20));
  pid_ = -1;
  return status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void DaemonFixture::kill9() {
  if (pid_ <= 0) return;
  ::kill(static_cast<pid_t>(pid_), SIGKILL);
  reap(static_cast<pid_t>(pid_), std::chrono::seconds(20));
  pid_ = -1;
}

RpcClient DaemonFixture::client(const proto::Policy& policy) {
  auto c = RpcClient::connect(socket().string());
  if (auto* err = std::get_if<std::string>(&c)) throw std::runtime_error(*err);
  RpcClient client = std::move(std::get<RpcClient>(c));
  proto::HelloParams hello;
  hello.client = {"bb-tests", "0"};
  hello.policy = policy;
  auto h = client.hello(hello);
  if (auto* err = std::get_if<RpcError>(&h)) throw std::runtime_error("hello: " + err->message);
  return client;
}

CallOutcome DaemonFixture::try_call(const std::string& method, const json& params) {
  RpcClient c = client();
  return c.call(method, params, std::chrono::seconds(60));
}

json DaemonFixture::call(const std::string& method, const json& params) {
  auto out = try_call(method, params);
  if (auto* err = std::get_if<RpcError>(&out))
    throw std::runtime_error(method + " failed: " + err->message);
  return std::get<json>(out);
}

json DaemonFixture::start_task(const std::string& command, std::optional<double> timeout) {
  json p = {{"command", command}, {"cwd", home_.path().string()}, {"env", task_env()}};
  if (timeout) p["timeout_seconds"] = *timeout;
  return call("task.start", p);
}

json DaemonFixture::wait_task(const std::string& id, double timeout_seconds) {
  json r = call("task.wait", {{"task_ids", {id}}, {"timeout_seconds", timeout_seconds}});
  return r["tasks"][0];
}

}  // namespace bb::test
