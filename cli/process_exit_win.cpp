#include <windows.h>

#include "process_exit.h"
#include "win_handle_win.h"

namespace bb::cli {

// A process handle is signalled when the process ends: one wait, no polling.
bool wait_for_process_exit(std::int64_t pid, std::chrono::milliseconds timeout) {
  if (pid <= 0 || pid > 0xffffffffll) return true;
  win::Handle h(::OpenProcess(SYNCHRONIZE, FALSE, static_cast<DWORD>(pid)));
  if (!h) return ::GetLastError() != ERROR_ACCESS_DENIED;  // no such process: it has exited
  return ::WaitForSingleObject(h.get(), static_cast<DWORD>(timeout.count())) == WAIT_OBJECT_0;
}

}  // namespace bb::cli
