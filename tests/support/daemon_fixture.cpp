#include "daemon_fixture.h"

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include "autostart_platform.h"
#include "file_io.h"
#include "os.h"
#include "state_paths.h"

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

// What a test's daemon and tasks need of the test's own environment to run at all: the search
// path, the home and locale (POSIX), and what Windows programs expect to find (cmd.exe and the C
// runtime look up SystemRoot, ComSpec, TEMP...). Names that are not set are left out.
constexpr const char* kPassedOn[] = {"PATH",       "HOME",         "LANG",       "SystemRoot",
                                     "windir",     "ComSpec",      "PATHEXT",    "TEMP",
                                     "TMP",        "USERPROFILE",  "LOCALAPPDATA", "APPDATA",
                                     "SystemDrive", "USERNAME"};

}  // namespace

DaemonFixture::DaemonFixture(std::map<std::string, std::string> extra_env)
    : tag_(random_tag()), extra_env_(std::move(extra_env)) {
  stderr_file_ = home_.path() / "daemon-stderr.log";
}

DaemonFixture::~DaemonFixture() {
  if (pid_ > 0) kill9();
  kill_tagged_processes(tag_);
}

fs::path DaemonFixture::socket() const {
  // The platform's default for the state dir: a socket in it, or a named pipe named after it.
  return default_socket_path(home_.path() / "state", process_env());
}

fs::path DaemonFixture::task_dir(const std::string& id) const {
  return home_.path() / "state" / "tasks" / id;
}

std::map<std::string, std::string> DaemonFixture::daemon_env() const {
  std::map<std::string, std::string> env;
  for (const char* k : kPassedOn)
    if (auto v = os::environment_variable(k)) env[k] = *v;
  for (const char* k : {"TMPDIR", "ASAN_OPTIONS", "UBSAN_OPTIONS"})
    if (auto v = os::environment_variable(k)) env[k] = *v;
  env["BACKBURNER_HOME"] = (home_.path() / "state").string();
  env["BACKBURNER_KILL_GRACE"] = "0.3";
  env["BB_TEST_TAG"] = tag_;
  for (const auto& [k, v] : extra_env_) env[k] = v;
  return env;
}

std::map<std::string, std::string> DaemonFixture::task_env() const {
  std::map<std::string, std::string> env;
  for (const char* k : kPassedOn)
    if (auto v = os::environment_variable(k)) env[k] = *v;
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
  ProcessOptions o;
  o.exe = bin_dir() / ("backburnerd" + std::string(kExeSuffix));
  o.args = {"--foreground"};
  o.env = daemon_env();
  o.stderr_file = stderr_file_;
  o.tag = tag_;
  process_ = TestProcess::start(o);
  pid_ = process_->pid();
  // Up once it has written its pid file (after it listens) and answers: a killed predecessor's
  // socket can linger a moment in a process it was starting, and must not be taken for it.
  const fs::path pid_file = home_.path() / "state" / "backburnerd.pid";
  bool up = eventually(
      [&] {
        if (process_->try_wait()) {
          pid_ = -1;
          return true;
        }
        // Read as the daemon's own files are read: never in the way of its replacing them.
        const auto text = fileio::read_small_file(pid_file, 64);
        if (!text || std::strtoll(text->c_str(), nullptr, 10) != pid_) return false;
        auto c = RpcClient::connect(socket());
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
  ProcessOptions o;
  o.exe = bin_dir() / ("backburnerd" + std::string(kExeSuffix));
  o.args = extra_args;
  o.env = daemon_env();
  o.stderr_file = home_.path() / "second-stderr.log";
  o.truncate_stderr = true;
  o.tag = tag_;
  std::unique_ptr<TestProcess> p;
  try {
    p = TestProcess::start(o);
  } catch (const std::exception&) {
    return -1;
  }
  const int status = p->wait(wait_exit);
  if (stderr_out) {
    std::ifstream f(o.stderr_file);
    stderr_out->assign((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  }
  return status >= 0 && status < 128 ? status : -1;
}

int DaemonFixture::stop() {
  if (pid_ <= 0) return -1;
  // SIGTERM where there are signals; elsewhere the daemon's own shutdown request.
  if (!process_->request_stop()) try_call("daemon.shutdown", json::object());
  const int status = process_->wait(std::chrono::seconds(20));
  pid_ = -1;
  return status >= 0 && status < 128 ? status : -1;
}

void DaemonFixture::kill9() {
  if (pid_ <= 0) return;
  process_->kill();
  pid_ = -1;
}

RpcClient DaemonFixture::client(const proto::Policy& policy) {
  auto c = RpcClient::connect(socket());
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
