// Windows only: starting a program, the one way every Windows part of backburner does it (the
// daemon detaching itself, clients starting the daemon, the daemon starting keepers, keepers
// starting tasks, the CLI running helper programs). Built on Boost.Process v2's launcher with
// initializers of our own for what it lacks:
//  - the child inherits exactly its three standard handles and the ones named, nothing else of
//    ours (PROC_THREAD_ATTRIBUTE_HANDLE_LIST), whatever other threads are doing meanwhile;
//  - a Unicode environment block;
//  - a Job Object the child is put in before it runs a single instruction (it starts suspended,
//    is assigned, and only then resumed), so nothing it starts can escape the job.
#pragma once

#include <windows.h>

#include <filesystem>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "win_handle_win.h"

namespace bb::win {

struct LaunchSpec {
  // The program. Empty: the first word of command_line, looked up as CreateProcess does
  // (the program's dir, the current dir, the system dirs, PATH).
  std::filesystem::path program;
  std::wstring command_line;  // the whole command line, argv[0] included
  // "NAME=value" entries; nullopt: this process's environment.
  std::optional<std::vector<std::string>> environment;
  std::filesystem::path cwd;  // empty: this process's
  // Standard handles of the child. Null: the null device (NUL).
  HANDLE std_in = nullptr;
  HANDLE std_out = nullptr;
  HANDLE std_err = nullptr;
  DWORD creation_flags = 0;
  // Put the child in this job before it runs. With keep_suspended it is left suspended there
  // (the caller resumes its first thread, which Launched carries).
  HANDLE job = nullptr;
  bool keep_suspended = false;
  // Try CREATE_BREAKAWAY_FROM_JOB first (leave any job this process is in); where the job
  // forbids it, start the child in that job instead and say so in Launched::note.
  bool breakaway = false;
};

struct Launched {
  Handle process;
  Handle thread;  // only with keep_suspended
  DWORD pid = 0;
  std::string note;  // e.g. why breakaway was not possible
};

std::variant<Launched, std::string> launch(const LaunchSpec& spec);

// A command line from UTF-8 words, each quoted as CommandLineToArgvW reads it back.
std::wstring command_line(const std::vector<std::string>& argv);

// The null device, opened inheritable for reading or writing.
Handle open_null(bool for_writing);

}  // namespace bb::win
