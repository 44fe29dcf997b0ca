#include <windows.h>

#include "terminal.h"

namespace bb::cli {

namespace {
HANDLE handle_of(StdStream s) {
  return ::GetStdHandle(s == StdStream::out ? STD_OUTPUT_HANDLE : STD_ERROR_HANDLE);
}
}  // namespace

// A console, and one that understands the escape sequences colour and live lines use (Windows
// 10 consoles do once asked; older ones and redirected output get plain text).
bool is_terminal(StdStream s) {
  const HANDLE h = handle_of(s);
  DWORD mode = 0;
  if (h == nullptr || h == INVALID_HANDLE_VALUE || !::GetConsoleMode(h, &mode)) return false;
  if ((mode & ENABLE_VIRTUAL_TERMINAL_PROCESSING) == 0 &&
      !::SetConsoleMode(h, mode | ENABLE_VIRTUAL_TERMINAL_PROCESSING))
    return false;
  // What is printed is UTF-8.
  ::SetConsoleOutputCP(CP_UTF8);
  return true;
}

int terminal_columns(StdStream s) {
  CONSOLE_SCREEN_BUFFER_INFO info{};
  if (!::GetConsoleScreenBufferInfo(handle_of(s), &info)) return 0;
  const int columns = info.srWindow.Right - info.srWindow.Left + 1;
  return columns > 0 ? columns : 0;
}

}  // namespace bb::cli
