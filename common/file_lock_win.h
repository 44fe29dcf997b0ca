// Windows only: LockFileEx locks, the Windows counterpart of flock. A lock belongs to the
// process that took it (through the handle it used) and is released when that handle is
// closed or the process ends, however it ends.
#pragma once

#include <windows.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <variant>

#include "win_handle_win.h"

namespace bb::win {

// Opens (creating if missing) a lock file for read and write, shared with everyone (others
// must be able to open it to test the lock).
Handle open_lock_file(const std::filesystem::path& file);

enum class LockResult { locked, busy, failed };
// Tries to lock `length` bytes at `offset` (past the end of the file is fine: the bytes need
// not exist), exclusively or shared, without waiting.
LockResult try_lock(HANDLE file, std::uint64_t offset, std::uint64_t length, bool exclusive);
void unlock(HANDLE file, std::uint64_t offset, std::uint64_t length);

}  // namespace bb::win
