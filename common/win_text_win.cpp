#include "win_text_win.h"

#include <algorithm>

namespace bb::win {

std::wstring widen(std::string_view utf8) {
  if (utf8.empty()) return {};
  const int n = ::MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()),
                                      nullptr, 0);
  std::wstring out(static_cast<std::size_t>(std::max(n, 0)), L'\0');
  if (n > 0)
    ::MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), out.data(), n);
  return out;
}

std::string narrow(std::wstring_view utf16) {
  if (utf16.empty()) return {};
  const int n = ::WideCharToMultiByte(CP_UTF8, 0, utf16.data(), static_cast<int>(utf16.size()),
                                      nullptr, 0, nullptr, nullptr);
  std::string out(static_cast<std::size_t>(std::max(n, 0)), '\0');
  if (n > 0)
    ::WideCharToMultiByte(CP_UTF8, 0, utf16.data(), static_cast<int>(utf16.size()), out.data(), n,
                          nullptr, nullptr);
  return out;
}

std::string error_text(DWORD error) {
  wchar_t* buf = nullptr;
  const DWORD n = ::FormatMessageW(
      FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
      nullptr, error, MAKELANGID(LANG_NEUTRAL, SUBLANG_DEFAULT), reinterpret_cast<wchar_t*>(&buf),
      0, nullptr);
  std::string text;
  if (n > 0 && buf != nullptr) text = narrow(std::wstring_view(buf, n));
  if (buf != nullptr) ::LocalFree(buf);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ' ||
                           text.back() == '.'))
    text.pop_back();
  if (text.empty()) text = "error " + std::to_string(error);
  return text;
}

std::string last_error_text() { return error_text(::GetLastError()); }

std::error_code last_error_code() {
  return std::error_code(static_cast<int>(::GetLastError()), std::system_category());
}

std::wstring quote_argument(std::wstring_view arg) {
  if (!arg.empty() && arg.find_first_of(L" \t\n\v\"") == std::wstring_view::npos)
    return std::wstring(arg);
  std::wstring out = L"\"";
  std::size_t backslashes = 0;
  for (wchar_t c : arg) {
    if (c == L'\\') {
      ++backslashes;
      continue;
    }
    if (c == L'"') {
      out.append(backslashes * 2 + 1, L'\\');
    } else {
      out.append(backslashes, L'\\');
    }
    backslashes = 0;
    out += c;
  }
  out.append(backslashes * 2, L'\\');  // they precede the closing quote
  out += L'"';
  return out;
}

std::vector<wchar_t> environment_block(const std::vector<std::string>& entries) {
  std::vector<std::wstring> wide;
  wide.reserve(entries.size());
  for (const auto& e : entries) wide.push_back(widen(e));
  auto name_of = [](const std::wstring& e) {
    // "=C:=C:\dir" entries keep their leading '=' as part of the name.
    const auto eq = e.find(L'=', 1);
    return std::wstring_view(e).substr(0, eq);
  };
  std::stable_sort(wide.begin(), wide.end(), [&](const std::wstring& a, const std::wstring& b) {
    const auto na = name_of(a), nb = name_of(b);
    return ::CompareStringOrdinal(na.data(), static_cast<int>(na.size()), nb.data(),
                                  static_cast<int>(nb.size()), TRUE) == CSTR_LESS_THAN;
  });
  std::vector<wchar_t> block;
  for (const auto& e : wide) {
    block.insert(block.end(), e.begin(), e.end());
    block.push_back(L'\0');
  }
  if (block.empty()) block.push_back(L'\0');
  block.push_back(L'\0');
  return block;
}

}  // namespace bb::win
