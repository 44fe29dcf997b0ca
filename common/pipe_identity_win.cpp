#include "pipe_identity_win.h"

#include <sddl.h>

#include <vector>

#include "os.h"
#include "win_handle_win.h"
#include "win_text_win.h"

namespace bb::win {

std::optional<std::string> process_user_sid(DWORD pid) {
  Handle process(::OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid));
  if (!process) return std::nullopt;
  HANDLE raw = nullptr;
  if (!::OpenProcessToken(process.get(), TOKEN_QUERY, &raw)) return std::nullopt;
  Handle token(raw);
  DWORD size = 0;
  ::GetTokenInformation(token.get(), TokenUser, nullptr, 0, &size);
  if (size == 0) return std::nullopt;
  std::vector<unsigned char> buf(size);
  if (!::GetTokenInformation(token.get(), TokenUser, buf.data(), size, &size)) return std::nullopt;
  wchar_t* text = nullptr;
  if (!::ConvertSidToStringSidW(reinterpret_cast<TOKEN_USER*>(buf.data())->User.Sid, &text))
    return std::nullopt;
  std::string out = narrow(text);
  ::LocalFree(text);
  return out;
}

const std::string& own_user_sid() {
  static const std::string sid = os::current_user_id();
  return sid;
}

}  // namespace bb::win
