// Test processes on Windows: CreateProcess through the product's own launcher, and one Job
// Object per tag, which every tagged process and all its descendants stay in (the job forbids
// breaking away), so that kill_tagged_processes ends them all at once, however deep.
#include "test_process.h"

#include "paths.h"

#include <windows.h>

#include <fcntl.h>
#include <io.h>

#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>

#include "process_launch_win.h"
#include "utf8_path.h"
#include "win_handle_win.h"
#include "win_text_win.h"

namespace bb::test {

namespace {

std::mutex g_jobs_mutex;
std::map<std::string, win::Handle>& jobs() {
  static std::map<std::string, win::Handle> m;
  return m;
}

}  // namespace

// The job of a tag's processes (made on first use); also for the CLI harness.
HANDLE tag_job(const std::string& tag) {
  std::lock_guard lock(g_jobs_mutex);
  auto& j = jobs()[tag];
  if (!j) {
    j.reset(::CreateJobObjectW(nullptr, nullptr));
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits{};
    // If the test program itself dies, its processes die with it.
    limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
    ::SetInformationJobObject(j.get(), JobObjectExtendedLimitInformation, &limits, sizeof limits);
  }
  return j.get();
}

namespace {

class WinProcess final : public TestProcess {
 public:
  WinProcess(win::Handle h, DWORD pid) : h_(std::move(h)), pid_(pid) {}
  ~WinProcess() override {
    if (!status_) kill();
  }
  std::int64_t pid() const override { return pid_; }

  std::optional<int> try_wait() override {
    if (!status_ && ::WaitForSingleObject(h_.get(), 0) == WAIT_OBJECT_0) collect();
    return status_;
  }

  int wait(std::chrono::milliseconds deadline) override {
    if (status_) return *status_;
    if (::WaitForSingleObject(h_.get(), static_cast<DWORD>(deadline.count())) != WAIT_OBJECT_0) {
      kill();
      return -2;
    }
    collect();
    return *status_;
  }

  bool request_stop() override { return false; }

  void kill() override {
    if (status_) return;
    ::TerminateProcess(h_.get(), 1);
    ::WaitForSingleObject(h_.get(), 10000);
    collect();
  }

 private:
  void collect() {
    DWORD code = 0;
    ::GetExitCodeProcess(h_.get(), &code);
    status_ = static_cast<int>(code);
  }
  win::Handle h_;
  DWORD pid_;
  std::optional<int> status_;
};

}  // namespace

std::unique_ptr<TestProcess> TestProcess::start(const ProcessOptions& o) {
  std::vector<std::string> env;
  for (const auto& [k, v] : o.env) env.push_back(k + "=" + v);
  if (!o.tag.empty() && !o.env.count("BB_TEST_TAG")) env.push_back("BB_TEST_TAG=" + o.tag);
  std::vector<std::string> argv = {path_utf8(o.exe)};
  argv.insert(argv.end(), o.args.begin(), o.args.end());
  win::Handle err;
  if (!o.stderr_file.empty()) {
    SECURITY_ATTRIBUTES sa{sizeof sa, nullptr, TRUE};
    err.reset(::CreateFileW(o.stderr_file.c_str(), FILE_APPEND_DATA,
                            FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, &sa,
                            o.truncate_stderr ? CREATE_ALWAYS : OPEN_ALWAYS,
                            FILE_ATTRIBUTE_NORMAL, nullptr));
  }
  win::LaunchSpec spec;
  spec.program = o.exe;
  spec.command_line = win::command_line(argv);
  spec.environment = env;
  spec.cwd = o.cwd;
  spec.std_err = err.get();
  // A console of its own, as a service manager would give it (never the test runner's).
  spec.creation_flags = CREATE_NO_WINDOW | CREATE_NEW_PROCESS_GROUP;
  if (!o.tag.empty()) spec.job = tag_job(o.tag);
  auto launched = win::launch(spec);
  if (auto* e = std::get_if<std::string>(&launched)) throw std::runtime_error(*e);
  auto& l = std::get<win::Launched>(launched);
  return std::make_unique<WinProcess>(std::move(l.process), l.pid);
}

bool running_on_windows() { return true; }

bool process_exists(std::int64_t pid) {
  if (pid <= 0 || pid > 0xffffffffll) return false;
  win::Handle h(::OpenProcess(SYNCHRONIZE, FALSE, static_cast<DWORD>(pid)));
  return h && ::WaitForSingleObject(h.get(), 0) == WAIT_TIMEOUT;
}

int kill_tagged_processes(const std::string& tag) {
  HANDLE job = nullptr;
  {
    std::lock_guard lock(g_jobs_mutex);
    auto it = jobs().find(tag);
    if (it == jobs().end()) return 0;
    job = it->second.get();
  }
  JOBOBJECT_BASIC_ACCOUNTING_INFORMATION info{};
  ::QueryInformationJobObject(job, JobObjectBasicAccountingInformation, &info, sizeof info,
                              nullptr);
  const int found = static_cast<int>(info.ActiveProcesses);
  if (found == 0) return 0;
  ::TerminateJobObject(job, 1);
  for (int i = 0; i < 500; ++i) {
    ::QueryInformationJobObject(job, JobObjectBasicAccountingInformation, &info, sizeof info,
                                nullptr);
    if (info.ActiveProcesses == 0) break;
    ::Sleep(10);
  }
  return found;
}

std::filesystem::path make_temp_dir() {
  wchar_t base[MAX_PATH + 1];
  const DWORD n = ::GetTempPathW(MAX_PATH + 1, base);
  if (n == 0) throw std::runtime_error("no temp dir: " + win::last_error_text());
  std::random_device rd;
  for (int attempt = 0; attempt < 100; ++attempt) {
    const std::wstring name = L"bbt-" + std::to_wstring(rd() % 1000000000u);
    const std::filesystem::path dir = std::filesystem::path(std::wstring(base, n)) / name;
    if (::CreateDirectoryW(dir.c_str(), nullptr)) return dir;
    if (::GetLastError() != ERROR_ALREADY_EXISTS) break;
  }
  throw std::runtime_error("cannot create a temp dir: " + win::last_error_text());
}

// cmd.exe passes a quoted word through unchanged (and treats & | < > ^ in it as plain text); the
// program then splits its command line by the usual rules, which quote_argument follows. A word
// with a quote or a % in it cannot be passed this way; the tests do not need one.
std::string shell_quote(const std::string& word) {
  const std::wstring w = win::widen(word);
  std::wstring q = win::quote_argument(w);
  if (q.empty() || q.front() != L'"') q = L"\"" + q + L"\"";
  return win::narrow(q);
}

bool make_pipe(int fds[2]) { return ::_pipe(fds, 64 * 1024, _O_BINARY) == 0; }
void ignore_broken_pipe_signal() {}

void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

}  // namespace bb::test
