// Windows only (included by _win.cpp files): the UTF-8 / UTF-16 seam. Everything inside the
// program and on the wire is UTF-8; every Windows call that takes text gets UTF-16 (the ...W
// functions), converted here and nowhere else.
#pragma once

#include <windows.h>

#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace bb::win {

// Invalid input becomes U+FFFD (both directions): text is never dropped whole.
std::wstring widen(std::string_view utf8);
std::string narrow(std::wstring_view utf16);

// The system's message for a Win32 error code, in UTF-8, without a trailing newline.
std::string error_text(DWORD error);
// error_text(GetLastError()).
std::string last_error_text();
// A std::error_code in the system category (Win32 codes) for GetLastError().
std::error_code last_error_code();

// One argument quoted for CommandLineToArgvW and the C runtime (the rules every program that
// uses either parses its command line by): backslashes before a quote doubled, quotes escaped,
// the whole quoted when it holds a space, a tab or a quote, or is empty.
std::wstring quote_argument(std::wstring_view arg);

// An environment block for CreateProcessW (CREATE_UNICODE_ENVIRONMENT) from "NAME=value"
// entries: sorted by name without regard to case, as Windows keeps its own, each entry
// NUL-terminated and the block ended by one more NUL.
std::vector<wchar_t> environment_block(const std::vector<std::string>& entries);

}  // namespace bb::win
