#include "keeper.h"

#include <cstdarg>
#include <csignal>
#include <cstdio>
#include <algorithm>
#include <initializer_list>
#include <memory>
#include <vector>
#include <optional>
#include <string>
#include <variant>

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "file_io.h"
#include "iso_time.h"
#include "keeper_events_posix.h"
#include "keeper_files.h"
#include "kill_ladder_posix.h"
#include "log_cap_posix.h"
#include "os.h"
#include "process_identity.h"
#include "reaper_posix.h"
#include "shell_spawn_posix.h"
#include "signal_names.h"
#include "stdin_pipe_posix.h"

namespace bb::keeper {

namespace {

[[gnu::format(printf, 1, 2)]] void log_line(const char* format, ...) {
  std::fprintf(stderr, "%s keeper[%d]: ", iso_utc(now_ms()).c_str(), static_cast<int>(::getpid()));
  va_list args;
  va_start(args, format);
  std::vfprintf(stderr, format, args);
  va_end(args);
  std::fputc('\n', stderr);
  std::fflush(stderr);
}

// The daemon starts the keeper with fds 0-2 open; should one be closed anyway, /dev/null takes
// its place, so that no fd the keeper opens later lands on 0-2 and reaches the shell as stdio.
void ensure_standard_fds() {
  for (int fd = 0; fd <= 2; ++fd)
    if (::fcntl(fd, F_GETFD) < 0) ::open("/dev/null", O_RDWR);
}

// "2s", "1.5s", "90s": a timeout as the user wrote it, to a tenth of a second.
std::string format_seconds(std::int64_t ms) {
  if (ms < 0) ms = 0;
  std::int64_t tenths = (ms + 50) / 100;
  std::string s = std::to_string(tenths / 10);
  if (tenths % 10 != 0) s += "." + std::to_string(tenths % 10);
  return s + "s";
}

// Why the keeper must stop the task, if it must. A cancel is the user's explicit request and
// wins; then the task's own deadline; then a signal to the keeper from outside.
std::optional<How> stop_reason(const Events& ev) {
  if (ev.cancel) return How::cancelled;
  if (ev.deadline) return How::timed_out;
  if (ev.stop_signal != 0) return How::interrupted;
  return std::nullopt;
}

std::string stop_headline(How how, const Events& ev, const KeeperOptions& o,
                          std::int64_t started_at_ms) {
  switch (how) {
    case How::cancelled:
      return "cancelled";
    case How::timed_out:
      return "timed out after " + format_seconds(*o.deadline_ms - started_at_ms);
    default:
      return "interrupted by " + signal_name(ev.stop_signal);
  }
}

// The shell's own result, from its wait status.
void set_shell_result(Outcome& out, int status) {
  if (WIFSIGNALED(status)) {
    out.how = How::signaled;
    out.signal = WTERMSIG(status);
    out.message = "killed by " + signal_name(WTERMSIG(status));
    if (WCOREDUMP(status)) out.message += " (core dumped)";
  } else {
    out.how = How::exited;
    out.exit_code = WEXITSTATUS(status);
    out.message = "exited with code " + std::to_string(WEXITSTATUS(status));
  }
}

// The outcome's space, set aside before the task runs (see main loop).
std::unique_ptr<fileio::ReservedFile> g_outcome_space;

int finish(const KeeperOptions& o, const Outcome& out) {
  log_line("outcome %s: %s", to_string(out.how), out.message.c_str());
  // Into the reserved space when there is one: a task that filled the disk still gets its
  // outcome recorded. Without one (the reservation itself failed), the plain way.
  std::error_code ec;
  if (g_outcome_space) {
    ec = g_outcome_space->commit(format_outcome(out));
    g_outcome_space.reset();
  } else if (!write_outcome(o.task_dir, out)) {
    ec = std::make_error_code(std::errc::io_error);
  }
  if (ec) {
    log_line("cannot write %s in %s: %s", kOutcomeFile, o.task_dir.c_str(), ec.message().c_str());
    return 1;
  }
  return 0;
}

// Claims the inherited keeper lock for good: kept open (never passed on to the task) for the
// keeper's whole life, with the keeper's identity written into it for a daemon that must find
// this keeper before it has written anything else.
void hold_lock(int lock_fd) {
  if (lock_fd < 0) return;
  ::fcntl(lock_fd, F_SETFD, FD_CLOEXEC);
  KeeperIdentity id;
  id.pid = ::getpid();
  id.start_time = process_start_time(id.pid).value_or(0);
  id.boot_id = os::boot_id();
  const std::string text = format_keeper_identity(id);
  if (::ftruncate(lock_fd, 0) != 0 ||
      ::pwrite(lock_fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size()))
    log_line("cannot record the keeper's identity in %s", kKeeperLock);
}

// Closes every descriptor from 3 up but the ones in `keep` (-1 entries ignored).
void close_all_but(std::initializer_list<int> keep) {
  std::vector<unsigned> kept;
  for (int fd : keep)
    if (fd >= 3) kept.push_back(static_cast<unsigned>(fd));
  std::sort(kept.begin(), kept.end());
  unsigned from = 3;
  for (unsigned fd : kept) {
    if (fd > from) ::close_range(from, fd - 1, 0);
    from = fd + 1;
  }
  ::close_range(from, ~0U, 0);
}

// Tells the daemon that the task runs, and the shell's pid ("shell_pid=N\n"), before anything
// slower (the run file is written after it): its answer to the start waits for this. Closing the
// pipe without a line (an early exit) says the task never will.
void report_running(const KeeperOptions& o, pid_t shell) {
  if (o.ready_fd < 0) return;
  const std::string line = "shell_pid=" + std::to_string(shell) + "\n";
  (void)!::write(o.ready_fd, line.data(), line.size());
  ::close(o.ready_fd);
}

// True when the file system holding the task dir has no room left: output written meanwhile
// may have been lost.
bool disk_full(const std::filesystem::path& dir) {
  struct statvfs vfs {};
  return ::statvfs(dir.c_str(), &vfs) == 0 && vfs.f_bavail == 0;
}

// How long a writing task goes between two checks of its log's size against the cap.
constexpr int kLogCheckCoolDownMs = 500;
// When the log watch starts. A task that ends sooner is checked once, at its end, and never
// pays for an inotify watch (closing one costs some 10 ms); a log may pass its cap by what the
// task writes in this first second until that check cuts it.
constexpr int kLogWatchStartMs = 1000;

}  // namespace

int run_keeper(const KeeperOptions& o) {
  ensure_standard_fds();
  // Nothing the keeper's starter left open may reach the task; the lock and the readiness pipe
  // stay with the keeper (close-on-exec: never passed on).
  close_all_but({o.lock_fd, o.ready_fd});
  if (o.ready_fd >= 0) ::fcntl(o.ready_fd, F_SETFD, FD_CLOEXEC);
  hold_lock(o.lock_fd);
  ::umask(077);
  fileio::set_flushes(o.flush);
  {
    std::error_code ec;
    g_outcome_space = fileio::ReservedFile::reserve(o.task_dir / kOutcomeFile,
                                                    kOutcomeReserveBytes, ec);
    if (!g_outcome_space) {
      // No room even for the outcome: the task cannot be run safely. Tell the daemon through
      // the exit status (it is our parent) in case this message cannot be written either.
      log_line("cannot reserve space for the outcome: %s", ec.message().c_str());
      return kExitNoSpace;
    }
  }
  auto opened = EventSource::open(o.deadline_ms);
  if (auto* err = std::get_if<std::string>(&opened)) {
    Outcome out;
    out.how = How::spawn_failed;
    out.started_at_ms = out.finished_at_ms = now_ms();
    out.message = "the keeper cannot supervise a task: " + *err;
    return finish(o, out);
  }
  EventSource& events = std::get<EventSource>(opened);
  // A keeper.log on a pipe whose reader went away must not kill the keeper mid-task. (The
  // shell gets every signal back at its default.)
  std::signal(SIGPIPE, SIG_IGN);
  // Orphaned descendants (setsid, double fork) re-parent to us instead of init, so the kill
  // ladder can still find them and nothing the task started outlives it unnoticed.
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
    log_line("cannot become a child subreaper; escaped processes may outlive the task");

  Outcome out;
  out.started_at_ms = now_ms();
  // A request that arrived before the start (or a deadline already past) means the command
  // never runs at all.
  Events early = events.wait(0);
  if (o.deadline_ms && *o.deadline_ms <= out.started_at_ms) early.deadline = true;
  if (auto how = stop_reason(early)) {
    out.how = *how;
    out.finished_at_ms = out.started_at_ms;
    out.message = (*how == How::timed_out ? std::string("timed out: the deadline had passed")
                                          : stop_headline(*how, early, o, out.started_at_ms)) +
                  " before the command started";
    return finish(o, out);
  }

  std::optional<StdinPipe> input;
  if (o.stdin_pipe) {
    auto created = StdinPipe::create(o.task_dir);
    if (auto* err = std::get_if<std::string>(&created)) {
      out.how = How::spawn_failed;
      out.finished_at_ms = now_ms();
      out.message = *err;
      return finish(o, out);
    }
    input.emplace(std::move(std::get<StdinPipe>(created)));
  }
  auto spawned = spawn_shell(o.command, o.cwd, o.task_dir / kOutputFile,
                             input ? input->reader() : -1, o.umask);
  if (input) input->release_reader();
  if (auto* err = std::get_if<std::string>(&spawned)) {
    out.how = How::spawn_failed;
    out.finished_at_ms = now_ms();
    out.message = *err;
    return finish(o, out);
  }
  const pid_t shell = std::get<pid_t>(spawned);
  std::optional<LogCap> cap;
  if (o.log_cap_bytes > 0) {
    cap.emplace(o.task_dir, o.log_cap_bytes);
    const std::string err =
        events.watch_writes((o.task_dir / kOutputFile).string(), kLogCheckCoolDownMs,
                            kLogWatchStartMs);
    if (!err.empty()) log_line("cannot watch the log, so it is not capped: %s", err.c_str());
  }
  // The shell is not reaped yet, so its /proc entry (and start time) exists even if it exited.
  RunRecord run;
  run.keeper_pid = ::getpid();
  run.keeper_start = process_start_time(run.keeper_pid).value_or(0);
  run.shell_pid = shell;
  run.shell_start = process_start_time(shell).value_or(0);
  run.started_at_ms = out.started_at_ms;
  run.boot_id = os::boot_id();
  report_running(o, shell);
  if (!write_run(o.task_dir, run)) log_line("cannot write %s in %s", kRunFile, o.task_dir.c_str());
  log_line("started %s -c (pid %d) in %s", kShell, static_cast<int>(shell), o.cwd.c_str());

  Reaper reaper(shell);
  Events trigger;
  for (;;) {
    Events ev = events.wait(-1);
    if (!ev.watch_error.empty())
      log_line("cannot watch the log, so it is capped only at the end: %s", ev.watch_error.c_str());
    if (ev.output_written && cap) cap->check();
    if (ev.stdin_close && input) {
      input->close_input();
      log_line("stdin closed on request");
    }
    // Reap before acting on a request: a shell that already exited keeps its own result.
    if (!reaper.reap() || reaper.shell_reaped()) break;
    if (stop_reason(ev)) {
      trigger = ev;
      break;
    }
  }
  input.reset();
  events.stop_watching();

  const auto stop = stop_reason(trigger);
  if (stop) log_line("stopping the task: %s", to_string(*stop));
  LadderResult ladder = run_kill_ladder(events, reaper, shell, o.grace_ms);
  const std::string cleanup = describe(ladder);
  out.survivors = ladder.survivors;
  out.finished_at_ms = reaper.shell_reaped() ? reaper.shell_exit_ms() : now_ms();
  if (stop) {
    out.how = *stop;
    out.message = stop_headline(*stop, trigger, o, out.started_at_ms);
    if (!cleanup.empty()) out.message += "; " + cleanup;
  } else if (!reaper.shell_reaped()) {
    // No children left, yet no status for the shell: someone else reaped it.
    out.how = How::interrupted;
    out.message = "the shell's exit status was lost";
  } else {
    set_shell_result(out, reaper.shell_status());
    if (!cleanup.empty())
      out.message += "; " + std::to_string(ladder.found) +
                     (ladder.found == 1 ? " process was" : " processes were") +
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
  return finish(o, out);
}

}  // namespace bb::keeper
