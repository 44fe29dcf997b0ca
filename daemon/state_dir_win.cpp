#include "state_dir.h"

#include <windows.h>

#include "file_lock_win.h"
#include "pipe_identity_win.h"
#include "private_security_win.h"
#include "utf8_path.h"
#include "win_text_win.h"

namespace bb {

namespace {

// The named pipe namespace (\\.\pipe\) is no directory: a pipe is protected by its own DACL.
bool is_pipe_namespace(const std::filesystem::path& dir) {
  constexpr std::wstring_view kPrefix = L"\\\\.\\pipe";
  const std::wstring& n = dir.native();
  if (n.size() < kPrefix.size()) return false;
  for (std::size_t i = 0; i < kPrefix.size(); ++i) {
    const wchar_t c = n[i] == L'/' ? L'\\' : static_cast<wchar_t>(::towlower(n[i]));
    if (c != kPrefix[i]) return false;
  }
  return true;
}

}  // namespace

std::string ensure_private_dir(const std::filesystem::path& dir, std::string* tightened) {
  if (is_pipe_namespace(dir)) return {};
  const std::string name = path_utf8(dir);
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) {
    // Parents get the usual permissions; the dir itself is private from its first instant.
    std::filesystem::create_directories(dir.parent_path(), ec);
    auto security = win::PrivateSecurity::make(win::PrivateFor::directory);
    if (!::CreateDirectoryW(dir.c_str(), security ? security->attributes() : nullptr) &&
        ::GetLastError() != ERROR_ALREADY_EXISTS)
      return "cannot create " + name + ": " + win::last_error_text();
  }
  const DWORD attrs = ::GetFileAttributesW(dir.c_str());
  if (attrs == INVALID_FILE_ATTRIBUTES)
    return "cannot inspect " + name + ": " + win::last_error_text();
  if ((attrs & FILE_ATTRIBUTE_DIRECTORY) == 0) return name + " exists but is not a directory";
  if ((attrs & FILE_ATTRIBUTE_REPARSE_POINT) != 0)
    return name + " is a link (a reparse point); use a real directory of your own";
  const std::string owner = win::owner_sid(dir);
  // A directory an elevated process of ours created belongs to Administrators: ours too.
  if (!owner.empty() && owner != win::own_user_sid() && owner != "S-1-5-32-544")
    return name + " belongs to another user (" + owner + "); use a directory of your own";
  if (const std::string open = win::open_to_others(dir); !open.empty()) {
    // Ours but open to others: every command and environment in it would be readable.
    if (const std::string err = win::make_private(dir, win::PrivateFor::directory); !err.empty())
      return name + " is open to other users (" + open + ") and cannot be made private: " + err +
             "; remove the other users' access in its Properties > Security";
    if (tightened != nullptr)
      *tightened = name + " was open to other users (" + open +
                   "); it is now private to you and SYSTEM";
  }
  return {};
}

void make_file_private(const std::filesystem::path& file) {
  const DWORD attrs = ::GetFileAttributesW(file.c_str());
  if (attrs == INVALID_FILE_ATTRIBUTES || (attrs & FILE_ATTRIBUTE_DIRECTORY) != 0) return;
  if (!win::open_to_others(file).empty()) win::make_private(file, win::PrivateFor::file);
}

struct InstanceLock::Impl {
  win::Handle file;
};

InstanceLock::InstanceLock(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::variant<InstanceLock, std::string> InstanceLock::acquire(const std::filesystem::path& file,
                                                              bool& busy) {
  busy = false;
  auto impl = std::make_unique<Impl>();
  impl->file = win::open_lock_file(file);
  if (!impl->file) return "cannot open " + path_utf8(file) + ": " + win::last_error_text();
  switch (win::try_lock(impl->file.get(), 0, 1, true)) {
    case win::LockResult::locked:
      return InstanceLock(std::move(impl));
    case win::LockResult::busy:
      busy = true;
      return "cannot lock " + path_utf8(file) + ": another process holds it";
    case win::LockResult::failed:
      break;
  }
  return "cannot lock " + path_utf8(file) + ": " + win::last_error_text();
}

InstanceLock::InstanceLock(InstanceLock&& o) noexcept = default;
InstanceLock& InstanceLock::operator=(InstanceLock&& o) noexcept = default;
InstanceLock::~InstanceLock() = default;

}  // namespace bb
