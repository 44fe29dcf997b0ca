// Process identities on Windows: the pid plus the process's creation time (FILETIME, 100 ns
// units since 1601), which the kernel keeps as long as anyone holds a handle to the process.
#include "process_identity.h"

#include <windows.h>

#include <tlhelp32.h>

#include "win_handle_win.h"

namespace bb {

namespace {

win::Handle open_process(std::int64_t pid) {
  if (pid <= 0 || pid > 0xffffffffll) return {};
  return win::Handle(::OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION | SYNCHRONIZE, FALSE,
                                   static_cast<DWORD>(pid)));
}

std::optional<std::uint64_t> creation_time(HANDLE process) {
  FILETIME created{}, exited{}, kernel{}, user{};
  if (!::GetProcessTimes(process, &created, &exited, &kernel, &user)) return std::nullopt;
  return (static_cast<std::uint64_t>(created.dwHighDateTime) << 32) | created.dwLowDateTime;
}

std::int64_t parent_of(std::int64_t pid) {
  win::Handle snap(::CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0));
  if (!snap) return 0;
  PROCESSENTRY32W e{};
  e.dwSize = sizeof e;
  for (BOOL ok = ::Process32FirstW(snap.get(), &e); ok; ok = ::Process32NextW(snap.get(), &e))
    if (e.th32ProcessID == static_cast<DWORD>(pid)) return e.th32ParentProcessID;
  return 0;
}

}  // namespace

// Windows has no process groups and no /proc: pgrp is 0, and a process that has exited while
// someone still holds a handle to it reads as a zombie ('Z'), as on Linux.
std::optional<ProcStat> read_proc_stat(std::int64_t pid) {
  win::Handle h = open_process(pid);
  if (!h) return std::nullopt;
  auto start = creation_time(h.get());
  if (!start) return std::nullopt;
  ProcStat st;
  st.pid = pid;
  st.ppid = parent_of(pid);
  st.start_time = *start;
  st.state = ::WaitForSingleObject(h.get(), 0) == WAIT_OBJECT_0 ? 'Z' : 'R';
  return st;
}

std::optional<std::uint64_t> process_start_time(std::int64_t pid) {
  win::Handle h = open_process(pid);
  if (!h) return std::nullopt;
  return creation_time(h.get());
}

bool is_alive(const ProcessIdentity& id) {
  win::Handle h = open_process(id.pid);
  if (!h) return false;
  const auto start = creation_time(h.get());
  return start && *start == id.start_time && ::WaitForSingleObject(h.get(), 0) == WAIT_TIMEOUT;
}

}  // namespace bb
