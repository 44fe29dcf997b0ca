// Starting a keeper on Windows so that it outlives the daemon, and so that a daemon that dies at
// any instant leaves either a keeper that is recorded and runs, or no keeper at all:
//
//  1. the keeper is created suspended, out of any job the daemon is in (where allowed), with a
//     hidden console of its own (CREATE_NO_WINDOW: never the daemon's) and its own process group;
//  2. it is put in a launch job that kills it if the daemon's handle to the job closes, that
//     is, if the daemon dies during the launch;
//  3. its request events are created and handed to it (keeper_requests_win.h);
//  4. its identity (pid, creation time, boot) is written into the task's keeper.lock;
//  5. it is resumed, and only then released from the launch job's kill-on-close.
// The keeper's stdout (--ready-fd 1) is the write end of its readiness pipe: it writes
// "shell_pid=N\n" there once the shell runs and closes it (keeper_win.cpp); the daemon reads it
// on its loop.
// A daemon that dies before 4 leaves a suspended keeper that the launch job kills; after 4, a
// keeper the next daemon finds through keeper.lock: alive (a recorded identity of a live process,
// or the file's lock held) or dead. The keeper locks keeper.lock itself as its first act: a
// LockFileEx lock belongs to the process that took it, so, unlike flock on POSIX, a lock taken
// by the daemon could not be handed over.
#include "keeper_launcher.h"

#include <windows.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/windows/stream_handle.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>

#include "daemon_log.h"
#include "file_lock_win.h"
#include "iso_time.h"
#include "keeper_files.h"
#include "keeper_requests_win.h"
#include "os.h"
#include "process_launch_win.h"
#include "quiet_timer.h"
#include "utf8_path.h"
#include "win_text_win.h"

namespace bb {

namespace fs = std::filesystem;

namespace {

// A keeper that has not reported by then is taken as running anyway (the start is answered
// without a pid; the task is tracked all the same).
constexpr std::chrono::seconds kReadyBound{10};

class WinKeeperLauncher final : public KeeperLauncher {
 public:
  WinKeeperLauncher(boost::asio::io_context& io, fs::path keeper_exe)
      : io_(io), exe_(std::move(keeper_exe)) {}
  std::variant<ProcessIdentity, std::string> launch(const KeeperSpec& spec,
                                                    Running on_running) override;

 private:
  boost::asio::io_context& io_;
  fs::path exe_;
};

// The readiness pipe: an overlapped pipe instance (our end, read on the loop) and its client end
// for the keeper's stdout. A named pipe of a unique name: anonymous pipes cannot be overlapped.
struct ReadyPipe {
  win::Handle ours;
  win::Handle theirs;
};

std::variant<ReadyPipe, std::string> make_ready_pipe() {
  static std::atomic<unsigned> counter{0};
  const std::wstring name = L"\\\\.\\pipe\\backburner-ready-" +
                            std::to_wstring(::GetCurrentProcessId()) + L"-" +
                            std::to_wstring(counter++) + L"-" + std::to_wstring(::GetTickCount64());
  ReadyPipe p;
  p.ours.reset(::CreateNamedPipeW(
      name.c_str(), PIPE_ACCESS_INBOUND | FILE_FLAG_OVERLAPPED | FILE_FLAG_FIRST_PIPE_INSTANCE,
      PIPE_TYPE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS, 1, 0, 4096, 0, nullptr));
  if (!p.ours) return "cannot create the keeper's readiness pipe: " + win::last_error_text();
  SECURITY_ATTRIBUTES inheritable{sizeof inheritable, nullptr, TRUE};
  p.theirs.reset(::CreateFileW(name.c_str(), GENERIC_WRITE, 0, &inheritable, OPEN_EXISTING, 0,
                               nullptr));
  if (!p.theirs) return "cannot open the keeper's readiness pipe: " + win::last_error_text();
  return p;
}

// Reads the readiness pipe until the keeper's line, or its end (the keeper exited without one),
// without blocking the loop, at most kReadyBound, then calls on_running with the shell's pid if
// the keeper gave it.
void await_ready(boost::asio::io_context& io, win::Handle pipe,
                 KeeperLauncher::Running on_running) {
  struct Wait {
    Wait(boost::asio::io_context& io, HANDLE h) : pipe(io, h), timer(io) {}
    boost::asio::windows::stream_handle pipe;
    QuietTimer timer;
    char buf[64];
    std::string got;  // "shell_pid=N\n"
    bool done = false;
    KeeperLauncher::Running on_running;
  };
  auto w = std::make_shared<Wait>(io, pipe.release());
  w->on_running = std::move(on_running);
  auto finish = [w] {
    if (w->done) return;
    w->done = true;
    boost::system::error_code ec;
    w->timer.cancel();
    w->pipe.close(ec);
    std::optional<std::int64_t> shell;
    if (w->got.rfind("shell_pid=", 0) == 0 && w->got.find('\n') != std::string::npos) {
      char* end = nullptr;
      const long long pid = std::strtoll(w->got.c_str() + 10, &end, 10);
      if (pid > 0 && end != nullptr && *end == '\n') shell = pid;
    }
    w->on_running(shell);
  };
  w->timer.expires_after(kReadyBound);
  w->timer.async_wait([finish](const boost::system::error_code& ec) {
    if (!ec) finish();
  });
  struct Reader {
    std::shared_ptr<Wait> w;
    std::function<void()> finish;
    void operator()(const boost::system::error_code& ec, std::size_t n) const {
      if (w->done) return;
      if (ec) return finish();  // broken_pipe: the keeper closed its end
      if (w->got.size() < 64) w->got.append(w->buf, n);
      // The line is the whole report: the end of the pipe may come much later, because a
      // console host started for the keeper can hold an inherited copy of the write end for
      // as long as the console lives (wine's conhost does: the task's whole run).
      if (w->got.find('\n') != std::string::npos) return finish();
      w->pipe.async_read_some(boost::asio::buffer(w->buf), *this);
    }
  };
  w->pipe.async_read_some(boost::asio::buffer(w->buf), Reader{w, finish});
}

std::optional<std::uint64_t> creation_time(HANDLE process) {
  FILETIME created{}, exited{}, kernel{}, user{};
  if (!::GetProcessTimes(process, &created, &exited, &kernel, &user)) return std::nullopt;
  return (static_cast<std::uint64_t>(created.dwHighDateTime) << 32) | created.dwLowDateTime;
}

bool set_kill_on_close(HANDLE job, bool on) {
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits{};
  limits.BasicLimitInformation.LimitFlags = on ? JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE : 0;
  return ::SetInformationJobObject(job, JobObjectExtendedLimitInformation, &limits,
                                   sizeof limits) != FALSE;
}

// Gives `process` its own handle to a named event (so the event lives as long as it does).
bool hand_over_event(HANDLE process, const std::wstring& name) {
  win::Handle event(::CreateEventW(nullptr, TRUE, FALSE, name.c_str()));
  if (!event) return false;
  HANDLE theirs = nullptr;
  return ::DuplicateHandle(::GetCurrentProcess(), event.get(), process, &theirs,
                           SYNCHRONIZE | EVENT_MODIFY_STATE, FALSE, 0) != FALSE;
}

std::string write_identity(const fs::path& lock_file, const keeper::KeeperIdentity& id) {
  win::Handle h = win::open_lock_file(lock_file);
  if (!h) return win::last_error_text();
  const std::string text = keeper::format_keeper_identity(id);
  DWORD n = 0;
  if (!::WriteFile(h.get(), text.data(), static_cast<DWORD>(text.size()), &n, nullptr) ||
      n != text.size() || !::SetEndOfFile(h.get()) || !::FlushFileBuffers(h.get()))
    return win::last_error_text();
  return {};
}

}  // namespace

std::unique_ptr<KeeperLauncher> make_keeper_launcher(boost::asio::io_context& io,
                                                     fs::path keeper_exe) {
  return std::make_unique<WinKeeperLauncher>(io, std::move(keeper_exe));
}

fs::path default_keeper_path() {
  if (auto p = os::environment_variable("BACKBURNER_KEEPER")) return utf8_path(*p);
  fs::path self = os::current_executable();
  if (self.empty()) return "backburner-keeper.exe";
  return self.parent_path() / "backburner-keeper.exe";
}

std::variant<ProcessIdentity, std::string> WinKeeperLauncher::launch(const KeeperSpec& spec,
                                                                    Running on_running) {
  const fs::path lock_file = spec.task_dir / keeper::kKeeperLock;
  std::vector<std::string> args = {path_utf8(exe_), "--task-dir", path_utf8(spec.task_dir),
                                   "--cwd", spec.cwd, "--grace-ms", std::to_string(spec.grace_ms),
                                   "--ready-fd", "1"};
  if (spec.deadline_ms) {
    args.push_back("--deadline-ms");
    args.push_back(std::to_string(*spec.deadline_ms));
  }
  if (spec.stdin_pipe) args.push_back("--stdin-pipe");
  if (!spec.flush) args.push_back("--no-flush");
  if (spec.log_cap_bytes > 0) {
    args.push_back("--log-cap");
    args.push_back(std::to_string(spec.log_cap_bytes));
  }
  args.push_back("--");
  args.push_back(spec.command);

  // Windows passes a command line of at most 32767 characters, and cmd.exe runs at most 8191.
  const std::wstring command_line = win::command_line(args);
  if (command_line.size() > 32766)
    return "the command is too long for Windows: " + std::to_string(spec.command.size()) +
           " bytes, while a command line holds at most 32767 characters (and cmd.exe runs at "
           "most 8191); put it in a script and run that";

  // The keeper's own diagnostics, appended; shared so that anyone may read it meanwhile.
  SECURITY_ATTRIBUTES inheritable{sizeof inheritable, nullptr, TRUE};
  win::Handle log(::CreateFileW((spec.task_dir / keeper::kKeeperLog).c_str(), FILE_APPEND_DATA,
                                FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                                &inheritable, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr));
  if (!log)
    return "cannot open " + path_utf8(spec.task_dir / keeper::kKeeperLog) + ": " +
           win::last_error_text();

  auto ready = make_ready_pipe();
  if (auto* err = std::get_if<std::string>(&ready)) return *err;
  ReadyPipe& ready_pipe = std::get<ReadyPipe>(ready);

  win::Handle launch_job(::CreateJobObjectW(nullptr, nullptr));
  if (!launch_job || !set_kill_on_close(launch_job.get(), true))
    return "cannot create the keeper's launch job: " + win::last_error_text();

  win::LaunchSpec ls;
  ls.program = exe_;
  ls.command_line = command_line;
  ls.environment = spec.env;
  ls.std_out = ready_pipe.theirs.get();
  ls.std_err = log.get();
  ls.creation_flags = CREATE_NO_WINDOW | CREATE_NEW_PROCESS_GROUP;
  ls.job = launch_job.get();
  ls.keep_suspended = true;
  ls.breakaway = true;
  auto launched = win::launch(ls);
  if (auto* err = std::get_if<std::string>(&launched))
    return "cannot start the keeper " + path_utf8(exe_) + ": " + *err;
  win::Launched& keeper = std::get<win::Launched>(launched);
  auto abandon = [&](const std::string& why) -> std::variant<ProcessIdentity, std::string> {
    ::TerminateProcess(keeper.process.get(), 1);
    return why;
  };

  const auto start = creation_time(keeper.process.get());
  if (!start) return abandon("cannot read the keeper's start time: " + win::last_error_text());
  const ProcessIdentity id{static_cast<std::int64_t>(keeper.pid), *start};
  for (auto r : {keeper::Request::cancel, keeper::Request::stdin_close}) {
    if (!hand_over_event(keeper.process.get(), keeper::request_event_name(id.pid, id.start_time, r)))
      return abandon("cannot create the keeper's request events: " + win::last_error_text());
  }
  if (const auto err = write_identity(lock_file, {id.pid, id.start_time, os::boot_id()});
      !err.empty())
    return abandon("cannot write " + path_utf8(lock_file) + ": " + err);
  if (::ResumeThread(keeper.thread.get()) == static_cast<DWORD>(-1))
    return abandon("cannot resume the keeper: " + win::last_error_text());
  // The keeper holds the only write end now: the pipe ends when it reports or exits.
  ready_pipe.theirs.reset();
  await_ready(io_, std::move(ready_pipe.ours), std::move(on_running));
  // From here the keeper is recorded and runs: it must outlive us.
  if (!set_kill_on_close(launch_job.get(), false))
    daemon_log("warning: keeper " + std::to_string(id.pid) +
               " stays bound to this daemon's life: " + win::last_error_text());
  if (!keeper.note.empty()) {
    static bool said = false;  // once per daemon: it is the same for every keeper
    if (!said) daemon_log("note: keepers cannot leave this daemon's job: " + keeper.note);
    said = true;
  }
  return id;
}

}  // namespace bb
