#include "file_lock_win.h"

namespace bb::win {

Handle open_lock_file(const std::filesystem::path& file) {
  return Handle(::CreateFileW(file.c_str(), GENERIC_READ | GENERIC_WRITE,
                              FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                              OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr));
}

LockResult try_lock(HANDLE file, std::uint64_t offset, std::uint64_t length, bool exclusive) {
  OVERLAPPED ov{};
  ov.Offset = static_cast<DWORD>(offset);
  ov.OffsetHigh = static_cast<DWORD>(offset >> 32);
  DWORD flags = LOCKFILE_FAIL_IMMEDIATELY;
  if (exclusive) flags |= LOCKFILE_EXCLUSIVE_LOCK;
  if (::LockFileEx(file, flags, 0, static_cast<DWORD>(length), static_cast<DWORD>(length >> 32),
                   &ov))
    return LockResult::locked;
  const DWORD e = ::GetLastError();
  return e == ERROR_LOCK_VIOLATION || e == ERROR_IO_PENDING ? LockResult::busy
                                                            : LockResult::failed;
}

void unlock(HANDLE file, std::uint64_t offset, std::uint64_t length) {
  OVERLAPPED ov{};
  ov.Offset = static_cast<DWORD>(offset);
  ov.OffsetHigh = static_cast<DWORD>(offset >> 32);
  ::UnlockFileEx(file, 0, static_cast<DWORD>(length), static_cast<DWORD>(length >> 32), &ov);
}

}  // namespace bb::win
