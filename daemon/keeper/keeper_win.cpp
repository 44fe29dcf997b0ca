// The keeper on Windows: the same role and the same files as on POSIX (keeper.h,
// keeper_files.h), with Windows' means:
//  - the task runs in cmd.exe (or PowerShell, BACKBURNER_SHELL) inside a Job Object that dies
//    with the keeper (task_job_win.h), with stdout and stderr appended straight to output.log;
//  - the keeper has a console of its own (the daemon starts it with CREATE_NO_WINDOW), which the
//    task shares: its code page is set to UTF-8 so that cmd.exe and console programs write UTF-8
//    into the log, and CTRL_BREAK can reach the task's process group;
//  - requests come as named events (keeper_requests_win.h), the deadline is a waitable timer at
//    an absolute wall-clock time, and one WaitForMultipleObjects loop waits for all of it and
//    for the shell's exit;
//  - there are no signals: an outcome never carries one, and a forced end says how it was done.
#include "keeper.h"

#include <windows.h>

#include <fcntl.h>
#include <io.h>

#include <cstdarg>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "file_io.h"
#include "file_lock_win.h"
#include "iso_time.h"
#include "keeper_files.h"
#include "keeper_requests_win.h"
#include "log_cap_win.h"
#include "os.h"
#include "process_identity.h"
#include "stdin_relay_win.h"
#include "task_job_win.h"
#include "utf8_path.h"
#include "win_handle_win.h"
#include "win_text_win.h"

namespace bb::keeper {

namespace {

[[gnu::format(printf, 1, 2)]] void log_line(const char* format, ...) {
  std::fprintf(stderr, "%s keeper[%lu]: ", iso_utc(now_ms()).c_str(), ::GetCurrentProcessId());
  va_list args;
  va_start(args, format);
  std::vfprintf(stderr, format, args);
  va_end(args);
  std::fputc('\n', stderr);
  std::fflush(stderr);
}

std::string format_seconds(std::int64_t ms) {
  if (ms < 0) ms = 0;
  std::int64_t tenths = (ms + 50) / 100;
  std::string s = std::to_string(tenths / 10);
  if (tenths % 10 != 0) s += "." + std::to_string(tenths % 10);
  return s + "s";
}

// How long the termination phase waits for the job to report no active process.
constexpr std::int64_t kKillBoundMs = 3000;

// The console's close, logoff and shutdown events end the keeper a few seconds after its
// handler returns: the handler raises this event and waits for the main loop to finish.
HANDLE g_stop_event = nullptr;
HANDLE g_stopped_event = nullptr;
const char* g_stop_reason = nullptr;

BOOL WINAPI on_console_event(DWORD type) {
  switch (type) {
    case CTRL_C_EVENT:
    case CTRL_BREAK_EVENT:
      return TRUE;  // meant for the task's group, never for the keeper
    case CTRL_CLOSE_EVENT:
      g_stop_reason = "its console was closed";
      break;
    case CTRL_LOGOFF_EVENT:
      g_stop_reason = "the user logged off";
      break;
    case CTRL_SHUTDOWN_EVENT:
      g_stop_reason = "the system is shutting down";
      break;
    default:
      return FALSE;
  }
  ::SetEvent(g_stop_event);
  ::WaitForSingleObject(g_stopped_event, 4500);  // Windows allows about 5 s
  return TRUE;
}

// A console of our own for the task to share. The daemon gives us one (hidden); started by hand
// from a console we would share that one, which is fine too.
void prepare_console() {
  if (::GetConsoleWindow() == nullptr && ::GetConsoleCP() == 0) {
    if (::AllocConsole()) {
      if (HWND w = ::GetConsoleWindow()) ::ShowWindow(w, SW_HIDE);
    }
  }
  // The console's code pages are what cmd.exe (echo, dir, ...) and many console programs encode
  // their output in: UTF-8, not the OEM code page, so that any text reaches the log intact.
  ::SetConsoleOutputCP(CP_UTF8);
  ::SetConsoleCP(CP_UTF8);
  ::SetConsoleCtrlHandler(on_console_event, TRUE);
}

// The liveness lock (keeper_files.h, kKeeperLock): held for the keeper's whole life. The daemon
// wrote our identity into the file before it resumed us; a keeper started by hand writes it.
win::Handle hold_lock(const std::filesystem::path& task_dir) {
  const auto file = task_dir / kKeeperLock;
  win::Handle h = win::open_lock_file(file);
  if (!h) {
    log_line("cannot open %s: %s", kKeeperLock, win::last_error_text().c_str());
    return {};
  }
  // Someone testing the lock holds it for an instant: wait a little for it.
  for (int i = 0; i < 200; ++i) {
    const auto r = win::try_lock(h.get(), kLivenessLockOffset, kLivenessLockLength, true);
    if (r == win::LockResult::locked) break;
    if (r == win::LockResult::failed || i == 199) {
      log_line("cannot lock %s: %s", kKeeperLock, win::last_error_text().c_str());
      break;
    }
    ::Sleep(10);
  }
  KeeperIdentity me{os::current_pid(), process_start_time(os::current_pid()).value_or(0),
                    os::boot_id()};
  const auto recorded = read_keeper_identity(task_dir);
  if (!recorded || recorded->pid != me.pid || recorded->start_time != me.start_time) {
    const std::string text = format_keeper_identity(me);
    DWORD n = 0;
    OVERLAPPED at0{};
    if (!::WriteFile(h.get(), text.data(), static_cast<DWORD>(text.size()), &n, &at0) ||
        !::SetFilePointerEx(h.get(), LARGE_INTEGER{{static_cast<DWORD>(text.size()), 0}}, nullptr,
                            FILE_BEGIN) ||
        !::SetEndOfFile(h.get()))
      log_line("cannot record the keeper's identity in %s", kKeeperLock);
  }
  return h;
}

// The daemon's readiness pipe (--ready-fd; the daemon gives it as our stdout, descriptor 1,
// keeper_launcher_win.cpp): taken at once, its descriptor moved to the null device so that
// nothing written there later can reach the pipe or a reused handle; written once the shell
// runs. None without --ready-fd (started by hand, or by a test).
win::Handle g_ready;

void take_ready_pipe(int fd) {
  if (fd < 0) return;
  const HANDLE h = reinterpret_cast<HANDLE>(::_get_osfhandle(fd));
  if (!win::Handle::valid(h) || ::GetFileType(h) != FILE_TYPE_PIPE) {
    log_line("--ready-fd %d is not a pipe", fd);
    return;
  }
  HANDLE ours = nullptr;
  if (!::DuplicateHandle(::GetCurrentProcess(), h, ::GetCurrentProcess(), &ours, 0, FALSE,
                         DUPLICATE_SAME_ACCESS)) {
    log_line("cannot take the readiness pipe: %s", win::last_error_text().c_str());
    return;
  }
  g_ready.reset(ours);
  const int null_fd = ::_wopen(L"NUL", _O_WRONLY | _O_BINARY);
  if (null_fd >= 0) {
    if (fd == 1) std::fflush(stdout);
    ::_dup2(null_fd, fd);  // closes the inherited handle; ours is the duplicate
    ::_close(null_fd);
    if (fd == 1) ::SetStdHandle(STD_OUTPUT_HANDLE, reinterpret_cast<HANDLE>(::_get_osfhandle(1)));
  }
}

// Tells the daemon that the task runs, and the shell's pid, before anything slower: its answer
// to the start waits for this. Closing the pipe without a line (an early exit) says the task
// never will.
void report_running(DWORD shell) {
  if (!g_ready) return;
  const std::string line = "shell_pid=" + std::to_string(shell) + "\n";
  DWORD n = 0;
  ::WriteFile(g_ready.get(), line.data(), static_cast<DWORD>(line.size()), &n, nullptr);
  g_ready.reset();
}

std::unique_ptr<fileio::ReservedFile> g_outcome_space;

int finish(const KeeperOptions& o, const Outcome& out) {
  log_line("outcome %s: %s", to_string(out.how), out.message.c_str());
  std::error_code ec;
  if (g_outcome_space) {
    ec = g_outcome_space->commit(format_outcome(out));
    g_outcome_space.reset();
  } else if (!write_outcome(o.task_dir, out)) {
    ec = std::make_error_code(std::errc::io_error);
  }
  if (ec) {
    log_line("cannot write %s in %s: %s", kOutcomeFile, path_utf8(o.task_dir).c_str(),
             ec.message().c_str());
    return 1;
  }
  return 0;
}

// True when the volume holding the task dir has no room left.
bool disk_full(const std::filesystem::path& dir) {
  ULARGE_INTEGER free_to_us{};
  return ::GetDiskFreeSpaceExW(dir.c_str(), &free_to_us, nullptr, nullptr) &&
         free_to_us.QuadPart == 0;
}

// A waitable timer at the deadline's wall-clock time (an absolute due time follows changes of
// the system clock, as a CLOCK_REALTIME timer does).
win::Handle deadline_timer(std::optional<std::int64_t> deadline_ms) {
  if (!deadline_ms) return {};
  win::Handle t(::CreateWaitableTimerW(nullptr, TRUE, nullptr));
  if (!t) return {};
  // FILETIME: 100 ns units since 1601-01-01; the Unix epoch is 11644473600 s later.
  LARGE_INTEGER due;
  due.QuadPart = (*deadline_ms + 11644473600000ll) * 10000;
  if (due.QuadPart <= 0) due.QuadPart = 1;
  if (!::SetWaitableTimer(t.get(), &due, 0, nullptr, nullptr, FALSE)) return {};
  return t;
}

enum class Wake { shell_exited, cancel, deadline, stop, stdin_close, other };

}  // namespace

int run_keeper(const KeeperOptions& o) {
  ::SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX | SEM_NOOPENFILEERRORBOX);
  take_ready_pipe(o.ready_fd);
  fileio::set_flushes(o.flush);
  g_stop_event = ::CreateEventW(nullptr, TRUE, FALSE, nullptr);
  g_stopped_event = ::CreateEventW(nullptr, TRUE, FALSE, nullptr);
  const win::Handle lock = hold_lock(o.task_dir);
  {
    std::error_code ec;
    g_outcome_space = fileio::ReservedFile::reserve(o.task_dir / kOutcomeFile,
                                                    kOutcomeReserveBytes, ec);
    if (!g_outcome_space) {
      log_line("cannot reserve space for the outcome: %s", ec.message().c_str());
      return kExitNoSpace;
    }
  }
  const std::int64_t my_pid = os::current_pid();
  const std::uint64_t my_start = process_start_time(my_pid).value_or(0);
  // The daemon created these before we ran (a request may already be set); by hand, we do.
  win::Handle cancel(::CreateEventW(nullptr, TRUE, FALSE,
                                    request_event_name(my_pid, my_start, Request::cancel).c_str()));
  win::Handle stdin_close(::CreateEventW(
      nullptr, TRUE, FALSE, request_event_name(my_pid, my_start, Request::stdin_close).c_str()));
  Outcome out;
  out.started_at_ms = now_ms();
  if (!cancel || !stdin_close) {
    out.how = How::spawn_failed;
    out.finished_at_ms = out.started_at_ms;
    out.message = "the keeper cannot supervise a task: cannot create its request events: " +
                  win::last_error_text();
    return finish(o, out);
  }
  const win::Handle deadline = deadline_timer(o.deadline_ms);
  if (o.deadline_ms && !deadline) {
    out.how = How::spawn_failed;
    out.finished_at_ms = out.started_at_ms;
    out.message = "the keeper cannot supervise a task: cannot arm its deadline: " +
                  win::last_error_text();
    return finish(o, out);
  }
  prepare_console();

  // A request that came before the start (or a deadline already past) means the command never
  // runs at all.
  const bool early_cancel = ::WaitForSingleObject(cancel.get(), 0) == WAIT_OBJECT_0;
  if (early_cancel || (o.deadline_ms && *o.deadline_ms <= out.started_at_ms)) {
    out.how = early_cancel ? How::cancelled : How::timed_out;
    out.finished_at_ms = out.started_at_ms;
    out.message = early_cancel ? "cancelled before the command started"
                               : "timed out: the deadline had passed before the command started";
    return finish(o, out);
  }

  auto shell = task_shell(o.command);
  if (auto* err = std::get_if<std::string>(&shell)) {
    out.how = How::spawn_failed;
    out.finished_at_ms = now_ms();
    out.message = *err;
    return finish(o, out);
  }
  std::unique_ptr<StdinRelay> input;
  if (o.stdin_pipe) {
    auto created = StdinRelay::create(
        o.task_dir, std::to_wstring(my_pid) + L"-" + std::to_wstring(my_start));
    if (auto* err = std::get_if<std::string>(&created)) {
      out.how = How::spawn_failed;
      out.finished_at_ms = now_ms();
      out.message = *err;
      return finish(o, out);
    }
    input = std::move(std::get<std::unique_ptr<StdinRelay>>(created));
  }
  auto started = TaskJob::start(std::get<Shell>(shell), o.cwd, o.task_dir / kOutputFile,
                                input ? input->task_end() : nullptr);
  if (input) input->release_task_end();
  if (auto* err = std::get_if<std::string>(&started)) {
    out.how = How::spawn_failed;
    out.finished_at_ms = now_ms();
    out.message = *err;
    return finish(o, out);
  }
  TaskJob& job = std::get<TaskJob>(started);
  std::optional<LogCap> cap;
  if (o.log_cap_bytes > 0) cap.emplace(o.task_dir, o.log_cap_bytes);

  report_running(job.shell_pid());
  RunRecord run;
  run.keeper_pid = my_pid;
  run.keeper_start = my_start;
  run.shell_pid = job.shell_pid();
  run.shell_start = job.shell_start();
  run.started_at_ms = out.started_at_ms;
  run.boot_id = os::boot_id();
  if (!write_run(o.task_dir, run))
    log_line("cannot write %s in %s", kRunFile, path_utf8(o.task_dir).c_str());
  log_line("started %s (pid %lu) in %s", std::get<Shell>(shell).name.c_str(), job.shell_pid(),
           path_utf8(o.cwd).c_str());

  Wake why = Wake::other;
  std::int64_t shell_exit_ms = 0;
  for (;;) {
    std::vector<HANDLE> waits = {job.shell_process(), cancel.get(), g_stop_event};
    std::vector<Wake> meaning = {Wake::shell_exited, Wake::cancel, Wake::stop};
    if (deadline) {
      waits.push_back(deadline.get());
      meaning.push_back(Wake::deadline);
    }
    if (input) {
      // A close request is taken once; after it the relay finishes on its own.
      if (::WaitForSingleObject(stdin_close.get(), 0) != WAIT_OBJECT_0 || !input->done()) {
        waits.push_back(stdin_close.get());
        meaning.push_back(Wake::stdin_close);
      }
      for (HANDLE h : input->events()) {
        waits.push_back(h);
        meaning.push_back(Wake::other);
      }
    }
    const DWORD timeout = cap ? static_cast<DWORD>(kLogCheckIntervalMs) : INFINITE;
    const DWORD w = ::WaitForMultipleObjects(static_cast<DWORD>(waits.size()), waits.data(),
                                             FALSE, timeout);
    if (cap) cap->check();
    if (w == WAIT_TIMEOUT) continue;
    if (w < WAIT_OBJECT_0 || w >= WAIT_OBJECT_0 + waits.size()) {
      log_line("waiting failed: %s", win::last_error_text().c_str());
      why = Wake::stop;
      g_stop_reason = "the keeper could not wait for its task";
      break;
    }
    const Wake wake = meaning[w - WAIT_OBJECT_0];
    if (input) {
      if (wake == Wake::stdin_close) {
        input->close_input();
        log_line("stdin closed on request");
      }
      input->service();
    }
    // The shell's own exit wins over a request that comes with it: it keeps its own result.
    if (::WaitForSingleObject(job.shell_process(), 0) == WAIT_OBJECT_0) {
      why = Wake::shell_exited;
      shell_exit_ms = now_ms();
      break;
    }
    if (wake == Wake::cancel || wake == Wake::deadline || wake == Wake::stop) {
      why = wake;
      break;
    }
  }
  input.reset();

  const bool stopped = why != Wake::shell_exited;
  if (stopped)
    log_line("stopping the task: %s", why == Wake::cancel     ? "cancelled"
                                      : why == Wake::deadline ? "timed_out"
                                                              : "interrupted");
  const TaskJob::Ended ended = job.end(o.grace_ms, kKillBoundMs);
  const std::string cleanup = describe(ended);
  out.survivors = ended.survivors;
  out.finished_at_ms = stopped ? now_ms() : shell_exit_ms;
  if (why == Wake::cancel) {
    out.how = How::cancelled;
    out.message = "cancelled";
  } else if (why == Wake::deadline) {
    out.how = How::timed_out;
    out.message = "timed out after " + format_seconds(*o.deadline_ms - out.started_at_ms);
  } else if (why == Wake::stop) {
    out.how = How::interrupted;
    out.message = std::string("interrupted: ") + (g_stop_reason ? g_stop_reason : "stopped");
  } else {
    DWORD code = 0;
    ::GetExitCodeProcess(job.shell_process(), &code);
    out.how = How::exited;
    // As Windows gives it (%ERRORLEVEL%): a crash's NTSTATUS reads as a negative number.
    out.exit_code = static_cast<int>(code);
    out.message = "exited with code " + std::to_string(static_cast<int>(code));
  }
  if (!cleanup.empty()) {
    if (stopped)
      out.message += "; " + cleanup;
    else
      out.message += "; " + std::to_string(ended.found) +
                     (ended.found == 1 ? " process was" : " processes were") +
                     " left running: " + cleanup;
  }
  if (cap) {
    cap->check();
    if (!cap->cut().empty())
      out.message += "; " + std::to_string(cap->cut().bytes_cut()) +
                     " bytes from the middle of the output were cut (log cap)";
  }
  if (disk_full(o.task_dir))
    out.message += "; output may be incomplete: the disk holding the log was full";
  const int status = finish(o, out);
  ::SetEvent(g_stopped_event);
  return status;
}

}  // namespace bb::keeper
