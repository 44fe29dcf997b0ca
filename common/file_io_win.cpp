#include "file_io.h"

#include <windows.h>

#include <algorithm>

#include "os.h"
#include "win_handle_win.h"
#include "win_text_win.h"

namespace bb::fileio {

namespace fs = std::filesystem;

namespace {

bool g_flushes = true;  // set once at start, before any thread exists

std::error_code last_error() { return win::last_error_code(); }

// Every file here is opened with all three sharing modes: a reader never stops a writer from
// replacing or deleting the file (a task dir must stay removable while anything reads it).
constexpr DWORD kShareAll = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;

std::error_code write_all_at(HANDLE h, std::string_view data, std::uint64_t at) {
  while (!data.empty()) {
    OVERLAPPED ov{};
    ov.Offset = static_cast<DWORD>(at);
    ov.OffsetHigh = static_cast<DWORD>(at >> 32);
    DWORD n = 0;
    const DWORD chunk = static_cast<DWORD>(std::min<std::size_t>(data.size(), 1u << 30));
    if (!::WriteFile(h, data.data(), chunk, &n, &ov)) return last_error();
    data.remove_prefix(n);
    at += n;
  }
  return {};
}

fs::path temp_name(const fs::path& file, const std::wstring& suffix) {
  fs::path tmp = file;
  tmp += suffix;
  return tmp;
}

// Replaces `to` by `from`, and with `durable` only returns once the rename is on disk
// (MOVEFILE_WRITE_THROUGH: the Windows counterpart of fsync on the directory). A file cannot be
// replaced while someone has it open without FILE_SHARE_DELETE (the C runtime's fopen, a text
// editor, a virus scanner): such opens are brief, so the rename is retried for up to a second.
std::error_code rename_over(const fs::path& from, const fs::path& to, bool durable) {
  DWORD flags = MOVEFILE_REPLACE_EXISTING;
  if (durable) flags |= MOVEFILE_WRITE_THROUGH;
  for (int attempt = 0;; ++attempt) {
    if (::MoveFileExW(from.c_str(), to.c_str(), flags)) return {};
    const DWORD e = ::GetLastError();
    if ((e != ERROR_ACCESS_DENIED && e != ERROR_SHARING_VIOLATION) || attempt == 100)
      return std::error_code(static_cast<int>(e), std::system_category());
    ::Sleep(10);
  }
}

}  // namespace

void set_flushes(bool enabled) { g_flushes = enabled; }
bool flushes() { return g_flushes; }

std::optional<std::string> read_small_file(const fs::path& file, std::size_t max_bytes) {
  win::Handle h(::CreateFileW(file.c_str(), GENERIC_READ, kShareAll, nullptr, OPEN_EXISTING,
                              FILE_ATTRIBUTE_NORMAL, nullptr));
  if (!h) return std::nullopt;
  if (::GetFileType(h.get()) != FILE_TYPE_DISK) return std::nullopt;
  BY_HANDLE_FILE_INFORMATION info{};
  if (!::GetFileInformationByHandle(h.get(), &info) ||
      (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0)
    return std::nullopt;
  std::string text(max_bytes, '\0');
  std::size_t done = 0;
  while (done < max_bytes) {
    DWORD n = 0;
    const DWORD want = static_cast<DWORD>(std::min<std::size_t>(max_bytes - done, 1u << 30));
    if (!::ReadFile(h.get(), text.data() + done, want, &n, nullptr)) return std::nullopt;
    if (n == 0) break;
    done += n;
  }
  text.resize(done);
  return text;
}

std::error_code sync_directory(const fs::path& dir) {
  // A directory can be flushed through a handle opened for writing with backup semantics. Not
  // every file system allows it (and MoveFileEx's write-through already covers renames): a
  // refusal is not an error.
  if (!g_flushes) return {};
  win::Handle h(::CreateFileW(dir.c_str(), GENERIC_WRITE, kShareAll, nullptr, OPEN_EXISTING,
                              FILE_FLAG_BACKUP_SEMANTICS, nullptr));
  if (h) ::FlushFileBuffers(h.get());
  return {};
}

std::error_code replace_file(const fs::path& file, std::string_view content,
                             Durability durability) {
  const fs::path tmp = temp_name(file, L".tmp." + std::to_wstring(os::current_pid()));
  std::error_code ec;
  {
    win::Handle h(::CreateFileW(tmp.c_str(), GENERIC_WRITE, kShareAll, nullptr, CREATE_ALWAYS,
                                FILE_ATTRIBUTE_NORMAL, nullptr));
    if (!h) return last_error();
    ec = write_all_at(h.get(), content, 0);
    if (!ec && durability == Durability::sync && g_flushes && !::FlushFileBuffers(h.get()))
      ec = last_error();
  }
  if (!ec) ec = rename_over(tmp, file, durability == Durability::sync && g_flushes);
  if (ec) ::DeleteFileW(tmp.c_str());
  return ec;
}

namespace {

class WinReservedFile final : public ReservedFile {
 public:
  WinReservedFile(fs::path file, fs::path reserve, win::Handle h, std::size_t bytes)
      : file_(std::move(file)), reserve_(std::move(reserve)), h_(std::move(h)), bytes_(bytes) {}
  ~WinReservedFile() override {
    if (!committed_) {
      h_.reset();
      ::DeleteFileW(reserve_.c_str());
    }
  }

  std::error_code commit(std::string_view content) override {
    if (committed_ || !h_) return std::make_error_code(std::errc::bad_file_descriptor);
    if (content.size() > bytes_) return std::make_error_code(std::errc::file_too_large);
    // Overwriting allocated clusters and shrinking the file need no new space.
    std::error_code ec = write_all_at(h_.get(), content, 0);
    if (!ec) {
      FILE_END_OF_FILE_INFO eof{};
      eof.EndOfFile.QuadPart = static_cast<LONGLONG>(content.size());
      if (!::SetFileInformationByHandle(h_.get(), FileEndOfFileInfo, &eof, sizeof eof))
        ec = last_error();
    }
    if (!ec && g_flushes && !::FlushFileBuffers(h_.get())) ec = last_error();
    h_.reset();
    if (!ec) ec = rename_over(reserve_, file_, g_flushes);
    if (ec) return ec;
    committed_ = true;
    return {};
  }

 private:
  fs::path file_;
  fs::path reserve_;
  win::Handle h_;
  std::size_t bytes_;
  bool committed_ = false;
};

}  // namespace

std::unique_ptr<ReservedFile> ReservedFile::reserve(const fs::path& file, std::size_t bytes,
                                                    std::error_code& ec) {
  const fs::path reserve = temp_name(file, L".reserve");
  win::Handle h(::CreateFileW(reserve.c_str(), GENERIC_READ | GENERIC_WRITE, kShareAll, nullptr,
                              CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr));
  if (!h) {
    ec = last_error();
    return nullptr;
  }
  // Writing the bytes allocates real clusters (setting the end of file alone may leave them
  // unallocated on a sparse-capable volume); flushing makes the allocation stick.
  const std::string zeros(bytes, '\0');
  ec = write_all_at(h.get(), zeros, 0);
  if (!ec && g_flushes && !::FlushFileBuffers(h.get())) ec = last_error();
  if (ec) {
    h.reset();
    ::DeleteFileW(reserve.c_str());
    return nullptr;
  }
  ec.clear();
  return std::make_unique<WinReservedFile>(file, reserve, std::move(h), bytes);
}

}  // namespace bb::fileio
