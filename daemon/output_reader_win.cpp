// open_log on Windows: one handle, its size taken once, then ReadFile at explicit offsets (an
// OVERLAPPED carries the offset even for a synchronous handle: no shared file position).
#include "output_reader.h"

#include <windows.h>

#include "win_handle_win.h"

namespace bb {

namespace {

using boost::system::error_code;
using boost::system::result;

error_code last_error() {
  return {static_cast<int>(::GetLastError()), boost::system::system_category()};
}

class WinLogFile final : public LogFile {
 public:
  // No handle: a log not created yet, read as empty.
  WinLogFile(win::Handle h, std::uint64_t size) : h_(std::move(h)), size_(size) {}

  std::uint64_t size() const override { return size_; }

  result<void> read_at(std::uint64_t offset, std::span<char> out) override {
    std::size_t done = 0;
    while (done < out.size()) {
      OVERLAPPED ov{};
      const std::uint64_t at = offset + done;
      ov.Offset = static_cast<DWORD>(at);
      ov.OffsetHigh = static_cast<DWORD>(at >> 32);
      DWORD n = 0;
      const DWORD want = static_cast<DWORD>(std::min<std::size_t>(out.size() - done, 1u << 30));
      if (!::ReadFile(h_.get(), out.data() + done, want, &n, &ov)) {
        if (::GetLastError() == ERROR_HANDLE_EOF) n = 0;
        else return last_error();
      }
      // The keeper only appends, so bytes below the size taken at open cannot vanish; if they
      // do, the log was tampered with and a short answer would be silently wrong.
      if (n == 0) return boost::system::errc::make_error_code(boost::system::errc::io_error);
      done += n;
    }
    return {};
  }

 private:
  win::Handle h_;
  std::uint64_t size_;
};

}  // namespace

result<std::unique_ptr<LogFile>> open_log(const std::filesystem::path& file) {
  // Shared with the writer (the task appends meanwhile) and with deletion (retention).
  win::Handle h(::CreateFileW(file.c_str(), GENERIC_READ,
                              FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                              OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, nullptr));
  if (!h) {
    const DWORD e = ::GetLastError();
    if (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND)
      return std::unique_ptr<LogFile>(std::make_unique<WinLogFile>(win::Handle(), 0));
    return error_code(static_cast<int>(e), boost::system::system_category());
  }
  BY_HANDLE_FILE_INFORMATION info{};
  if (!::GetFileInformationByHandle(h.get(), &info)) return last_error();
  if ((info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0)
    return boost::system::errc::make_error_code(boost::system::errc::is_a_directory);
  if (::GetFileType(h.get()) != FILE_TYPE_DISK)
    return boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
  const std::uint64_t size =
      (static_cast<std::uint64_t>(info.nFileSizeHigh) << 32) | info.nFileSizeLow;
  return std::unique_ptr<LogFile>(std::make_unique<WinLogFile>(std::move(h), size));
}

}  // namespace bb
