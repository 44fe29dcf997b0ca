#include "log_cap_win.h"

#include <windows.h>

#include <winioctl.h>

#include <algorithm>

#include "keeper_files.h"
#include "win_handle_win.h"
#include "win_text_win.h"

namespace bb::keeper {

LogCap::LogCap(std::filesystem::path task_dir, std::uint64_t cap)
    : task_dir_(std::move(task_dir)), cap_(effective_log_cap(cap)) {
  if (auto existing = read_log_cut(task_dir_)) cut_ = *existing;
}

void LogCap::check() {
  const auto log = task_dir_ / kOutputFile;
  WIN32_FILE_ATTRIBUTE_DATA data{};
  if (!::GetFileAttributesExW(log.c_str(), GetFileExInfoStandard, &data)) return;
  const std::uint64_t size =
      (static_cast<std::uint64_t>(data.nFileSizeHigh) << 32) | data.nFileSizeLow;
  const auto due = next_log_cut(cut_, size, cap_);
  if (!due) return;
  const LogCut& next = *due;
  // The record first: a reader must never take the zeros of a cut range for output.
  if (!write_log_cut(task_dir_, next)) {
    error_ = "cannot write " + std::string(kCutFile);
    return;
  }
  const std::uint64_t from = cut_.empty() ? next.head_end : cut_.tail_start;
  cut_ = next;
  win::Handle h(::CreateFileW(log.c_str(), GENERIC_WRITE,
                              FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                              OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr));
  DWORD n = 0;
  FILE_ZERO_DATA_INFORMATION zero{};
  zero.FileOffset.QuadPart = static_cast<LONGLONG>(from);
  zero.BeyondFinalZero.QuadPart = static_cast<LONGLONG>(next.tail_start);
  if (!h || !::DeviceIoControl(h.get(), FSCTL_SET_SPARSE, nullptr, 0, nullptr, 0, &n, nullptr) ||
      !::DeviceIoControl(h.get(), FSCTL_SET_ZERO_DATA, &zero, sizeof zero, nullptr, 0, &n,
                         nullptr))
    error_ = "cannot free the cut part of the log: " + win::last_error_text();
}

}  // namespace bb::keeper
