#include <windows.h>

#include "os.h"
#include "process_launch_win.h"
#include "service_host.h"
#include "win_text_win.h"

namespace bb::cli {

ServiceOs host_service_os() { return ServiceOs::windows_task; }

std::string current_uid() { return os::current_user_id(); }

std::filesystem::path own_directory() { return os::current_executable().parent_path(); }

// The program is looked up as CreateProcess does (the system dirs, then PATH), which finds
// powershell.exe and schtasks.exe by their bare names.
std::variant<int, std::string> run_command(const std::vector<std::string>& argv) {
  if (argv.empty()) return std::string("no command");
  win::LaunchSpec spec;
  spec.command_line = win::command_line(argv);
  spec.std_in = ::GetStdHandle(STD_INPUT_HANDLE);
  spec.std_out = ::GetStdHandle(STD_OUTPUT_HANDLE);
  spec.std_err = ::GetStdHandle(STD_ERROR_HANDLE);
  auto launched = win::launch(spec);
  if (auto* err = std::get_if<std::string>(&launched)) return *err;
  auto& child = std::get<win::Launched>(launched);
  ::WaitForSingleObject(child.process.get(), INFINITE);
  DWORD code = 0;
  if (!::GetExitCodeProcess(child.process.get(), &code))
    return "waiting for " + argv[0] + ": " + win::last_error_text();
  return static_cast<int>(code);
}

}  // namespace bb::cli
