// The current user: the SID of the process token (S-1-5-21-...) and the account name.
#include <windows.h>

#include <sddl.h>

#include <vector>

#include "os.h"
#include "win_handle_win.h"
#include "win_text_win.h"

namespace bb::os {

std::string current_user_id() {
  static const std::string sid = []() -> std::string {
    HANDLE raw = nullptr;
    if (!::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, &raw)) return {};
    win::Handle token(raw);
    DWORD size = 0;
    ::GetTokenInformation(token.get(), TokenUser, nullptr, 0, &size);
    std::vector<unsigned char> buf(size);
    if (size == 0 || !::GetTokenInformation(token.get(), TokenUser, buf.data(), size, &size))
      return {};
    wchar_t* text = nullptr;
    if (!::ConvertSidToStringSidW(reinterpret_cast<TOKEN_USER*>(buf.data())->User.Sid, &text))
      return {};
    std::string out = win::narrow(text);
    ::LocalFree(text);
    return out;
  }();
  return sid;
}

std::string current_user_name() {
  wchar_t name[257];
  DWORD size = 257;
  if (::GetUserNameW(name, &size) && size > 1) return win::narrow(std::wstring_view(name, size - 1));
  return current_user_id();
}

}  // namespace bb::os
