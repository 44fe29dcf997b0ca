// Windows only: the task's process tree as a Job Object. The shell is created suspended, put in
// a job that kills everything in it when the keeper's handle to it closes (however the keeper
// ends), and only then resumed: nothing the task starts can escape the job (breakaway is not
// allowed), so "the tree is empty" is exactly "the job has no active process".
#pragma once

#include <windows.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "win_handle_win.h"

namespace bb::keeper {

// The shell the command runs in: cmd.exe unless BACKBURNER_SHELL (in the task's environment)
// names PowerShell.
struct Shell {
  std::filesystem::path program;
  std::wstring command_line;  // program + its arguments + the command
  std::string name;           // for messages: "cmd.exe", "powershell.exe"
};
// cmd.exe /d /s /c "COMMAND" (no AutoRun commands; the command line exactly as written between
// the outer quotes), or with BACKBURNER_SHELL=powershell|pwsh: that program with -NoLogo
// -NoProfile -NonInteractive -Command COMMAND. A message if BACKBURNER_SHELL names another.
std::variant<Shell, std::string> task_shell(const std::string& command);

class TaskJob {
 public:
  // Creates the job and starts the shell in it: cwd, stdin `std_in` (null: NUL), stdout and
  // stderr appended to `output_log`, this process's environment and console, a process group
  // of its own (for CTRL_BREAK). A message if any of it fails.
  static std::variant<TaskJob, std::string> start(const Shell& shell,
                                                  const std::filesystem::path& cwd,
                                                  const std::filesystem::path& output_log,
                                                  HANDLE std_in);

  HANDLE shell_process() const { return shell_.get(); }
  DWORD shell_pid() const { return shell_pid_; }
  std::uint64_t shell_start() const;
  // Processes of the tree still running.
  std::uint32_t active() const;
  std::vector<std::int64_t> pids() const;

  struct Ended {
    int found = 0;                        // active processes when the ending began
    bool polite = false;                  // CTRL_BREAK was delivered
    bool terminated = false;              // the job was terminated
    std::vector<std::int64_t> survivors;  // still active after the bound
  };
  // Ends the tree: CTRL_BREAK to the task's process group and up to grace_ms for it to empty
  // (skipped when Windows refuses the event, as it does without a shared console); then
  // TerminateJobObject, and up to kill_bound_ms until the job reports no active process.
  Ended end(std::int64_t grace_ms, std::int64_t kill_bound_ms);

 private:
  TaskJob() = default;
  win::Handle job_;
  win::Handle shell_;
  DWORD shell_pid_ = 0;
};

// "CTRL_BREAK sufficed", "2 processes were terminated", "... 1 process survived: 4242"; empty
// if there was nothing to end.
std::string describe(const TaskJob::Ended& ended);

}  // namespace bb::keeper
