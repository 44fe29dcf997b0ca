#include "task_job_win.h"

#include <algorithm>
#include <thread>

#include "iso_time.h"
#include "os.h"
#include "process_launch_win.h"
#include "utf8_path.h"
#include "win_text_win.h"

namespace bb::keeper {

namespace fs = std::filesystem;

namespace {

fs::path system_program(const wchar_t* name) {
  wchar_t dir[MAX_PATH];
  const UINT n = ::GetSystemDirectoryW(dir, MAX_PATH);
  if (n == 0 || n >= MAX_PATH) return fs::path(name);
  return fs::path(std::wstring(dir, n)) / name;
}

// A program found on PATH (as CreateProcess would), or empty.
fs::path on_path(const wchar_t* name) {
  wchar_t found[MAX_PATH];
  const DWORD n = ::SearchPathW(nullptr, name, nullptr, MAX_PATH, found, nullptr);
  return n > 0 && n < MAX_PATH ? fs::path(std::wstring(found, n)) : fs::path();
}

}  // namespace

std::variant<Shell, std::string> task_shell(const std::string& command) {
  const auto choice = os::environment_variable("BACKBURNER_SHELL");
  std::string which = choice.value_or("cmd");
  std::transform(which.begin(), which.end(), which.begin(), ::tolower);
  Shell s;
  if (which == "cmd" || which == "cmd.exe") {
    // cmd.exe takes the rest of its command line as the command: with /s it removes exactly
    // the first and the last quote and runs what is between them unchanged.
    s.program = system_program(L"cmd.exe");
    s.name = "cmd.exe";
    s.command_line = win::quote_argument(s.program.native()) + L" /d /s /c \"" +
                     win::widen(command) + L"\"";
    return s;
  }
  const bool core = which == "pwsh" || which == "pwsh.exe";
  if (core || which == "powershell" || which == "powershell.exe") {
    s.program = core ? on_path(L"pwsh.exe")
                     : system_program(L"WindowsPowerShell\\v1.0\\powershell.exe");
    s.name = core ? "pwsh.exe" : "powershell.exe";
    if (s.program.empty()) return std::string("BACKBURNER_SHELL=pwsh but pwsh.exe is not on PATH");
    s.command_line = win::quote_argument(s.program.native()) +
                     L" -NoLogo -NoProfile -NonInteractive -Command " +
                     win::quote_argument(win::widen(command));
    return s;
  }
  return "BACKBURNER_SHELL=" + *choice + " is not a shell backburner knows: use cmd, powershell "
         "or pwsh";
}

std::variant<TaskJob, std::string> TaskJob::start(const Shell& shell, const fs::path& cwd,
                                                  const fs::path& output_log, HANDLE std_in) {
  TaskJob job;
  job.job_.reset(::CreateJobObjectW(nullptr, nullptr));
  if (!job.job_) return "cannot create the task's job: " + win::last_error_text();
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits{};
  // Killed with the keeper, and a crashing program ends instead of waiting on an error dialog.
  limits.BasicLimitInformation.LimitFlags =
      JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE | JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION;
  if (!::SetInformationJobObject(job.job_.get(), JobObjectExtendedLimitInformation, &limits,
                                 sizeof limits))
    return "cannot set up the task's job: " + win::last_error_text();

  // Appends are atomic at the end of the file (FILE_APPEND_DATA without write access), so the
  // task's processes may all write it at once; readers and retention may open or delete it.
  SECURITY_ATTRIBUTES inheritable{sizeof inheritable, nullptr, TRUE};
  win::Handle out(::CreateFileW(output_log.c_str(), FILE_APPEND_DATA | SYNCHRONIZE,
                                FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                                &inheritable, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr));
  if (!out) return "cannot open " + path_utf8(output_log) + ": " + win::last_error_text();

  std::error_code ec;
  if (!fs::is_directory(cwd, ec))
    return "cannot start " + shell.name + " in " + path_utf8(cwd) + ": no such directory";

  win::LaunchSpec spec;
  spec.program = shell.program;
  spec.command_line = shell.command_line;
  spec.cwd = cwd;
  spec.std_in = std_in;
  spec.std_out = out.get();
  spec.std_err = out.get();
  // Its own process group on our console: CTRL_BREAK reaches the task and nothing else.
  spec.creation_flags = CREATE_NEW_PROCESS_GROUP;
  spec.job = job.job_.get();
  auto launched = win::launch(spec);
  if (auto* err = std::get_if<std::string>(&launched))
    return "cannot start " + shell.name + " in " + path_utf8(cwd) + ": " + *err;
  auto& l = std::get<win::Launched>(launched);
  job.shell_ = std::move(l.process);
  job.shell_pid_ = l.pid;
  return job;
}

std::uint64_t TaskJob::shell_start() const {
  FILETIME created{}, exited{}, kernel{}, user{};
  if (!::GetProcessTimes(shell_.get(), &created, &exited, &kernel, &user)) return 0;
  return (static_cast<std::uint64_t>(created.dwHighDateTime) << 32) | created.dwLowDateTime;
}

std::uint32_t TaskJob::active() const {
  JOBOBJECT_BASIC_ACCOUNTING_INFORMATION info{};
  if (!::QueryInformationJobObject(job_.get(), JobObjectBasicAccountingInformation, &info,
                                   sizeof info, nullptr))
    return 0;
  return info.ActiveProcesses;
}

std::vector<std::int64_t> TaskJob::pids() const {
  std::vector<unsigned char> buf(sizeof(JOBOBJECT_BASIC_PROCESS_ID_LIST) + 256 * sizeof(ULONG_PTR));
  auto* list = reinterpret_cast<JOBOBJECT_BASIC_PROCESS_ID_LIST*>(buf.data());
  std::vector<std::int64_t> out;
  if (!::QueryInformationJobObject(job_.get(), JobObjectBasicProcessIdList, list,
                                   static_cast<DWORD>(buf.size()), nullptr) &&
      ::GetLastError() != ERROR_MORE_DATA)
    return out;
  for (DWORD i = 0; i < list->NumberOfProcessIdsInList; ++i)
    out.push_back(static_cast<std::int64_t>(list->ProcessIdList[i]));
  return out;
}

namespace {

// Waits (bounded) until the job has no active process: the job's accounting is polled in short
// steps, only while the tree is being ended.
bool wait_empty(const TaskJob& job, std::int64_t bound_ms) {
  const std::int64_t until = now_ms() + bound_ms;
  while (job.active() > 0) {
    if (now_ms() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

}  // namespace

TaskJob::Ended TaskJob::end(std::int64_t grace_ms, std::int64_t kill_bound_ms) {
  Ended e;
  e.found = static_cast<int>(active());
  if (e.found == 0) return e;
  // The polite step: CTRL_BREAK to the task's process group (its id is the shell's pid, the
  // group lives on after the shell while members remain). Windows delivers it only to
  // processes that share our console; a refusal skips the grace.
  if (::GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT, shell_pid_)) {
    e.polite = true;
    if (wait_empty(*this, grace_ms)) return e;
  }
  e.terminated = true;
  ::TerminateJobObject(job_.get(), 1);
  if (!wait_empty(*this, kill_bound_ms)) e.survivors = pids();
  return e;
}

std::string describe(const TaskJob::Ended& e) {
  if (e.found == 0) return {};
  auto processes = [](int n) {
    return std::to_string(n) + (n == 1 ? " process" : " processes");
  };
  if (!e.terminated) return "CTRL_BREAK sufficed";
  std::string s = e.polite ? "CTRL_BREAK did not end it; " : std::string();
  s += processes(e.found) + (e.found == 1 ? " was" : " were") + " terminated (job)";
  if (!e.survivors.empty()) {
    s += "; " + processes(static_cast<int>(e.survivors.size())) + " survived: ";
    for (std::size_t i = 0; i < e.survivors.size(); ++i)
      s += (i ? "," : "") + std::to_string(e.survivors[i]);
  }
  return s;
}

}  // namespace bb::keeper
