// Windows only: how the daemon reaches a running keeper, which has no signals to receive.
//
// Each keeper has two named events in the session's Local\ namespace, named after its identity
// (pid and creation time, so a later process that reuses the pid has other names):
//   Local\backburner-keeper-<pid>-<start>-cancel        set: cancel the task
//   Local\backburner-keeper-<pid>-<start>-stdin-close   set: close the task's stdin
// They are manual-reset, so a request made before the keeper looks is still there when it does.
// The daemon creates both while the keeper is still suspended and gives the keeper handles to
// them, so they exist from the keeper's first instruction for as long as it lives; a keeper
// started by hand creates them itself. A request to a keeper that is gone finds no event.
//
// The keeper's stdin, when it has one, is a named pipe the keeper serves and relays into the
// task (stdin_relay_win.h); the pipe's name is in the task dir's `stdin` file while the input is
// open (keeper_files.h, kStdinFifo).
#pragma once

#include <cstdint>
#include <string>

namespace bb::keeper {

enum class Request { cancel, stdin_close };

inline std::wstring request_event_name(std::int64_t pid, std::uint64_t start, Request r) {
  return L"Local\\backburner-keeper-" + std::to_wstring(pid) + L"-" + std::to_wstring(start) +
         (r == Request::cancel ? L"-cancel" : L"-stdin-close");
}

// The byte range of kKeeperLock that a keeper holds locked (LockFileEx) for its whole life.
// LockFileEx locks are mandatory (a locked range cannot be read by anyone else), so the range
// lies far past the identity written at the start of the file, which anyone may read.
inline constexpr std::uint64_t kLivenessLockOffset = std::uint64_t{1} << 40;
inline constexpr std::uint64_t kLivenessLockLength = 1;

}  // namespace bb::keeper
