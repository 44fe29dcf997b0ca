#include "daemon_host.h"

#include <windows.h>

#include <fcntl.h>
#include <io.h>

#include <cstdlib>
#include <iostream>

#include "os.h"
#include "process_launch_win.h"
#include "win_handle_win.h"
#include "win_text_win.h"

namespace bb {

namespace {

// Set only in the environment of the detached daemon process: its stdout is then the pipe on
// which it reports readiness to the process that started it. Removed at once.
constexpr const wchar_t* kReadyVariable = L"BACKBURNERD_READY_PIPE";

class PipeReadyChannel final : public ReadyChannel {
 public:
  explicit PipeReadyChannel(win::Handle h) : h_(std::move(h)) {}
  void report(int status, const std::string& message) override {
    if (!h_) return;
    const std::string line = std::to_string(status) + " " + message + "\n";
    DWORD n = 0;
    ::WriteFile(h_.get(), line.data(), static_cast<DWORD>(line.size()), &n, nullptr);
    h_.reset();
  }

 private:
  win::Handle h_;
};

// If this process is the detached daemon: its readiness pipe, taken off stdout (which becomes
// the null device, so nothing written to stdout later can reach the pipe or a reused handle).
win::Handle take_ready_pipe() {
  wchar_t value[8];
  const DWORD n = ::GetEnvironmentVariableW(kReadyVariable, value, 8);
  if (n == 0 || n >= 8) return {};
  ::SetEnvironmentVariableW(kReadyVariable, nullptr);  // tasks must never see it
  HANDLE pipe = nullptr;
  if (!::DuplicateHandle(::GetCurrentProcess(), ::GetStdHandle(STD_OUTPUT_HANDLE),
                         ::GetCurrentProcess(), &pipe, 0, FALSE, DUPLICATE_SAME_ACCESS))
    return {};
  const int null_fd = ::_wopen(L"NUL", _O_WRONLY | _O_BINARY);
  if (null_fd >= 0) {
    std::fflush(stdout);
    ::_dup2(null_fd, 1);  // closes the inherited pipe handle; ours is the duplicate
    ::_close(null_fd);
    ::SetStdHandle(STD_OUTPUT_HANDLE, reinterpret_cast<HANDLE>(::_get_osfhandle(1)));
  }
  return win::Handle(pipe);
}

}  // namespace

ProcessSetup prepare_daemon_process(const StatePaths& paths, bool detached) {
  ProcessSetup setup;  // there is no umask on Windows: files inherit the state dir's DACL
  // No error dialogs (a missing drive, a crash) that would wait for a click nobody makes.
  ::SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX | SEM_NOOPENFILEERRORBOX);
  // Hold no directory busy: every path is absolute by now.
  wchar_t system_dir[MAX_PATH];
  if (::GetSystemDirectoryW(system_dir, MAX_PATH) > 0) ::SetCurrentDirectoryW(system_dir);
  if (detached) {
    // Detached: our stderr becomes the state dir's log (readable and removable meanwhile).
    HANDLE log = ::CreateFileW(paths.log_file.c_str(), FILE_APPEND_DATA,
                               FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                               OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
    if (log != INVALID_HANDLE_VALUE) {
      const int fd = ::_open_osfhandle(reinterpret_cast<intptr_t>(log), _O_APPEND | _O_BINARY);
      if (fd >= 0) {
        std::fflush(stderr);
        ::_dup2(fd, 2);
        ::_close(fd);
        ::SetStdHandle(STD_ERROR_HANDLE, reinterpret_cast<HANDLE>(::_get_osfhandle(2)));
      }
    }
  }
  return setup;
}

int detach_and_run() {
  if (win::Handle ready = take_ready_pipe()) {
    // We are the detached daemon.
    DaemonOptions o;
    o.ready = std::make_unique<PipeReadyChannel>(std::move(ready));
    return run_daemon(std::move(o));
  }
  SECURITY_ATTRIBUTES sa{sizeof sa, nullptr, FALSE};
  HANDLE r = nullptr, w = nullptr;
  if (!::CreatePipe(&r, &w, &sa, 0)) {
    std::cerr << "backburnerd: cannot create a pipe: " << win::last_error_text() << "\n";
    return kExitFailed;
  }
  win::Handle read_end(r), write_end(w);
  ::SetHandleInformation(write_end.get(), HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT);

  win::LaunchSpec spec;
  spec.program = os::current_executable();
  spec.command_line = win::quote_argument(spec.program.native());
  std::vector<std::string> env = os::environment();
  env.push_back(win::narrow(kReadyVariable) + "=stdout");
  spec.environment = std::move(env);
  // The pipe's write end travels as the child's stdout (an inherited handle it reports on);
  // stdin and stderr are the null device until it opens its log.
  spec.std_out = write_end.get();
  // No console (nothing of ours reaches it, and closing our window does not end it), its own
  // process group (a Ctrl+C or Ctrl+Break at our console never reaches it), out of any job we
  // run in where the job allows it (ending a shell's job must not end the daemon).
  spec.creation_flags = DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP;
  spec.breakaway = true;
  auto launched = win::launch(spec);
  write_end.reset();
  if (auto* err = std::get_if<std::string>(&launched)) {
    std::cerr << "backburnerd: " << *err << "\n";
    return kExitFailed;
  }
  std::string report;
  char buf[512];
  for (;;) {
    DWORD n = 0;
    if (!::ReadFile(read_end.get(), buf, sizeof buf, &n, nullptr) || n == 0) break;
    report.append(buf, n);
  }
  if (report.empty()) {
    std::cerr << "backburnerd: the daemon exited before it was ready (see its log in the state "
                 "dir)\n";
    return kExitFailed;
  }
  const int status = std::atoi(report.c_str());
  std::string message = report.substr(report.find(' ') + 1);
  while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) message.pop_back();
  if (status != 0) std::cerr << "backburnerd: " << message << "\n";
  return status;
}

}  // namespace bb
