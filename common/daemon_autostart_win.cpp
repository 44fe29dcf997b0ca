#include <windows.h>

#include <algorithm>
#include <string_view>
#include <thread>

#include "autostart_platform.h"
#include "file_lock_win.h"
#include "os.h"
#include "process_launch_win.h"
#include "win_text_win.h"

namespace bb {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

constexpr std::size_t kMaxStderrBytes = 4096;

class FileStartLock final : public StartLock {
 public:
  explicit FileStartLock(win::Handle h) : h_(std::move(h)) {}  // closing the handle unlocks

 private:
  win::Handle h_;
};

}  // namespace

const char kPathListSeparator = ';';
const char* const kExeSuffix = ".exe";

bool is_executable_file(const fs::path& p) {
  const DWORD attrs = ::GetFileAttributesW(p.c_str());
  if (attrs == INVALID_FILE_ATTRIBUTES || (attrs & FILE_ATTRIBUTE_DIRECTORY) != 0) return false;
  std::wstring ext = p.extension().native();
  std::transform(ext.begin(), ext.end(), ext.begin(), ::towlower);
  return ext == L".exe";
}

std::variant<std::unique_ptr<StartLock>, std::string> take_start_lock(const fs::path& lock_path,
                                                                      milliseconds timeout) {
  // A missing state dir is created here; the daemon makes it private (state_dir_win.cpp) and
  // says so. An existing one is left as it is.
  const fs::path dir = lock_path.parent_path();
  std::error_code ec;
  fs::create_directories(dir, ec);
  win::Handle h = win::open_lock_file(lock_path);
  if (!h)
    return "cannot open the start lock " + lock_path.string() + ": " + win::last_error_text();
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    switch (win::try_lock(h.get(), 0, 1, true)) {
      case win::LockResult::locked:
        return std::unique_ptr<StartLock>(std::make_unique<FileStartLock>(std::move(h)));
      case win::LockResult::failed:
        return "cannot lock " + lock_path.string() + ": " + win::last_error_text();
      case win::LockResult::busy:
        break;
    }
    if (Clock::now() >= deadline)
      return "another process has been starting the daemon for too long (lock " +
             lock_path.string() + " held)";
    std::this_thread::sleep_for(milliseconds(20));
  }
}

SpawnOutcome spawn_daemon(const fs::path& exe, milliseconds timeout) {
  SpawnOutcome out;
  SECURITY_ATTRIBUTES sa{sizeof sa, nullptr, FALSE};
  HANDLE r = nullptr, w = nullptr;
  if (!::CreatePipe(&r, &w, &sa, 0)) {
    out.error = "cannot create a pipe: " + win::last_error_text();
    return out;
  }
  win::Handle read_end(r), write_end(w);

  win::LaunchSpec spec;
  spec.program = exe;
  spec.command_line = win::command_line({exe.string()});
  // The daemon serves every client of this user, so a client's own command policy must not
  // become the daemon's: each client declares its policy at hello instead.
  std::vector<std::string> env;
  for (auto& e : os::environment()) {
    std::string_view kv(e);
    if (kv.rfind("BACKBURNER_ALLOW=", 0) == 0 || kv.rfind("BACKBURNER_DENY=", 0) == 0) continue;
    env.push_back(std::move(e));
  }
  spec.environment = std::move(env);
  spec.std_err = write_end.get();
  // No console window for a daemon started by a GUI client; it detaches from ours anyway.
  spec.creation_flags = CREATE_NO_WINDOW;
  auto launched = win::launch(spec);
  write_end.reset();
  if (auto* err = std::get_if<std::string>(&launched)) {
    out.error = *err;
    return out;
  }
  win::Launched& child = std::get<win::Launched>(launched);

  // Read stderr while waiting for the exit. A detached daemon may hold the pipe open, so the
  // exit, not the end of the pipe, ends the wait.
  const auto deadline = Clock::now() + timeout;
  bool pipe_open = true;
  for (;;) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    const DWORD wait_ms = static_cast<DWORD>(std::clamp<long long>(left.count(), 0, 20));
    if (::WaitForSingleObject(child.process.get(), pipe_open ? wait_ms : 20) == WAIT_OBJECT_0 &&
        !out.exited) {
      DWORD code = 0;
      ::GetExitCodeProcess(child.process.get(), &code);
      out.exited = true;
      out.exit_status = static_cast<int>(code);
    }
    while (pipe_open) {
      DWORD available = 0;
      if (!::PeekNamedPipe(read_end.get(), nullptr, 0, nullptr, &available, nullptr)) {
        pipe_open = false;
        break;
      }
      if (available == 0) break;
      char buf[1024];
      DWORD n = 0;
      if (!::ReadFile(read_end.get(), buf, std::min<DWORD>(available, sizeof buf), &n, nullptr) ||
          n == 0) {
        pipe_open = false;
        break;
      }
      const auto room = kMaxStderrBytes - std::min(kMaxStderrBytes, out.stderr_text.size());
      out.stderr_text.append(buf, std::min<std::size_t>(room, n));
    }
    if (out.exited || Clock::now() >= deadline) break;
  }
  // A daemon that did not report in time is left running (it may be recovering a large store).
  while (!out.stderr_text.empty() &&
         (out.stderr_text.back() == '\n' || out.stderr_text.back() == '\r'))
    out.stderr_text.pop_back();
  return out;
}

}  // namespace bb
