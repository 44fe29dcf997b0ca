#include "browser_open.h"

#include <windows.h>
#include <shellapi.h>

#include "process_launch_win.h"
#include "win_text_win.h"

namespace bb::cli {

namespace {

std::filesystem::path system_cmd() {
  wchar_t dir[MAX_PATH];
  const UINT n = ::GetSystemDirectoryW(dir, MAX_PATH);
  if (n == 0 || n >= MAX_PATH) return L"cmd.exe";
  return std::filesystem::path(std::wstring(dir, n)) / L"cmd.exe";
}

// BACKBURNER_BROWSER may be a program or a .cmd/.bat script, and its path may hold spaces: it
// runs through cmd.exe as `cmd.exe /d /s /c ""PROGRAM" "URL""`. With /s cmd.exe removes exactly
// the first and the last quote and runs what is between them, so PROGRAM and URL stay one word
// each. (Plain `cmd /c`, as std::system uses it, strips the first and last quote of
// `"PROGRAM" "URL"` and runs `PROGRAM" "URL`.) The URL holds only [0-9a-z:/.?=], nothing cmd.exe
// treats specially; a path cannot hold a quote. As on POSIX, the opener's stdio is the null
// device and its exit status says whether it took the URL.
std::string run_browser(const std::string& program, const std::string& url) {
  win::LaunchSpec spec;
  spec.program = system_cmd();
  spec.command_line = win::quote_argument(spec.program.native()) + L" /d /s /c \"\"" +
                      win::widen(program) + L"\" \"" + win::widen(url) + L"\"\"";
  spec.creation_flags = CREATE_NO_WINDOW;
  auto launched = win::launch(spec);
  if (auto* err = std::get_if<std::string>(&launched)) return "cannot run " + program + ": " + *err;
  auto& child = std::get<win::Launched>(launched);
  ::WaitForSingleObject(child.process.get(), INFINITE);
  DWORD code = 0;
  if (!::GetExitCodeProcess(child.process.get(), &code))
    return "cannot run " + program + ": " + win::last_error_text();
  if (code != 0)
    return program + " could not open the page (exit status " + std::to_string(code) + ")";
  return "";
}

}  // namespace

std::string open_in_browser(const std::string& url, const EnvLookup& env) {
  if (auto b = env("BACKBURNER_BROWSER"); b && !b->empty()) return run_browser(*b, url);
  const auto r = reinterpret_cast<INT_PTR>(
      ShellExecuteA(nullptr, "open", url.c_str(), nullptr, nullptr, SW_SHOWNORMAL));
  if (r <= 32) return "Windows could not open the page (ShellExecute error " + std::to_string(r) + ")";
  return "";
}

}  // namespace bb::cli
